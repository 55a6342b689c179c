"""Lab 02 (quantize and compare): theoretical sizes, and a conclusion the measured numbers support."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from helpers.checks.core import CheckResult, as_number, failed, is_unanswered, not_done, passed
from helpers.i18n import N_, _

__all__ = ["FORBIDDEN", "check_conclusion", "check_theoretical_sizes"]

#: Helpers that compute lab 2's answers: a learner copy must not import them (tests/test_learner_imports.py).
FORBIDDEN = (
    "helpers.phi_family.BYTES_PER_PARAM",
    "helpers.phi_family.bytes_per_param",
    "helpers.phi_family.weight_bytes",
    "helpers.phi_family.weight_gb",
    "helpers.phi_family.memory_table",
    "helpers.phi_family.memory.BYTES_PER_PARAM",
    "helpers.phi_family.memory.weight_gb",
)


def _either(words: list[str]) -> str:
    """``"'a' or 'b'"`` in the learner's language (the words themselves are answers to type, never translated)."""
    if len(words) == 1:
        return words[0]
    # TRANSLATORS: two answers a learner may type, such as "small or none"; keep {first} and {second} as they are.
    return _("{first} or {second}").format(first=", ".join(words[:-1]), second=words[-1])


def check_theoretical_sizes(answer: Any, params: float) -> CheckResult:
    """Check ``{"fp32": MB, "int8": MB, "int4": MB}``: a ``params``-parameter model's weights in MB (1e6 bytes).

    Introduced in lab 02.
    """
    from helpers.phi_family import BYTES_PER_PARAM

    name = N_("theoretical sizes")
    wanted = {p: params * BYTES_PER_PARAM[p] / 1e6 for p in ("fp32", "int8", "int4")}
    if is_unanswered(answer) or (isinstance(answer, Mapping) and any(is_unanswered(v) for v in answer.values())):
        return not_done(name, _(
            "Fill in a dict with the keys 'fp32', 'int8' and 'int4', in megabytes: "
            "parameters x bytes per weight / 1e6."
        ))
    if isinstance(answer, Mapping):
        answer = {str(k).strip().lower(): as_number(v, unit="mb") for k, v in answer.items()}
    if not isinstance(answer, Mapping) or set(answer) != set(wanted):
        return failed(name, _("give a dict with exactly the keys 'fp32', 'int8' and 'int4'."))
    wrong = []
    for precision, mb in wanted.items():
        got = answer[precision]
        if got is None or not math.isclose(got, mb, rel_tol=0.02):
            bits = int(BYTES_PER_PARAM[precision] * 8)
            wrong.append(_(
                "{precision}: you have {got!r}, expected about {mb:.0f} MB ({params:.4g} weights x {bits} bits = "
                "{bytes:g} bytes each)"
            ).format(precision=precision, got=got, mb=mb, params=params, bits=bits, bytes=BYTES_PER_PARAM[precision]))
    if wrong:
        hint = ""
        for factor, what in (
            (1e6, _("Your numbers look like bytes: divide by 1e6 for MB (or write '538000000 bytes').")),
            (1e-3, _("Your numbers look like gigabytes: multiply by 1000 for MB (or write '0.54 GB').")),
            (8, _("Your numbers look like megabits: a byte has 8 bits.")),
            (1 / 8, _("Your numbers look like bits per weight, not bytes.")),
        ):
            if any(answer[p] is not None and math.isclose(answer[p], wanted[p] * factor, rel_tol=0.02) for p in wanted):
                hint = " " + what
                break
        return failed(name, "; ".join(wrong) + "." + hint)
    return passed(name, _(
        "fp32 {fp32:.0f} MB, int8 {int8:.0f} MB, int4 {int4:.0f} MB: "
        "each halving of the bits halves the weights. Real files are a bit larger: quantized weights carry "
        "a scale per block, and some tensors stay wider."
    ).format(fp32=wanted['fp32'], int8=wanted['int8'], int4=wanted['int4']))


_QUALITY_COSTS = ("none", "small", "large")

