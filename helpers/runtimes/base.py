"""The common interface of every runtime: decoding settings and the :class:`Backend` base class.

A backend is one way of running a model (Transformers, ONNX Runtime GenAI, llama.cpp, an
OpenAI-compatible server). Notebooks chat with it and the benchmark times it through the same
methods, so a comparison measures the runtimes and nothing else.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from helpers.errors import CourseError
from helpers.i18n import _
from helpers.prompts import Message
from helpers.timing import GenerationStats, measure_stream

if TYPE_CHECKING:
    from helpers.bench.weights import WeightBytes

__all__ = ["Backend", "GenerationSettings", "loader", "rss_mb", "stream_until"]


@dataclass(frozen=True)
class GenerationSettings:
    """Decoding settings shared by every runtime. ``temperature=0`` means greedy decoding.

    Introduced in notebook 01.
    """

    max_new_tokens: int = 60
    temperature: float = 0.0
    top_p: float = 1.0
    top_k: int = 0
    repetition_penalty: float = 1.0
    seed: int = 0

    @property
    def greedy(self) -> bool:
        return self.temperature <= 0


def rss_mb(release: bool = False) -> float:
    """Return the resident memory of this process in MB; ``release`` first hands freed memory back to the OS.

    Introduced in notebook 03.
    """
    import gc

    import psutil

    if release:
        gc.collect()
        try:  # glibc keeps freed blocks for reuse; malloc_trim returns them, so RSS shows what is really held
            import ctypes

            ctypes.CDLL("libc.so.6").malloc_trim(0)
        except (OSError, AttributeError):  # not glibc (macOS, Windows, musl): RSS stays a little high
            pass
    return psutil.Process().memory_info().rss / 2**20


def stream_until(pieces: Iterable[str], stop: Callable[[], bool]) -> Iterator[str]:
    """Pass text pieces through until ``stop()`` is true after one of them; then close the source.

    The playground's Stop button and the benchmark's time limit both cut a stream short this way.
    Introduced in notebook 10.
    """
    inner = iter(pieces)
    try:
        for piece in inner:
            yield piece
            if stop():
                return
    finally:
        close = getattr(inner, "close", None)
        if close is not None:
            close()


class Backend:
    """One way of running a model: chat with it, stream it, or time it exactly like every other.

    Subclasses implement ``stream`` (one text piece per generated token) and, when they load lazily,
    ``_load`` (set ``self.weights`` there). ``close`` frees a lazily loaded model, so a benchmark can
    hold one model in memory at a time. Introduced in notebook 10.
    """

    runtime = "?"
    kind = "local"  # "local", "endpoint" (a server on this machine) or "cloud"

    def __init__(self, name: str, precision: str) -> None:
        self.name = name
        self.precision = precision
        self.weights: WeightBytes | None = None
        self.model_name = ""
        self.loaded = False
        self.threads: int | None = None  # None: the runtime's own default
        self.rss_before_load_mb = float("nan")
        self.device = "cpu"  # the roofline uses this machine's CPU memory bandwidth: CPU rows only
        self.context = 0  # tokens of context; 0 when unknown (a remote model)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self.name!r})"

    def load(self) -> Backend:
        """Load the model if it is not loaded yet (the first ``measure`` does this too)."""
        if not self.loaded:
            self.rss_before_load_mb = rss_mb(release=True)
            self._load()
            self.loaded = True
        return self

    def _load(self) -> None:
        raise NotImplementedError

    def stream(self, msgs: Sequence[Message], settings: GenerationSettings | None = None) -> Iterator[str]:
        raise NotImplementedError

    def chat(self, msgs: Sequence[Message], settings: GenerationSettings | None = None) -> str:
        """The whole answer as one string."""
        self.load()
        return "".join(self.stream(list(msgs), settings)).strip()

    def measure(
        self, msgs: Sequence[Message], settings: GenerationSettings | None = None, live: bool = False
    ) -> tuple[str, GenerationStats]:
        """Generate once, streamed, and time it (``live=True`` prints the answer as it streams)."""
        self.load()
        printer = (lambda piece: print(piece, end="", flush=True)) if live else None
        text, stats = measure_stream(self.stream(list(msgs), settings), on_token=printer)
        if live:
            print()
        if self.kind != "local":  # the model runs in another process: this process's memory says nothing
            stats.peak_rss_mb = float("nan")
        return text.strip(), stats

    def close(self) -> None:
        """Free the model (the next ``measure`` loads it again)."""
        self.loaded = False

    def set_threads(self, threads: int) -> None:
        """Decode with ``threads`` threads from now on (a loaded model is reloaded where the runtime needs that)."""
        was_loaded = self.loaded
        self.close()
        self.threads = threads
        if was_loaded:
            self.load()

    def info(self) -> dict[str, Any]:
        """Describe this backend for the results table."""
        local = self.kind == "local"
        return {
            "backend": self.name,
            "runtime": self.runtime,
            "precision": self.precision,
            "kind": self.kind,
            "model": self.model_name,
            "device": self.device if local else "remote",
            "threads": self.threads or ("default" if local else "-"),
            "weight_mb": self.weights.total_mb if self.weights else float("nan"),
            "read_mb_per_token": self.weights.per_token_mb if self.weights else float("nan"),
            "rss_before_load_mb": self.rss_before_load_mb if local else float("nan"),
        }

    def _check_length(self, n_prompt: int, settings: GenerationSettings) -> None:
        if self.context and n_prompt + settings.max_new_tokens > self.context:
            raise CourseError(
                _(
                    "The prompt is {n_prompt} tokens and {max_new_tokens} new tokens were asked for, "
                    "but {model_name} holds only {context} tokens of context: shorten the prompt "
                    "or lower max_new_tokens."
                ).format(
                    n_prompt=n_prompt, max_new_tokens=settings.max_new_tokens,
                    model_name=self.model_name or self.name, context=self.context,
                )
            )

    def __enter__(self) -> Backend:
        return self.load()

    def __exit__(self, *exc: object) -> None:
        self.close()



class loader:  # noqa: N801 - used as a decorator, like classmethod
    """Give a chat class ``load`` at both levels: ``Chat.load(name)`` makes a loaded chat, ``chat.load()`` is a no-op.

    Introduced in notebook 03.

    A notebook writes ``chat = OnnxChat.load()``; the benchmark calls ``backend.load()`` on any backend (a lazy
    one loads its model then). The decorated function is the class-level one, called with the class first.
    """

    def __init__(self, make: Callable[..., Any]) -> None:
        self.make = make
        functools.update_wrapper(self, make)  # type: ignore[arg-type]

    def __get__(self, obj: Backend | None, owner: type) -> Callable[..., Any]:
        if obj is None:
            return functools.partial(self.make, owner)
        return functools.partial(Backend.load, obj)
