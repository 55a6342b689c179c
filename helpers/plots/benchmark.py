"""Speed per backend: decode tokens/s and time to first token, side by side (notebook 10)."""

from __future__ import annotations

from typing import Any

from helpers.plots.common import finite, label, rows_of, runtime_color

__all__ = ["plot_benchmark"]


def plot_benchmark(result: Any, title: str | None = None) -> Any:
    """Two bar charts side by side: decode tokens/s and time to first token, per backend.

    Introduced in notebook 10.

    Bars are medians; the black whiskers span the middle half of the runs (25th to 75th percentile).

    Args:
        result: A :class:`helpers.bench.BenchmarkResult` or its ``summary()`` rows.
        title: Figure title (default: the model and the settings).

    """
    import matplotlib.pyplot as plt

    rows = rows_of(result)
    if not rows:
        raise ValueError("Nothing to plot: the benchmark has no runs.")
    labels = [label(r) for r in rows]
    colors = [runtime_color(r["runtime"]) for r in rows]
    fig, (ax_speed, ax_ttft) = plt.subplots(1, 2, figsize=(11, 4.2))
    for ax, key, unit, heading in (
        (ax_speed, "decode_tps", "tokens/s", "Decode speed (higher is better)"),
        (ax_ttft, "ttft_s", "seconds", "Time to first token (lower is better)"),
    ):
        values = [r[key] if finite(r[key]) else 0.0 for r in rows]
        pairs = list(zip(values, rows, strict=True))
        low = [max(v - r[f"{key}_p25"], 0) if finite(r.get(f"{key}_p25")) else 0 for v, r in pairs]
        high = [max(r[f"{key}_p75"] - v, 0) if finite(r.get(f"{key}_p75")) else 0 for v, r in pairs]
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
