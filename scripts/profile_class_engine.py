"""Where the class engine spends its CPU time with N learners: ``perf`` samples llama.cpp under the load test.

For each weight format it starts the class server's engine (llama.cpp through xllamacpp, ``N`` slots), sends it the
load test's requests from ``N`` simulated learners (every benchmark prompt once each, as ``course.py bench``), and
samples the engine with ``perf record`` for a few seconds in the middle. It prints, and saves as JSON, the functions
that took the most samples: the matrix kernels show which formats llama.cpp multiplies as a batch.

Needs Linux ``perf`` (Debian: ``apt-get install linux-perf``) and, for a non-root user, ``perf_event_paranoid`` of
2 or less. Used for ``data/classroom/profile-2026-12-01.json`` (``docs/instructors.md``, section 3)::

    python scripts/profile_class_engine.py --weights q4_1,q4_0,q8_0 --threads 2 --learners 8 \
        --out data/classroom/profile-2026-12-01.json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from helpers.classroom.engine import engine_process
from helpers.classroom.formats import converted_gguf
from helpers.classroom.loadtest import run_level
from helpers.errors import CourseError

PERF_LINE = re.compile(r"^\s*([\d.]+)%\s+(\S+)\s+\[\.\]\s+(.+?)\s*$")


def top_functions(report: str, limit: int = 8) -> list[dict[str, object]]:
    """The ``limit`` busiest functions in ``perf report --stdio --sort dso,symbol`` output (share of all samples).

    A function without a symbol (an address) is named by its library: in ``libgomp``, OpenMP's threads waiting.
    """
    rows = []
    for line in report.splitlines():
        match = PERF_LINE.match(line)
        if match:
            library, function = match.group(2), re.split(r"\s{2,}", match.group(3))[0]  # drop perf's padding
            rows.append({"percent": float(match.group(1)), "library": library,
                         "function": f"({library})" if function.startswith("0x") else function})
    return rows[:limit]


def profile(weights: str, threads: int, learners: int, seconds: float, folder: Path) -> dict[str, object]:
    """Run the engine in ``weights`` under ``learners`` learners and sample it for ``seconds``."""
    engine = engine_process(parallel=learners, threads=threads, gguf=converted_gguf(weights), log_dir=folder)
    engine.start(wait=False)
    try:
        engine.wait_until_ready()
        results: list = []

        def learners_load() -> None:
            try:
                results.append(asyncio.run(run_level(engine.base_url, engine.key, engine.model, learners,
                                                     max_tokens=64)))
            except Exception as exc:  # reported below, in one sentence
                results.append(exc)

        load = threading.Thread(target=learners_load)
        load.start()
        time.sleep(2.0)  # past the first prompts, into steady decoding
        data = folder / f"perf-{weights}.data"
        subprocess.run(["perf", "record", "-q", "-F", "499", "-p", str(engine.pid), "-o", str(data), "--", "sleep",
                        str(seconds)], check=True, capture_output=True, text=True)
        load.join()
        report = subprocess.run(["perf", "report", "-i", str(data), "--stdio", "--no-children", "--sort",
                                 "dso,symbol"], check=True, capture_output=True, text=True).stdout
    finally:
        engine.stop()
    level = results[0]
    if isinstance(level, Exception):
        raise CourseError(f"The simulated learners failed ({type(level).__name__}: {level}); see the engine log "
                          f"{engine.log_path}.")
    return {"weights": weights, "threads": threads, "learners": learners, "seconds_sampled": seconds,
            "aggregate_tok_s": round(level.aggregate_tok_s, 1), "failed_or_lost": level.failed + level.lost,
            "top_functions": top_functions(report)}


def main(argv: list[str] | None = None) -> None:
    """The command line (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", default="q4_1,q4_0,q8_0", help="formats, comma-separated")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--learners", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=8.0, help="how long perf samples each run")
    parser.add_argument("--out", type=Path, help="JSON file for the results")
    args = parser.parse_args(argv)
    if shutil.which("perf") is None:
        sys.exit("CourseError: perf is not installed: on Debian or Ubuntu run `apt-get install linux-perf`, "
                 "then rerun.")
    runs = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for weights in args.weights.split(","):
                runs.append(profile(weights.strip(), args.threads, args.learners, args.seconds, Path(tmp)))
                print(f"{weights}: {runs[-1]['aggregate_tok_s']} tok/s")
                for row in runs[-1]["top_functions"]:
                    print(f"  {row['percent']:5.1f}%  {row['function'][:100]}")
    except (CourseError, subprocess.CalledProcessError) as err:
        detail = getattr(err, "stderr", "") or ""
        sys.exit(f"CourseError: {err} {detail}".strip())
    if args.out:
        report = {"what": "python scripts/profile_class_engine.py " + " ".join(argv or sys.argv[1:]),
                  "date": time.strftime("%Y-%m-%d"), "machine": f"{os.cpu_count()} cores, "
                  f"load average {os.getloadavg()[0]:.1f} after", "runs": runs}
        args.out.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
        print(f"Saved {args.out}")


if __name__ == "__main__":
    main()
