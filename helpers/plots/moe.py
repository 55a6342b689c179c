"""Figures of notebook 09: where a Mixture of Experts keeps its parameters, how it routes tokens, how fast it runs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from helpers.moe.params import ParamCount
    from helpers.moe.routing import RouterTrace

__all__ = ["plot_expert_map", "plot_moe_benchmark", "plot_param_counts", "plot_router_heatmap"]


def _token_labels(tokens: Sequence[str]) -> list[str]:
    return [repr(t)[1:-1] if t.strip() else repr(t) for t in tokens]


def plot_router_heatmap(trace: RouterTrace, layer: int, ax: Any = None) -> Any:
    """Heatmap of one layer's router: experts down, tokens across; dots mark the ``top_k`` chosen experts.

    Introduced in notebook 09.
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(max(6, 0.45 * len(trace.tokens)), 2.8))
    image = ax.imshow(trace.probs[layer].T, aspect="auto", cmap="Blues", vmin=0, vmax=1)
    for t, experts in enumerate(trace.chosen[layer]):
        for rank, e in enumerate(experts):
            ax.plot(t, e, "o" if rank == 0 else ".", color="darkorange", markersize=7 if rank == 0 else 6)
    ax.set_xticks(range(len(trace.tokens)), _token_labels(trace.tokens), rotation=60, ha="right", fontsize=8)
    ax.set_yticks(range(trace.num_experts), [f"expert {e}" for e in range(trace.num_experts)])
    ax.set_title(f"Layer {layer}: router probability per token (orange: the experts that run, big dot = first)")
    ax.figure.colorbar(image, ax=ax, fraction=0.02, pad=0.01)
    return ax


def plot_expert_map(trace: RouterTrace, ax: Any = None) -> Any:
    """Every layer's first-choice expert for every token: layers down, tokens across, one colour per expert.

    Introduced in notebook 09.
    """
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap

    if ax is None:
        _, ax = plt.subplots(figsize=(max(6, 0.45 * len(trace.tokens)), 5))
    colours = ListedColormap(plt.get_cmap("tab10").colors[: trace.num_experts])
    image = ax.imshow(trace.chosen[:, :, 0], aspect="auto", cmap=colours, vmin=-0.5, vmax=trace.num_experts - 0.5)
    ax.set_xticks(range(len(trace.tokens)), _token_labels(trace.tokens), rotation=60, ha="right", fontsize=8)
    ax.set_ylabel("layer")
    ax.set_title("First-choice expert of every token in every layer")
    bar = ax.figure.colorbar(image, ax=ax, ticks=range(trace.num_experts), fraction=0.03, pad=0.01)
    bar.set_label("expert")
    return ax


def plot_param_counts(counts: Sequence[ParamCount], axes: Any = None) -> Any:
    """For each model, two stacked bars: all parameters (memory) and the ones a token uses (compute).

    Introduced in notebook 09.
    """
    import matplotlib.pyplot as plt

    if axes is None:
        _, axes = plt.subplots(1, len(counts), figsize=(4.2 * len(counts), 3.6), squeeze=False)
        axes = axes[0]
    parts = [("embeddings", "tab:gray"), ("attention", "tab:blue"), ("active experts", "tab:green"),
             ("idle experts", "tab:olive"), ("router + norms", "tab:red")]
    for ax, c in zip(axes, counts, strict=True):
        unit, scale = ("B", 1e9) if c.total >= 1e9 else ("M", 1e6)
        values = {
            "embeddings": (c.embeddings, c.embeddings),
            "attention": (c.attention, c.attention),
            "active experts": (c.mlp_active, c.mlp_active),
            "idle experts": (c.mlp - c.mlp_active, 0),
            "router + norms": (c.router + c.other, c.router + c.other),
        }
        bottom = [0.0, 0.0]
        for part, colour in parts:
            heights = [v / scale for v in values[part]]
            ax.bar(["total\n(memory)", "active\n(compute)"], heights, bottom=bottom, color=colour, label=part)
            bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
        for x, y in enumerate(bottom):
            ax.text(x, y, f"{y:.2f}{unit}" if unit == "B" else f"{y:.0f}{unit}", ha="center", va="bottom")
        ax.set_title(c.name)
        ax.set_ylabel(f"parameters ({'billions' if unit == 'B' else 'millions'})")
        ax.set_ylim(0, bottom[0] * 1.15)
    axes[0].legend(loc="upper right", fontsize=8)  # above the short "active" bar, where there is room
    return axes


def plot_moe_benchmark(rows: Sequence[dict[str, Any]], axes: Any = None) -> Any:
    """Three panels from :func:`benchmark` rows: parameters (total and active), weight memory, decode speed.

    Introduced in notebook 09.
    """
    import matplotlib.pyplot as plt
    import numpy as np

    if axes is None:
        _, axes = plt.subplots(1, 3, figsize=(13, 3.6))
    names = [r["model"] for r in rows]
    x = np.arange(len(rows))
    panels = [
        (axes[0], [r["total_params_m"] for r in rows], "total", "tab:olive", -0.2, "{:.0f}M"),
        (axes[0], [r["active_params_m"] for r in rows], "active per token", "tab:green", 0.2, "{:.0f}M"),
        (axes[1], [r["weights_mb"] for r in rows], None, "tab:purple", 0, "{:.0f} MB"),
        (axes[2], [r["decode_tokens_per_s"] for r in rows], None, "tab:blue", 0, "{:.1f}"),
    ]
    for ax, values, label, colour, shift, fmt in panels:
        bars = ax.bar(x + shift, values, 0.4 if shift else 0.6, label=label, color=colour)
        ax.bar_label(bars, [fmt.format(v) for v in values], fontsize=8)
    axes[0].legend(fontsize=8, loc="upper left")
    labels = ("parameters (millions)", "weights in memory (MB)", "decode speed (tokens/s)")
    titles = ("Parameters: total and active", "Memory for the weights", "Generation speed")
    for ax, label, title in zip(axes, labels, titles, strict=True):
        ax.set_xticks(x, names)
        ax.set_ylabel(label)
        ax.set_title(title)
        ax.margins(y=0.15)
    return axes
