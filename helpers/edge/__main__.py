"""``python -m helpers.edge``: build the edge environments and models ahead of time (idempotent).

Used by ``python course.py setup --edge`` and ``python course.py test``. A piece that cannot be built is
skipped with one sentence; the exit status is 1 if any was skipped, so CI notices.
"""

from __future__ import annotations

import sys
import time

from helpers.errors import CourseError


def main() -> int:
    """Prepare each edge route; report each as ready or skipped."""
    from helpers.edge.buildenv import ensure_env
    from helpers.edge.olive import prepare_olive
    from helpers.edge.openvino import prepare_openvino

    steps = {
        "OpenVINO int4 export": prepare_openvino,
        "Olive int4 build": prepare_olive,
        "Foundry Local environment": lambda: ensure_env("foundry-local"),
    }
    from concurrent.futures import ThreadPoolExecutor, as_completed

    def timed(step):
        start = time.perf_counter()
        return step(), time.perf_counter() - start

    failed = 0
    # at once: one piece's download and install overlap another's export; each environment is its own folder,
    # and uv locks its shared cache
    with ThreadPoolExecutor(max_workers=len(steps)) as pool:
        futures = {pool.submit(timed, step): name for name, step in steps.items()}
        for future in as_completed(futures):
            name = futures[future]
            try:
                where, seconds = future.result()
                print(f"[edge] {name}: ready ({seconds:.0f} s) {where}", flush=True)
            except CourseError as exc:
                failed += 1
                print(f"[edge] {name}: skipped. {exc}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
