"""A local server process: started on demand, health-checked, and never left behind.

Every server started here is stopped when the Python process (or notebook kernel) ends: an ``atexit``
hook stops it, it runs in its own process group so the whole group goes, and on Linux the kernel
also sends it ``SIGTERM`` if its parent dies without running ``atexit`` (``PR_SET_PDEATHSIG``).
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path

from helpers.env import get_env
from helpers.errors import CourseError
from helpers.i18n import _

__all__ = ["DEFAULTS", "START_TIMEOUT_S", "LocalServer", "free_port", "running_servers", "stop_all"]

#: Seconds a server may take to answer its first request (``SLM_LAB_LOCAL_START_TIMEOUT_S`` overrides).
START_TIMEOUT_S = 180.0


_LOCK = threading.RLock()


_RUNNING: list[LocalServer] = []
#: The servers :func:`helpers.local_server.default_server` shares within this process, by kind.
DEFAULTS: dict[str, LocalServer] = {}


#: Environment variables a child server never needs: keys stay in this process.
_SECRET_MARKERS = ("KEY", "TOKEN", "SECRET", "PASSWORD", "CREDENTIAL")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now.

    Introduced in notebook 06.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """Return this process's environment without secrets, offline and quiet, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not any(m in k.upper() for m in _SECRET_MARKERS)}
    env.update({"HF_HUB_OFFLINE": "1", "HF_HUB_DISABLE_PROGRESS_BARS": "1", "TQDM_DISABLE": "1",
                "PYTHONUNBUFFERED": "1"})
    env.update(extra or {})
    return env


def _die_with_parent(parent_pid: int):  # pragma: no cover - runs in the child between fork and exec
    """Return a ``preexec_fn`` that asks Linux to send SIGTERM to the child when its parent dies."""

    def preexec() -> None:
        try:
            import ctypes

            libc = ctypes.CDLL("libc.so.6", use_errno=True)
            libc.prctl(1, signal.SIGTERM)  # 1 == PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            return
        if os.getppid() != parent_pid:  # the parent died before prctl took effect
            os._exit(1)

    return preexec


def _log_dir() -> Path:
    """``.cache/logs``, without the logs of servers whose parent process is gone (a killed kernel's)."""
    from helpers.models import cache_dir

    folder = cache_dir() / "logs"
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*-pid*-*.log"):
        owner = old.stem.rsplit("-pid", 1)[1].split("-")[0]
        if owner.isdigit() and not _pid_alive(int(owner)):
            with contextlib.suppress(OSError):
                old.unlink()
    return folder


def _pid_alive(pid: int) -> bool:
    try:
        import psutil
    except ImportError:  # pragma: no cover - psutil is a course dependency
        return True
    return psutil.pid_exists(pid)


