"""The README's first command, ``python3 course.py lab``, run as a learner runs it, for the tests that need JupyterLab.

It runs in a copy of the course at a path like a learner's (a login with a dot, folders with spaces), which shares
this environment (a `.venv` is linked, not rebuilt) and the prepared models, so nothing is installed or prepared again.
The server gets its own runtime, config, data, settings and workspace folders (no news feed, no update check, no
autosave, so nothing leaves 127.0.0.1 and nothing is saved over the committed notebooks), a free port and
``--no-browser``; everything else is the learner's command. It is stopped as a learner stops it: Ctrl+C, which a
terminal sends to every process of the foreground group.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SETTINGS = {
    # No news feed, no update check: nothing leaves 127.0.0.1, and no toast covers a screenshot.
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false", "checkForUpdates": False},
    # Every cell stays in the DOM, so every prompt and output can be read.
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
}
CONFIG = {
    # The "is the build up to date?" check costs ~10 s of CPU per page load; a pip-installed JupyterLab has no build.
    "config/labconfig/page_config.json": {"buildCheck": False, "buildAvailable": False},
}
#: Where learners clone: a company login with a dot, folders with spaces and a version number.
CLONE = Path("jane.doe", "my courses", "slm lab v1.2")
COPY_IGNORE = (".git", ".venv", ".cache", "results", "artifacts", "__pycache__", ".ipynb_checkpoints", "*.egg-info")
URL_LINE = re.compile(r"^(http://\S+\?token=(\w+))$", re.MULTILINE)


def readme_first_command() -> list[str]:
    """The first command of the README's quick start, e.g. ``['python3', 'course.py', 'lab']``."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("```bash", 1)[1].split("```", 1)[0]
    return block.strip().splitlines()[0].split("#")[0].split()


def learner_python() -> str:
    """What ``python3`` is to a learner: in the course's own ``.venv`` (CI, a clone), the interpreter it was made from,
    so course.py goes through its own start (re-running itself in ``.venv``); in another environment, this one."""
    if Path(sys.prefix).resolve() == (ROOT / ".venv").resolve():
        return getattr(sys, "_base_executable", sys.executable)
    return sys.executable


def skip_unless_set_up() -> None:
    """course.py installs when its stamp in the environment is stale; a test must never install, so it skips."""
    spec = importlib.util.spec_from_file_location("course", ROOT / "course.py")
    course = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(course)
    current, _ = course.is_current(Path(sys.prefix) / ".slm-lab-installed", course.INPUTS)
    if not current:
        pytest.skip(f"`course.py setup` has not run in {sys.prefix} (no current stamp); this test never installs")


def _state(pid: int) -> str:
    """What a process left running is doing (state, kernel wait channel, threads), to tell a hang from slowness."""
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
        status = dict(line.split(":", 1) for line in lines if ":" in line)
        wchan = Path(f"/proc/{pid}/wchan").read_text().strip()
        return f"{status['State'].strip()}, waiting in {wchan or '-'}, {status['Threads'].strip()} threads"
    except (OSError, KeyError):
        return "unknown"


def _threads(pid: int) -> str:
    """Each thread of a process: name, state, wait channel, pending/blocked/caught signals; py-spy's Python stacks
    when it is installed."""
    lines = []
    for task in sorted(Path(f"/proc/{pid}/task").glob("*")):
        with contextlib.suppress(OSError, KeyError):
            status = dict(line.split(":", 1) for line in (task / "status").read_text().splitlines() if ":" in line)
            fields = " ".join(f"{k}={status[k].strip()}" for k in ("State", "SigPnd", "ShdPnd", "SigBlk", "SigCgt"))
            lines.append(f"  {pid}/{task.name} {status['Name'].strip()} {fields} wchan={(task / 'wchan').read_text()}")
    if shutil.which("py-spy"):
        lines.append(subprocess.run(["py-spy", "dump", "--pid", str(pid)], capture_output=True, text=True).stdout)
    return "\n".join(lines)


