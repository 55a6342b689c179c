"""Figures, one module per kind: each function takes what a helper returns and gives back matplotlib objects.

| module | figures |
|---|---|
| ``benchmark`` | :func:`plot_benchmark`: decode speed and first-token time per backend (notebook 10) |
| ``roofline`` | :func:`plot_roofline`: measured speed under the memory-bandwidth ceiling (notebook 10) |
| ``quantization`` | :func:`plot_quantization`: size, speed, answer agreement per precision (notebook 10) |
| ``moe`` | parameter bars, router heatmap, expert map, MoE-vs-dense speed (notebook 09) |

Colours follow the runtime (:func:`runtime_color`), so a backend looks the same in every plot.
"""

from helpers.plots.benchmark import plot_benchmark
from helpers.plots.common import runtime_color
from helpers.plots.moe import plot_expert_map, plot_moe_benchmark, plot_param_counts, plot_router_heatmap
from helpers.plots.quantization import plot_quantization
from helpers.plots.roofline import plot_roofline

__all__ = [
    "plot_benchmark",
    "plot_expert_map",
    "plot_moe_benchmark",
    "plot_param_counts",
    "plot_quantization",
    "plot_roofline",
    "plot_router_heatmap",
    "runtime_color",
]
