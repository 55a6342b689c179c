"""The one benchmark harness: every backend, the same prompts and settings, one model in memory at a time.

Each run records time to first token, decode tokens/s (generated tokens only, streamed), total
latency, peak memory and the bytes of weights behind it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

from helpers.bench.prompts import BenchPrompt, load_prompts
from helpers.bench.results import BenchmarkResult
from helpers.bench.roofline import Bandwidth, measure_bandwidth
from helpers.errors import CourseError
from helpers.i18n import _
from helpers.runtimes import Backend, EndpointBackend, GenerationSettings, llamacpp_available, make_backend, rss_mb

__all__ = ["DEFAULT_BACKENDS", "DEFAULT_SETTINGS", "endpoint_backends", "local_backends", "run_benchmark"]

#: The backends ``python -m helpers.bench`` compares by default: every local route; the edge ones where prepared.
DEFAULT_BACKENDS = ("transformers-fp32", "onnx-int4", "llama.cpp", "openvino-int4", "olive-int4", "foundry-local")
DEFAULT_SETTINGS = GenerationSettings(max_new_tokens=64)


def local_backends(names: Sequence[str] = DEFAULT_BACKENDS, verbose: bool = True) -> list[Backend]:
    """List the local backends to compare; a route that cannot run here is left out with one printed line.

    Introduced in notebook 10. The edge routes (``openvino-int4``, ``olive-int4``, ``foundry-local``) run once
    ``python course.py setup --edge`` prepared them; llama.cpp needs ``xllamacpp`` (a course requirement).
    """
    from helpers.runtimes.edge import EDGE_BACKENDS, edge_unprepared

    out = []
    for name in names:
        if name.startswith(("llama.cpp", "llamacpp")) and not llamacpp_available():
            if verbose:
                print(_("llama.cpp: xllamacpp is not installed (pip install -r requirements.txt), left out."))
            continue
        problem = edge_unprepared(name) if name in EDGE_BACKENDS else None
        if problem:
            if verbose:
                # TRANSLATORS: {problem} is a sentence (without its full stop) saying why a runtime is not ready.
                print(_("{problem}; left out.").format(problem=problem[:-1]))
            continue
        out.append(make_backend(name))
    return out


def endpoint_backends(include_local: bool = True, verbose: bool = True) -> list[Backend]:
    """One backend per provider that :func:`helpers.providers.available_providers` reports as usable.

    Introduced in notebook 10.

    Args:
        include_local: Include the ``local`` provider, a ``transformers serve`` process that starts on
            demand (about 20 s the first time in a session).
        verbose: Print one line listing them.

    """
    from helpers.providers import available_providers

    names = available_providers()
    if not include_local:
        names = [n for n in names if n != "local"]
    if verbose:
        listed = ", ".join(names) if names else "none (no cloud key is set and the local endpoint is not included)"
        print(_("Endpoints to benchmark: {listed}.").format(listed=listed))
    return [EndpointBackend(name) for name in names]


def run_benchmark(
    backends: Sequence[Backend],
    prompts: Sequence[BenchPrompt] | None = None,
    settings: GenerationSettings | None = None,
    warmup: int = 1,
    repeats: int = 3,
    bandwidth: Bandwidth | bool | None = True,
    on_error: str = "skip",
    keep_loaded: bool = False,
    progress: bool = True,
    save: bool | Path | str = False,
) -> BenchmarkResult:
    """Run every backend on the same prompts with the same settings, one backend in memory at a time.

    Introduced in notebook 10.

    Args:
        backends: From :func:`make_backend`, :func:`local_backends` or :func:`endpoint_backends`.
        prompts: Defaults to the whole of :func:`load_prompts`.
        settings: Decoding settings (default: greedy, 64 new tokens).
        warmup: Untimed runs per backend before measuring (first runs pay for lazy initialisation).
        repeats: How many times each prompt is measured per backend.
        bandwidth: ``True`` measures it now (a second or two), ``None``/``False`` skips the roofline,
            or pass a :class:`Bandwidth` measured earlier.
        on_error: ``"skip"`` prints one line and goes on with the next backend; ``"raise"`` stops.
        keep_loaded: Keep models loaded afterwards (by default each is closed once measured).
        progress: Show a progress bar.
        save: ``True`` saves under :func:`~helpers.bench.results.results_dir` (``results/``); a path saves there.

    Returns:
        A :class:`BenchmarkResult`; ``print(result.table())`` shows it.

    """
    from tqdm.auto import tqdm

    if repeats < 1 or warmup < 0:
        raise CourseError(_(
            "repeats={repeats} and warmup={warmup}: use repeats >= 1 and warmup >= 0."
        ).format(repeats=repeats, warmup=warmup))
    if on_error not in ("skip", "raise"):
        raise CourseError(_("on_error={on_error!r}: use 'skip' or 'raise'.").format(on_error=on_error))
    prompts = list(prompts) if prompts is not None else load_prompts()
    settings = settings or DEFAULT_SETTINGS
    if bandwidth is True:
        bandwidth = measure_bandwidth()
    result = BenchmarkResult([], asdict(settings) | {"warmup": warmup, "repeats": repeats}, bandwidth or None)
    quiet = {} if progress else {"disable": True}  # leave TQDM_DISABLE in charge unless told to be quiet
    with tqdm(total=len(backends) * len(prompts) * repeats, desc=_("Benchmark"), unit="run", **quiet) as bar:
        for backend in backends:
            bar.set_postfix_str(backend.name)
            done = 0
            try:
                backend.load()
                bar.set_postfix_str(backend.name)
                for _step in range(warmup):
                    backend.measure(prompts[0].messages, settings)
                for repeat in range(repeats):
                    for prompt in prompts:
                        text, stats = backend.measure(prompt.messages, settings)
                        result.runs.append(
                            {**backend.info(), "prompt": prompt.id, "repeat": repeat, **stats.as_dict(), "answer": text}
                        )
                        done += 1
                        bar.update()
            except CourseError as exc:
                if on_error == "raise":
                    raise
                result.skipped[backend.name] = str(exc)
                print(_("{backend}: skipped, {error}").format(backend=backend.name, error=exc))
                bar.update(len(prompts) * repeats - done)
            finally:
                if not keep_loaded:
                    backend.close()
                    rss_mb(release=True)
    if save:
        result.save(None if save is True else save)
    return result
