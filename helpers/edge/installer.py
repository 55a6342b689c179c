"""Install packages with uv when it is available (pip otherwise), honouring the user's pip configuration.

uv installs ``requirements.txt`` in seconds where pip takes minutes, but it does not read pip's
configuration files or ``PIP_*`` variables. This module reads them (``pip config list`` plus the
environment, the way pip does) and passes the index, find-links and constraint settings on, so uv
resolves exactly what pip would (on the course's build machine, pip's find-links serve torch's CPU
build; without them uv would pick the multi-GB CUDA build).

Standard library only: ``course.py`` imports it before anything else is installed.
Defined for ``course.py setup`` and :mod:`helpers.edge.buildenv` (notebook 12).
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Installer", "PipSettings", "find_installer", "pip_settings", "uv_arguments"]

#: pip options that uv understands under the same meaning, and whether they take a list.
_KEYS = {"index-url": False, "extra-index-url": True, "find-links": True, "constraint": True, "no-index": False}


@dataclass
class PipSettings:
    """The parts of pip's configuration that decide where packages come from."""

    index_url: str | None = None
    extra_index_urls: list[str] = field(default_factory=list)
    find_links: list[str] = field(default_factory=list)
    constraints: list[str] = field(default_factory=list)
    no_index: bool = False
    cert: str | None = None

    def describe(self) -> str:
        """One line for the log, e.g. ``index: default; extra: 2; find-links: /opt/wheels``."""
        parts = [f"index {self.index_url or 'PyPI'}"]
        if self.extra_index_urls:
            parts.append(f"{len(self.extra_index_urls)} extra index(es)")
        if self.find_links:
            parts.append(f"find-links {' '.join(self.find_links)}")
        if self.constraints:
            parts.append(f"constraints {' '.join(self.constraints)}")
        if self.no_index:
            parts.append("no index")
        return ", ".join(parts)


def _parse_config_list(text: str) -> dict[str, str]:
    """``pip config list`` lines (``global.find-links='/opt/wheels'``) -> {key: value}; later scopes win.

    pip reads global, then user, then site files, and ``:env:`` lines are the ``PIP_*`` variables, which
    win over every file. ``pip config list`` prints files in that order, so the last value wins.
    """
    found: dict[str, tuple[int, str]] = {}
    for line in text.splitlines():
        match = re.match(r"^(:env:|[\w-]+)\.([\w-]+)='(.*)'$", line.strip())
        if not match:
            continue
        scope, key, value = match.groups()
        if scope not in (":env:", "global", "install"):
            continue
        rank = 2 if scope == ":env:" else 1 if scope == "install" else 0
        if key not in found or rank >= found[key][0]:
            found[key] = (rank, value)
    return {key: value for key, (_, value) in found.items()}


def pip_settings(python: str | Path | None = None, environ: dict[str, str] | None = None) -> PipSettings:
    """Read pip's configuration as pip would: config files, then ``PIP_*`` variables on top.

    Args:
        python: The interpreter whose pip to ask (default: this one). If it has no pip, only the
            environment variables count.
        environ: Environment to read (default ``os.environ``).

    """
    environ = dict(os.environ if environ is None else environ)
    values: dict[str, str] = {}
    try:
        result = subprocess.run(
            [str(python or sys.executable), "-m", "pip", "config", "list"],
            capture_output=True, text=True, check=False, timeout=60, env={**environ, "PIP_NO_INPUT": "1"},
        )
        if result.returncode == 0:
            values = _parse_config_list(result.stdout)
    except (OSError, subprocess.TimeoutExpired):
        pass
    for key in (*_KEYS, "cert"):  # the environment wins, as in pip
        env_value = environ.get("PIP_" + key.upper().replace("-", "_"))
        if env_value is not None:
            values[key] = env_value

    def many(key: str) -> list[str]:
        return shlex.split(values.get(key, ""))

    return PipSettings(
        index_url=values.get("index-url") or None,
        extra_index_urls=many("extra-index-url"),
        find_links=many("find-links"),
        constraints=many("constraint"),
        no_index=values.get("no-index", "").lower() in ("1", "true", "yes", "on"),
        cert=values.get("cert") or None,
    )


