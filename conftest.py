"""Test-wide settings: offline, quiet progress bars, a fixed seed for notebooks' kernels.

nbval starts each notebook's kernel with this process's environment, so these settings reach the
notebooks too: no model hub, no progress bars on stderr (they would break output comparison).
"""

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TQDM_DISABLE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("MPLBACKEND", "agg")
# Tests must not pick up a learner's switch to a hub model or their cloud keys.
os.environ.pop("SLM_LAB_MODEL", None)
# Benchmarks run by tests (notebook 10) save into a temporary folder, not the learner's results/.
if not os.environ.get("SLM_LAB_RESULTS_DIR"):
    import atexit
    import shutil
    import tempfile

    os.environ["SLM_LAB_RESULTS_DIR"] = tempfile.mkdtemp(prefix="slm-lab-results-")
    atexit.register(shutil.rmtree, os.environ["SLM_LAB_RESULTS_DIR"], ignore_errors=True)


def pytest_ignore_collect(collection_path, config):
    """Leave out of nbval's collection the notebooks that tests/test_notebook_reruns.py runs already.

    That test runs them twice in one kernel, or once with cloud keys set and endpoints refused (notebook 00; the
    browser test runs it too, as a learner does, with no key). Its first run is what nbval would do (the
    notebook's own parameters, no error output, pinned outputs compared after the same sanitizing), so running
    them here as well would only double the suite's time. A
    notebook named on the command line is still collected (pytest does not ask this hook about those).
    """
    if collection_path.suffix != ".ipynb":
        return None
    from tests.test_notebook_reruns import CLOUD, RERUNS

    return True if f"notebooks/{collection_path.name}" in {*RERUNS, *CLOUD} else None


def pytest_collection_modifyitems(items):
    """Give nbval the expected outputs of pinned cells, which live in cell metadata, not in outputs.

    A cell starting with ``# NBVAL_CHECK_OUTPUT`` keeps its expected output in ``metadata["pinned_outputs"]``
    (written by scripts/pin_outputs.py), so every notebook is committed without outputs or execution counts.
    nbval compares a cell's stored outputs, and only for a cell with an execution count: both are filled in here.
    """
    import nbformat

    for item in items:
        cell = getattr(item, "cell", None)
        pinned = cell.get("metadata", {}).get("pinned_outputs") if cell is not None else None
        if pinned:
            cell.outputs = [nbformat.from_dict(out) for out in pinned]
            cell.execution_count = 1
