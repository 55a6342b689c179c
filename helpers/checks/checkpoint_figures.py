"""Checkpoint checks on figures (notebook 15): a Phi pick for a job, measured speed and memory, quantization.

A figure is checked against the data (``data/phi_family.json``) or against the learner's own measurement, within a
tolerance; a number inside a model's name or an object computed by a course helper does not count as an answer.

Defined in notebook 15.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from helpers.checks.checkpoint_words import _words
from helpers.checks.core import CheckResult, is_unanswered
from helpers.checks.core import failed as _failed
from helpers.checks.core import not_done as _not_done
from helpers.checks.core import passed as _passed
from helpers.i18n import N_, _

__all__ = ["PICK_JOB", "check_memory", "check_pick", "check_quantization", "check_speed", "parse_bytes"]


PICK_JOB = {
    "job": "offline speech transcription in a phone app",
    "task": "speech",
    "audio": True,
    "memory_gb": 4.0,
    "overhead": 0.2,
}

_PRECISIONS = {
    "fp16": "fp16",
    "16 bit": "fp16",
    "16bit": "fp16",
    "bf16": "fp16",
    "half": "fp16",
    "int8": "int8",
    "8 bit": "int8",
    "8bit": "int8",
    "q8": "int8",
    "int4": "int4",
    "4 bit": "int4",
    "4bit": "int4",
    "q4": "int4",
}


def _find_model(text: str) -> Any:
    from helpers.errors import CourseError
    from helpers.phi_family import get_model

    base = text.strip()
    tries = [base, base.replace(" ", "-"), re.sub(r"-instruct$", "", base.replace(" ", "-"), flags=re.I)]
    for candidate in tries:
        try:
            return get_model(candidate)
        except CourseError:
            continue
    return None


def check_pick(answer: Any) -> CheckResult:
    """Check a ``(model, precision)`` pick for :data:`PICK_JOB`, against the family data (``data/phi_family.json``).

    Accepted: any open model tagged for the task that takes audio and fits the memory at that precision
    (weights x bytes per weight x (1 + overhead)); the accepted set is computed from the data.
    """
    from helpers.phi_family import estimate_memory_gb, load_family

    name = N_("pick a Phi")
    if is_unanswered(answer) or (isinstance(answer, (tuple, list)) and any(is_unanswered(a) for a in answer)):
        return _not_done(name, _("Give a (model, precision) pair, e.g. ('Phi-4-mini', 'int8')."))
    if isinstance(answer, Mapping):
        answer = (answer.get("model"), answer.get("precision"))
    if isinstance(answer, str):
        match = re.match(
            r"^\s*(.+?)\s*(?:,|\bat\b|\bin\b|\s)\s*(fp16|bf16|int8|int4|\d+[- ]?bit|q4|q8)\s*$", answer, re.I
        )
        if not match:
            return _failed(name, _("name the model and the precision, e.g. 'Phi-4-mini at int8'."))
        answer = (match.group(1), match.group(2))
    if not (isinstance(answer, (tuple, list)) and len(answer) == 2 and all(isinstance(a, str) for a in answer)):
        return _failed(
            name,
            _("write the pick yourself as two strings, ('model name', 'precision'), not an object a helper returned."),
        )
    model = _find_model(answer[0])
    precision = _PRECISIONS.get(_words(answer[1]).replace("-", " "))
    if model is None:
        return _failed(name, _("{answer!r} is not a Phi model in data/phi_family.json.").format(answer=answer[0]))
    if precision is None:
        return _failed(name, _(
            "give the precision as 'fp16', 'int8' or 'int4', not {answer!r}."
        ).format(answer=answer[1]))
    job = PICK_JOB
    accepted = []
    for m in load_family():
        if not m.open_weights or job["task"] not in m.tasks or "audio" not in m.modalities_in:
            continue
        for p in ("fp16", "int8", "int4"):
            if estimate_memory_gb(m, p, overhead=job["overhead"])[0] <= job["memory_gb"]:
                accepted.append((m.name, p))
    need = estimate_memory_gb(model, precision, overhead=job["overhead"])[0]
    if job["task"] not in model.tasks or "audio" not in model.modalities_in:
        return _failed(name, _(
            "{name} does not take audio input; the job is {job}."
        ).format(name=model.name, job=job['job']))
    if (model.name, precision) not in accepted:
        return _failed(
            name,
            _(
                "{name} at {precision} needs about {need:.1f} GB with {overhead:.0%} overhead; the "
                "phone leaves about {memory_gb:g} GB."
            ).format(
                name=model.name, precision=precision, need=need, overhead=job['overhead'], memory_gb=job['memory_gb'],
            ),
        )
    return _passed(name, _(
        "{name} at {precision}: about {need:.1f} GB, within the phone's {memory_gb:g} GB, and it "
        "takes audio. Measure it on the real phone before you ship."
    ).format(name=model.name, precision=precision, need=need, memory_gb=job['memory_gb']))


# =========================================================================== 4. local vs cloud call

_NUMBER = r"([0-9]+(?:[.,][0-9]+)?(?:e[+-]?[0-9]+)?)"


def _number(text: str, units: str) -> float | None:
    match = re.fullmatch(rf"\s*{_NUMBER}\s*(?:{units})?\s*", text, re.I)
    return float(match.group(1).replace(",", ".")) if match else None


def check_speed(answer: Any, measured: float, tolerance: float = 0.25) -> CheckResult:
    """Check a decode speed in tokens/s against the learner's own ``measured`` figure (within ``tolerance``)."""
    name = N_("decode speed")
    if is_unanswered(answer):
        return _not_done(name, _("Write the decode speed you measured, in tokens per second."))
    if isinstance(answer, bool):
        return _failed(name, _("give a number of tokens per second."))
    value = (
        float(answer)
        if isinstance(answer, (int, float))
        else (
            _number(answer, r"tokens?\s*/\s*s|tok\s*/\s*s|tokens? per second|t/s") if isinstance(answer, str) else None
        )
    )
    if value is None:
        return _failed(name, _(
            "give a number of tokens per second (e.g. 42.5 or '42.5 tokens/s'), not {answer!r}."
        ).format(answer=answer))
    if not math.isclose(value, measured, rel_tol=tolerance):
        hint = ""
        if math.isclose(value, measured * 60, rel_tol=tolerance):
            hint = " " + _("That looks like tokens per minute.")
        elif measured and math.isclose(value, 1000 / measured, rel_tol=tolerance):
            hint = " " + _("That looks like milliseconds per token: speed is tokens per second.")
        return _failed(name, _(
            "{value:g} tokens/s is not what your table shows ({measured:.1f} tokens/s).{hint}"
        ).format(value=value, measured=measured, hint=hint))
    return _passed(name, _(
        "{value:g} tokens/s, as measured ({measured:.1f}). Load and threads move it; rerun to see."
    ).format(value=value, measured=measured))


