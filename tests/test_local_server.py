"""helpers.local_server: a local server never outlives the kernel or process that started it.

Each kernel test starts a real Jupyter kernel, starts the real ``transformers serve`` process from it,
then ends the kernel (politely, and by SIGKILL) and checks that the server process is gone.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import psutil
import pytest

from helpers.errors import CourseError
from helpers.local_server import LocalServer, llamacpp_server, running_servers
from helpers.local_server.process import _child_env

ROOT = Path(__file__).resolve().parents[1]
START_IN_KERNEL = """
from helpers.local_server import default_server
server = default_server(start=False).start(wait=False)
print(server.pid, server.log_path)
"""


def gone(pid: int, within_s: float = 20.0) -> bool:
    """True once ``pid`` no longer runs (a zombie counts as gone: it only waits to be reaped)."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        time.sleep(0.2)
    return False


def start_server_in_kernel(kernel_output):
    from jupyter_client.manager import start_new_kernel

    manager, client = start_new_kernel(kernel_name="python3", cwd=str(ROOT))
    pid, log = kernel_output(client, START_IN_KERNEL, 60).strip().splitlines()[-1].split(" ", 1)
    pid = int(pid)
    server = psutil.Process(pid)
    assert server.is_running() and "serve" in server.cmdline(), server.cmdline()
    assert server.ppid() == manager.provisioner.process.pid, "the kernel started it"
    return manager, client, pid, Path(log)


@pytest.mark.skipif(sys.platform == "win32", reason="process groups and signals are POSIX")
def test_server_stops_when_the_kernel_shuts_down(kernel_output):
    manager, client, pid, log = start_server_in_kernel(kernel_output)
    client.stop_channels()
    manager.shutdown_kernel(now=False)  # what Jupyter does on "Shut down kernel": atexit runs
    assert gone(pid), f"server {pid} outlived its kernel"
    assert not log.exists(), "atexit stopped it cleanly"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux-only")
def test_server_stops_when_the_kernel_is_killed(kernel_output):
    manager, client, pid, log = start_server_in_kernel(kernel_output)
    client.stop_channels()
    manager.shutdown_kernel(now=True)  # SIGKILL: no atexit, so the parent-death signal must do it
    assert gone(pid), f"server {pid} outlived its killed kernel"
    log.unlink(missing_ok=True)


def test_a_server_that_exits_early_is_reported_in_one_sentence():
    command = [sys.executable, "-c", "import sys; print('model folder not found'); sys.exit(3)"]
    server = LocalServer("broken server", command, model="m")
    with pytest.raises(CourseError, match=r"exited \(code 3\) before answering: model folder not found"):
        server.start(timeout_s=30)
    assert server not in running_servers()
    assert server.log_path.is_file(), "a failed server's log is kept for reading"
    server.log_path.unlink()


def test_a_server_that_never_listens_is_stopped_after_the_deadline():
    server = LocalServer("silent server", [sys.executable, "-c", "import time; time.sleep(60)"], model="m")
    with pytest.raises(CourseError, match="did not answer within 2 s"):
        server.start(timeout_s=2)
    assert gone(server.pid, within_s=5) and not server.alive
    server.log_path.unlink()


def test_keys_are_not_passed_to_server_processes(monkeypatch):
    monkeypatch.setenv("NVIDIA_API_KEY", "nvapi-fake")
    monkeypatch.setenv("GITHUB_TOKEN", "ghp-fake")
    monkeypatch.setenv("SLM_LAB_SOMETHING", "kept")
    env = _child_env()
    assert "NVIDIA_API_KEY" not in env and "GITHUB_TOKEN" not in env
    assert env["SLM_LAB_SOMETHING"] == "kept" and env["HF_HUB_OFFLINE"] == "1"


def test_llamacpp_server_answers_the_openai_sdk():
    """llama.cpp's own OpenAI-compatible server (xllamacpp, a course requirement) with the course GGUF."""
    from openai import OpenAI

    with llamacpp_server(threads=1) as server:
        client = OpenAI(base_url=server.base_url, api_key="not-needed", max_retries=0, timeout=120)
        assert [m.id for m in client.models.list()] == [server.model], "GET /v1/models lists the served file"
        question = [{"role": "user", "content": "What is the capital of Norway?"}]
        response = client.chat.completions.create(model=server.model, messages=question, max_tokens=24, temperature=0)
        assert "Oslo" in response.choices[0].message.content
        assert 0 < response.usage.completion_tokens <= 24
        chunks = client.chat.completions.create(model=server.model, messages=question, max_tokens=24, temperature=0,
                                                stream=True)
        streamed = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
        assert streamed.strip() == response.choices[0].message.content.strip()
        pid, log = server.pid, server.log_path
    assert gone(pid, within_s=10), "leaving the with-block stops the server"
    assert not log.exists(), "a server stopped cleanly leaves no log behind"