def uv_arguments(settings: PipSettings) -> list[str]:
    """The ``uv pip install`` options that reproduce pip's settings.

    pip considers every index and find-links location and takes the best version; uv by default
    stops at the first index that has a package. ``--index-strategy unsafe-best-match`` restores
    pip's behaviour whenever more than one source is configured.
    """
    args: list[str] = []
    if settings.index_url:
        args += ["--index-url", settings.index_url]
    for url in settings.extra_index_urls:
        args += ["--extra-index-url", url]
    for link in settings.find_links:
        args += ["--find-links", link]
    for constraint in settings.constraints:
        args += ["--constraint", constraint]
    if settings.no_index:
        args.append("--no-index")
    if len(settings.extra_index_urls) + len(settings.find_links) + bool(settings.index_url) > 0:
        args += ["--index-strategy", "unsafe-best-match"]
    return args


@dataclass
class Installer:
    """How to install into one interpreter: ``uv pip install --python PY`` or ``PY -m pip install``."""

    python: Path
    uv: str | None
    settings: PipSettings

    @property
    def name(self) -> str:
        return "uv" if self.uv else "pip"

    def command(self, *args: str, compile_bytecode: bool | None = None) -> list[str]:
        """The install command for ``args`` (requirement specifiers or ``-r file`` pairs).

        uv leaves bytecode to the first import (faster installs); where ``PYTHONDONTWRITEBYTECODE`` is set
        nothing would ever write it, so then (or when asked) it compiles at install time, as pip does.
        """
        if compile_bytecode is None:
            compile_bytecode = bool(os.environ.get("PYTHONDONTWRITEBYTECODE"))
        if self.uv:
            extra = ["--compile-bytecode"] if compile_bytecode else []
            return [self.uv, "pip", "install", "--python", str(self.python), *uv_arguments(self.settings),
                    *extra, *args]
        return [str(self.python), "-m", "pip", "install", "--disable-pip-version-check", *args]

    def uninstall_command(self, *names: str) -> list[str]:
        if self.uv:
            return [self.uv, "pip", "uninstall", "--python", str(self.python), *names]
        return [str(self.python), "-m", "pip", "uninstall", "-y", *names]

    def env(self) -> dict[str, str]:
        """Environment for the command: uv reads the certificate bundle from ``SSL_CERT_FILE``."""
        env = dict(os.environ)
        if self.uv and self.settings.cert and "SSL_CERT_FILE" not in env:
            env["SSL_CERT_FILE"] = self.settings.cert
        return env


def _uv_beside(python: Path) -> str | None:
    """Find uv installed into the environment of ``python`` (``pip install uv`` puts it in bin/ or Scripts/)."""
    for name in ("uv", "uv.exe"):
        candidate = python.parent / name
        if candidate.is_file():
            return str(candidate)
    return None


def find_installer(python: str | Path | None = None, bootstrap: str | None = None, use_uv: bool = True) -> Installer:
    """Pick uv if it is on PATH or beside ``python``; else optionally bootstrap it with pip; else pip.

    Args:
        python: Target interpreter (default: this one).
        bootstrap: A requirement such as ``"uv==0.13.9"`` to ``pip install`` into that environment when
            no uv is found (pip's own configuration applies to that one install). ``None``: no bootstrap.
        use_uv: False forces pip (``SLM_LAB_INSTALLER=pip`` does the same).

    """
    target = Path(python or sys.executable)
    settings = pip_settings(target)
    if not use_uv or os.environ.get("SLM_LAB_INSTALLER", "").lower() == "pip":
        return Installer(target, None, settings)
    uv = _uv_beside(target) or shutil.which("uv")
    if uv is None and bootstrap:
        result = subprocess.run(
            [str(target), "-m", "pip", "install", "--disable-pip-version-check", "-q", bootstrap], check=False
        )
        uv = _uv_beside(target) if result.returncode == 0 else None
    return Installer(target, uv, settings)
