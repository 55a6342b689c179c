"""What every benchmark figure shares: one colour per runtime, and the rows a figure is drawn from."""

from __future__ import annotations

import math
from typing import Any

__all__ = ["finite", "label", "rows_of", "runtime_color"]

_COLORS = {
    "transformers": "#d95f02",
    "onnxruntime-genai": "#1b9e77",
    "llama.cpp": "#7570b3",
    "openai-api": "#e7298a",
}


def runtime_color(runtime: str) -> str:
    """Return the colour every plot uses for a runtime (grey for unknown ones).

    Introduced in notebook 10.

    Example:
        >>> runtime_color("llama.cpp")
        '#7570b3'

    """
    return _COLORS.get(runtime, "#666666")


def rows_of(result: Any) -> list[dict[str, Any]]:
    """Accept a BenchmarkResult, a QuantizationTradeoff or a list of summary rows.

    Introduced in notebook 10.
    """
    if hasattr(result, "summary"):
        return list(result.summary())
    if hasattr(result, "rows"):
        return list(result.rows)
    return list(result)


def finite(value: Any) -> bool:
    """Tell whether ``value`` is a number that is not NaN or infinite.

    Introduced in notebook 10.
    """
    return isinstance(value, (int, float)) and math.isfinite(value)


def label(row: dict[str, Any]) -> str:
    """The x-axis label of a backend's row (endpoint and cloud names on two lines).

    Introduced in notebook 10.
    """
    return str(row["backend"]).replace("endpoint:", "endpoint\n").replace("cloud:", "cloud\n")
