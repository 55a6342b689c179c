"""The load test's report: a text table and a PNG plot of each class size's results (see :mod:`loadtest`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from helpers.classroom.loadtest import LevelResult

__all__ = ["plot", "table"]


def table(results: list[LevelResult]) -> str:
    """The results as a fixed-width text table (one row per class size)."""
    base = results[0].aggregate_tok_s if results and results[0].aggregate_tok_s else None
    head = (f"{'learners':>8} {'requests':>8} {'ok':>4} {'failed':>6} {'lost':>4} {'429s':>5} {'tokens':>7} "
            f"{'agg tok/s':>9} {'x one':>6} {'TTFT p50':>9} {'TTFT p95':>9} {'wall s':>7}"
            + (f" {'server MB':>8}" if results and results[0].server_rss_mb else ""))
    rows = [head]
    for r in results:
        p50, p95 = (f"{v:.2f} s" if v is not None else "-" for v in (r.ttft(50), r.ttft(95)))
        speedup = f"{r.aggregate_tok_s / base:.1f}x" if base else "-"
        rows.append(f"{r.learners:8d} {len(r.requests):8d} {r.ok:4d} {r.failed:6d} {r.lost:4d} {r.answers_429:5d} "
                    f"{r.tokens:7d} {r.aggregate_tok_s:9.1f} {speedup:>6} "
                    f"{p50:>9} {p95:>9} "
                    f"{r.wall_s:7.1f}" + (f" {r.server_rss_mb:8.0f}" if r.server_rss_mb else ""))
    return "\n".join(rows)


def plot(results: list[LevelResult], path: Path, title: str) -> Path:
    """Aggregate tokens/s and TTFT p50/p95 against class size, side by side, saved as PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = [r.learners for r in results]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6))
    left.plot(sizes, [r.aggregate_tok_s for r in results], "o-", label="aggregate (all learners)")
    left.plot(sizes, [r.aggregate_tok_s / r.learners for r in results], "s--", label="per learner")
    left.set_xlabel("learners at once")
    left.set_ylabel("decode tokens/s")
    left.set_xscale("log", base=2)
    left.set_xticks(sizes, [str(s) for s in sizes])
    left.legend(fontsize=8)
    left.set_title("Throughput")
    for q, style in ((50, "o-"), (95, "s--")):
        right.plot(sizes, [r.ttft(q) or 0 for r in results], style, label=f"p{q}")
    right.set_xscale("log", base=2)
    right.set_xticks(sizes, [str(s) for s in sizes])
    right.set_xlabel("learners at once")
    right.set_ylabel("seconds")
    right.set_title("Time to first token")
    right.legend(fontsize=8)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
