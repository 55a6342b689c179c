"""Notebooks as learners run them: Run All twice in one kernel, and with cloud keys set but endpoints unreachable.

Every notebook that starts a server, builds widgets or writes files runs twice in the same kernel (Run All,
then Run All again, no restart): no cell fails, no second server starts, no control or process is left over
from the first run, and pinned outputs stay the same. Every notebook that calls a provider runs with fake keys
for every cloud provider and their endpoints on a closed port: no error output, and the key appears nowhere in
the outputs. A notebook in both groups does both in one kernel, to keep the suite short.

The notebooks run twice here are not also run by nbval (see ``pytest_ignore_collect`` in the root conftest.py):
the first run here uses the notebook's own parameters and checks what nbval would (no error output; each pinned
cell's output equals ``metadata.pinned_outputs`` after the same sanitizing), and the second run uses small
parameters (injected after the ``# Parameters`` cell, as papermill does) so it stays short.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import psutil
import pytest

from helpers.local_server import free_port
from tests.test_providers import ALL_VARS, FAKE_KEY

ROOT = Path(__file__).resolve().parents[1]

# Printed by a cell run after each Run All: what the kernel holds that a second run could duplicate.
PROBE = """
import json as _json, psutil as _psutil
from helpers.local_server import running_servers as _servers
import ipywidgets as _w
from ipywidgets.widgets.widget import _instances as _widgets
_open = [w for w in list(_widgets.values()) if getattr(w, "comm", None)]
# controls a learner acts on (progress bars and text readouts are outputs of one run, not an app's state)
_controls = [w for w in _open if isinstance(w, (_w.Button, _w.ValueWidget))
             and not isinstance(w, (_w.IntProgress, _w.FloatProgress, _w.HTML, _w.HTMLMath, _w.Label))]
_kids = [p for p in _psutil.Process().children(recursive=True) if p.status() != _psutil.STATUS_ZOMBIE]
print("PROBE" + _json.dumps({"servers": [s.base_url for s in _servers()], "children": len(_kids),
                             "controls": len(_controls), "widgets": len(_open)}))
"""

# Small parameters for the runs here (the nbval run of each notebook keeps its own).
RERUNS = {
    "notebooks/05-local-ollama-llamacpp.ipynb": {"MAX_TOKENS": 8},
    "notebooks/06-cloud-endpoints.ipynb": {"MAX_TOKENS": 8, "BENCH_TOKENS": 4, "BENCH_RUNS": 1,
                                           "FOLLOW_UPS": ["What is the capital of Norway?"]},
    "notebooks/07-cloud-azure-ai-inference.ipynb": {"MAX_TOKENS": 8, "TIMING_RUNS": 1},
    "notebooks/10-benchmark-local-vs-cloud.ipynb": {
        "N_PROMPTS": 1, "QUANT_PROMPTS": 1, "MAX_NEW_TOKENS": 8, "QUANT_PRECISIONS": ["fp32", "int4"],
        "BACKENDS": ["onnx-int4", "transformers-fp32"],
    },
    "notebooks/11-playground.ipynb": {"MAX_NEW_TOKENS": 12, "SAMPLES": 1},
}
# Notebooks that call a provider: they run with fake keys and endpoints on a closed port (twice if in RERUNS).
CLOUD = {notebook: {} for notebook in [
    "notebooks/00-start-here.ipynb", "notebooks/06-cloud-endpoints.ipynb",
    "notebooks/07-cloud-azure-ai-inference.ipynb", "notebooks/10-benchmark-local-vs-cloud.ipynb",
    "notebooks/11-playground.ipynb",
]}


def with_parameters(path: Path, params: dict) -> nbformat.NotebookNode:
    """The notebook with a cell setting ``params`` right after its ``# Parameters`` cell."""
    nb = nbformat.read(path, as_version=4)
    where = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code" and c.source.startswith("# Parameters"))
    lines = "\n".join(f"{name} = {value!r}" for name, value in params.items())
    nb.cells.insert(where + 1, nbformat.v4.new_code_cell(f"# injected by the test\n{lines}"))
    return nb


def text_of(outputs) -> str:
    parts = []
    for out in outputs:
        if out.get("output_type") == "stream":
            parts.append(out.get("text", ""))
        elif out.get("output_type") in ("execute_result", "display_data"):
            parts.append(str(out.get("data", {}).get("text/plain", "")))
        elif out.get("output_type") == "error":
            parts.append("\n".join(out.get("traceback", [])))
    return "".join(parts)


