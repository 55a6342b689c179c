"""DRAFT: llama.cpp without a compiler, through the prebuilt ``xllamacpp`` wheel (Xorbits, MIT).

Not wired into the benchmark, ``helpers.local_server`` or notebook 05 yet: after the helpers-layout
refactor this moves to ``helpers/runtimes/llamacpp.py`` (chat) and ``helpers/local_server.py`` (server).
Measured on the course's build machine (see the issue 15 report): the wheel installs in seconds, loads
the course's Q4_1 GGUF in about a second on a quiet machine, and one ``xllamacpp.Server`` object serves
both in-process calls and an OpenAI-compatible HTTP API on 127.0.0.1 (``/v1/models``,
``/v1/chat/completions`` with streaming and JSON-schema ``response_format``, ``/health``).

The calls, as verified with xllamacpp 2026.10.11549:

- ``params = xllamacpp.CommonParams()``; ``params.model.path = "<file>.gguf"``; ``params.n_ctx = 2048``;
  ``params.cpuparams.n_threads = n``; ``params.cpuparams_batch.n_threads = n``; ``params.port = PORT``
  (the server binds 127.0.0.1 by default); ``params.n_parallel = 1``.
- ``server = xllamacpp.Server(params)`` loads the model and starts listening; ``server.listening_address``
  is ``"http://127.0.0.1:PORT"``. Deleting the object stops it.
- ``server.handle_chat_completions(request_dict)`` returns the OpenAI-style response dict;
  ``server.handle_chat_completions({..., "stream": True}, callback)`` calls ``callback(chunk_dict)`` per
  chunk (the first carries only the role, the last the finish reason) and returns None.
"""

from __future__ import annotations

import queue
import socket
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from helpers.edge.base import EdgeChat
from helpers.errors import CourseError
from helpers.prompts import Message

__all__ = ["XLlamaCppChat", "free_port"]


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class XLlamaCppChat(EdgeChat):
    """The course's GGUF through ``xllamacpp.Server``: in-process chat, and an HTTP endpoint for free."""

    runtime = "llama.cpp (xllamacpp)"

    def __init__(self, server: Any, gguf: Path) -> None:
        self.server, self.folder, self.gguf = server, gguf.parent, gguf

    @classmethod
    def load(cls, gguf: Path | None = None, threads: int = 1, context: int = 2048, port: int | None = None
             ) -> XLlamaCppChat:
        """Load ``gguf`` (default: the course's SmolLM2 Q4_1 file) and listen on 127.0.0.1:``port``."""
        try:
            import xllamacpp
        except ImportError:
            raise CourseError("xllamacpp is not installed: run `python course.py setup`, then rerun.") from None
        from helpers.models import default_gguf_path

        gguf = Path(gguf or default_gguf_path())
        params = xllamacpp.CommonParams()
        params.model.path = str(gguf)
        params.n_ctx = context
        params.n_parallel = 1
        params.cpuparams.n_threads = threads
        params.cpuparams_batch.n_threads = threads
        params.port = port or free_port()
        return cls(xllamacpp.Server(params), gguf)

    @property
    def size_mb(self) -> float:
        return self.gguf.stat().st_size / 1e6

    @property
    def base_url(self) -> str:
        """The OpenAI-compatible endpoint, e.g. ``http://127.0.0.1:PORT/v1``."""
        return f"{self.server.listening_address}/v1"

    def request(self, msgs: Sequence[Message], settings: Any = None, **extra: Any) -> dict[str, Any]:
        """The chat-completions request body for ``msgs`` and the course's settings."""
        from helpers.runtimes import GenerationSettings

        settings = settings or GenerationSettings()
        body = {"messages": [dict(m) for m in msgs], "max_tokens": settings.max_new_tokens,
                "temperature": settings.temperature, "top_p": settings.top_p, "top_k": settings.top_k,
                "repeat_penalty": settings.repetition_penalty, "seed": settings.seed}
        return {**body, **extra}

    def stream(self, msgs: Sequence[Message], settings: Any = None) -> Iterator[str]:
        """Yield the answer piece by piece (the server calls back per chunk from a worker thread)."""
        pieces: queue.Queue[str | None] = queue.Queue()
        errors: list[BaseException] = []

        def on_chunk(chunk: Any) -> None:
            for choice in (chunk or {}).get("choices", []):
                text = (choice.get("delta") or {}).get("content")
                if text:
                    pieces.put(text)

        def run() -> None:
            try:
                self.server.handle_chat_completions(self.request(msgs, settings, stream=True), on_chunk)
            except BaseException as exc:  # surfaced in the consuming thread below
                errors.append(exc)
            finally:
                pieces.put(None)

        worker = threading.Thread(target=run, daemon=True)
        worker.start()
        while (piece := pieces.get()) is not None:
            yield piece
        worker.join()
        if errors:
            raise errors[0]

    def close(self) -> None:
        """Stop the server (the object's destructor stops its main loop)."""
        self.server = None
