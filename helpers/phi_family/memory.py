"""Memory arithmetic: bytes per weight at each precision, weight sizes, and context labels such as ``128K``."""

from __future__ import annotations

from collections.abc import Iterable

from helpers.errors import CourseError
from helpers.i18n import _

__all__ = ["BYTES_PER_PARAM", "GB", "bytes_per_param", "context_label", "memory_table", "weight_bytes", "weight_gb"]

#: One gigabyte as this module counts it (decimal, like model cards and file sizes).
GB = 1e9


#: Bytes one weight takes at each precision. int4 is the ideal half byte; real int4 files add
#: per-block scales (about 4.5 bits per weight at blocks of 32) and often keep embeddings wider.
BYTES_PER_PARAM: dict[str, float] = {"fp32": 4.0, "fp16": 2.0, "bf16": 2.0, "int8": 1.0, "int4": 0.5}


def bytes_per_param(precision: str) -> float:
    """Bytes per weight at ``precision`` (``fp32``, ``fp16``, ``bf16``, ``int8`` or ``int4``).

    Introduced in notebook 02.

    Example:
        >>> bytes_per_param("int4")
        0.5

    """
    try:
        return BYTES_PER_PARAM[precision.lower()]
    except (KeyError, AttributeError):
        raise CourseError(_(
            "Unknown precision {precision!r}: use one of {choices}."
        ).format(precision=precision, choices=', '.join(BYTES_PER_PARAM))) from None


def weight_bytes(params: float, precision: str = "fp16") -> float:
    """Bytes the weights of a ``params``-parameter model take at ``precision``.

    Introduced in notebook 02.

    Example:
        >>> weight_bytes(3.8e9, "fp16")
        7600000000.0

    """
    if not params > 0:
        raise CourseError(_(
            "A parameter count must be a positive number, not {params!r}: pass e.g. 3.8e9."
        ).format(params=params))
    return float(params) * bytes_per_param(precision)


def weight_gb(params: float, precision: str = "fp16") -> float:
    """Gigabytes (1e9 bytes) the weights take at ``precision``.

    Introduced in notebook 02.

    Example:
        >>> round(weight_gb(3.8e9, "int4"), 2)
        1.9

    """
    return weight_bytes(params, precision) / GB


def memory_table(params: float, precisions: Iterable[str] = ("fp32", "fp16", "int8", "int4")) -> dict[str, float]:
    """Weight memory in GB for each precision, e.g. ``{"fp32": 15.2, "fp16": 7.6, ...}``.

    Introduced in notebook 02.

    Example:
        >>> memory_table(1e9)
        {'fp32': 4.0, 'fp16': 2.0, 'int8': 1.0, 'int4': 0.5}

    """
    return {p: weight_gb(params, p) for p in precisions}


def context_label(tokens: int | None) -> str:
    """Context length the way model names write it: 4096 -> ``"4K"``, 131072 -> ``"128K"``.

    Introduced in notebook 02.

    Example:
        >>> context_label(131072), context_label(16384), context_label(None)
        ('128K', '16K', '?')

    """
    if tokens is None:
        return "?"
    return f"{tokens // 1024}K" if tokens % 1024 == 0 else f"{tokens:,}"
