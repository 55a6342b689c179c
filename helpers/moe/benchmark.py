"""The MoE against dense models, timed by the course's one benchmark harness (:func:`helpers.bench.run_benchmark`)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from helpers.errors import CourseError
from helpers.i18n import _
from helpers.moe.build import load_built, prepare_moe
from helpers.moe.params import ParamCount, param_count
from helpers.runtimes import TransformersBackend

__all__ = ["BuiltBackend", "benchmark", "format_table"]


class BuiltBackend(TransformersBackend):
    """A folder made by :func:`helpers.moe.prepare_moe`, as a benchmark backend named ``key``.

    Loading runs one token through the model, so one-off setup costs do not count in the first
    measurement, and counts its parameters (total and active) while it is in memory.
    Introduced in notebook 09.
    """

    def __init__(self, key: str, folder: Path, dtype: str = "bfloat16") -> None:
        super().__init__()
        self.key, self.folder, self.dtype = key, Path(folder), dtype
        self.name = key
        self.counts: ParamCount | None = None

    def _load(self) -> None:
        import torch

        self.threads = torch.get_num_threads()
        chat = load_built(self.folder, dtype=self.dtype, verbose=False)
        self._adopt(chat.model, chat.tokenizer, chat.choice)
        self.name = self.key
        self.counts = param_count(self.model, self.key)
        with torch.inference_mode():
            self.model(input_ids=torch.tensor([[self.tokenizer.bos_token_id or 0]], device=self.model.device))


def benchmark(
    folders: dict[str, Path] | None = None,
    prompts: Sequence[str] = ("What is the capital of Norway?", "Give three tips for learning a new language."),
    max_new_tokens: int = 48,
    models: Sequence[str] = ("source", "twin", "moe"),
    dtype: str = "bfloat16",
    verbose: bool = True,
) -> list[dict[str, Any]]:
    """Time the MoE against dense models, greedily on the same prompts, one model in memory at a time.

    Introduced in notebook 09.

    Args:
        folders: What :func:`prepare_moe` returned; ``None`` prepares the default build.
        prompts: User messages; each model answers every one.
        max_new_tokens: New tokens per answer.
        models: Which of ``"source"`` (the original dense model), ``"twin"`` (dense, same active size as the
            MoE) and ``"moe"`` to time, in this order.
        dtype: All models run in this dtype, so the comparison is fair.
        verbose: Show a progress bar and print the table.

    Returns:
        One row per model: parameters (total and active), weight memory, median decode speed and first-token
        time over ``prompts``, the process's peak memory while generating, and the answer to the first prompt.

    """
    from helpers.bench import prompts_from_texts, run_benchmark
    from helpers.runtimes import GenerationSettings

    folders = folders or prepare_moe(verbose=verbose)
    unknown = [m for m in models if m not in folders]
    if unknown:
        raise CourseError(_(
            "Unknown model {unknown!r} for the benchmark: use any of {choices}."
        ).format(unknown=unknown[0], choices=', '.join(folders)))
    backends = [BuiltBackend(key, folders[key], dtype) for key in models]
    bench_prompts = prompts_from_texts(prompts)
    result = run_benchmark(backends, bench_prompts, GenerationSettings(max_new_tokens=max_new_tokens), warmup=0,
                           repeats=1, bandwidth=None, on_error="raise", progress=verbose)
    answers = {run["backend"]: run["answer"] for run in result.runs if run["prompt"] == bench_prompts[0].id}
    rows = []
    for backend, row in zip(backends, result.summary(), strict=True):
        counts = backend.counts
        rows.append({
            "model": backend.key,
            "folder": backend.folder.name,
            "answer": answers[backend.key],
            "total_params_m": counts.total / 1e6 if counts else float("nan"),
            "active_params_m": counts.active / 1e6 if counts else float("nan"),
            "weights_mb": row["weight_mb"],
            "decode_tokens_per_s": row["decode_tps"],
            "first_token_s": row["ttft_s"],
            "peak_rss_mb": row["peak_rss_mb"],
        })
    if verbose:
        print(format_table(rows), flush=True)
        _warn_if_busy()
    return rows


def _warn_if_busy() -> None:
    """Say so when other programs compete for the CPU: timings are then not comparable from run to run."""
    cores = os.cpu_count() or 1
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    if load > cores:
        busy = _("Note: the CPU was busy (load {load:.1f} on {cores} cores), so these speeds are lower than usual.")
        print(busy.format(load=load, cores=cores))


def format_table(rows: Sequence[dict[str, Any]]) -> str:
    """The benchmark rows as a fixed-width text table.

    Introduced in notebook 09.
    """
    header = (f"{'model':8s} {'total':>9s} {'active':>9s} {'weights':>9s} {'decode':>12s} "
              f"{'1st token':>9s} {'peak RSS':>9s}")
    lines = [header, "-" * len(header)]
    for r in rows:
        lines.append(
            f"{r['model']:8s} {r['total_params_m']:8.0f}M {r['active_params_m']:8.0f}M {r['weights_mb']:6.0f} MB "
            f"{r['decode_tokens_per_s']:6.1f} tok/s {r['first_token_s']:7.2f} s {r['peak_rss_mb']:6.0f} MB"
        )
    return "\n".join(lines)
