"""The memory roofline: measured decode speed against the ceiling memory bandwidth sets (notebook 10)."""

from __future__ import annotations

from typing import Any

from helpers.plots.common import finite, rows_of, runtime_color

__all__ = ["plot_roofline"]


def plot_roofline(result: Any, bandwidth: Any = None, title: str | None = None) -> Any:
    """Plot the memory roofline: measured decode speed against the ceiling set by memory bandwidth.

    Introduced in notebook 10.

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
    rows = [r for r in rows_of(result) if finite(r.get("read_mb_per_token")) and finite(r.get("decode_tps"))]
    if not rows:
        raise ValueError("No local backend with known weight bytes to place under the roofline.")
    gb_s = bandwidth.read_gb_s
    fig, (ax, ax_frac) = plt.subplots(1, 2, figsize=(12, 4.6), gridspec_kw={"width_ratios": [1.6, 1]})

    sizes = [r["read_mb_per_token"] for r in rows]
    x = np.geomspace(min(sizes) / 3, max(sizes) * 3, 100)
    ax.plot(x, gb_s * 1e3 / x, color="black", lw=1.5, label=f"ceiling: {gb_s:.1f} GB/s / MB read per token")
    ax.fill_between(x, gb_s * 1e3 / x, x * 0 + 1e5, color="grey", alpha=0.12, label="unreachable")
    # a backend run on fewer threads than all cores has a lower ceiling: the bandwidth measured at its thread count
    for row_gb_s in sorted({r["bandwidth_gb_s"] for r in rows if finite(r.get("bandwidth_gb_s"))} - {gb_s}):
        ax.plot(x, row_gb_s * 1e3 / x, color="black", lw=1, ls="--",
                label=f"ceiling at fewer threads: {row_gb_s:.1f} GB/s")
    for r in rows:
        mb, tps = r["read_mb_per_token"], r["decode_tps"]
        ceiling = _ceiling(r, gb_s)
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

    fractions = [100 * r["decode_tps"] / _ceiling(r, gb_s) for r in rows]
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


def _ceiling(row: dict[str, Any], gb_s: float) -> float:
    """The row's ceiling in tokens/s: at its own thread count's bandwidth when known, else at ``gb_s``."""
    return row["ceiling_tps"] if finite(row.get("ceiling_tps")) else gb_s * 1e3 / row["read_mb_per_token"]