def run_all(path: Path, params: dict, runs: int) -> tuple[list[list], list[dict], int]:
    """Run every cell ``runs`` times in one kernel; return each run's outputs, each probe, and the kernel's pid.

    The first run uses the notebook's own parameters (as nbval would); later runs add the cell setting ``params``.
    """
    from nbclient import NotebookClient

    nb = with_parameters(path, params)
    cells = list(nb.cells)
    injected = next(i for i, c in enumerate(cells) if c.source.startswith("# injected by the test"))
    probe = nbformat.v4.new_code_cell(PROBE)
    nb.cells.append(probe)
    client = NotebookClient(nb, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    outputs, probes = [], []
    with client.setup_kernel():
        kernel_pid = client.km.provisioner.process.pid
        for run in range(runs):
            for index, cell in enumerate(cells):
                if cell.cell_type == "code" and (run > 0 or index != injected):
                    client.execute_cell(cell, index)
            outputs.append([json.loads(json.dumps(c.get("outputs", []))) for c in cells])
            client.execute_cell(probe, len(cells))
            line = next(line for line in text_of(probe.outputs).splitlines() if line.startswith("PROBE"))
            probes.append(json.loads(line[len("PROBE"):]))
    return outputs, probes, kernel_pid


def sanitized(text: str) -> str:
    """The text with tests/sanitize.cfg's replacements applied, as nbval applies them before comparing."""
    import configparser
    import re

    config = configparser.ConfigParser()
    config.read(ROOT / "tests" / "sanitize.cfg")
    for section in config.sections():
        text = re.sub(config[section]["regex"], config[section]["replace"], text)
    return text.strip()


def gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def fake_cloud(monkeypatch) -> None:
    """Keys for every cloud provider, and their endpoints on a closed port of 127.0.0.1."""
    closed = f"http://127.0.0.1:{free_port()}"
    for name, value in {"NVIDIA_API_KEY": FAKE_KEY, "AZURE_OPENAI_API_KEY": FAKE_KEY, "GITHUB_TOKEN": FAKE_KEY,
                        "NIM_BASE_URL": f"{closed}/v1", "AZURE_OPENAI_ENDPOINT": closed,
                        "GITHUB_MODELS_BASE_URL": f"{closed}/inference", "OLLAMA_HOST": closed,
                        "SLM_LAB_MAX_RETRIES": "0"}.items():
        monkeypatch.setenv(name, value)


@pytest.mark.parametrize("notebook", sorted(set(RERUNS) | set(CLOUD)), ids=lambda p: Path(p).stem)
def test_notebook_reruns_cleanly_and_survives_unreachable_clouds(notebook, tmp_path, monkeypatch):
    """Run All twice in one kernel (notebooks in RERUNS); with fake keys and closed endpoints (those in CLOUD)."""
    for name in ALL_VARS:
        monkeypatch.delenv(name, raising=False)
    if notebook in CLOUD:
        fake_cloud(monkeypatch)
    results = tmp_path / "results"
    monkeypatch.setenv("SLM_LAB_RESULTS_DIR", str(results))
    in_repo = set((ROOT / "results").glob("*")) if (ROOT / "results").is_dir() else set()
    path = ROOT / notebook
    runs = 2 if notebook in RERUNS else 1
    outputs, probes, kernel = run_all(path, {**CLOUD.get(notebook, {}), **RERUNS.get(notebook, {})}, runs=runs)
    shown = json.dumps(outputs)
    assert FAKE_KEY not in shown, "no key in any output"
    assert "Traceback" not in shown and '"output_type": "error"' not in shown
    print(f"{path.stem}: " + ", ".join(f"after run {i + 1} {probe}" for i, probe in enumerate(probes)))
    if runs == 2:
        first, second = probes
        assert second["servers"] == first["servers"], "the second run reuses the first run's server"
        assert len(second["servers"]) <= 1
        assert second["children"] == first["children"], "no process is left over from the first run"
        assert second["controls"] == first["controls"], "the first run's controls are closed, not kept beside"
    pinned = [(i, c) for i, c in enumerate(with_parameters(path, {}).cells) if c.metadata.get("pinned_outputs")]
    for index, cell in pinned:  # as nbval compares them: the first run has the notebook's own parameters
        expected = sanitized(text_of(cell.metadata["pinned_outputs"]))
        assert sanitized(text_of(outputs[0][index])) == expected, cell.source
    if "10-benchmark" in notebook:
        assert len(list(results.glob("bench-*.json"))) == runs, "each run saved its results in SLM_LAB_RESULTS_DIR"
        now = set((ROOT / "results").glob("*")) if (ROOT / "results").is_dir() else set()
        assert now == in_repo, "nothing new in results/"
    assert gone(kernel), "the kernel has ended"


CHAT_IN_KERNEL = """
import psutil
from helpers.providers import connect
conn = connect("local", verbose=False)
answer = conn.chat("Capital of Norway?", max_tokens=6, temperature=0)
print("ANSWER", conn.server.pid, conn.server.port, answer.replace(chr(10), " "))
"""


def test_four_kernels_use_the_local_endpoint_at_once(kernel_output):
    """Four notebooks open at once: each kernel starts its own server on its own port, and all four answer."""
    import threading

    from jupyter_client.manager import start_new_kernel

    kernels = [start_new_kernel(kernel_name="python3", cwd=str(ROOT)) for _ in range(4)]
    answers: dict[int, str] = {}

    def ask(index: int, client) -> None:
        answers[index] = kernel_output(client, CHAT_IN_KERNEL, 600)

    workers = [threading.Thread(target=ask, args=(i, client)) for i, (_, client) in enumerate(kernels)]
    try:
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(660)
    finally:
        for manager, client in kernels:
            client.stop_channels()
            manager.shutdown_kernel(now=False)
    lines = [next((ln for ln in answers.get(i, "").splitlines() if ln.startswith("ANSWER")), answers.get(i, ""))
             for i in range(4)]
    print("\n".join(lines))
    assert all(line.startswith("ANSWER") and "Oslo" in line for line in lines), lines
    pids = [int(line.split()[1]) for line in lines]
    ports = {line.split()[2] for line in lines}
    assert len(ports) == 4, "four servers, four ports: no clash"
    assert all(gone_within(pid, 30) for pid in pids), "every server stopped with its kernel"


def gone_within(pid: int, seconds: float) -> bool:
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if gone(pid):
            return True
        time.sleep(0.2)
    return False
