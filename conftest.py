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


def pytest_collection_modifyitems(items):
    """Let nbval compare the pinned cells (``"keep_output": true``) although their execution counts are stripped.

    nbval skips the comparison for a cell without an execution count; committed notebooks have none.
    See scripts/pin_outputs.py.
    """
    for item in items:
        cell = getattr(item, "cell", None)
        if cell is not None and cell.get("metadata", {}).get("keep_output") and cell.get("outputs"):
            cell.execution_count = 1
