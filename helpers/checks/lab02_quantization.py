"""Lab 02 (quantize and compare): theoretical sizes, and a conclusion the measured numbers support."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from helpers.checks.core import CheckResult, failed, is_unanswered, not_done, passed

__all__ = ["check_conclusion", "check_theoretical_sizes"]

def check_theoretical_sizes(answer: Any, params: float) -> CheckResult:
    """Check ``{"fp32": MB, "int8": MB, "int4": MB}``: a ``params``-parameter model's weights in MB (1e6 bytes).

    Introduced in lab 02.
    """
    from helpers.phi_family import BYTES_PER_PARAM

    name = "theoretical sizes"
    wanted = {p: params * BYTES_PER_PARAM[p] / 1e6 for p in ("fp32", "int8", "int4")}
    if is_unanswered(answer) or (isinstance(answer, Mapping) and any(is_unanswered(v) for v in answer.values())):
        return not_done(
            name,
            "Fill in a dict {'fp32': ..., 'int8': ..., 'int4': ...} of megabytes: parameters x bytes per weight / 1e6.",
        )
    if not isinstance(answer, Mapping) or set(answer) != set(wanted):
        return failed(name, "give a dict with exactly the keys 'fp32', 'int8' and 'int4'.")
    wrong = []
    for precision, mb in wanted.items():
        got = answer[precision]
        if not isinstance(got, (int, float)) or not math.isclose(got, mb, rel_tol=0.02):
            bits = int(BYTES_PER_PARAM[precision] * 8)
            wrong.append(
                f"{precision}: you have {got!r}, expected about {mb:.0f} MB ({params:.4g} weights x {bits} bits = "
                f"{BYTES_PER_PARAM[precision]:g} bytes each)"
            )
    if wrong:
        hint = ""
        if any(
            isinstance(answer[p], (int, float)) and math.isclose(answer[p], wanted[p] * 1e6, rel_tol=0.02)
            for p in wanted
        ):
            hint = " Your numbers look like bytes: divide by 1e6 for MB."
        elif any(
            isinstance(answer[p], (int, float)) and math.isclose(answer[p], wanted[p] * 8, rel_tol=0.02) for p in wanted
        ):
            hint = " Your numbers look like megabits: a byte has 8 bits."
        return failed(name, "; ".join(wrong) + "." + hint)
    return passed(
        name,
        f"fp32 {wanted['fp32']:.0f} MB, int8 {wanted['int8']:.0f} MB, int4 {wanted['int4']:.0f} MB: "
        "each halving of the bits halves the weights. Real files are a bit larger: quantized weights carry "
        "a scale per block, and some tensors stay wider.",
    )


_QUALITY_COSTS = ("none", "small", "large")


def _dominating(results: Sequence[Mapping[str, Any]], pick: Mapping[str, Any]) -> Mapping[str, Any] | None:
    for other in results:
        if other is not pick and other["size_mb"] < pick["size_mb"] and other["quality"] >= pick["quality"]:
            return other
    return None


def check_conclusion(
    recommended: Any, quality_cost: Any, sentence: Any, results: Sequence[Mapping[str, Any]]
) -> CheckResult:
    """Check a conclusion against the measured numbers, loosely: any defensible reading passes.

    Introduced in lab 02.

    Args:
        recommended: The precision you would ship to a laptop, e.g. ``"int4"``.
        quality_cost: What quantizing to ``recommended`` cost in quality compared with fp32:
            ``"none"``, ``"small"`` or ``"large"``.
        sentence: One or two sentences that state your conclusion with at least one measured number.
        results: The lab's table: one dict per precision with ``precision``, ``size_mb``, ``tokens_per_s``
            and ``quality`` (the fraction of prompts answered correctly, 0 to 1).

    """
    name = "conclusion"
    if any(is_unanswered(v) for v in (recommended, quality_cost, sentence)):
        return not_done(name, "Set RECOMMENDED, QUALITY_COST and CONCLUSION from the table and the plot above.")
    by_precision = {r["precision"]: r for r in results}
    if recommended not in by_precision:
        return failed(name, f"RECOMMENDED must be one of {sorted(by_precision)}, not {recommended!r}.")
    if quality_cost not in _QUALITY_COSTS:
        return failed(name, f"QUALITY_COST must be one of {_QUALITY_COSTS}, not {quality_cost!r}.")
    pick, base = by_precision[recommended], by_precision.get("fp32", max(results, key=lambda r: r["quality"]))
    better = _dominating(results, pick)
    if better is not None:
        return failed(
            name,
            f"{better['precision']} is smaller ({better['size_mb']:.0f} MB vs {pick['size_mb']:.0f} MB) "
            "and scored at least as well "
            f"({better['quality']:.0%} vs {pick['quality']:.0%}), so nothing in the numbers speaks for {recommended}. "
            "A defensible pick is one that no other build beats on both size and quality.",
        )
    n_prompts = max(int(r.get("n_prompts", 0)) for r in results) or 8
    drop = round((base["quality"] - pick["quality"]) * n_prompts)  # prompts lost against fp32
    acceptable = {
        c
        for c, ok in (
            ("none", drop <= 0),
            ("small", 0 <= drop <= max(1, n_prompts // 3)),
            ("large", drop >= max(1, n_prompts // 4)),
        )
        if ok
    }
    if quality_cost not in acceptable:
        return failed(
            name,
            f"{recommended} answered {pick['quality']:.0%} of the prompts correctly and fp32 {base['quality']:.0%}: "
            f"{max(drop, 0)} of {n_prompts} prompts lost, which reads as "
            f"{' or '.join(sorted(acceptable))}, not {quality_cost!r}.",
        )
    words = len(re.findall(r"[A-Za-z]+", str(sentence)))
    problems = []
    if recommended.lower() not in str(sentence).lower():
        problems.append(f"name the build you recommend ({recommended})")
    if not re.search(r"\d", str(sentence).replace(recommended, "")):
        problems.append("quote at least one measured number (a size, a speed or a score)")
    if words < 8:
        problems.append("write a full sentence or two")
    if problems:
        return failed(name, "your choices fit the numbers, but the sentence should " + " and ".join(problems) + ".")
    ratio = base["size_mb"] / pick["size_mb"]
    speed = pick["tokens_per_s"] / base["tokens_per_s"] if base["tokens_per_s"] else float("nan")
    return passed(
        name,
        f"the numbers support it: {recommended} is {ratio:.1f}x smaller than fp32 "
        f"and decodes {speed:.1f}x as fast here, "
        f"with a quality cost you called {quality_cost!r} ({max(drop, 0)} of {n_prompts} prompts lost).",
    )