#: Words that carry digits but are names, not measurements: precisions, model names, units like 4-bit.
_NAMES = re.compile(
    r"\b(?:fp|bf|int|uint|q)\d+(?:_\d+)?\b|\b[a-z][\w.]*-[\w.-]*\d[\w.-]*\b|\b\d+-?bits?\b|\bsmollm\d*\b"
    r"|(?<![\w.])\d+(?:\.\d+)?[bmk]\b",  # parameter counts such as 3.8B or 135M are names, not measurements
    re.IGNORECASE,
)
_NUMBER = re.compile(
    r"(?<![\w.])(\d+(?:[.,]\d+)?)\s*(%|percent|x\b|×|times\b|mb\b|gb\b|tokens?\s*(?:/|per)\s*s(?:ec(?:ond)?)?\b"
    r"|tok/s\b)?",
    re.IGNORECASE,
)
_QUALITY_WORDS = re.compile(r"correct|right|answer|score|quality|accura|questions|prompts", re.IGNORECASE)
#: How far a quoted number may be from the table: decode speeds vary from run to run.
TOLERANCE = 0.10


def _measured(results: Sequence[Mapping[str, Any]], n_prompts: int) -> dict[str, list[float]]:
    """Every number a sentence may quote from the table, by kind."""
    sizes = [float(r["size_mb"]) for r in results]
    speeds = [float(r["tokens_per_s"]) for r in results]
    quality = [float(r["quality"]) for r in results]
    ratios = [a / b for values in (sizes, speeds) for a in values for b in values if a and b and a != b]
    percents = [100 * abs(1 - r) for r in ratios] + [100 * r for r in ratios]
    counts = [round(q * n_prompts) for q in quality] + [n_prompts]
    counts += [abs(round((a - b) * n_prompts)) for a in quality for b in quality]
    return {
        "mb": sizes,
        "tokens/s": speeds,
        "%": percents + [100 * q for q in quality],
        "quality %": [100 * q for q in quality] + [100 * abs(a - b) for a in quality for b in quality],
        "x": ratios,
        "count": [float(c) for c in counts],
        "any": sizes + speeds + ratios + quality + percents,  # counts only exactly (see _quoted_numbers)
    }


def _kind(unit: str) -> str:
    unit = unit.lower()
    if unit in ("%", "percent"):
        return "%"
    if unit in ("x", "×", "times"):
        return "x"
    if unit in ("mb", "gb"):
        return "mb"
    return "tokens/s" if unit else "any"


def _close(value: float, candidates: Sequence[float]) -> bool:
    return any(math.isclose(value, c, rel_tol=TOLERANCE, abs_tol=0.051) for c in candidates)


def _quoted_numbers(text: str, results: Sequence[Mapping[str, Any]], n_prompts: int) -> tuple[list[str], list[str]]:
    """The numbers ``text`` quotes that match the table, and those it gets wrong (with what the table says)."""
    measured = _measured(results, n_prompts)
    ok, wrong = [], []
    cleaned = _NAMES.sub(" ", text)
    for match in _NUMBER.finditer(cleaned):
        value = float(match.group(1).replace(",", "."))
        unit = (match.group(2) or "").strip()
        kind = _kind(unit)
        if kind == "%" and _QUALITY_WORDS.search(cleaned[max(0, match.start() - 40) : match.end() + 40]):
            kind = "quality %"  # "answered 40% correctly" quotes the score, not a size or speed ratio
        if unit.lower() == "gb":
            value *= 1000
        exact = kind == "quality %" and any(abs(value - c) <= 1.0 for c in measured[kind])  # a score is counted
        if exact or (kind != "quality %" and _close(value, measured[kind])) or (
            kind == "any" and float(value).is_integer() and value in measured["count"]
        ):
            ok.append(match.group(0).strip())
        elif kind != "any":
            shown = ", ".join(f"{v:.3g}" for v in sorted(set(measured[kind]))[:8])
            # TRANSLATORS: {kind} is a unit (mb, tokens/s, %, x).
            wrong.append(_("{quoted!r} matches nothing in your table (its {kind} values: {values})").format(
                quoted=match.group(0).strip(), kind=kind, values=shown))
    return ok, wrong


def _dominating(results: Sequence[Mapping[str, Any]], pick: Mapping[str, Any]) -> Mapping[str, Any] | None:
    for other in results:
        if other is not pick and other["size_mb"] < pick["size_mb"] and other["quality"] >= pick["quality"]:
            return other
    return None


