"""The result of a benchmark: every run, its summary as a table, and the files it is saved to under ``results/``."""

from __future__ import annotations

import csv
import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from helpers.bench.roofline import Bandwidth
from helpers.bench.stats import fmt, machine_info, summarize
from helpers.env import REPO_ROOT, get_env
from helpers.errors import CourseError
from helpers.i18n import _

__all__ = ["RESULTS_DIR", "BenchmarkResult", "results_dir"]

RESULTS_DIR = REPO_ROOT / "results"


def results_dir() -> Path:
    """Where benchmark results are saved: ``$SLM_LAB_RESULTS_DIR``, else ``results/`` (git-ignored).

    The tests set the variable to a temporary folder, so running them leaves nothing in ``results/``.
    Introduced in notebook 10.
    """
    folder = get_env("SLM_LAB_RESULTS_DIR")
    return Path(folder).expanduser() if folder else RESULTS_DIR


@dataclass
class BenchmarkResult:
    """Every run of a benchmark, what it ran on, and how to summarize, print and save it.

    Introduced in notebook 10.
    """

    runs: list[dict[str, Any]]
    settings: dict[str, Any]
    bandwidth: Bandwidth | None = None
    machine: dict[str, Any] = field(default_factory=machine_info)
    skipped: dict[str, str] = field(default_factory=dict)
    created: str = field(default_factory=lambda: time.strftime("%Y-%m-%dT%H:%M:%S"))

    def summary(self) -> list[dict[str, Any]]:
        """One row per backend (see :func:`summarize`)."""
        return summarize(self.runs, self.bandwidth)

    def row(self, backend: str) -> dict[str, Any]:
        """Return the summary row of one backend; a prefix such as ``"llama.cpp"`` is enough."""
        for row in self.summary():
            if row["backend"] == backend or row["backend"].startswith(backend):
                return row
        ran = ", ".join(r["backend"] for r in self.summary()) or "none"
        raise CourseError(_(
            "No benchmark runs for {backend!r} (this result has: {ran}): include it in the backends."
        ).format(backend=backend, ran=ran))

    def speedup(self, fast: str, slow: str) -> float:
        """How many times faster ``fast`` decodes than ``slow`` (ratio of median decode tokens/s)."""
        return self.row(fast)["decode_tps"] / self.row(slow)["decode_tps"]

    def table(self) -> str:
        """Format the summary as a fixed-width text table."""
        header = (
            f"{'backend':20s} {'threads':>7s} {'decode tok/s (IQR)':>19s} {'first token':>12s} {'total':>8s} "
            f"{'weights':>9s} {'read/token':>10s} {'ceiling':>8s} {'all cores':>9s} {'of ceiling':>10s} "
            f"{'RAM added':>9s}"
        )
        lines = [header, "-" * len(header)]
        for r in self.summary():
            iqr = f"{fmt(r['decode_tps_p25'], '.0f')}-{fmt(r['decode_tps_p75'], '.0f')}"
            spread = f"{fmt(r['decode_tps'], '.1f')} ({iqr})"
            lines.append(
                f"{r['backend']:20s} {r.get('threads', '')!s:>7s} {spread:>19s} {fmt(r['ttft_s'], '.3f', ' s'):>12s} "
                f"{fmt(r['total_s'], '.2f', ' s'):>8s} {fmt(r['weight_mb'], '.0f', ' MB'):>9s} "
                f"{fmt(r['read_mb_per_token'], '.0f', ' MB'):>10s} {fmt(r['ceiling_tps'], '.0f'):>8s} "
                f"{fmt(r['ceiling_all_cores_tps'], '.0f'):>9s} "
                f"{fmt(100 * r['roofline_fraction'], '.0f', ' %'):>10s} {fmt(r['added_rss_mb'], '.0f', ' MB'):>9s}"
            )
        for name, why in self.skipped.items():
            lines.append(f"{name:20s} skipped: {why}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "machine": self.machine,
            "settings": self.settings,
            "bandwidth": asdict(self.bandwidth) if self.bandwidth else None,
            "skipped": self.skipped,
            "summary": self.summary(),
            "runs": self.runs,
        }

    def save(self, folder: Path | str | None = None, stem: str | None = None) -> dict[str, Path]:
        """Write ``<stem>.json`` (everything) and ``<stem>.csv`` (one line per run) under :func:`results_dir`.

        The file names carry the host name and time, so results from several machines can sit side by side.
        """
        folder = Path(folder) if folder else results_dir()
        folder.mkdir(parents=True, exist_ok=True)
        stem = stem or f"bench-{self.machine.get('host', 'host')}-{self.created.replace(':', '')}"
        paths = {"json": folder / f"{stem}.json", "csv": folder / f"{stem}.csv"}
        paths["json"].write_text(json.dumps(self.to_dict(), indent=2, default=str), encoding="utf-8")
        with paths["csv"].open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(self.runs[0]) if self.runs else ["backend"])
            writer.writeheader()
            writer.writerows(self.runs)
        return paths

    @classmethod
    def load(cls, path: Path | str) -> BenchmarkResult:
        """Read a result saved by :meth:`save` (the ``.json`` file), e.g. from another machine."""
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
            bandwidth = Bandwidth(**data["bandwidth"]) if data.get("bandwidth") else None
            return cls(
                data["runs"], data["settings"], bandwidth, data["machine"], data.get("skipped", {}), data["created"]
            )
        except (OSError, KeyError, TypeError, json.JSONDecodeError) as exc:
            raise CourseError(_(
                "{path} is not a saved benchmark result ({kind}): pick a results/*.json file."
            ).format(path=path, kind=exc.__class__.__name__)) from None
