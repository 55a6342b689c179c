"""Olive: Microsoft's model-optimization toolchain, the upstream edge module's route to a phone.

``olive capture-onnx-graph --use_model_builder --precision int4 --use_ort_genai`` wraps the same ONNX
Runtime GenAI model builder the course uses, with Olive's own defaults. It runs in
``.cache/envs/olive`` because Olive 0.13's builder pass works only with onnxruntime-genai 0.14.1;
its output runs on the course's 0.18. Olive exits 0 even when it wrote nothing, so the output is checked.
Defined for notebook 12.

Example:
    >>> folder = prepare_olive()  # doctest: +SKIP
    >>> chat = olive_chat()  # doctest: +SKIP

"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from helpers.edge.buildenv import env_tool
from helpers.errors import CourseError
from helpers.i18n import _

__all__ = ["OLIVE_ARGS", "olive_chat", "olive_dir", "onnx_quantization", "prepare_olive"]

QUANTIZED_OPS = ("MatMulNBits", "GatherBlockQuantized")
OLIVE_ARGS = ("--use_model_builder", "--precision", "int4", "--use_ort_genai")


def olive_dir() -> Path:
    """``.cache/models/smollm2-135m/olive-int4``: a folder ONNX Runtime GenAI loads (``genai_config.json``)."""
    from helpers.models import DEFAULT_MODEL, cache_dir

    return cache_dir() / "models" / DEFAULT_MODEL / "olive-int4"


def prepare_olive(quiet: bool = False) -> Path:
    """Build the default model with Olive (once; about 20 s plus its environment) and return the folder."""
    from helpers.models import build_atomically, is_complete

    out = olive_dir()
    if is_complete(out):
        return out
    cli, hf = env_tool("olive", "olive", quiet=quiet)

    def build(tmp: Path) -> None:
        if not quiet:
            print(_("Building int4 with Olive (about 20 s on 2 cores)..."), flush=True)
        work = tmp.with_name(tmp.name + "-olive")
        shutil.rmtree(work, ignore_errors=True)
        env = {**os.environ, "HF_HUB_OFFLINE": "1", "OLIVE_DISABLE_TELEMETRY": "1"}
        result = subprocess.run(
            [cli, "capture-onnx-graph", "-m", str(hf), *OLIVE_ARGS, "-o", str(work)],
            capture_output=True, text=True, check=False, env=env,
        )
        configs = sorted(work.rglob("genai_config.json"))
        if result.returncode != 0 or not configs:
            shutil.rmtree(work, ignore_errors=True)
            tail = " ".join((result.stderr or result.stdout).strip().splitlines()[-2:])[:300]
            raise CourseError(_(
                "Olive wrote no model ({tail}); rerun `python course.py setup --edge`."
            ).format(tail=tail or _("no message")))
        shutil.move(str(configs[0].parent), str(tmp))
        shutil.rmtree(work, ignore_errors=True)

    return build_atomically(out, build, {"builder": "olive capture-onnx-graph", "args": list(OLIVE_ARGS)})


def onnx_quantization(folder: Path) -> dict[str, Any]:
    """Read an ONNX model's int4 layout from its graph: block size and how the embedding table is stored.

    The embedding table (vocabulary x hidden) is the largest single tensor of a small model, so whether
    it is stored in fp32 or shares the 4-bit output projection (tied embeddings) explains most of the
    size difference between two int4 builds. Returns e.g. ``{"block_size": 32, "embedding_dtype": "int4",
    "embedding_mb": 17.7, "embedding_shared_with_lm_head": True, ...}``.
    """
    import onnx

    folder = Path(folder)
    model_file = next(iter(sorted(folder.glob("*.onnx"))), None)
    if model_file is None:
        raise CourseError(_("No .onnx file in {folder}: prepare it first.").format(folder=folder))
    graph = onnx.load(str(model_file), load_external_data=False).graph
    bits = {onnx.TensorProto.FLOAT: 32, onnx.TensorProto.FLOAT16: 16, onnx.TensorProto.UINT8: 8,
            onnx.TensorProto.INT8: 8, onnx.TensorProto.UINT4: 4, onnx.TensorProto.INT4: 4}
    inits = {t.name: t for t in graph.initializer}
    producers = {out: node for node in graph.node for out in node.output}

    def megabytes(name: str) -> float:
        tensor, n = inits[name], 1
        for d in tensor.dims:
            n *= d
        return n * bits.get(tensor.data_type, 32) / 8 / 1e6

    def source(name: str) -> str:  # follow Reshape/Cast back to the stored weight
        while name not in inits and name in producers:
            name = producers[name].input[0]
        return name

    lookups = ("Gather", "GatherBlockQuantized")
    gather = next((n for n in graph.node if n.op_type in lookups and n.input[1] == "input_ids"), None)
    lm_head_inputs = {i for n in graph.node if "lm_head" in n.name for i in n.input}
    embedding = source(gather.input[0]) if gather else None
    quantized = gather is not None and gather.op_type == "GatherBlockQuantized"
    stored = [embedding, *([gather.input[2]] if quantized and len(gather.input) > 2 else [])] if embedding else []
    block_sizes = sorted({
        a.i for node in graph.node if node.op_type in QUANTIZED_OPS for a in node.attribute if a.name == "block_size"
    })
    return {
        "block_size": block_sizes[0] if len(block_sizes) == 1 else block_sizes,
        "embedding": embedding,
        "embedding_dtype": "int4" if quantized else
        (onnx.TensorProto.DataType.Name(inits[embedding].data_type).lower() if embedding in inits else None),
        "embedding_mb": round(sum(megabytes(n) for n in stored if n in inits), 1),
        "embedding_shared_with_lm_head": bool(embedding and embedding in lm_head_inputs),
        "quantized_ops": sorted({n.op_type for n in graph.node if n.op_type in QUANTIZED_OPS}),
    }


def olive_chat(folder: Path | None = None) -> Any:
    """The Olive build as a :class:`helpers.runtimes.OnnxChat` on the course's onnxruntime-genai."""
    import onnxruntime_genai as og

    from helpers.models import resolve_model
    from helpers.runtimes import OnnxChat

    folder = Path(folder or olive_dir())
    if not (folder / "genai_config.json").is_file():
        raise CourseError(_(
            "No Olive build in {folder}: run `python course.py setup --edge`, then rerun."
        ).format(folder=folder))
    model = og.Model(str(folder))
    chat = OnnxChat(model, og.Tokenizer(model), resolve_model(None, verbose=False), precision="olive-int4")
    chat.runtime = "onnxruntime-genai (Olive build)"
    chat.folder = folder  # type: ignore[attr-defined]
    return chat
