#!/usr/bin/env python3
"""Run notebooks one at a time and print each one's wall time and the kernel's peak memory.

The course promises that every notebook finishes in under 90 s and 2 GB (Binder's limit) on a 2-core CPU machine.
This measures it; it is a report, not a test.

    python scripts/notebook_report.py                      # every notebook and lab solution
    python scripts/notebook_report.py notebooks/03-*.ipynb # some of them
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from pathlib import Path

import nbformat
import psutil
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
LIMIT_S, LIMIT_MB = 90, 2048


def tree_rss(pid: int) -> int:
    try:
        proc = psutil.Process(pid)
        procs = [proc, *proc.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    total = 0
    for p in procs:
        with contextlib.suppress(psutil.NoSuchProcess):
            total += p.memory_info().rss
    return total


def run(path: Path) -> tuple[float, float, str]:
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}})
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.wait(0.05):
            km = client.km
            pid = getattr(getattr(km, "provisioner", None), "pid", None) if km else None
            if pid:
                peak = max(peak, tree_rss(pid))

    watcher = threading.Thread(target=sample, daemon=True)
    watcher.start()
    start = time.perf_counter()
    error = ""
    try:
        client.execute()
    except Exception as exc:  # report and go on to the next notebook
        error = f"{type(exc).__name__}: {str(exc).strip().splitlines()[-1][:120]}"
    elapsed = time.perf_counter() - start
    done.set()
    watcher.join()
    return elapsed, peak / 2**20, error


def main() -> None:
    for key, value in {"TQDM_DISABLE": "1", "HF_HUB_DISABLE_PROGRESS_BARS": "1", "HF_HUB_OFFLINE": "1",
                       "MPLBACKEND": "agg"}.items():
        os.environ.setdefault(key, value)
    everything = sorted(ROOT.glob("notebooks/*.ipynb")) + sorted(ROOT.glob("labs/*/solution.ipynb"))
    paths = [Path(p) for p in sys.argv[1:]] or everything
    print(f"{'notebook':58s} {'time':>8s} {'peak RAM':>10s}")
    total = 0.0
    for path in paths:
        elapsed, peak_mb, error = run(path.resolve())
        total += elapsed
        flag = "  OVER LIMIT" if elapsed > LIMIT_S or peak_mb > LIMIT_MB else ""
        name = str(path.resolve().relative_to(ROOT))
        print(f"{name:58s} {elapsed:7.1f}s {peak_mb:8.0f} MB{flag}{'  ' + error if error else ''}", flush=True)
    print(f"{'total':58s} {total:7.1f}s")


if __name__ == "__main__":
    main()
