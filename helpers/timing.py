"""Timers and streaming measurements: time to first token, decode speed, peak memory."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field

from helpers.i18n import _

__all__ = ["GenerationStats", "PeakMemory", "Timer", "measure_stream"]


class Timer:
    """Wall-clock timer, as a context manager or with explicit ``start``/``stop``.

    Introduced in notebook 08.

    Example:
        >>> with Timer() as t:
        ...     _ = sum(range(1000))
        >>> t.elapsed >= 0
        True

    """

    def __init__(self) -> None:
        self.start_time: float | None = None
        self.elapsed: float = 0.0

    def start(self) -> Timer:
        self.start_time = time.perf_counter()
        return self

    def stop(self) -> float:
        if self.start_time is None:
            raise RuntimeError(_("Timer.stop() called before start()."))
        self.elapsed = time.perf_counter() - self.start_time
        return self.elapsed

    def __enter__(self) -> Timer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class PeakMemory:
    """Peak resident memory of this process while the block runs, sampled every few milliseconds.

    Introduced in notebook 01.

    PyTorch and ONNX Runtime allocate outside Python's allocator, so ``tracemalloc`` cannot see them;
    the process's resident set size (RSS) can. On CUDA the GPU's own peak is read from PyTorch.

    Example:
        >>> with PeakMemory() as mem:
        ...     block = bytearray(50_000_000)
        >>> mem.peak_mb > 40
        True

    """

    def __init__(self, interval_s: float = 0.005) -> None:
        self.interval_s = interval_s
        self.peak_bytes = 0
        self.gpu_peak_bytes: int | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def peak_mb(self) -> float:
        return self.peak_bytes / 2**20

    def _sample(self) -> None:
        import psutil

        proc = psutil.Process()
        while True:
            self.peak_bytes = max(self.peak_bytes, proc.memory_info().rss)
            if self._stop.wait(self.interval_s):
                return

    def __enter__(self) -> PeakMemory:
        import sys

        if "torch" in sys.modules and sys.modules["torch"].cuda.is_available():
            sys.modules["torch"].cuda.reset_peak_memory_stats()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        import sys

        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if "torch" in sys.modules and sys.modules["torch"].cuda.is_available():
            self.gpu_peak_bytes = sys.modules["torch"].cuda.max_memory_allocated()


@dataclass
class GenerationStats:
    """What one streamed generation cost.

    Introduced in notebook 01.

    ``decode_tokens_per_s`` counts generated tokens only, after the first: the prompt's processing
    (prefill) is in ``ttft_s``, so the two numbers separate the two phases of inference.
    """

    new_tokens: int
    ttft_s: float
    decode_tokens_per_s: float
    total_s: float
    peak_rss_mb: float
    token_times_s: list[float] = field(default_factory=list, repr=False)

    def as_dict(self) -> dict[str, float]:
        """The numbers without the per-token timestamps (for tables and CSV files)."""
        data = asdict(self)
        data.pop("token_times_s")
        return data

    def __str__(self) -> str:
        return _(
            "{tokens} tokens | first token {ttft:.2f} s | decode {speed:.1f} tokens/s | total {total:.2f} s | "
            "peak RAM {ram:.0f} MB"
        ).format(
            tokens=self.new_tokens, ttft=self.ttft_s, speed=self.decode_tokens_per_s, total=self.total_s,
            ram=self.peak_rss_mb,
        )


def measure_stream(
    tokens: Iterable[str],
    on_token: Callable[[str], None] | None = None,
) -> tuple[str, GenerationStats]:
    """Consume a stream that yields one text piece per generated token, and time it.

    Introduced in notebook 05.

    Args:
        tokens: An iterator yielding one string per generated token (the string may be empty while
            a multi-byte character is incomplete). Start the clock by creating it just before the call.
        on_token: Called with each piece as it arrives, e.g. ``print`` with ``end=""`` for live output.

    Returns:
        The full text and its :class:`GenerationStats`.

    Example:
        >>> text, stats = measure_stream(iter(["Hel", "lo", "!"]))
        >>> text, stats.new_tokens
        ('Hello!', 3)

    """
    pieces: list[str] = []
    times: list[float] = []
    with PeakMemory() as mem:
        start = time.perf_counter()
        iterator: Iterator[str] = iter(tokens)
        for piece in iterator:
            times.append(time.perf_counter() - start)
            pieces.append(piece)
            if on_token is not None:
                on_token(piece)
        total = time.perf_counter() - start
    ttft = times[0] if times else total
    decode_time = times[-1] - times[0] if len(times) > 1 else 0.0
    decode_tps = (len(times) - 1) / decode_time if decode_time > 0 else 0.0
    stats = GenerationStats(len(times), ttft, decode_tps, total, mem.peak_mb, times)
    return "".join(pieces), stats
