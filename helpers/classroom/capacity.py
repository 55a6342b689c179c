"""Memory arithmetic for a class: the shared server's KV cache per slot, and how many learners fit a machine.

``python -m helpers.classroom.capacity`` reads the course model's shape from its GGUF file (layers, key/value
heads, head size) and prints the server's memory for a few slot counts, and learners per machine size, using
the per-learner figures the course measured (see ``docs/instructors.md``).
"""

from __future__ import annotations

import argparse
import math
from dataclasses import dataclass
from pathlib import Path

from helpers.i18n import _

__all__ = ["ModelShape", "kv_bytes_per_token", "model_shape", "server_bytes"]


@dataclass(frozen=True)
class ModelShape:
    """What the KV cache size depends on."""

    layers: int
    kv_heads: int
    head_dim: int
    file_bytes: int


def model_shape(gguf: Path | None = None) -> ModelShape:
    """The shape of a llama-architecture GGUF model (default: the course's SmolLM2-135M-Instruct Q4_1)."""
    from gguf import GGUFReader

    from helpers.models import default_gguf_path

    path = Path(gguf or default_gguf_path())
    reader = GGUFReader(str(path))

    def value(key: str) -> int:
        field = reader.fields[key]
        return int(field.parts[field.data[0]][0])

    arch = bytes(reader.fields["general.architecture"].parts[-1]).decode()
    heads = value(f"{arch}.attention.head_count")
    return ModelShape(layers=value(f"{arch}.block_count"), kv_heads=value(f"{arch}.attention.head_count_kv"),
                      head_dim=value(f"{arch}.embedding_length") // heads, file_bytes=path.stat().st_size)


def kv_bytes_per_token(shape: ModelShape, bytes_per_value: int = 2) -> int:
    """Key and value vectors of every layer for one token (f16 by default, llama.cpp's default cache type).

    Example:
        >>> kv_bytes_per_token(ModelShape(layers=30, kv_heads=3, head_dim=64, file_bytes=0))
        23040

    """
    return 2 * shape.layers * shape.kv_heads * shape.head_dim * bytes_per_value


def server_bytes(shape: ModelShape, slots: int, ctx_per_slot: int) -> int:
    """Weights plus a full KV cache for ``slots`` slots of ``ctx_per_slot`` tokens (runtime overhead not included)."""
    return shape.file_bytes + slots * ctx_per_slot * kv_bytes_per_token(shape)


def main(argv: list[str] | None = None) -> None:
    """Print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ctx-per-slot", type=int, default=2048)
    parser.add_argument("--learner-gb", type=float, default=1.5, help="peak memory of one learner's notebook kernel "
                        "plus Jupyter server (measured 0.45-1.41 GB per notebook; default 1.5)")
    args = parser.parse_args(argv)
    shape = model_shape()
    per_token = kv_bytes_per_token(shape)
    print(_("Model: {layers} layers, {kv_heads} KV heads x {head_dim}, GGUF {file_mb:.0f} MB; "
            "KV cache {kib:.1f} KiB per token (f16)").format(
        layers=shape.layers, kv_heads=shape.kv_heads, head_dim=shape.head_dim, file_mb=shape.file_bytes / 1e6,
        kib=per_token / 1024))
    print(f"{'slots':>5} {'ctx/slot':>8} {'KV cache MB':>11} {'server MB':>9}")
    for slots in (1, 4, 8, 16, 32, 64):
        kv, total = slots * args.ctx_per_slot * per_token, server_bytes(shape, slots, args.ctx_per_slot)
        print(f"{slots:5d} {args.ctx_per_slot:8d} {kv / 1e6:11.0f} {total / 1e6:9.0f}")
    print("\n" + _(
        "Learners per machine at {learner_gb} GB each, with a 16-slot server and 2 GB for the system:"
    ).format(learner_gb=args.learner_gb))
    server_gb = server_bytes(shape, 16, args.ctx_per_slot) / 1e9
    for machine_gb in (16, 32, 64, 128, 256):
        fit = math.floor((machine_gb - 2 - server_gb) / args.learner_gb)
        print("  " + _("{machine_gb:4d} GB machine: {fit} learners").format(machine_gb=machine_gb, fit=fit))


if __name__ == "__main__":
    main()
