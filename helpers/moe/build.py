"""The cached build: the upcycled MoE and its dense twin, written once into the git-ignored cache, and loaded back."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from helpers.errors import CourseError
from helpers.i18n import _
from helpers.models import (
    DEFAULT_MODEL,
    MARKER,
    MODELS,
    ModelChoice,
    ModelSpec,
    build_atomically,
    cache_dir,
    is_complete,
    prepare_default_model,
)
from helpers.moe.params import human, param_count
from helpers.moe.upcycle import NOISE, check_shape, dense_twin, upcycle

__all__ = ["DTYPES", "MoEBuild", "load_built", "prepare_moe"]

DTYPES = ("bfloat16", "float32")


@dataclass(frozen=True)
class MoEBuild:
    """What :func:`prepare_moe` builds; the folder names and the marker file come from these settings.

    Introduced in notebook 09.
    """

    num_experts: int = 4
    top_k: int = 2
    noise: float = NOISE
    router: str = "kmeans"
    dtype: str = "bfloat16"
    seed: int = 0

    @property
    def tag(self) -> str:
        return f"moe-{self.num_experts}x-top{self.top_k}"

    def info(self, source: Path) -> dict[str, Any]:
        return {**asdict(self), "source": source.name, "architecture": "MixtralForCausalLM", "method": "upcycling"}


def _check_dtype(name: str) -> str:
    if name not in DTYPES:
        raise CourseError(_(
            "Unknown dtype {name!r}: use 'bfloat16' (half the memory) or 'float32'."
        ).format(name=name))
    return name


def _torch_dtype(name: str) -> Any:
    import torch

    return getattr(torch, _check_dtype(name))


def _marker_matches(folder: Path, info: dict[str, Any]) -> bool:
    if not is_complete(folder):
        return False
    try:
        return json.loads((folder / MARKER).read_text(encoding="utf-8")) == info
    except (OSError, ValueError):
        return False


def prepare_moe(
    build: MoEBuild | None = None,
    source: Path | str | None = None,
    out: Path | str | None = None,
    verbose: bool = True,
) -> dict[str, Path]:
    """Build the upcycled MoE and its dense twin into the cache, once (idempotent, safe to interrupt).

    Introduced in notebook 09.

    Args:
        build: Number of experts, top-k, noise, router and dtype; the defaults make 4 experts, top-2, bf16.
        source: A dense Llama Transformers folder; ``None`` prepares and uses the default model.
        out: Where to put the two folders; ``None`` means ``<cache>/models/``.
        verbose: Print what is built (nothing when everything is already there).

    Returns:
        ``{"source": dense folder, "moe": folder, "twin": folder}``, each a Transformers model with its tokenizer:
        the MoE and the dense twin of the same active size. A folder whose marker file records the same settings
        and source is never rebuilt.

    Example:
        >>> folders = prepare_moe()  # doctest: +SKIP
        >>> sorted(folders)  # doctest: +SKIP
        ['moe', 'source', 'twin']

    """
    build = build or MoEBuild()
    check_shape(build.num_experts, build.top_k, build.noise)
    _check_dtype(build.dtype)
    stem = Path(source).name if source else DEFAULT_MODEL
    source = Path(source) if source else prepare_default_model(onnx=(), verbose=verbose)["hf"]
    if not (source / "config.json").is_file():
        raise CourseError(_(
            "{source} holds no Transformers model (no config.json): pass a dense Llama model's folder."
        ).format(source=source))
    root = Path(out) if out else cache_dir() / "models"
    folders = {"moe": root / f"{stem}-{build.tag}", "twin": root / f"{stem}-dense-{build.top_k}x-mlp"}
    infos = {
        "moe": build.info(source),
        "twin": {"top_k": build.top_k, "dtype": build.dtype, "source": source.name, "method": "MLP widened"},
    }
    todo = [key for key in folders if not _marker_matches(folders[key], infos[key])]
    if not todo:
        return {"source": source, **folders}

    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    dtype = _torch_dtype(build.dtype)
    if verbose:
        # TRANSLATORS: {folders} are folder names joined by " + "; {dtype} is a weight type (float32).
        print(_("Building {folders} from {source} ({experts} experts, top-{top_k}, {dtype})").format(
            folders=" + ".join(todo), source=source, experts=build.num_experts, top_k=build.top_k,
            dtype=build.dtype), flush=True)
    tokenizer = AutoTokenizer.from_pretrained(source)
    dense = AutoModelForCausalLM.from_pretrained(source, dtype=torch.float32).eval()
    torch.manual_seed(build.seed)

    def save(model: Any, folder: Path) -> None:
        _save(model.to(dtype), tokenizer, folder)

    if "moe" in todo:
        moe = upcycle(dense, tokenizer, build.num_experts, build.top_k, build.noise, build.router, seed=build.seed)
        build_atomically(folders["moe"], lambda folder: save(moe, folder), infos["moe"])
        del moe
    if "twin" in todo:
        twin = dense_twin(dense, build.top_k)
        build_atomically(folders["twin"], lambda folder: save(twin, folder), infos["twin"])
        del twin
    return {"source": source, **folders}


def _save(model: Any, tokenizer: Any, folder: Path) -> None:
    """Write a model folder that Transformers loads with ``from_pretrained``, in the model's own tensor layout.

    ``save_pretrained`` would convert Mixtral's fused expert tensors back to the older one-tensor-per-expert
    layout, and loading would then rebuild them: twice the memory and ten times the time. Written as they are,
    the weights are memory-mapped on load, with no copy.
    """
    from safetensors.torch import save_file

    folder.mkdir(parents=True, exist_ok=True)
    tied = {"lm_head.weight"} if model.config.tie_word_embeddings else set()
    tensors = {key: value.contiguous() for key, value in model.state_dict().items() if key not in tied}
    save_file(tensors, folder / "model.safetensors", metadata={"format": "pt"})
    model.config.architectures = [type(model).__name__]
    model.config.save_pretrained(folder)
    model.generation_config.save_pretrained(folder)
    tokenizer.save_pretrained(folder)


def load_built(folder: Path | str, dtype: str | None = None, verbose: bool = True) -> Any:
    """Load a folder made by :func:`prepare_moe` as a :class:`helpers.runtimes.TransformersChat` (CPU).

    Introduced in notebook 09.

    Args:
        folder: One of the folders :func:`prepare_moe` returns.
        dtype: ``"bfloat16"`` or ``"float32"``; ``None`` keeps the dtype the folder was built with.
        verbose: Print the model's size in one line.

    Example:
        >>> chat = load_built(prepare_moe()["moe"])  # doctest: +SKIP
        >>> chat.chat(messages("What is the capital of Norway?"))  # doctest: +SKIP

    """
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from helpers.runtimes import TransformersChat

    folder = Path(folder)
    if not is_complete(folder):
        raise CourseError(_(
            "{folder} is not a finished build: run `python -m helpers.moe` first."
        ).format(folder=folder))
    info = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    tokenizer = AutoTokenizer.from_pretrained(folder)
    dtype = dtype or info.get("dtype", "float32")
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=_torch_dtype(dtype)).eval()
    counts = param_count(model)
    base = MODELS[DEFAULT_MODEL]
    label = _("{name} ({total} total, {active} active)").format(
        name=folder.name, total=human(counts.total), active=human(counts.active))
    spec = ModelSpec(folder.name, f"local/{folder.name}", counts.total, base.context, base.chat_format, offline=True)
    chat = TransformersChat(model, tokenizer, ModelChoice(spec, "built locally by helpers.moe"))
    if verbose:
        print(_("Model: {label}, {dtype} weights on {device}").format(label=label, dtype=dtype, device=model.device),
              flush=True)
    return chat
