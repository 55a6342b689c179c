"""The servers the course uses: ``transformers serve`` with the default model, llama.cpp (xllamacpp) on its GGUF."""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

from helpers.env import get_env
from helpers.errors import CourseError
from helpers.i18n import _
from helpers.local_server.process import _LOCK, DEFAULTS, LocalServer

__all__ = ["LOCAL_MODEL_ID", "default_server", "llamacpp_server", "server_threads", "transformers_server"]


#: The id the local server answers to: the default model's Hugging Face id, as a cloud catalog would name it.
LOCAL_MODEL_ID = "HuggingFaceTB/SmolLM2-135M-Instruct"


def _hub_cache(folder: Path, model_id: str) -> Path | None:
    """A one-model Hugging Face cache where ``model_id`` (``org/name``) is ``folder``, linked file by file.

    ``transformers serve`` answers to the exact name it was started with and lists, at ``GET /v1/models``,
    the models of the Hub cache (``HF_HUB_CACHE``); a local folder is in no cache, so offline it answers 500.
    Served by id from this cache (offline), the server loads the course's folder, lists that id, and
    chat completions accept it: what tools that list models before they chat expect. The folder holds
    only links (symbolic, else hard), one cache per model folder. ``None`` where no links can be made.
    """
    import hashlib

    from helpers.models import cache_dir

    revision = hashlib.sha256(str(folder).encode()).hexdigest()[:16]
    root = cache_dir() / "serve-hub" / revision
    repo = root / ("models--" + model_id.replace("/", "--"))
    snapshot = repo / "snapshots" / revision
    try:
        snapshot.mkdir(parents=True, exist_ok=True)
        for source in sorted(folder.iterdir()):
            target = snapshot / source.name
            if source.is_dir() or target.exists():
                continue
            try:
                target.symlink_to(source)
            except FileExistsError:  # another process made it a moment ago
                continue
            except OSError:  # pragma: no cover - no symbolic links (some Windows setups)
                with contextlib.suppress(FileExistsError):
                    os.link(source, target)
        ref = repo / "refs" / "main"
        if not ref.is_file() or ref.read_text(encoding="utf-8") != revision:
            ref.parent.mkdir(exist_ok=True)
            ref.write_text(revision, encoding="utf-8")
    except OSError:  # pragma: no cover - no links of either kind on this file system
        return None
    return root


def transformers_server(
    folder: Path | None = None, model_id: str = LOCAL_MODEL_ID, port: int | None = None
) -> LocalServer:
    """A ``transformers serve`` server (not started yet) pinned to one model folder.

    Introduced in notebook 06.

    Args:
        folder: A Transformers model folder; ``None`` prepares and uses the course default.
        model_id: The name requests use for it, and ``GET /v1/models`` lists.
        port: A port, or ``None`` for a free one.

    """
    if folder is None:
        from helpers.models import prepare_default_model

        folder = prepare_default_model(onnx=(), verbose=False)["hf"]
    folder = Path(folder).resolve()
    env = {"OMP_NUM_THREADS": str(server_threads())}
    hub = _hub_cache(folder, model_id)
    if hub is None:  # pragma: no cover - no links: serve the folder by its path, and say what is lost
        import warnings

        warnings.warn(
            f"Could not link {folder} into a model cache, so the local server answers to its folder path "
            "and GET /v1/models lists nothing; chat completions work as usual.",
            stacklevel=2,
        )
        served, cwd = str(folder), None
    else:
        served, cwd = model_id, hub
        env["HF_HUB_CACHE"] = str(hub)
    command = [sys.executable, "-m", "transformers.cli.transformers", "serve",
               "--host", "127.0.0.1", "--port", "{port}", "--log-level", "warning", served]
    return LocalServer("transformers serve", command, model=served, port=port, cwd=cwd, env=env)


def server_threads() -> int:
    """Threads for a local PyTorch server: ``SLM_LAB_LOCAL_THREADS``, ``OMP_NUM_THREADS``, else half the cores (1-4).

    Introduced in notebook 06.

    A 135M-parameter model gains little from more threads, and PyTorch's threads slow down badly when they
    share busy cores with the notebook and other programs: on the course's 2-core build machine, with other
    work running, one thread decoded about 11 tokens/s and two threads under 3.
    """
    value = get_env("SLM_LAB_LOCAL_THREADS") or get_env("OMP_NUM_THREADS")
    if value and value.isdigit() and int(value) > 0:
        return int(value)
    return max(1, min(4, (os.cpu_count() or 2) // 2))


def llamacpp_server(gguf: Path | None = None, port: int | None = None, n_ctx: int = 2048,
                    threads: int | None = None) -> LocalServer:
    """llama.cpp's own OpenAI-compatible server (``xllamacpp``, no compiler) for a GGUF file, not started yet.

    Introduced in notebook 05. It runs the class engine (:mod:`helpers.classroom.engine`) with one slot and
    no key, on 127.0.0.1: ``GET /v1/models`` lists the file's name, chat completions stream.

    Raises:
        CourseError: xllamacpp is not installed.

    """
    from helpers.runtimes.llamacpp import llamacpp_available

    if not llamacpp_available():
        raise CourseError(_(
            "xllamacpp is not installed: run `python course.py setup` (or `pip install -r "
            "requirements.txt`), then restart the kernel."
        ))
    if gguf is None:
        from helpers.models import default_gguf_path

        gguf = default_gguf_path()
    model_id = Path(gguf).stem
    command = [sys.executable, "-m", "helpers.classroom.engine", "--gguf", str(gguf), "--alias", model_id,
               "--port", "{port}", "--parallel", "1", "--ctx-per-slot", str(n_ctx),
               "--threads", str(threads or server_threads())]
    env = {"PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}  # helpers may be found through sys.path only
    return LocalServer("llama.cpp server", command, model=model_id, port=port, env=env)


def default_server(start: bool = True, verbose: bool = True) -> LocalServer:
    """The one ``transformers serve`` server of this process for the default model, started on first use.

    Introduced in notebook 06.

    Later calls return the same server (restarted if it died), so a notebook pays the start-up once.
    """
    with _LOCK:
        if "transformers" not in DEFAULTS:
            DEFAULTS["transformers"] = transformers_server()
        server = DEFAULTS["transformers"]
    if start and not (server.alive and server.ready):
        if verbose:
            print(_("Starting the local endpoint: {name} with {model} (about 20 s)...").format(
                name=server.name, model=server.model), flush=True)
        server.start()
    return server