class CourseLab:
    """``python3 course.py lab --port PORT --no-browser``, its output in ``log``, its URL read from that output."""

    def __init__(self, home: Path, port: int) -> None:
        from helpers.models import cache_dir

        self.root = home / CLONE
        shutil.copytree(ROOT, self.root, ignore=shutil.ignore_patterns(*COPY_IGNORE))
        if (ROOT / ".venv").is_dir():
            (self.root / ".venv").symlink_to(ROOT / ".venv", target_is_directory=True)
        for name, value in {**{f"settings/{k}": v for k, v in SETTINGS.items()}, **CONFIG}.items():
            (home / name).parent.mkdir(parents=True, exist_ok=True)
            (home / name).write_text(json.dumps(value))
        env = dict(
            os.environ,
            JUPYTER_RUNTIME_DIR=str(home / "runtime"),
            JUPYTER_CONFIG_DIR=str(home / "config"),
            JUPYTER_DATA_DIR=str(home / "data"),
            JUPYTERLAB_SETTINGS_DIR=str(home / "settings"),
            JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"),
            MPLBACKEND="module://matplotlib_inline.backend_inline",
            SLM_LAB_CACHE=str(cache_dir()),
        )
        self.readme_command = readme_first_command()
        self.command = [learner_python(), *self.readme_command[1:], "--port", str(port), "--no-browser"]
        self.log_path = home / "course-lab.log"
        self._log = self.log_path.open("w")
        self.process = subprocess.Popen(
            self.command, cwd=self.root, env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.url, self.token = self._wait_for_url(timeout=900)  # set-up checks the prepared models first
        self.base = self.url.split("/lab", 1)[0]
        self.processes = self._tree()

    def output(self) -> str:
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text(errors="replace")

    def _wait_for_url(self, timeout: float) -> tuple[str, str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.output_at_url = self.output()
            found = URL_LINE.search(self.output_at_url)
            if found:
                return found.group(1), found.group(2)
            if self.process.poll() is not None:
                break
            time.sleep(0.5)
        self.stop()
        pytest.fail(f"`{' '.join(self.command)}` printed no URL:\n{self.output()[-3000:]}", pytrace=False)

    def _tree(self) -> list:
        import psutil

        try:
            top = psutil.Process(self.process.pid)
            return [top, *top.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def api(self, path: str, method: str = "GET") -> tuple[int, bytes]:
        request = urllib.request.Request(f"{self.base}{path}?token={self.token}", method=method)
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()

    def url_of(self, notebook: str) -> str:
        """Open one notebook (a name in notebooks/, or a path from the root) in a workspace of its own, reset, so
        no tab from an earlier test comes back."""
        path = notebook if "/" in notebook else f"notebooks/{notebook}"
        workspace = "-".join(Path(path).with_suffix("").parts[-3:])
        return f"{self.base}/lab/workspaces/{workspace}/tree/{path}?reset&token={self.token}"

    def shut_down_kernels(self) -> None:
        """Shut down every kernel (a closed tab leaves its kernel running, holding the model in memory)."""
        for kernel in json.loads(self.api("/api/kernels")[1]):
            self.api(f"/api/kernels/{kernel['id']}", method="DELETE")

    def stop(self) -> list[str]:
        """Press Ctrl+C (SIGINT to the whole process group, as a terminal does); return what still runs after."""
        import psutil

        tree = self._tree() or getattr(self, "processes", [])
        if self.process.poll() is None:
            if os.name == "nt":
                self.process.terminate()
            else:  # Ctrl+C twice, as course.py tells a learner: once only asks "Shutdown this Jupyter server?"
                os.killpg(self.process.pid, signal.SIGINT)
                time.sleep(0.5)
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGINT)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=60)
        _, alive = psutil.wait_procs(tree, timeout=15)
        left = [f"{p.pid} {' '.join(p.cmdline())} (state {_state(p.pid)})" for p in alive if p.is_running()]
        if left:  # an open problem (README, Tests): say what each thread waits for, then whether a request wakes it
            left += [_threads(p.pid) for p in alive if p.is_running()]
            with contextlib.suppress(OSError):
                self.api("/api/status")
            _, still = psutil.wait_procs(alive, timeout=10)
            left.append(f"after one HTTP request to the server, still running: {[p.pid for p in still]}")
        for p in alive:
            p.kill()
        self._log.close()
        return left


@pytest.fixture(scope="session")
def course_lab(tmp_path_factory):
    """A running ``course.py lab``, started once (set-up checks take a while); at the end of the session, Ctrl+C must
    stop it, every kernel it started and course.py itself, with exit code 0, having saved over no notebook."""
    skip_unless_set_up()
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = CourseLab(tmp_path_factory.mktemp("course-lab"), port)
    yield server
    left = server.stop()
    steps = [line for line in server.output().splitlines()
             if "after the second Ctrl+C" in line or "still not stopped" in line]
    if steps and not left:  # stopped, but only thanks to course.py's watchdog: say so in the warnings summary
        import warnings

        warnings.warn("JupyterLab stopped only after course.py's watchdog stepped in: " + " / ".join(steps),
                      stacklevel=1)
    assert not left, "processes left after Ctrl+C:\n" + "\n".join(left) + "\nlast lines:\n" + server.output()[-1500:]
    assert server.process.returncode == 0, f"course.py lab exited with {server.process.returncode}:\n{server.output()}"
    copies = (server.root / "notebooks").glob("*.ipynb")
    changed = [p.name for p in copies if p.read_bytes() != (ROOT / "notebooks" / p.name).read_bytes()]
    assert not changed, f"JupyterLab saved over committed notebooks: {changed}"


@pytest.fixture
def fresh_check_results():
    """Lab checks record verdicts in one dict: start and end each check test with it empty."""
    from helpers import checks

    checks.RESULTS.clear()
    yield
    checks.RESULTS.clear()


@pytest.fixture(scope="session")
def tokenizer():
    """The default model's tokenizer (with its chat template), loaded once for the check tests."""
    from transformers import AutoTokenizer

    from helpers.models import prepare_default_model

    return AutoTokenizer.from_pretrained(prepare_default_model(onnx=(), verbose=False)["hf"])


def run_in_kernel(client, code: str, timeout: float) -> str:
    """Execute ``code`` in a running kernel; return its printed text, with any traceback, as one string."""
    out: list[str] = []

    def hook(msg):
        if msg["msg_type"] == "stream":
            out.append(msg["content"]["text"])
        elif msg["msg_type"] == "error":
            out.append("\n".join(msg["content"]["traceback"]))

    client.execute_interactive(code, timeout=timeout, output_hook=hook)
    return "".join(out)


@pytest.fixture(scope="session")
def kernel_output():
    """:func:`run_in_kernel`, for tests that drive a real Jupyter kernel."""
    return run_in_kernel

