"""Find the thread count that decodes fastest on this machine, for one local backend."""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Sequence

from helpers.bench.prompts import BenchPrompt, load_prompts
from helpers.i18n import _, ngettext
from helpers.runtimes import Backend, GenerationSettings, make_backend, rss_mb, stream_until
from helpers.timing import GenerationStats, measure_stream

__all__ = ["tune_threads"]


def _timed_trial(
    backend: Backend, prompt: BenchPrompt, settings: GenerationSettings, limit_s: float
) -> GenerationStats:
    """Time one generation, stopped after ``limit_s`` seconds (speed counts the tokens made until then)."""
    start = time.perf_counter()
    pieces = backend.stream(list(prompt.messages), settings)
    return measure_stream(stream_until(pieces, lambda: time.perf_counter() - start > limit_s))[1]


def tune_threads(
    name: str,
    candidates: Sequence[int] | None = None,
    prompt: BenchPrompt | None = None,
    settings: GenerationSettings | None = None,
    trials: int = 2,
    keep_loaded: bool = False,
    verbose: bool = True,
) -> Backend:
    """Try a local backend with several thread counts on one prompt; return it set to the fastest.

    Introduced in notebook 10.

    More threads are not always faster: runtimes make their threads wait for each other (spinning)
    after every operation, so when another program holds a core, a thread that must share it stalls
    all the others; and logical cores from hyper-threading share one core's arithmetic units.

    Args:
        name: A local backend name, e.g. ``"onnx-int4"``, ``"llama.cpp"`` or ``"transformers-fp32"``.
        candidates: Thread counts to try (default: 1, 2, 4... up to the number of cores).
        prompt: The prompt to time (default: the first of the prompt set).
        settings: Decoding settings for the trial (default: greedy, 32 new tokens).
        trials: Timed runs per thread count after one warm-up (the median counts).
        keep_loaded: Return the model loaded; by default it is freed, so that a benchmark of several
            backends holds one model in memory at a time.
        verbose: Print the speed of each thread count and the choice.

    """
    cores = os.cpu_count() or 1
    candidates = list(candidates or sorted({1, cores, *(2**i for i in range(1, cores.bit_length()) if 2**i < cores)}))
    prompt = prompt or load_prompts(limit=1)[0]
    settings = settings or GenerationSettings(max_new_tokens=32)
    backend = make_backend(name, threads=candidates[0]).load()
    speeds: dict[int, float] = {}
    limit_s = 60.0  # a trial slower than twice the best so far is cut short: it has lost anyway
    for threads in candidates:
        if threads != backend.threads:
            backend.set_threads(threads)
        _timed_trial(backend, prompt, settings, limit_s)  # warm-up
        runs = [_timed_trial(backend, prompt, settings, limit_s) for _ in range(max(trials, 1))]
        speeds[threads] = statistics.median(r.decode_tokens_per_s for r in runs)
        if speeds[threads] >= max(speeds.values()):
            limit_s = max(0.5, 2 * statistics.median(r.total_s for r in runs))
    best = max(speeds, key=lambda n: speeds[n])
    if not keep_loaded:
        backend.close()
        rss_mb(release=True)
    if backend.threads != best:
        backend.set_threads(best)
    if verbose:
        tried = ", ".join(
            ngettext("{n} thread {speed:.0f} tokens/s", "{n} threads {speed:.0f} tokens/s", n).format(n=n, speed=v)
            for n, v in speeds.items()
        )
        print(_("{backend}: {tried} -> using {best}.").format(backend=backend.name, tried=tried, best=best))
    return backend
