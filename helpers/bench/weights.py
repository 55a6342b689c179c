"""How many bytes of weights a model has, and how many of them decoding one token reads.

One implementation for every format the course runs: PyTorch modules, ONNX graphs and GGUF files.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from helpers.errors import CourseError
from helpers.i18n import _

__all__ = ["WeightBytes", "gguf_weight_bytes", "onnx_weight_bytes", "torch_weight_bytes"]


@dataclass(frozen=True)
class WeightBytes:
    """How big a model's weights are, and how many of those bytes decoding one token reads.

    Introduced in notebook 10.

    An embedding table is only looked up (one row per token), so it counts in ``total`` but not in
    ``per_token``, unless the same table doubles as the output layer ("tied" embeddings), which
    multiplies the whole table with every new hidden state.
    """

    total: int
    per_token: int

    @property
    def total_mb(self) -> float:
        return self.total / 1e6

    @property
    def per_token_mb(self) -> float:
        return self.per_token / 1e6


_LOOKUP_OPS = {"Gather", "GatherBlockQuantized", "GatherElements", "GatherND"}


def onnx_weight_bytes(folder: Path | str) -> WeightBytes:
    """Bytes of an ONNX Runtime GenAI model's weights, from its graph (weights are not loaded).

    Introduced in notebook 10.

    Initializers used only by lookups (embedding rows, rotary ``cos``/``sin`` caches) are not read
    in full for each token; everything a matrix multiplication consumes is.
    """
    import onnx
    from onnx.external_data_helper import uses_external_data

    folder = Path(folder)
    try:
        config = json.loads((folder / "genai_config.json").read_text(encoding="utf-8"))
        filename = config["model"]["decoder"]["filename"]
        graph = onnx.load(str(folder / filename), load_external_data=False).graph
    except (OSError, KeyError, json.JSONDecodeError) as exc:
        raise CourseError(_(
            "{folder} is not an ONNX Runtime GenAI model folder ({kind}): "
            "rebuild it with `python -m helpers.models`."
        ).format(folder=folder, kind=exc.__class__.__name__)) from None
    sizes: dict[str, int] = {}
    for tensor in graph.initializer:
        if uses_external_data(tensor):
            length = {entry.key: entry.value for entry in tensor.external_data}.get("length")
            sizes[tensor.name] = int(length) if length else 0
        else:
            sizes[tensor.name] = len(tensor.raw_data) or 4 * math.prod(tensor.dims)
    consumers: dict[str, set[str]] = {name: set() for name in sizes}
    for node in graph.node:
        for name in node.input:
            if name in consumers:
                consumers[name].add(node.op_type)
    lookups = {
        name
        for name, ops in consumers.items()
        if (ops and ops <= _LOOKUP_OPS) or name.endswith(("cos_cache", "sin_cache"))
    }
    total = sum(sizes.values())
    return WeightBytes(total, total - sum(sizes[name] for name in lookups))


def torch_weight_bytes(model: Any) -> WeightBytes:
    """Bytes of a PyTorch model's parameters; the input embedding is a lookup unless it is tied to the output.

    Introduced in notebook 10.
    """
    seen: dict[int, int] = {}
    for param in model.parameters():
        seen.setdefault(param.data_ptr(), param.numel() * param.element_size())
    total = sum(seen.values())
    embedding = model.get_input_embeddings().weight
    output = model.get_output_embeddings()
    tied = output is not None and output.weight.data_ptr() == embedding.data_ptr()
    lookup = 0 if tied else embedding.numel() * embedding.element_size()
    return WeightBytes(total, total - lookup)


def _gguf_tensor_bytes(path: Path) -> dict[str, int]:
    """Read a GGUF file's tensor table (names, shapes, types) without loading any weights.

    ``gguf.GGUFReader`` does this too but first unpacks every metadata array (49k vocabulary
    strings here) into Python objects, which takes seconds; this skips over them.
    """
    import struct

    from gguf import GGML_QUANT_SIZES, GGMLQuantizationType

    scalar = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}  # GGUF value type -> bytes
    with path.open("rb") as f:

        def read(fmt: str) -> Any:
            return struct.unpack("<" + fmt, f.read(struct.calcsize("<" + fmt)))[0]

        def skip_value(kind: int) -> None:
            if kind == 8:  # string
                f.seek(read("Q"), 1)
            elif kind == 9:  # array
                item, count = read("I"), read("Q")
                if item in scalar:
                    f.seek(scalar[item] * count, 1)
                else:
                    for _ in range(count):
                        skip_value(item)
            else:
                f.seek(scalar[kind], 1)

        if f.read(4) != b"GGUF":
            raise CourseError(_(
                "{path} is not a GGUF file: point the backend at a .gguf model file."
            ).format(path=path))
        read("I")  # version
        n_tensors, n_kv = read("Q"), read("Q")
        for _step in range(n_kv):
            f.seek(read("Q"), 1)
            skip_value(read("I"))
        sizes = {}
        for _step in range(n_tensors):
            name = f.read(read("Q")).decode("utf-8")
            dims = [read("Q") for _ in range(read("I"))]
            block, type_size = GGML_QUANT_SIZES[GGMLQuantizationType(read("I"))]
            read("Q")  # offset
            sizes[name] = math.prod(dims) // block * type_size
    return sizes


def gguf_weight_bytes(path: Path | str) -> WeightBytes:
    """Bytes of a GGUF file's tensors; ``token_embd`` is a lookup unless the file has no separate ``output``.

    Introduced in notebook 10.
    """
    tensors = _gguf_tensor_bytes(Path(path))
    total = sum(tensors.values())
    lookup = tensors.get("token_embd.weight", 0) if "output.weight" in tensors else 0
    return WeightBytes(total, total - lookup)