_BYTE_UNITS = {"b": 1, "bytes": 1, "byte": 1, "kb": 1e3, "mb": 1e6, "gb": 1e9, "kib": 2**10, "mib": 2**20, "gib": 2**30}


def parse_bytes(answer: Any) -> float | None:
    """Read a size in bytes from a number (bytes) or a string with a unit (``"538 MB"``, ``"0.5 GiB"``).

    Example:
        >>> parse_bytes("0.54 GB"), parse_bytes(538_000_000), parse_bytes("135M")
        (540000000.0, 538000000.0, None)

    """
    if isinstance(answer, bool):
        return None
    if isinstance(answer, (int, float)):
        return float(answer)
    if not isinstance(answer, str):
        return None
    match = re.fullmatch(rf"\s*{_NUMBER}\s*([a-z]+)?\s*", answer, re.I)
    if not match:
        return None
    unit = (match.group(2) or "b").lower()
    if unit not in _BYTE_UNITS:
        return None
    return float(match.group(1).replace(",", ".")) * _BYTE_UNITS[unit]


def check_memory(
    answer: Any, measured_bytes: float, tolerance: float = 0.05, what: str = N_("weights in memory")
) -> CheckResult:
    """Check a memory figure (bytes, or a string with a unit) against ``measured_bytes`` within ``tolerance``."""
    name = what  # shown translated when it is the default (a name of your own is shown as you wrote it)
    if is_unanswered(answer):
        return _not_done(name, _("Write the size in bytes, or as a string with its unit ('0.54 GB')."))
    value = parse_bytes(answer)
    if value is None:
        return _failed(name, _(
            "give bytes (538_000_000) or a size with a unit ('538 MB'), not {answer!r}."
        ).format(answer=answer))
    if not math.isclose(value, measured_bytes, rel_tol=tolerance):
        for unit in ("KB", "MB", "GB", "MiB", "GiB"):
            if isinstance(answer, (int, float)) and math.isclose(
                value * _BYTE_UNITS[unit.lower()], measured_bytes, rel_tol=tolerance
            ):
                return _failed(
                    name, _(
                        "a bare number is read as bytes; yours looks like {unit}: write '{answer} {unit}'."
                    ).format(unit=unit, answer=answer)
                )
        if math.isclose(value, measured_bytes * 8, rel_tol=tolerance):
            return _failed(name, _("that looks like bits: a byte has 8 bits."))
        return _failed(name, _(
            "{value_mb:,.0f} MB is not the measured {measured_bytes_mb:,.0f} MB."
        ).format(value_mb=value / 1e6, measured_bytes_mb=measured_bytes / 1e6))
    return _passed(name, _("{measured_bytes_mb:,.0f} MB, as measured.").format(measured_bytes_mb=measured_bytes / 1e6))