def _sentence_problems(
    text: str, recommended: str, results: Sequence[Mapping[str, Any]], n_prompts: int
) -> list[str]:
    """What a conclusion sentence still lacks: the build's name, a number the table supports, a full sentence."""
    problems = []
    if not re.search(rf"(?<![a-z0-9]){re.escape(recommended)}(?![a-z0-9])", text.lower()):
        problems.append(_("name the build you recommend ({recommended})").format(recommended=recommended))
    quoted, wrong = _quoted_numbers(text, results, n_prompts)
    if wrong:
        problems.append(_("quote numbers your table supports: {problems}").format(problems="; ".join(wrong)))
    elif not quoted:
        problems.append(_(
            "quote at least one number from your table (a size in MB, a speed in tokens/s, a score, or a ratio "
            "such as 2.0x); digits inside a name such as fp32 or int4 are not measurements"
        ))
    if len(re.findall(r"[A-Za-z]+", text)) < 8:
        problems.append(_("write a full sentence or two"))
    return problems


def _dominated(better: Mapping[str, Any], pick: Mapping[str, Any], recommended: str) -> str:
    """Why ``pick`` is not defensible: ``better`` is smaller and scored at least as well."""
    return _(
        "{better} is smaller ({better_mb:.0f} MB vs {yours_mb:.0f} MB) and scored at least as well "
        "({better_quality:.0%} vs {yours_quality:.0%}), so nothing in the numbers speaks for {recommended}. "
        "A defensible pick is one that no other build beats on both size and quality."
    ).format(
        better=better["precision"], better_mb=better["size_mb"], yours_mb=pick["size_mb"],
        better_quality=better["quality"], yours_quality=pick["quality"], recommended=recommended,
    )


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
    name = N_("conclusion")
    if any(is_unanswered(v) for v in (recommended, quality_cost, sentence)):
        return not_done(name, _("Set RECOMMENDED, QUALITY_COST and CONCLUSION from the table and the plot above."))
    by_precision = {r["precision"]: r for r in results}
    if isinstance(recommended, str):
        recommended = recommended.strip().lower()
    if isinstance(quality_cost, str):
        quality_cost = quality_cost.strip().lower()
    if recommended not in by_precision:
        return failed(name, _(
            "RECOMMENDED must be one of {sorted}, not {recommended!r}."
        ).format(sorted=sorted(by_precision), recommended=recommended))
    if quality_cost not in _QUALITY_COSTS:
        return failed(name, _(
            "QUALITY_COST must be one of {quality_costs}, not {quality_cost!r}."
        ).format(quality_costs=_QUALITY_COSTS, quality_cost=quality_cost))
    pick, base = by_precision[recommended], by_precision.get("fp32", max(results, key=lambda r: r["quality"]))
    better = _dominating(results, pick)
    if better is not None:
        return failed(name, _dominated(better, pick, recommended))
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
            _(
                "{recommended} answered {quality:.0%} of the prompts correctly and fp32 {fp32_quality:.0%}: "
                "{lost} of {n_prompts} prompts lost, which reads as "
                "{choices}, not {quality_cost!r}."
            ).format(
                recommended=recommended, quality=pick['quality'], fp32_quality=base['quality'], lost=max(drop, 0),
                n_prompts=n_prompts, choices=_either(sorted(acceptable)), quality_cost=quality_cost,
            ),
        )
    if problems := "; ".join(_sentence_problems(str(sentence), recommended, results, n_prompts)):
        # TRANSLATORS: {problems} are things to do ("name the build you recommend (int4)"), joined by "; ".
        return failed(name, _("your choices fit the numbers, but the sentence should: {problems}.").format(
            problems=problems))
    ratio = base["size_mb"] / pick["size_mb"]
    speed = pick["tokens_per_s"] / base["tokens_per_s"] if base["tokens_per_s"] else float("nan")
    return passed(
        name,
        _(
            "the numbers support it: {recommended} is {ratio:.1f}x smaller than fp32 "
            "and decodes {speed:.1f}x as fast here, "
            "with a quality cost you called {quality_cost!r} ({max} of {n_prompts} prompts lost)."
        ).format(
            recommended=recommended, ratio=ratio, speed=speed, quality_cost=quality_cost, max=max(drop, 0),
            n_prompts=n_prompts,
        ),
    )
