"""``python -m helpers.moe [--benchmark] [--experts N] [--top-k K] [--noise X] [--dtype D]``: build, then compare."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from helpers.models import folder_mb
from helpers.moe.benchmark import benchmark
from helpers.moe.build import MoEBuild, prepare_moe
from helpers.moe.params import phi35_moe_param_count

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> None:
    """Build the upcycled MoE and its dense twin into the cache, print their sizes, and optionally time them.

    Introduced in notebook 09.
    """
    parser = argparse.ArgumentParser(prog="python -m helpers.moe", description=main.__doc__)
    parser.add_argument("--benchmark", action="store_true", help="also time the MoE against its dense twin")
    parser.add_argument("--experts", type=int, default=MoEBuild.num_experts)
    parser.add_argument("--top-k", type=int, default=MoEBuild.top_k)
    parser.add_argument("--noise", type=float, default=MoEBuild.noise)
    parser.add_argument("--dtype", default=MoEBuild.dtype, choices=["bfloat16", "float32"])
    parser.add_argument("--tokens", type=int, default=48, help="new tokens per benchmark prompt")
    args = parser.parse_args(argv)
    build = MoEBuild(num_experts=args.experts, top_k=args.top_k, noise=args.noise, dtype=args.dtype)
    folders = prepare_moe(build)
    for key, folder in folders.items():
        print(f"{key:6s} {folder_mb(folder):6.0f} MB  {folder}")
    if args.benchmark:  # the reference belongs to the comparison, not to a set-up's output
        print(f"Reference: {phi35_moe_param_count()}")
        benchmark(folders, max_new_tokens=args.tokens)
