"""The quantization trade-off: size, speed and agreement with the reference precision (notebook 10)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from helpers.plots.common import finite, rows_of

__all__ = ["plot_quantization"]


def plot_quantization(tradeoff: Any, title: str | None = None) -> Any:
    """Three panels for the quantization trade-off: size on disk, decode speed, answers that match the reference.

    Introduced in notebook 10.

    Args:
        tradeoff: A :class:`helpers.bench.QuantizationTradeoff` (or its ``rows``).
        title: Figure title.

    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    rows: Sequence[dict[str, Any]] = rows_of(tradeoff)
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
        values = [r[key] if finite(r.get(key)) else 0.0 for r in rows]
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
        values = [100 * r[key] if finite(r.get(key)) else 0.0 for r in rows]
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
