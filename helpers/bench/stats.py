"""Summarize benchmark runs: medians, spreads and the roofline fraction per backend; the machine they ran on."""

from __future__ import annotations

import math
import os
import platform
import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from helpers.bench.roofline import Bandwidth

__all__ = ["fmt", "machine_info", "summarize"]


def machine_info() -> dict[str, Any]:
    """Describe this machine for a saved result: host, OS, CPU model, cores, RAM, Python.

    Introduced in notebook 10.
    """
    import psutil

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "host": platform.node(),
        "os": f"{platform.system()} {platform.release()}",
        "cpu": cpu,
        "cpu_cores": os.cpu_count(),
        "ram_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
    }


def _nan_stats(values: Sequence[float]) -> tuple[float, float, float]:
    """Median, 25th and 75th percentile of the finite values (NaN when there are none)."""
    finite = sorted(v for v in values if v is not None and math.isfinite(v))
    if not finite:
        return (float("nan"),) * 3
    if len(finite) == 1:
        return (finite[0],) * 3
    q1, _, q3 = statistics.quantiles(finite, n=4, method="inclusive")
    return statistics.median(finite), q1, q3


_DESCRIBE = ("backend", "runtime", "precision", "kind", "model", "device", "threads")


def summarize(runs: Sequence[dict[str, Any]], bandwidth: Bandwidth | None = None) -> list[dict[str, Any]]:
    """One row per backend: medians and interquartile spread of the runs, plus the roofline.

    Introduced in notebook 10.

    Decode speed needs at least two generated tokens; runs with fewer are left out of it. With a
    ``bandwidth``, each row gets ``ceiling_tps`` and ``roofline_fraction`` (median decode / ceiling), both at
    the bandwidth measured for the row's thread count (``bandwidth_gb_s``), and ``ceiling_all_cores_tps``.

    Example:
        >>> rows = summarize([{"backend": "x", "decode_tokens_per_s": s, "ttft_s": 0.1, "total_s": 1.0,
        ...                    "new_tokens": 9, "peak_rss_mb": 100.0, "read_mb_per_token": 50.0}
        ...                   for s in (10.0, 20.0, 30.0)], Bandwidth(5.0, 9.0, 1, 16))
        >>> rows[0]["decode_tps"], rows[0]["ceiling_tps"], rows[0]["roofline_fraction"]
        (20.0, 100.0, 0.2)

    """
    order: dict[str, list[dict[str, Any]]] = {}
    for run in runs:
        order.setdefault(run["backend"], []).append(run)
    rows = []
    for group in order.values():
        first = group[0]
        decode = [r["decode_tokens_per_s"] if r["new_tokens"] >= 2 else float("nan") for r in group]
        d_med, d_q1, d_q3 = _nan_stats(decode)
        t_med, t_q1, t_q3 = _nan_stats([r["ttft_s"] for r in group])
        total_med, _, _ = _nan_stats([r["total_s"] for r in group])
        peaks = [r["peak_rss_mb"] for r in group if math.isfinite(r.get("peak_rss_mb", float("nan")))]
        before = first.get("rss_before_load_mb", float("nan"))
        row = {key: first.get(key, "") for key in _DESCRIBE}
        row.update(
            runs=len(group),
            new_tokens=statistics.median(r["new_tokens"] for r in group),
            decode_tps=d_med,
            decode_tps_p25=d_q1,
            decode_tps_p75=d_q3,
            decode_tps_max=max((v for v in decode if math.isfinite(v)), default=float("nan")),
            ttft_s=t_med,
            ttft_s_p25=t_q1,
            ttft_s_p75=t_q3,
            total_s=total_med,
            peak_rss_mb=max(peaks) if peaks else float("nan"),
            added_rss_mb=max(peaks) - before if peaks and math.isfinite(before) else float("nan"),
            weight_mb=first.get("weight_mb", float("nan")),
            read_mb_per_token=first.get("read_mb_per_token", float("nan")),
        )
        on_cpu = first.get("device", "cpu") == "cpu"  # a GPU reads its own, much faster, memory
        if bandwidth is not None and on_cpu and math.isfinite(row["read_mb_per_token"]):
            threads = first.get("threads") if isinstance(first.get("threads"), int) else None
            row["bandwidth_gb_s"] = bandwidth.read_at(threads)  # at the thread count this backend ran with
            row["ceiling_tps"] = bandwidth.ceiling(row["read_mb_per_token"] * 1e6, threads)
            row["ceiling_all_cores_tps"] = bandwidth.ceiling(row["read_mb_per_token"] * 1e6)
            row["roofline_fraction"] = d_med / row["ceiling_tps"]
        else:
            row["bandwidth_gb_s"] = row["ceiling_tps"] = row["ceiling_all_cores_tps"] = float("nan")
            row["roofline_fraction"] = float("nan")
        rows.append(row)
    return rows


def fmt(value: float, spec: str, unit: str = "") -> str:
    """Format a number with its unit, or a dash when it is unknown (NaN).

    Introduced in notebook 10.
    """
    if isinstance(value, (int, float)) and math.isfinite(value):
        return format(value, spec) + unit
    return "-"
