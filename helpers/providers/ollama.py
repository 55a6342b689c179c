"""Ollama: is it running, its own client, and the Modelfile that imports the course's GGUF (notebook 05)."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from helpers.env import get_env
from helpers.errors import CourseError
from helpers.i18n import _
from helpers.providers.specs import _MISSING, CLOUD_TIMEOUT_S, MODELFILE, PROVIDERS

__all__ = ["ollama_client", "ollama_modelfile", "ollama_status"]


def _ollama_root() -> str:
    """``OLLAMA_HOST`` as a URL: Ollama accepts ``host``, ``host:port`` or a full URL there."""
    raw = get_env("OLLAMA_HOST", PROVIDERS["ollama"].default_url) or ""
    if "://" not in raw:
        raw = f"http://{raw}"
    parts = urllib.parse.urlsplit(raw)
    host = parts.hostname or "127.0.0.1"
    host = "127.0.0.1" if host in ("0.0.0.0", "localhost") else host
    port = parts.port or (443 if parts.scheme == "https" else 11434)
    return f"{parts.scheme}://{host}:{port}{parts.path.rstrip('/')}"


def ollama_status(timeout_s: float = 0.5) -> dict[str, Any] | None:
    """Ask the Ollama server at ``OLLAMA_HOST`` for its version and models; ``None`` when nothing answers.

    Introduced in notebook 05.

    Returns:
        ``{"host": url, "version": "0.x", "models": ["phi4-mini:latest", ...]}``.

    """
    root = _ollama_root()
    try:
        with urllib.request.urlopen(f"{root}/api/version", timeout=timeout_s) as response:
            version = json.loads(response.read()).get("version", "?")
        with urllib.request.urlopen(f"{root}/api/tags", timeout=max(timeout_s, 2.0)) as response:
            models = [m.get("name", "?") for m in json.loads(response.read()).get("models", [])]
    except (urllib.error.URLError, OSError, ValueError):
        return None
    return {"host": root, "version": version, "models": models}


def ollama_client(timeout_s: float = CLOUD_TIMEOUT_S) -> Any:
    """Ollama's own Python client (native API) for ``OLLAMA_HOST``.

    Introduced in notebook 05.
    """
    try:
        import ollama
    except ImportError:
        raise CourseError(_(_MISSING).format(package="ollama")) from None
    return ollama.Client(host=_ollama_root(), timeout=timeout_s)


def ollama_modelfile(gguf: Path | None = None, out: Path | None = None) -> Path:
    """Write the course's Modelfile (``data/ollama/Modelfile``) with ``FROM`` pointing at a GGUF file.

    Introduced in notebook 05.

    Args:
        gguf: The GGUF to import; ``None`` is the course's default model.
        out: Where to write it; ``None`` is ``.cache/ollama/Modelfile``.

    Returns:
        The file written; import it with ``ollama create slm-lab-smollm2 -f <that file>``.

    """
    from helpers.models import cache_dir, default_gguf_path

    gguf = Path(gguf or default_gguf_path()).resolve()
    out = Path(out or cache_dir() / "ollama" / "Modelfile")
    lines = MODELFILE.read_text(encoding="utf-8").splitlines()
    lines = [f"FROM {gguf.as_posix()}" if line.startswith("FROM ") else line for line in lines]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out
