"""Isolated, cached, idempotent environments for tools whose pins clash with the course's.

The OpenVINO exporter needs an older Transformers, Olive's model builder an older ONNX Runtime GenAI,
and Foundry Local an older ONNX Runtime. Each gets its own virtual environment under
``.cache/envs/<name>`` (next to the prepared models), built from ``envs/<name>.txt`` with uv when
available (pip otherwise), using the same package index settings as the course. A finished
environment carries a stamp with the digest of its requirements file, so building again is instant
and editing the file rebuilds it. When a piece cannot be installed the build stops with one sentence
(:class:`EnvUnavailableError`) and nothing half-built is left behind.

Defined for notebook 12; ``python course.py setup --edge`` builds them all ahead of time.

Example:
    >>> python = ensure_env("olive")  # doctest: +SKIP
    >>> python.name  # doctest: +SKIP
    'python'

"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
import venv
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from helpers.edge.installer import find_installer
from helpers.env import REPO_ROOT
from helpers.errors import CourseError
from helpers.i18n import _

__all__ = [
    "ENVS", "EnvSpec", "EnvUnavailableError", "ensure_env", "env_dir", "env_python", "env_ready", "env_tool", "try_env",
]

STAMP = "slm-lab-env.txt"


class EnvUnavailableError(CourseError):
    """A build environment could not be created; the message says why and what to do."""


@dataclass(frozen=True)
class EnvSpec:
    """One isolated environment.

    Attributes:
        name: Folder name under ``.cache/envs`` and the file stem under ``envs/``.
        purpose: What it is for, shown in messages.
        remove: Packages uninstalled after the install (a dependency that must not be there).
        check: A Python statement run in the finished environment; it must succeed.
        requirements_file: Pins to install (default ``envs/<name>.txt``, the one place they live).

    """

    name: str
    purpose: str
    remove: tuple[str, ...] = ()
    check: str = ""
    requirements_file: Path | None = None

    @property
    def requirements(self) -> Path:
        return self.requirements_file or REPO_ROOT / "envs" / f"{self.name}.txt"


ENVS: dict[str, EnvSpec] = {
    spec.name: spec
    for spec in [
        # The index's torchvision is a CUDA build that breaks optimum's imports on a CPU machine.
        EnvSpec("optimum-intel", "the OpenVINO exporter", remove=("torchvision",),
                check="import optimum.intel, openvino"),
        EnvSpec("olive", "Olive's model builder", check="import olive, onnxruntime_genai"),
        EnvSpec("foundry-local", "the Foundry Local SDK", check="import foundry_local_sdk"),
    ]
}


def _spec(spec: EnvSpec | str) -> EnvSpec:
    if isinstance(spec, EnvSpec):
        return spec
    if spec not in ENVS:
        raise CourseError(_(
            "Unknown build environment {spec!r}: use one of {choices}."
        ).format(spec=spec, choices=', '.join(ENVS)))
    return ENVS[spec]


def env_dir(spec: EnvSpec | str, root: Path | None = None) -> Path:
    """``.cache/envs/<name>`` (or under ``root``)."""
    from helpers.models import cache_dir

    return (root or cache_dir() / "envs") / _spec(spec).name


def env_python(folder: Path) -> Path:
    """The interpreter of the environment in ``folder``."""
    return folder / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _digest(spec: EnvSpec) -> str:
    if not spec.requirements.is_file():
        raise EnvUnavailableError(f"{spec.requirements} is missing: restore it from the repository, then rerun.")
    text = spec.requirements.read_bytes() + repr((spec.remove, spec.check, sys.version_info[:2])).encode()
    return hashlib.sha256(text).hexdigest()


def env_ready(spec: EnvSpec | str, root: Path | None = None) -> bool:
    """True when the environment exists and was built from the current requirements file."""
    spec = _spec(spec)
    stamp = env_dir(spec, root) / STAMP
    return stamp.is_file() and stamp.read_text().strip() == _digest(spec)


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    for line in reversed(lines):  # uv and pip put the reason in the first "error" line
        if line.lower().startswith(("error", "×", "because", "no solution")):
            return line[:300]
    return (lines[-1] if lines else _("no output"))[:300]


def ensure_env(
    spec: EnvSpec | str,
    root: Path | None = None,
    quiet: bool = False,
    use_uv: bool = True,
    on_step: Callable[[str], None] | None = None,
) -> Path:
    """Build the environment unless it is already current; return its Python interpreter.

    Args:
        spec: An :data:`ENVS` name or an :class:`EnvSpec`.
        root: Parent folder (default ``.cache/envs``); tests use a temporary one.
        quiet: No progress bar.
        use_uv: False forces pip.
        on_step: Called with each step's name (tests record them).

    Raises:
        EnvUnavailableError: One sentence naming the package problem and the command to retry.

    """
    from tqdm.auto import tqdm

    spec = _spec(spec)
    folder = env_dir(spec, root)
    if env_ready(spec, root):
        return env_python(folder)
    digest = _digest(spec)
    # Built in place; the stamp is written last, so an interrupted build is simply rebuilt.
    tmp = folder
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.parent.mkdir(parents=True, exist_ok=True)
    steps = ["create venv", "install packages", *(["tidy"] if spec.remove else []), "check"]
    start = time.perf_counter()
    try:
        building = _("Building {folder}").format(folder=f".cache/envs/{spec.name}")
        with tqdm(total=len(steps), desc=building, unit="step", disable=quiet) as bar:

            def step(name: str) -> None:
                bar.set_postfix_str(name)
                if on_step:
                    on_step(name)

            step("create venv")
            installer = find_installer(sys.executable, use_uv=use_uv)
            if installer.uv:
                _run([installer.uv, "venv", "-q", "--python", sys.executable, str(tmp)], spec, "create")
            else:
                venv.create(tmp, with_pip=True)
            # The venv's own uv/pip settings: same index, same find-links, same constraints as the course.
            installer.python = env_python(tmp)
            bar.update()
            step(f"install packages ({installer.name})")
            _run(installer.command("-r", str(spec.requirements), compile_bytecode=False), spec, "install",
                 env=installer.env())
            bar.update()
            if spec.remove:
                step("tidy")
                subprocess.run(installer.uninstall_command(*spec.remove), capture_output=True, check=False)
                bar.update()
            if spec.check:
                step("check")
                _run([str(env_python(tmp)), "-c", spec.check], spec, "check")
            bar.update()
        (tmp / STAMP).write_text(digest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if not quiet:
        print(_("{name}: ready in {seconds:.0f} s ({folder})").format(
            name=spec.name, seconds=time.perf_counter() - start, folder=folder), flush=True)
    return env_python(folder)


def _run(cmd: list[str], spec: EnvSpec, what: str, env: dict[str, str] | None = None) -> None:
    result = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env)
    if result.returncode != 0:
        raise EnvUnavailableError(
            f"Could not {what} the {spec.name} environment for {spec.purpose} "
            f"({_last_line(result.stderr + result.stdout)}): check your package index settings, "
            "then run `python course.py setup --edge`."
        )


def try_env(spec: EnvSpec | str, root: Path | None = None, quiet: bool = False) -> Path | None:
    """Like :func:`ensure_env`, but print the one-sentence reason and return None when it cannot be built."""
    try:
        return ensure_env(spec, root=root, quiet=quiet)
    except EnvUnavailableError as exc:
        print(_("Skipped: {error}").format(error=exc), flush=True)
        return None


def env_tool(env: str, tool: str, quiet: bool = False) -> tuple[str, Path]:
    """The command-line ``tool`` of the isolated environment ``env`` (built once) and the default model's folder.

    Introduced in notebook 12 (the OpenVINO export and the Olive build both start here).
    """
    from helpers.models import prepare_default_model

    python = ensure_env(env, quiet=quiet)
    hf = prepare_default_model(onnx=(), verbose=not quiet)["hf"]
    return shutil.which(tool, path=str(python.parent)) or str(python.parent / tool), Path(hf)
