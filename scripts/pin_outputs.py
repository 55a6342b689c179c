#!/usr/bin/env python3
"""Execute notebooks and record the expected output of their pinned cells; all outputs stay stripped.

A cell whose source starts with ``# NBVAL_CHECK_OUTPUT`` is compared by nbval against its expected output. That output
is kept in the cell's metadata (``"pinned_outputs"``), never in ``outputs``, so notebooks are committed clean and
nbstripout leaves it alone; the root ``conftest.py`` hands it to nbval at collection time.

    python scripts/pin_outputs.py notebooks/03-local-transformers.ipynb [more.ipynb ...]

Run it after changing a pinned cell, review the diff, and commit the notebook.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

MARK = "# NBVAL_CHECK_OUTPUT"


def pin(path: Path) -> int:
    nb = nbformat.read(path, as_version=4)
    executed = nbformat.read(path, as_version=4)
    resources = {"metadata": {"path": str(path.parent)}}
    NotebookClient(executed, timeout=600, kernel_name="python3", resources=resources).execute()
    pinned = 0
    for cell, ran in zip(nb.cells, executed.cells, strict=True):
        if cell.cell_type != "code":
            continue
        cell.execution_count = None
        cell.outputs = []
        cell.metadata.pop("keep_output", None)
        if cell.source.startswith(MARK):
            cell.metadata["pinned_outputs"] = [
                {k: v for k, v in out.items() if k != "execution_count"} for out in ran.outputs
            ]
            pinned += 1
        else:
            cell.metadata.pop("pinned_outputs", None)
    nbformat.write(nb, path)
    return pinned


def main() -> None:
    os.environ.setdefault("TQDM_DISABLE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    for name in sys.argv[1:]:
        print(f"{name}: {pin(Path(name))} pinned cell(s)")


if __name__ == "__main__":
    main()
