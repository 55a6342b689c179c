"""Plots for the benchmark: speed per backend, the memory roofline, and the quantization trade-off.

Each function takes what :mod:`helpers.bench` returns and gives back a matplotlib ``Figure``
(notebooks show it; ``fig.savefig("x.png")`` keeps it). Colours follow the runtime, so a backend
looks the same in every plot.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

__all__ = ["plot_benchmark", "plot_quantization", "plot_roofline", "runtime_color"]

_COLORS = {
    "transformers": "#d95f02",
    "onnxruntime-genai": "#1b9e77",
    "llama.cpp": "#7570b3",
    "openai-api": "#e7298a",
}


def runtime_color(runtime: str) -> str:
    """Return the colour every plot uses for a runtime (grey for unknown ones).

    Example:
        >>> runtime_color("llama.cpp")
        '#7570b3'

    """
    return _COLORS.get(runtime, "#666666")


def _rows(result: Any) -> list[dict[str, Any]]:
    """Accept a BenchmarkResult, a QuantizationTradeoff or a list of summary rows."""
    if hasattr(result, "summary"):
        return list(result.summary())
    if hasattr(result, "rows"):
        return list(result.rows)
    return list(result)


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value)


def _label(row: dict[str, Any]) -> str:
    return str(row["backend"]).replace("endpoint:", "endpoint\n").replace("cloud:", "cloud\n")


def plot_benchmark(result: Any, title: str | None = None) -> Any:
    """Two bar charts side by side: decode tokens/s and time to first token, per backend.

    Bars are medians; the black whiskers span the middle half of the runs (25th to 75th percentile).

    Args:
        result: A :class:`helpers.bench.BenchmarkResult` or its ``summary()`` rows.
        title: Figure title (default: the model and the settings).

    """
    import matplotlib.pyplot as plt

    rows = _rows(result)
    if not rows:
        raise ValueError("Nothing to plot: the benchmark has no runs.")
    labels = [_label(r) for r in rows]
    colors = [runtime_color(r["runtime"]) for r in rows]
    fig, (ax_speed, ax_ttft) = plt.subplots(1, 2, figsize=(11, 4.2))
    for ax, key, unit, heading in (
        (ax_speed, "decode_tps", "tokens/s", "Decode speed (higher is better)"),
        (ax_ttft, "ttft_s", "seconds", "Time to first token (lower is better)"),
    ):
        values = [r[key] if _finite(r[key]) else 0.0 for r in rows]
        pairs = list(zip(values, rows, strict=True))
        low = [max(v - r[f"{key}_p25"], 0) if _finite(r.get(f"{key}_p25")) else 0 for v, r in pairs]
        high = [max(r[f"{key}_p75"] - v, 0) if _finite(r.get(f"{key}_p75")) else 0 for v, r in pairs]
        bars = ax.bar(labels, values, color=colors, yerr=[low, high], capsize=4, ecolor="black")
        fmt = "{:.1f}" if key == "decode_tps" else "{:.2f} s"
        ax.bar_label(bars, labels=[fmt.format(v) for v in values], padding=3, fontsize=9)
        ax.set_ylabel(unit)
        ax.set_title(heading, fontsize=11)
        ax.set_ylim(0, max(values + [h + v for h, v in zip(high, values, strict=True)]) * 1.2 or 1)
        ax.tick_params(axis="x", labelsize=9)
        ax.grid(axis="y", alpha=0.3)
    model = next((r.get("model") for r in rows if r.get("model")), "")
    fig.suptitle(title or f"Same prompts, every backend{' - ' + model if model else ''}", fontsize=12)
    fig.tight_layout()
    return fig


def plot_roofline(result: Any, bandwidth: Any = None, title: str | None = None) -> Any:
    """Plot the memory roofline: measured decode speed against the ceiling set by memory bandwidth.

    Left: tokens/s against megabytes of weights read per token, on log axes. The line is the
    ceiling ``bandwidth / bytes per token``; each dot is a backend, labelled with the fraction of
    the ceiling it reaches. Right: the same fractions as bars.

    Args:
        result: A :class:`helpers.bench.BenchmarkResult` (its bandwidth is used) or summary rows.
        bandwidth: A :class:`helpers.bench.Bandwidth`, if ``result`` does not carry one.
        title: Figure title.

    """
    import matplotlib.pyplot as plt
    import numpy as np

    bandwidth = bandwidth or getattr(result, "bandwidth", None)
    if bandwidth is None:
        raise ValueError("A roofline needs the memory bandwidth: pass bandwidth=measure_bandwidth().")
    rows = [r for r in _rows(result) if _finite(r.get("read_mb_per_token")) and _finite(r.get("decode_tps"))]
    if not rows:
        raise ValueError("No local backend with known weight bytes to place under the roofline.")
    gb_s = bandwidth.read_gb_s
    fig, (ax, ax_frac) = plt.subplots(1, 2, figsize=(12, 4.6), gridspec_kw={"width_ratios": [1.6, 1]})

    sizes = [r["read_mb_per_token"] for r in rows]
    x = np.geomspace(min(sizes) / 3, max(sizes) * 3, 100)
    ax.plot(x, gb_s * 1e3 / x, color="black", lw=1.5, label=f"ceiling: {gb_s:.1f} GB/s / MB read per token")
    ax.fill_between(x, gb_s * 1e3 / x, x * 0 + 1e5, color="grey", alpha=0.12, label="unreachable")
    for r in rows:
        mb, tps = r["read_mb_per_token"], r["decode_tps"]
        ceiling = gb_s * 1e3 / mb
        color = runtime_color(r["runtime"])
        # the gap to the ceiling: a dotted line up to a hollow marker on the roofline
        ax.plot([mb, mb], [tps, ceiling], color=color, lw=1.2, ls=":", zorder=2)
        ax.scatter(mb, ceiling, s=40, facecolor="white", edgecolor=color, lw=1.5, zorder=3)
        ax.scatter(mb, tps, s=80, color=color, zorder=3, edgecolor="black")
        # labels go to the left: below the roofline, which falls to the right, that space is empty
        ax.annotate(f"{r['backend']}: {100 * tps / ceiling:.0f}% of ceiling", (mb, tps), textcoords="offset points",
                    xytext=(-9, 0), ha="right", va="center", fontsize=9, zorder=4,
                    bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none", "alpha": 0.8})
    ax.set_xscale("log")
    ax.set_yscale("log")
    top = max(gb_s * 1e3 / min(sizes) * 2, max(r["decode_tps"] for r in rows) * 2)
    ax.set_ylim(min(r["decode_tps"] for r in rows) / 3, top)
    ax.set_xlim(x[0], x[-1])
    ax.set_xlabel("MB of weights read per generated token (log)")
    ax.set_ylabel("decode tokens/s (log)")
    ax.set_title("Dots: measured. Circles: the ceiling for those weights", fontsize=11)
    ax.legend(loc="upper right", fontsize=8)
    ax.grid(which="both", alpha=0.25)

    fractions = [100 * r["decode_tps"] / (gb_s * 1e3 / r["read_mb_per_token"]) for r in rows]
    bars = ax_frac.barh([r["backend"] for r in rows], fractions, color=[runtime_color(r["runtime"]) for r in rows])
    ax_frac.bar_label(bars, labels=[f"{f:.0f}%" for f in fractions], padding=3, fontsize=9)
    ax_frac.axvline(100, color="black", lw=1)
    ax_frac.set_xlim(0, max(110, max(fractions) * 1.15))
    ax_frac.invert_yaxis()
    ax_frac.set_xlabel("% of the roofline reached")
    ax_frac.set_title("Fraction of the ceiling", fontsize=11)
    ax_frac.grid(axis="x", alpha=0.3)
    heading = f"Decoding is memory-bound: the roofline of this machine (read {gb_s:.1f} GB/s, NumPy)"
    fig.suptitle(title or heading, fontsize=12)
    fig.tight_layout()
    return fig


def plot_quantization(tradeoff: Any, title: str | None = None) -> Any:
    """Three panels for the quantization trade-off: size on disk, decode speed, answers that match the reference.

    Args:
        tradeoff: A :class:`helpers.bench.QuantizationTradeoff` (or its ``rows``).
        title: Figure title.

    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    rows: Sequence[dict[str, Any]] = _rows(tradeoff)
    if not rows:
        raise ValueError("Nothing to plot: the trade-off has no rows.")
    labels = [r["precision"] for r in rows]
    reference = rows[0].get("reference", labels[0])
    palette = ["#1b9e77", "#66a61e", "#e6ab02", "#a6761d", "#666666"]
    colors = [palette[i % len(palette)] for i in range(len(rows))]
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.8))
    for ax, (key, unit, heading, fmt) in zip(
        axes[:2],
        (("weight_mb", "MB", "Size of the weights", "{:.0f} MB"), ("decode_tps", "tokens/s", "Decode speed", "{:.1f}")),
        strict=True,
    ):
        values = [r[key] if _finite(r.get(key)) else 0.0 for r in rows]
        bars = ax.bar(labels, values, color=colors)
        ax.bar_label(bars, labels=[fmt.format(v) for v in values], padding=3, fontsize=9)
        ax.set_ylabel(unit)
        ax.set_title(heading, fontsize=11)
        ax.set_ylim(0, max(values) * 1.2 or 1)
        ax.grid(axis="y", alpha=0.3)
    ax = axes[2]
    positions = list(range(len(rows)))
    width = 0.38
    for offset, key, hatch in ((-width / 2, "agree_exact", ""), (width / 2, "agree_prefix", "//")):
        values = [100 * r[key] if _finite(r.get(key)) else 0.0 for r in rows]
        bars = ax.bar([p + offset for p in positions], values, width, color=colors, hatch=hatch, edgecolor="white")
        ax.bar_label(bars, labels=[f"{v:.0f}%" for v in values], padding=2, fontsize=8)
    ax.set_xticks(positions, labels)
    ax.set_ylim(0, 140)
    ax.set_ylabel("% (over the prompt set)")
    ax.set_title(f"Greedy answers vs {reference}", fontsize=11)
    handles = [Patch(facecolor="#999999", edgecolor="white", hatch=h, label=n)
               for h, n in (("", "identical answer"), ("//", "words shared before they differ"))]
    ax.legend(handles=handles, loc="upper right", fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    model = next((r.get("model") for r in rows if r.get("model")), "")
    heading = f"Quantization trade-off{' - ' + model if model else ''}: smaller and faster, but the answers drift"
    fig.suptitle(title or heading, fontsize=12)
    fig.tight_layout()
    return fig
