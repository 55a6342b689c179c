"""Memory bandwidth and the decode roofline: no runtime decodes faster than ``bandwidth / bytes read per token``.

To decode one token, a model reads every weight it uses once. The memory bus can only move so many
bytes per second, so measuring the bandwidth with NumPy gives the ceiling for this machine, and the
fraction of it a runtime reaches says how much is left on the table.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Any

from helpers.errors import CourseError

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

    def ceiling(self, bytes_per_token: float) -> float:
        """Return the decode roofline in tokens/s for a model that reads ``bytes_per_token`` per token."""
        return self.read_gb_s * 1e9 / bytes_per_token if bytes_per_token > 0 else float("nan")


def _best_time(fn: Any, repeats: int) -> float:
    fn()  # touch the pages once
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def measure_bandwidth(size_mb: int = 256, repeats: int = 5, workers: int | None = None) -> Bandwidth:
    """Measure main-memory bandwidth with NumPy: read (sum) on one core and on all cores, and copy.

    Introduced in notebook 10.

    Decoding runtimes use every core, so the ceiling uses whichever read figure is larger. "All
    cores" is one thread per core, each summing its own slice of the array (NumPy releases the GIL
    inside ``sum``, so the threads do run at the same time).

    Example:
        >>> bw = measure_bandwidth(size_mb=16, repeats=1)
        >>> bw.read_gb_s >= bw.one_core_read_gb_s > 0 and bw.copy_gb_s > 0
        True

    """
    from concurrent.futures import ThreadPoolExecutor

    import numpy as np

    if size_mb < 1 or repeats < 1:
        raise CourseError(f"size_mb={size_mb} and repeats={repeats} must both be at least 1.")
    workers = workers or os.cpu_count() or 1
    data = np.ones(size_mb * 2**20 // 8, dtype=np.float64)
    target = np.empty_like(data)
    single = data.nbytes / _best_time(data.sum, repeats) / 1e9
    copy = 2 * data.nbytes / _best_time(lambda: np.copyto(target, data), repeats) / 1e9
    read = single
    if workers > 1:
        slices = np.array_split(data, workers)
        with ThreadPoolExecutor(workers) as pool:
            read = max(read, data.nbytes / _best_time(lambda: list(pool.map(np.sum, slices)), repeats) / 1e9)
    return Bandwidth(read, copy, workers, size_mb, single)
