"""``python -m helpers.models [int4 int8 fp32]``: prepare the default model ahead of time."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from helpers.cli import run
from helpers.models.prepare import prepare_default_model
from helpers.models.registry import ONNX_PRECISIONS, folder_mb


def main(argv: Sequence[str] | None = None) -> None:
    """Prepare the default model's Transformers folder and the ONNX builds asked for; print their sizes."""
    parser = argparse.ArgumentParser(prog="python -m helpers.models", description=main.__doc__)
    builds = ", ".join(ONNX_PRECISIONS)
    parser.add_argument("precisions", nargs="*", help=f"ONNX Runtime GenAI builds to make: {builds} (default: int4)")
    folders = prepare_default_model(onnx=tuple(parser.parse_args(argv).precisions or ["int4"]))
    for key, folder in folders.items():
        print(f"{key:10s} {folder_mb(folder):7.0f} MB  {folder}", flush=True)


if __name__ == "__main__":
    raise SystemExit(run(main))
