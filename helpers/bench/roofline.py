"""Memory bandwidth and the decode roofline: no runtime decodes faster than ``bandwidth / bytes read per token``.

To decode one token, a model reads every weight it uses once. The memory bus can only move so many
bytes per second, so measuring the bandwidth with NumPy gives the ceiling for this machine, and the
fraction of it a runtime reaches says how much is left on the table.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Any

from helpers.errors import CourseError
from helpers.i18n import _

__all__ = ["Bandwidth", "measure_bandwidth"]


@dataclass(frozen=True)
class Bandwidth:
    """The memory bandwidth of this machine as NumPy measures it (best of several passes over large arrays).

    Introduced in notebook 10.

    ``read_gb_s`` is what decoding needs (weights are only read): the larger of one core summing an
    array, and every core at once, each summing its own slice. ``copy_gb_s`` counts
    the bytes read plus the bytes written by one core. The arrays are far larger than the CPU caches,
    so this is main memory.
    """

    read_gb_s: float
    copy_gb_s: float
    workers: int
    size_mb: int
    one_core_read_gb_s: float = float("nan")
    #: Read bandwidth measured with 1, 2, 4... threads (up to ``workers``): a runtime on 1 thread gets less.
    read_by_threads: dict[int, float] = field(default_factory=dict)

    def __post_init__(self) -> None:  # JSON turns the thread counts into strings
        object.__setattr__(self, "read_by_threads", {int(k): float(v) for k, v in self.read_by_threads.items()})

    def read_at(self, threads: int | None = None) -> float:
        """Read bandwidth with ``threads`` threads: the figure measured at that count (or the nearest below).

        ``None`` (a runtime's own default, about one thread per core) is the best figure, ``read_gb_s``.
        """
        if not threads or not self.read_by_threads:
            return self.read_gb_s
        below = [n for n in self.read_by_threads if n <= int(threads)]
        return self.read_by_threads[max(below)] if below else self.read_gb_s

    def ceiling(self, bytes_per_token: float, threads: int | None = None) -> float:
        """Return the decode roofline in tokens/s for a model that reads ``bytes_per_token`` per token.

        With ``threads``, the bandwidth measured at that thread count (:meth:`read_at`): the ceiling of a
        benchmark that ran on 1 thread is set by what one thread can read, not by all cores together.
        """
        return self.read_at(threads) * 1e9 / bytes_per_token if bytes_per_token > 0 else float("nan")


def _best_time(fn: Any, repeats: int) -> float:
    fn()  # touch the pages once
    times = []
    for _step in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def measure_bandwidth(size_mb: int = 256, repeats: int = 5, workers: int | None = None) -> Bandwidth:
    """Measure main-memory bandwidth with NumPy: read (sum) with 1, 2, 4... threads up to all cores, and copy.

    Introduced in notebook 10.

    ``read_gb_s`` is the best read figure (what a runtime on every core can get); ``read_by_threads``
    keeps each thread count's, so a benchmark run on fewer threads gets its own ceiling. "n threads" is
    n threads each summing its own slice of the array (NumPy releases the GIL inside ``sum``, so the
    threads do run at the same time).

    Example:
        >>> bw = measure_bandwidth(size_mb=16, repeats=1)
        >>> bw.read_gb_s >= bw.one_core_read_gb_s > 0 and bw.copy_gb_s > 0
        True

    """
    from concurrent.futures import ThreadPoolExecutor

    import numpy as np

    if size_mb < 1 or repeats < 1:
        raise CourseError(_(
            "size_mb={size_mb} and repeats={repeats} must both be at least 1."
        ).format(size_mb=size_mb, repeats=repeats))
    workers = workers or os.cpu_count() or 1
    data = np.ones(size_mb * 2**20 // 8, dtype=np.float64)
    target = np.empty_like(data)
    single = data.nbytes / _best_time(data.sum, repeats) / 1e9
    copy = 2 * data.nbytes / _best_time(lambda: np.copyto(target, data), repeats) / 1e9
    by_threads = {1: single}
    counts = sorted({workers, *(2**i for i in range(1, workers.bit_length()) if 2**i < workers)} - {1})
    for count in counts:
        parts = np.array_split(data, count)
        with ThreadPoolExecutor(count) as pool:
            by_threads[count] = data.nbytes / _best_time(lambda p=pool, s=parts: list(p.map(np.sum, s)), repeats) / 1e9
    return Bandwidth(max(by_threads.values()), copy, workers, size_mb, single, by_threads)
