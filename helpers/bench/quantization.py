"""The quantization trade-off: one model at several ONNX precisions, its size, speed and answers side by side."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from helpers.bench.harness import run_benchmark
from helpers.bench.prompts import BenchPrompt
from helpers.bench.results import BenchmarkResult
from helpers.bench.roofline import Bandwidth
from helpers.bench.stats import fmt
from helpers.errors import CourseError
from helpers.i18n import _
from helpers.runtimes import GenerationSettings, OnnxBackend

__all__ = ["QuantizationTradeoff", "answer_agreement", "quantization_tradeoff"]


def answer_agreement(reference: dict[str, str], other: dict[str, str]) -> tuple[float, float]:
    """How often ``other``'s answers equal the reference's, and how much of them they share on average.

    Introduced in notebook 10.

    Returns:
        ``(exact, prefix)``: the fraction of prompts with identical answers, and the mean fraction of
        words the two answers share before they first differ.

    Example:
        >>> answer_agreement({"a": "Oslo is the capital.", "b": "Yes"}, {"a": "Oslo is big.", "b": "Yes"})
        (0.5, 0.75)

    """
    keys = [k for k in reference if k in other]
    if not keys:
        raise CourseError(_("The two answer sets share no prompt: run both on the same prompts."))
    exact = sum(reference[k].strip() == other[k].strip() for k in keys) / len(keys)
    shares = []
    for k in keys:
        a, b = reference[k].split(), other[k].split()
        common = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
        shares.append(common / max(len(a), len(b), 1))
    return exact, sum(shares) / len(shares)


@dataclass
class QuantizationTradeoff:
    """The default model at several ONNX precisions: size, speed and agreement with the first (reference) one.

    Introduced in notebook 10.
    """

    rows: list[dict[str, Any]]
    benchmark: BenchmarkResult

    def table(self) -> str:
        lines = [f"{'precision':10s} {'size':>8s} {'decode tok/s':>13s} {'same answer':>12s} {'shared words':>13s}"]
        for r in self.rows:
            lines.append(
                f"{r['precision']:10s} {fmt(r['weight_mb'], '.0f', ' MB'):>8s} {fmt(r['decode_tps'], '.1f'):>13s} "
                f"{fmt(100 * r['agree_exact'], '.0f', ' %'):>12s} {fmt(100 * r['agree_prefix'], '.0f', ' %'):>13s}"
            )
        return "\n".join(lines)


def quantization_tradeoff(
    precisions: Sequence[str] = ("fp32", "int8", "int4"),
    prompts: Sequence[BenchPrompt] | None = None,
    settings: GenerationSettings | None = None,
    warmup: int = 1,
    repeats: int = 1,
    model: str | None = None,
    bandwidth: Bandwidth | bool | None = None,
    threads: int | None = None,
    progress: bool = True,
) -> QuantizationTradeoff:
    """Benchmark the model's ONNX builds at each precision and compare their greedy answers with the first.

    Introduced in notebook 10.

    The first precision is the reference (fp32 by default): its answers count as "right", and each
    other build's answers are compared with them on the same prompts.
    """
    settings = settings or GenerationSettings(max_new_tokens=48)
    if not settings.greedy:
        raise CourseError(_("Answer agreement needs greedy decoding: use temperature=0."))
    backends = [OnnxBackend(p, model, threads=threads) for p in precisions]
    result = run_benchmark(backends, prompts, settings, warmup, repeats, bandwidth=bandwidth, on_error="raise",
                           progress=progress)
    answers: dict[str, dict[str, str]] = {}
    for run in result.runs:
        if run["repeat"] == 0:
            answers.setdefault(run["precision"], {})[run["prompt"]] = run["answer"]
    reference = answers[precisions[0]]
    rows = []
    for row in result.summary():
        exact, prefix = answer_agreement(reference, answers[row["precision"]])
        rows.append({**row, "agree_exact": exact, "agree_prefix": prefix, "reference": precisions[0]})
    return QuantizationTradeoff(rows, result)