class LocalServer:
    """One OpenAI-compatible server process on 127.0.0.1.

    Introduced in notebook 06.

    Args:
        name: What it is, for messages (``"transformers serve"``).
        command: The command line; ``{port}`` in any argument is replaced by the port.
        model: The model id requests must name.
        port: A port, or ``None`` for a free one.
        cwd: Working folder of the server process.
        env: Extra environment variables for it.

    """

    def __init__(
        self,
        name: str,
        command: Sequence[str],
        model: str,
        port: int | None = None,
        cwd: Path | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self.name = name
        self.model = model
        self.port = port or free_port()
        self.command = [str(part).replace("{port}", str(self.port)) for part in command]
        self.cwd = cwd
        self.extra_env = env or {}
        self.process: subprocess.Popen[bytes] | None = None
        slug = name.replace(" ", "-").replace(".", "")
        self.log_path = _log_dir() / f"{slug}-pid{os.getpid()}-{self.port}.log"
        self.ready = False

    def __repr__(self) -> str:
        state = "ready" if self.ready and self.alive else ("running" if self.alive else "stopped")
        return f"LocalServer({self.name!r}, model={self.model!r}, url={self.base_url!r}, {state})"

    @property
    def base_url(self) -> str:
        """The OpenAI-compatible base URL, e.g. ``http://127.0.0.1:38517/v1``."""
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    # ----------------------------------------------------------------- lifecycle

    def start(self, wait: bool = True, timeout_s: float | None = None) -> LocalServer:
        """Start the process (in its own process group), then wait until it answers a chat request.

        Raises:
            CourseError: It exited, or did not answer within ``timeout_s``.

        """
        with _LOCK:
            if not self.alive:
                self.ready = False
                popen_kwargs: dict = {}
                if os.name == "posix":
                    popen_kwargs["start_new_session"] = True
                    if sys.platform.startswith("linux") and threading.current_thread() is threading.main_thread():
                        # PR_SET_PDEATHSIG fires when the creating *thread* ends, so only the main thread uses it.
                        popen_kwargs["preexec_fn"] = _die_with_parent(os.getpid())
                else:  # pragma: no cover - Windows
                    popen_kwargs["creationflags"] = subprocess.CREATE_NEW_PROCESS_GROUP
                log = self.log_path.open("wb")
                try:
                    self.process = subprocess.Popen(
                        self.command, cwd=self.cwd, env=_child_env(self.extra_env), stdin=subprocess.DEVNULL,
                        stdout=log, stderr=subprocess.STDOUT, **popen_kwargs,
                    )
                except OSError as exc:
                    raise CourseError(_(
                        "Could not start {name} ({strerror}): check that it is installed."
                    ).format(name=self.name, strerror=exc.strerror)) from None
                finally:
                    log.close()
                _RUNNING.append(self)
        if wait:
            self.wait_ready(timeout_s)
        return self

    def _log_tail(self, lines: int = 3) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace").strip().splitlines()
        except OSError:
            return ""
        useful = [line.strip() for line in text if line.strip() and "it/s]" not in line]
        return " | ".join(useful[-lines:])

    def probe(self, timeout_s: float = 60.0) -> tuple[int, str]:
        """Send the smallest chat request (one token); return ``(HTTP status, body)``, status 0 if refused."""
        body = json.dumps({
            "model": self.model, "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 1, "stream": False,
        }).encode()
        request = urllib.request.Request(
            f"{self.base_url}/chat/completions", data=body, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout_s) as response:
                return response.status, response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode("utf-8", "replace")
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            return 0, ""

    def wait_ready(self, timeout_s: float | None = None) -> LocalServer:
        """Poll until one chat completion succeeds (which also loads the model and warms it up)."""
        timeout_s = timeout_s or float(get_env("SLM_LAB_LOCAL_START_TIMEOUT_S") or START_TIMEOUT_S)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if not self.alive:
                code = self.process.returncode if self.process else None
                self.stop(keep_log=True)
                raise CourseError(
                    _(
                        "{name} exited (code {code}) before answering: {log_tail}; "
                        "see {log_path}."
                    ).format(
                        name=self.name, code=code, log_tail=self._log_tail() or _("no output"), log_path=self.log_path,
                    )
                )
            status, body = self.probe(timeout_s=max(1.0, deadline - time.monotonic()))
            if status == 200:
                self.ready = True
                return self
            if status and not (status == 503 and "Loading model" in body):  # llama.cpp: 503 while it loads
                self.stop(keep_log=True)
                raise CourseError(_(
                    "{name} answered HTTP {status} to a test request ({body}); see {log_path}."
                ).format(name=self.name, status=status, body=body[:200], log_path=self.log_path))
            time.sleep(0.25)
        self.stop(keep_log=True)
        raise CourseError(_(
            "{name} did not answer within {timeout_s:.0f} s: the machine may be busy; rerun, or raise "
            "SLM_LAB_LOCAL_START_TIMEOUT_S (log: {log_path})."
        ).format(name=self.name, timeout_s=timeout_s, log_path=self.log_path))

    def stop(self, timeout_s: float = 10.0, keep_log: bool = False) -> None:
        """Stop the server and its process group: SIGTERM, then SIGKILL after ``timeout_s``.

        The log file is deleted unless ``keep_log`` (set when the server failed, so its log can be read).
        """
        with _LOCK:
            process, self.ready = self.process, False
            if self in _RUNNING:
                _RUNNING.remove(self)
        try:
            if process is not None and process.poll() is None:
                self._terminate(process, timeout_s)
        finally:
            if not keep_log:
                with contextlib.suppress(OSError):
                    self.log_path.unlink(missing_ok=True)

    @staticmethod
    def _terminate(process: subprocess.Popen[bytes], timeout_s: float) -> None:
        try:
            if os.name == "posix":
                os.killpg(process.pid, signal.SIGTERM)
            else:  # pragma: no cover - Windows
                process.terminate()
            process.wait(timeout=timeout_s)
        except ProcessLookupError:
            return
        except subprocess.TimeoutExpired:
            if os.name == "posix":
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
            else:  # pragma: no cover - Windows
                process.kill()
            process.wait(timeout=timeout_s)

    def __enter__(self) -> LocalServer:
        return self if self.alive else self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def running_servers() -> list[LocalServer]:
    """The servers this process started and has not stopped yet.

    Introduced in notebook 06.
    """
    with _LOCK:
        return [server for server in _RUNNING if server.alive]


@atexit.register
def stop_all() -> None:
    """Stop every server this process started (runs by itself when the interpreter or kernel exits).

    Introduced in notebook 06.
    """
    with _LOCK:
        servers = list(_RUNNING)
        DEFAULTS.clear()
    for server in servers:
        server.stop()