# =========================================================================== 6. quantization's trade-off

_COSTS = {
    "quality",
    "answer quality",
    "accuracy",
    "some quality",
    "some accuracy",
    "a little quality",
    "some answer quality",
}


def check_quantization(answer: Any, params: float) -> CheckResult:
    """Check ``{"fp16": size, "int4": size, "cost": ...}`` for a ``params``-parameter model's weights.

    Sizes are bytes or strings with units (within 3%); ``cost`` is what int4 gives up (answer quality).
    """
    name = N_("quantization trade-off")
    keys = {"fp16", "int4", "cost"}
    if is_unanswered(answer) or (isinstance(answer, Mapping) and any(is_unanswered(v) for v in answer.values())):
        return _not_done(name, _(
            "Fill in a dict with the keys 'fp16' and 'int4' (sizes) and 'cost' (what int4 gives up)."
        ))
    if not isinstance(answer, Mapping) or set(answer) != keys:
        return _failed(name, _("give a dict with exactly the keys 'fp16', 'int4' and 'cost'."))
    wanted = {"fp16": params * 2, "int4": params * 0.5}
    for precision, size in wanted.items():
        result = parse_bytes(answer[precision])
        if result is None:
            return _failed(
                name, _(
                    "{precision}: give bytes or a size with a unit ('7.6 GB'), not {answer!r}."
                ).format(precision=precision, answer=answer[precision])
            )
        if not math.isclose(result, size, rel_tol=0.03):
            hint = " " + _("(a bare number is read as bytes)") if isinstance(answer[precision], (int, float)) else ""
            return _failed(
                name,
                _(
                    "{precision}: {result_gb:.3g} GB{hint}; parameters x bytes per weight "
                    "({value}) gives {size_gb:.3g} GB."
                ).format(
                    precision=precision, result_gb=result / 1e9, hint=hint,
                    value='2' if precision == 'fp16' else '0.5', size_gb=size / 1e9,
                ),
            )
    cost = _words(answer["cost"]) if isinstance(answer["cost"], str) else None
    if cost not in _COSTS:
        return _failed(name, _(
            "cost: int4 is smaller and faster to decode; what it can lose is answer quality, not {cost!r}."
        ).format(cost=answer['cost']))
    return _passed(name, _(
        "{fp16_gb:.3g} GB at fp16, {int4_gb:.3g} GB at int4: four times smaller and "
        "faster to decode, for some answer quality that you measure on your own prompts (lab 2)."
    ).format(fp16_gb=wanted['fp16'] / 1e9, int4_gb=wanted['int4'] / 1e9))


