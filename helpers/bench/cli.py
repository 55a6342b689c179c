"""``python -m helpers.bench``: benchmark the default model on every local backend and print the verdict."""

from __future__ import annotations

import argparse
import math
import os
from collections.abc import Sequence

from helpers.bench.harness import DEFAULT_BACKENDS, DEFAULT_SETTINGS, endpoint_backends, local_backends, run_benchmark
from helpers.bench.prompts import load_prompts
from helpers.bench.results import BenchmarkResult
from helpers.bench.roofline import measure_bandwidth
from helpers.bench.stats import machine_info
from helpers.bench.threads import tune_threads
from helpers.errors import CourseError
from helpers.i18n import _
from helpers.runtimes import GenerationSettings, make_backend

__all__ = ["main", "report"]


def report(result: BenchmarkResult) -> str:
    """Sum up a benchmark in a few lines: the table, the roofline and the fp32-vs-int4 ratio.

    Introduced in notebook 10.
    """
    lines = [result.table(), ""]
    if result.bandwidth:
        bw = result.bandwidth
        lines.append(
            f"Memory bandwidth (NumPy, {bw.size_mb} MB arrays): read {bw.read_gb_s:.1f} GB/s with {bw.workers} "
            f"core(s) ({bw.one_core_read_gb_s:.1f} on one), copy {bw.copy_gb_s:.1f} GB/s. "
            "Roofline = read bandwidth / bytes of weights read per token."
        )
        local = [r for r in result.summary() if r["kind"] == "local" and math.isfinite(r["roofline_fraction"])]
        if local:
            best = max(local, key=lambda r: r["decode_tps"])
            lines.append(
                f"Fastest local backend: {best['backend']} at {best['decode_tps']:.1f} tokens/s (median) = "
                f"{100 * best['roofline_fraction']:.0f} % of its {best['ceiling_tps']:.0f} tokens/s roofline; "
                f"best run {best['decode_tps_max']:.1f} tokens/s = "
                f"{100 * best['decode_tps_max'] / best['ceiling_tps']:.0f} %."
            )
    names = [r["backend"] for r in result.summary()]
    if "onnx-int4" in names and "transformers-fp32" in names:
        ratio = result.speedup("onnx-int4", "transformers-fp32")
        lines.append(
            f"ONNX int4 vs Transformers fp32: {result.row('onnx-int4')['decode_tps']:.1f} / "
            f"{result.row('transformers-fp32')['decode_tps']:.1f} tokens/s = {ratio:.1f}x faster decoding "
            "(same prompts, same run)."
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> BenchmarkResult:
    """``python -m helpers.bench``: benchmark the default model on every local backend and print the verdict.

    Introduced in notebook 10.
    """
    parser = argparse.ArgumentParser(prog="python -m helpers.bench", description=main.__doc__)
    parser.add_argument("--backends", nargs="+", default=list(DEFAULT_BACKENDS),
                        help="backends to run (transformers-fp32, onnx-int4/int8/fp32, llama.cpp, endpoint:<provider>)")
    parser.add_argument("--endpoints", action="store_true", help="also run every available provider")
    parser.add_argument("--prompts", type=int, default=None, help="use only the first N prompts")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--max-new-tokens", type=int, default=DEFAULT_SETTINGS.max_new_tokens)
    parser.add_argument("--threads", default="auto",
                        help="threads for ONNX Runtime and llama.cpp: a number, 'default' (each runtime's own choice) "
                             "or 'auto' (try 1, 2, 4... up to all cores and keep the fastest; the default)")
    parser.add_argument("--no-save", action="store_true", help="do not write results/*.csv and *.json")
    args = parser.parse_args(argv)
    if args.threads not in ("auto", "default") and not str(args.threads).isdigit():
        raise CourseError(_("--threads {threads}: use a number, 'auto' or 'default'.").format(threads=args.threads))
    print(_("Machine: {cpu}, {cores} cores").format(cpu=machine_info()["cpu"], cores=os.cpu_count()))
    print(_("Measuring memory bandwidth..."), flush=True)
    bandwidth = measure_bandwidth()
    backends = []
    for name in args.backends:
        for backend in local_backends([name]):
            if args.threads == "auto":
                backend = tune_threads(backend.name if name.startswith("llama") else name)
            elif args.threads != "default":
                backend = make_backend(name, threads=int(args.threads))
            backends.append(backend)
    if args.endpoints:
        backends += endpoint_backends()
    result = run_benchmark(
        backends,
        load_prompts(limit=args.prompts),
        GenerationSettings(max_new_tokens=args.max_new_tokens),
        warmup=args.warmup,
        repeats=args.repeats,
        bandwidth=bandwidth,
    )
    print()
    print(report(result))
    if not args.no_save and result.runs:
        paths = result.save()
        print(_("Saved {csv} and the .json beside it.").format(csv=paths["csv"]))
    return result
