"""Mixture of Experts, built offline: sparse upcycling of the default model into a Mixtral-architecture MoE.

A Mixture-of-Experts (MoE) layer replaces a transformer block's one feed-forward network (MLP) with
several copies, the *experts*, and a small *router* that picks ``top_k`` of them for every token.
All experts must sit in memory, but each token only runs through ``top_k`` of them: a model's
*total* parameters set its memory, its *active* parameters set the compute per token.

No MoE model is on the package index, so the course builds one from the default dense model
(SmolLM2-135M, a Llama architecture) by *sparse upcycling*:

1. every expert starts as a copy of the dense MLP (plus a little symmetry-breaking noise, so the
   experts differ; real upcycling then keeps training, which this course does not);
2. each layer's router is initialised from k-means centroids of the hidden states that reach that
   MLP on a short calibration text, so similar tokens go to the same experts;
3. the attention, norms and embeddings are kept as they are.

The result is a real ``MixtralForCausalLM`` (Mixtral and Phi-3.5-MoE share this design: top-2
routing over SwiGLU experts). With identical experts (``noise=0``) it computes exactly what the dense
model computes, whatever the router does: the router's two weights add up to one.

For a fair speed comparison the build also writes the *dense twin*: a plain Llama whose MLP is
``top_k`` times wider (each neuron duplicated, the output halved), so it has exactly the MoE's
active parameters and computes the same function as the original dense model.

Both are stored in bfloat16 to halve their memory (the default MoE: 747 MB instead of 1.5 GB). On a CPU
without native bfloat16 instructions (the course's AMD Zen 3 build machine, for one), bfloat16 is
about as fast as float32 when generating token by token, but several times slower on long prompts.

Run ``python -m helpers.moe`` to build both into the git-ignored cache (idempotent, about a minute),
and ``python -m helpers.moe --benchmark`` to print the MoE/dense comparison.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from helpers.errors import CourseError
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

__all__ = [
    "CALIBRATION_TEXTS",
    "PHI35_MOE",
    "MoEBuild",
    "ParamCount",
    "RouterTrace",
    "benchmark",
    "dense_twin",
    "load_built",
    "param_count",
    "phi35_moe_param_count",
    "plot_benchmark",
    "plot_expert_map",
    "plot_param_counts",
    "plot_router_heatmap",
    "prepare_moe",
    "route",
    "upcycle",
]

#: Phi-3.5-MoE-instruct's published architecture (its ``config.json``): 16 experts, 2 active per token.
PHI35_MOE: dict[str, Any] = {
    "vocab_size": 32064,
    "hidden_size": 4096,
    "intermediate_size": 6400,
    "num_hidden_layers": 32,
    "num_attention_heads": 32,
    "num_key_value_heads": 8,
    "num_local_experts": 16,
    "num_experts_per_tok": 2,
    "attention_bias": True,
    "lm_head_bias": True,
    "tie_word_embeddings": False,
}

#: A short, varied text the routers are fitted on: prose, a list, code, numbers and a chat turn.
CALIBRATION_TEXTS: tuple[str, ...] = (
    "The capital of Norway is Oslo. It lies at the end of a long fjord and is known for its museums, "
    "its parks and the opera house whose roof you can walk on.",
    "Three tips for learning a new language: practise a little every day, speak with native speakers "
    "as early as you can, and read simple books that you enjoy.",
    "def reverse(items):\n    \"\"\"Return a new list in reverse order.\"\"\"\n    return items[::-1]\n\n"
    "print(reverse([1, 2, 3]))  # [3, 2, 1]",
    "In 2024 the shop sold 1,250 bikes, 18% more than in 2023. Each bike cost 349.99 euros, "
    "so the revenue was about 437,500 euros.",
    "Photosynthesis is how plants make food. They take in sunlight, water and carbon dioxide, "
    "and turn them into sugar and oxygen.",
    "Dear Sam, could we move our meeting to Friday at 10:00? Thursday no longer works for me. Best regards, Alex",
    "Question: Why is sleep important for students? Answer: Sleep helps the brain store what was learned, "
    "keeps attention sharp and improves mood.",
)

NOISE = 0.01
ROUTER_SHARPNESS = 8.0
DTYPES = ("bfloat16", "float32")


def _say(message: str) -> None:
    print(message, flush=True)


# --------------------------------------------------------------------------- counting parameters


@dataclass(frozen=True)
class ParamCount:
    """Where a model's parameters are, and how many of them one token uses.

    Attributes:
        name: The model.
        embeddings: Token embeddings and the output head (counted once when they are tied).
        attention: Query, key, value and output projections of every layer.
        mlp: The feed-forward networks: every expert of every layer in an MoE.
        router: The routers (zero in a dense model).
        other: Norms and anything else.
        num_experts: Experts per MoE layer (1 for a dense model).
        top_k: Experts each token runs through (1 for a dense model).

    """

    name: str
    embeddings: int
    attention: int
    mlp: int
    router: int
    other: int
    num_experts: int = 1
    top_k: int = 1

    @property
    def total(self) -> int:
        """Every parameter: what must be in memory."""
        return self.embeddings + self.attention + self.mlp + self.router + self.other

    @property
    def mlp_active(self) -> int:
        """The experts one token runs through."""
        return self.mlp * self.top_k // self.num_experts

    @property
    def active(self) -> int:
        """The parameters one token uses: everything except the experts the router did not pick."""
        return self.total - self.mlp + self.mlp_active

    def as_dict(self) -> dict[str, Any]:
        """All fields plus ``total`` and ``active`` (for tables)."""
        return {**asdict(self), "total": self.total, "active": self.active}

    def __str__(self) -> str:
        kind = f"{self.num_experts} experts, top-{self.top_k}" if self.num_experts > 1 else "dense"
        return f"{self.name}: {_human(self.total)} total, {_human(self.active)} active ({kind})"


def _human(n: float) -> str:
    for unit, size in (("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if abs(n) >= size:
            return f"{n / size:.2f}{unit}" if unit == "B" else f"{n / size:.1f}{unit}"
    return str(int(n))


def param_count(model: Any, name: str | None = None) -> ParamCount:
    """Count a causal LM's parameters by role (works on the ``meta`` device too: nothing is allocated).

    Example:
        >>> from transformers import LlamaConfig, LlamaForCausalLM
        >>> tiny = LlamaForCausalLM(LlamaConfig(vocab_size=100, hidden_size=16, intermediate_size=32,
        ...     num_hidden_layers=1, num_attention_heads=2, num_key_value_heads=1))
        >>> param_count(tiny, "tiny").mlp
        1536

    """
    parts = {"embeddings": 0, "attention": 0, "mlp": 0, "router": 0, "other": 0}
    for key, param in model.named_parameters():  # tied weights are listed once
        n = param.numel()
        if "embed_tokens" in key or key.startswith("lm_head"):
            parts["embeddings"] += n
        elif ".self_attn." in key:
            parts["attention"] += n
        elif ".mlp.gate." in key or ".mlp.router." in key:
            parts["router"] += n
        elif ".mlp." in key:
            parts["mlp"] += n
        else:
            parts["other"] += n
    config = model.config
    num_experts = int(getattr(config, "num_local_experts", 1) or 1)
    top_k = int(getattr(config, "num_experts_per_tok", 1) or 1) if num_experts > 1 else 1
    label = name or getattr(config, "name_or_path", "") or type(model).__name__
    return ParamCount(label, **parts, num_experts=num_experts, top_k=top_k)


def phi35_moe_param_count() -> ParamCount:
    """Phi-3.5-MoE's parameters, counted on a ``PhimoeForCausalLM`` built on the meta device (no memory, no download).

    Example:
        >>> counts = phi35_moe_param_count()
        >>> round(counts.total / 1e9, 1), round(counts.active / 1e9, 1)
        (41.9, 6.6)

    """
    import torch
    from transformers import PhimoeConfig, PhimoeForCausalLM

    config = PhimoeConfig(**PHI35_MOE)
    with torch.device("meta"):
        model = PhimoeForCausalLM(config)
    return param_count(model, "Phi-3.5-MoE")


# --------------------------------------------------------------------------- upcycling


def _check_dense(dense: Any) -> None:
    config = dense.config
    if getattr(config, "model_type", None) != "llama":
        raise CourseError(
            f"Sparse upcycling here needs a Llama-architecture model, got {getattr(config, 'model_type', '?')!r}: "
            "pass the default model (SmolLM2) or another LlamaForCausalLM."
        )
    if getattr(config, "mlp_bias", False) or getattr(config, "attention_bias", False):
        raise CourseError("This model has bias terms, which Mixtral layers lack: upcycle a bias-free Llama model.")


def _check_shape(num_experts: int, top_k: int, noise: float) -> None:
    if num_experts < 2 or not 1 <= top_k <= num_experts:
        raise CourseError(
            f"An MoE needs at least 2 experts and 1 <= top_k <= experts, got {num_experts} experts and top_k={top_k}: "
            "try num_experts=4, top_k=2."
        )
    if not 0 <= noise < 1:
        raise CourseError(f"noise={noise} is out of range: use 0 for identical experts or a small value such as 0.01.")


def mixtral_config(dense_config: Any, num_experts: int, top_k: int) -> Any:
    """Return the ``MixtralConfig`` that matches a Llama config, with ``num_experts`` experts per layer."""
    from transformers import MixtralConfig

    c = dense_config
    return MixtralConfig(
        vocab_size=c.vocab_size,
        hidden_size=c.hidden_size,
        intermediate_size=c.intermediate_size,
        num_hidden_layers=c.num_hidden_layers,
        num_attention_heads=c.num_attention_heads,
        num_key_value_heads=c.num_key_value_heads,
        head_dim=getattr(c, "head_dim", None),
        hidden_act=c.hidden_act,
        max_position_embeddings=c.max_position_embeddings,
        initializer_range=c.initializer_range,
        rms_norm_eps=c.rms_norm_eps,
        pad_token_id=c.pad_token_id,
        bos_token_id=c.bos_token_id,
        eos_token_id=c.eos_token_id,
        tie_word_embeddings=c.tie_word_embeddings,
        rope_parameters=dict(c.rope_parameters),
        attention_dropout=c.attention_dropout,
        sliding_window=None,
        num_local_experts=num_experts,
        num_experts_per_tok=top_k,
        router_jitter_noise=0.0,
    )


def _mlp_inputs(dense: Any, tokenizer: Any, texts: Sequence[str]) -> Any:
    """Collect the hidden states that enter each layer's MLP (after its norm): shape ``(layers, tokens, hidden)``."""
    import torch

    layers = dense.model.layers
    captured: list[Any] = [None] * len(layers)

    def keep(index: int) -> Any:
        def hook(_module: Any, _inputs: Any, output: Any) -> None:
            captured[index] = output.detach().reshape(-1, output.shape[-1]).float().cpu()

        return hook

    hooks = [layer.post_attention_layernorm.register_forward_hook(keep(i)) for i, layer in enumerate(layers)]
    try:
        ids = tokenizer("\n\n".join(texts), return_tensors="pt").input_ids.to(dense.device)
        with torch.inference_mode():
            dense(input_ids=ids)
    finally:
        for hook in hooks:
            hook.remove()
    return torch.stack(captured)


def _spherical_kmeans(x: Any, k: int, seed: int, iterations: int = 30) -> Any:
    """Fit ``k`` unit-length centroids to the rows of each ``x[layer]`` (cosine k-means, k-means++ start).

    Args:
        x: Points, shape ``(layers, n, dim)``; every layer is clustered separately, all at once.
        k: Clusters.
        seed: Seeds the k-means++ start.
        iterations: Assignment/update rounds.

    Returns:
        Centroids, shape ``(layers, k, dim)``.

    """
    import torch

    layers, n, _ = x.shape
    if n < k:
        raise CourseError(f"Only {n} calibration tokens for {k} experts: give a longer calibration text.")
    gen = torch.Generator().manual_seed(seed)
    x = torch.nn.functional.normalize(x, dim=-1)
    rows = torch.arange(layers)
    first = torch.randint(n, (layers,), generator=gen)
    centroids = [x[rows, first]]
    for _ in range(1, k):
        similarity = torch.einsum("lnd,lkd->lnk", x, torch.stack(centroids, dim=1)).amax(dim=-1)
        weights = (1 - similarity).clamp_min(0) ** 2 + 1e-12
        pick = torch.multinomial(weights, 1, generator=gen).squeeze(1)
        centroids.append(x[rows, pick])
    c = torch.stack(centroids, dim=1)
    for _ in range(iterations):
        assign = torch.einsum("lnd,lkd->lnk", x, c).argmax(dim=-1)
        onehot = torch.nn.functional.one_hot(assign, k).to(x.dtype)  # (layers, n, k)
        sums = torch.einsum("lnk,lnd->lkd", onehot, x)
        empty = onehot.sum(dim=1) == 0  # an empty cluster keeps its centroid
        c = torch.where(empty[..., None], c, torch.nn.functional.normalize(sums, dim=-1))
    return c


def upcycle(
    dense: Any,
    tokenizer: Any = None,
    num_experts: int = 4,
    top_k: int = 2,
    noise: float = NOISE,
    router: str = "kmeans",
    calibration: Sequence[str] = CALIBRATION_TEXTS,
    sharpness: float = ROUTER_SHARPNESS,
    seed: int = 0,
) -> Any:
    """Turn a dense Llama model into a Mixtral-architecture MoE, in memory (sparse upcycling).

    Args:
        dense: A ``LlamaForCausalLM`` (the default model, for instance).
        tokenizer: Its tokenizer; needed for the k-means router.
        num_experts: Experts per layer.
        top_k: Experts each token runs through.
        noise: Symmetry-breaking noise added to each expert copy, relative to each weight matrix's standard
            deviation; ``0`` gives identical experts and then the MoE computes exactly what the dense model does.
        router: ``"kmeans"`` (centroids of the calibration hidden states) or ``"random"``.
        calibration: Texts the k-means router is fitted on.
        sharpness: Scales the router logits: larger means more confident top-k weights.
        seed: Seeds the noise, the random router and k-means.

    Returns:
        A ``MixtralForCausalLM`` in eval mode, with the dense model's dtype and device.

    Example:
        >>> from helpers.models import load_transformers  # doctest: +SKIP
        >>> dense, tok, _ = load_transformers(device="cpu", verbose=False)  # doctest: +SKIP
        >>> moe = upcycle(dense, tok, num_experts=4, top_k=2)  # doctest: +SKIP

    """
    import torch
    from transformers import MixtralForCausalLM

    _check_dense(dense)
    _check_shape(num_experts, top_k, noise)
    if router not in ("kmeans", "random"):
        raise CourseError(f"Unknown router initialisation {router!r}: use 'kmeans' or 'random'.")
    if router == "kmeans" and tokenizer is None:
        raise CourseError("The k-means router needs the tokenizer: pass upcycle(dense, tokenizer, ...).")
    config = mixtral_config(dense.config, num_experts, top_k)
    dtype, device = dense.dtype, dense.device
    gen = torch.Generator().manual_seed(seed)

    if router == "kmeans":
        hidden = _mlp_inputs(dense, tokenizer, calibration)  # (layers, tokens, hidden)
        scale = sharpness / hidden.norm(dim=-1).mean(dim=-1)  # logits = sharpness * cosine, on average
        routers = list(_spherical_kmeans(hidden, num_experts, seed) * scale[:, None, None])
    else:
        routers = [
            torch.randn(num_experts, config.hidden_size, generator=gen) * config.initializer_range
            for _ in dense.model.layers
        ]

    def copies(weight: Any) -> Any:
        if noise == 0:  # identical experts: one tensor seen num_experts times (a stride-0 view), no extra memory
            return weight.detach().expand(num_experts, *weight.shape)
        w = weight.detach().float().cpu()
        stack = w.expand(num_experts, *w.shape).clone()
        stack += torch.randn(stack.shape, generator=gen) * (noise * w.std())
        return stack.to(dtype=dtype, device=device)

    state: dict[str, Any] = {}
    for key, value in dense.state_dict().items():
        if ".mlp." not in key:
            state[key] = value
    for i, layer in enumerate(dense.model.layers):
        mlp, prefix = layer.mlp, f"model.layers.{i}.mlp"
        gate_up = torch.cat([mlp.gate_proj.weight, mlp.up_proj.weight], dim=0)  # Mixtral's fused layout
        state[f"{prefix}.experts.gate_up_proj"] = copies(gate_up)
        state[f"{prefix}.experts.down_proj"] = copies(mlp.down_proj.weight)
        state[f"{prefix}.gate.weight"] = routers[i].to(dtype=dtype, device=device)

    with torch.device("meta"):
        moe = MixtralForCausalLM(config)
    if config.tie_word_embeddings:
        state.pop("lm_head.weight", None)
    missing, unexpected = moe.load_state_dict(state, strict=False, assign=True)
    if config.tie_word_embeddings:
        moe.tie_weights()
        missing = [k for k in missing if k != "lm_head.weight"]
    if missing or unexpected:  # pragma: no cover - a transformers upgrade changed the layout
        raise CourseError(
            f"Upcycling left weights unset ({missing[:3]}, {unexpected[:3]}): use the pinned transformers version."
        )
    # Non-persistent buffers (the rotary frequencies) were created on the meta device: rebuild them.
    moe.model.rotary_emb = type(moe.model.rotary_emb)(config=config).to(device)
    moe.generation_config = dense.generation_config
    return moe.to(dtype).eval()


def dense_twin(dense: Any, factor: int = 2) -> Any:
    """Build a dense Llama with an MLP ``factor`` times wider that computes the same function.

    Each MLP neuron is duplicated ``factor`` times and the output projection divided by ``factor``, so the
    twin has exactly the parameters that a top-``factor`` upcycled MoE *uses* per token: a dense model of
    the same active size, for a fair speed comparison.
    """
    import torch
    from transformers import LlamaForCausalLM

    _check_dense(dense)
    if factor < 1:
        raise CourseError(f"factor={factor} must be at least 1.")
    config = copy.deepcopy(dense.config)
    config.intermediate_size = dense.config.intermediate_size * factor
    state = {key: value for key, value in dense.state_dict().items() if ".mlp." not in key}
    for i, layer in enumerate(dense.model.layers):
        mlp, prefix = layer.mlp, f"model.layers.{i}.mlp"
        state[f"{prefix}.gate_proj.weight"] = mlp.gate_proj.weight.detach().repeat(factor, 1)
        state[f"{prefix}.up_proj.weight"] = mlp.up_proj.weight.detach().repeat(factor, 1)
        state[f"{prefix}.down_proj.weight"] = mlp.down_proj.weight.detach().repeat(1, factor) / factor
    with torch.device("meta"):
        twin = LlamaForCausalLM(config)
    if config.tie_word_embeddings:
        state.pop("lm_head.weight", None)
    twin.load_state_dict(state, strict=False, assign=True)
    if config.tie_word_embeddings:
        twin.tie_weights()
    twin.model.rotary_emb = type(twin.model.rotary_emb)(config=config).to(dense.device)
    twin.generation_config = dense.generation_config
    return twin.to(dense.dtype).eval()


# --------------------------------------------------------------------------- the cached build


@dataclass(frozen=True)
class MoEBuild:
    """What :func:`prepare_moe` builds; the folder names and the marker file come from these settings."""

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
        raise CourseError(f"Unknown dtype {name!r}: use 'bfloat16' (half the memory) or 'float32'.")
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
    quiet: bool = False,
) -> dict[str, Path]:
    """Build the upcycled MoE and its dense twin into the cache, once (idempotent, safe to interrupt).

    Args:
        build: Number of experts, top-k, noise, router and dtype; the defaults make 4 experts, top-2, bf16.
        source: A dense Llama Transformers folder; ``None`` prepares and uses the default model.
        out: Where to put the two folders; ``None`` means ``<cache>/models/``.
        quiet: Print nothing.

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
    _check_shape(build.num_experts, build.top_k, build.noise)
    _check_dtype(build.dtype)
    stem = Path(source).name if source else DEFAULT_MODEL
    source = Path(source) if source else prepare_default_model(onnx=(), quiet=quiet)["hf"]
    if not (source / "config.json").is_file():
        raise CourseError(f"{source} holds no Transformers model (no config.json): pass a dense Llama model's folder.")
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
    if not quiet:
        shape = f"{build.num_experts} experts, top-{build.top_k}, {build.dtype}"
        _say(f"Building {' and '.join(todo)} from {source} ({shape})")
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
        raise CourseError(f"{folder} is not a finished build: run `python -m helpers.moe` first.")
    info = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    tokenizer = AutoTokenizer.from_pretrained(folder)
    dtype = dtype or info.get("dtype", "float32")
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=_torch_dtype(dtype)).eval()
    counts = param_count(model)
    base = MODELS[DEFAULT_MODEL]
    label = f"{folder.name} ({_human(counts.total)} total, {_human(counts.active)} active)"
    spec = ModelSpec(folder.name, f"local/{folder.name}", counts.total, base.context, base.chat_format, offline=True)
    chat = TransformersChat(model, tokenizer, ModelChoice(spec, "built locally by helpers.moe"))
    if verbose:
        _say(f"Model: {label}, {dtype} weights on {model.device}")
    return chat


# --------------------------------------------------------------------------- routing


@dataclass
class RouterTrace:
    """Which experts the routers chose for every token of one text.

    Attributes:
        tokens: The tokens, as text.
        probs: Router probabilities, shape ``(layers, tokens, experts)``.
        chosen: The experts each token ran through, shape ``(layers, tokens, top_k)``, best first.

    """

    tokens: list[str]
    probs: Any
    chosen: Any

    @property
    def num_experts(self) -> int:
        return int(self.probs.shape[-1])

    def load(self) -> Any:
        """Share of the token slots each expert received, shape ``(layers, experts)``; rows sum to 1."""
        import numpy as np

        counts = np.stack([np.bincount(layer.ravel(), minlength=self.num_experts) for layer in self.chosen])
        return counts / counts.sum(axis=1, keepdims=True)


def route(model: Any, tokenizer: Any, text: str) -> RouterTrace:
    """Run ``text`` through an MoE once and record every layer's routing decision.

    Example:
        >>> trace = route(chat.model, chat.tokenizer, "The cat sat on the mat.")  # doctest: +SKIP
        >>> trace.chosen.shape  # doctest: +SKIP
        (30, 7, 2)

    """
    import torch

    if getattr(model.config, "num_local_experts", None) is None:
        raise CourseError("This model has no router (it is dense): pass the MoE model.")
    ids = tokenizer(text, return_tensors="pt").input_ids.to(model.device)
    with torch.inference_mode():
        out = model(input_ids=ids, output_router_logits=True)
    logits = torch.stack([layer.float().reshape(ids.shape[-1], -1) for layer in out.router_logits])
    probs = torch.softmax(logits, dim=-1)
    chosen = probs.topk(model.config.num_experts_per_tok, dim=-1).indices
    tokens = [tokenizer.decode([t]) for t in ids[0].tolist()]
    return RouterTrace(tokens, probs.cpu().numpy(), chosen.cpu().numpy())


# --------------------------------------------------------------------------- plots


def _token_labels(tokens: Sequence[str]) -> list[str]:
    return [repr(t)[1:-1] if t.strip() else repr(t) for t in tokens]


def plot_router_heatmap(trace: RouterTrace, layer: int, ax: Any = None) -> Any:
    """Heatmap of one layer's router: experts down, tokens across; dots mark the ``top_k`` chosen experts."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(max(6, 0.45 * len(trace.tokens)), 2.8))
    image = ax.imshow(trace.probs[layer].T, aspect="auto", cmap="Blues", vmin=0, vmax=1)
    for t, experts in enumerate(trace.chosen[layer]):
        for rank, e in enumerate(experts):
            ax.plot(t, e, "o" if rank == 0 else ".", color="darkorange", markersize=7 if rank == 0 else 6)
    ax.set_xticks(range(len(trace.tokens)), _token_labels(trace.tokens), rotation=60, ha="right", fontsize=8)
    ax.set_yticks(range(trace.num_experts), [f"expert {e}" for e in range(trace.num_experts)])
    ax.set_title(f"Layer {layer}: router probability per token (orange: the experts that run, big dot = first)")
    ax.figure.colorbar(image, ax=ax, fraction=0.02, pad=0.01)
    return ax


def plot_expert_map(trace: RouterTrace, ax: Any = None) -> Any:
    """Every layer's first-choice expert for every token: layers down, tokens across, one colour per expert."""
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap

    if ax is None:
        _, ax = plt.subplots(figsize=(max(6, 0.45 * len(trace.tokens)), 5))
    colours = ListedColormap(plt.get_cmap("tab10").colors[: trace.num_experts])
    image = ax.imshow(trace.chosen[:, :, 0], aspect="auto", cmap=colours, vmin=-0.5, vmax=trace.num_experts - 0.5)
    ax.set_xticks(range(len(trace.tokens)), _token_labels(trace.tokens), rotation=60, ha="right", fontsize=8)
    ax.set_ylabel("layer")
    ax.set_title("First-choice expert of every token in every layer")
    bar = ax.figure.colorbar(image, ax=ax, ticks=range(trace.num_experts), fraction=0.03, pad=0.01)
    bar.set_label("expert")
    return ax


def plot_param_counts(counts: Sequence[ParamCount], axes: Any = None) -> Any:
    """For each model, two stacked bars: all parameters (memory) and the ones a token uses (compute)."""
    import matplotlib.pyplot as plt

    if axes is None:
        _, axes = plt.subplots(1, len(counts), figsize=(4.2 * len(counts), 3.6), squeeze=False)
        axes = axes[0]
    parts = [("embeddings", "tab:gray"), ("attention", "tab:blue"), ("active experts", "tab:green"),
             ("idle experts", "tab:olive"), ("router + norms", "tab:red")]
    for ax, c in zip(axes, counts, strict=True):
        unit, scale = ("B", 1e9) if c.total >= 1e9 else ("M", 1e6)
        values = {
            "embeddings": (c.embeddings, c.embeddings),
            "attention": (c.attention, c.attention),
            "active experts": (c.mlp_active, c.mlp_active),
            "idle experts": (c.mlp - c.mlp_active, 0),
            "router + norms": (c.router + c.other, c.router + c.other),
        }
        bottom = [0.0, 0.0]
        for part, colour in parts:
            heights = [v / scale for v in values[part]]
            ax.bar(["total\n(memory)", "active\n(compute)"], heights, bottom=bottom, color=colour, label=part)
            bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
        for x, y in enumerate(bottom):
            ax.text(x, y, f"{y:.2f}{unit}" if unit == "B" else f"{y:.0f}{unit}", ha="center", va="bottom")
        ax.set_title(c.name)
        ax.set_ylabel(f"parameters ({'billions' if unit == 'B' else 'millions'})")
        ax.set_ylim(0, bottom[0] * 1.15)
    axes[0].legend(loc="upper right", fontsize=8)  # above the short "active" bar, where there is room
    return axes


# --------------------------------------------------------------------------- benchmark


def weights_mb(model: Any) -> float:
    """Bytes of all parameters, in MB: the memory the weights alone need."""
    return sum(p.numel() * p.element_size() for p in model.parameters()) / 1e6


def benchmark(
    folders: dict[str, Path] | None = None,
    prompts: Sequence[str] = ("What is the capital of Norway?", "Give three tips for learning a new language."),
    max_new_tokens: int = 48,
    models: Sequence[str] = ("source", "twin", "moe"),
    dtype: str = "bfloat16",
    verbose: bool = True,
) -> list[dict[str, Any]]:
    """Time the MoE against dense models, greedily on the same prompts, one model in memory at a time.

    Args:
        folders: What :func:`prepare_moe` returned; ``None`` prepares the default build.
        prompts: User messages; each model answers every one.
        max_new_tokens: New tokens per answer.
        models: Which of ``"source"`` (the original dense model), ``"twin"`` (dense, same active size as the
            MoE) and ``"moe"`` to time, in this order.
        dtype: All models run in this dtype, so the comparison is fair.
        verbose: Print the table.

    Returns:
        One row per model: parameters (total and active), weight memory, median decode speed and first-token
        time over ``prompts``, the process's peak memory while generating, and the answer to the first prompt.

    """
    import gc
    import statistics

    from helpers.prompts import messages
    from helpers.runtimes import GenerationSettings

    folders = folders or prepare_moe(quiet=not verbose)
    unknown = [m for m in models if m not in folders]
    if unknown:
        raise CourseError(f"Unknown model {unknown[0]!r} for the benchmark: use any of {', '.join(folders)}.")
    settings = GenerationSettings(max_new_tokens=max_new_tokens)
    rows = []
    for key in models:
        chat = load_built(folders[key], dtype=dtype, verbose=False)
        counts = param_count(chat.model, key)
        _warm_up(chat)
        answers, stats = zip(*(chat.measure(messages(p), settings) for p in prompts), strict=True)
        rows.append({
            "model": key,
            "folder": folders[key].name,
            "answer": answers[0],
            "total_params_m": counts.total / 1e6,
            "active_params_m": counts.active / 1e6,
            "weights_mb": weights_mb(chat.model),
            "decode_tokens_per_s": statistics.median(s.decode_tokens_per_s for s in stats),
            "first_token_s": statistics.median(s.ttft_s for s in stats),
            "peak_rss_mb": max(s.peak_rss_mb for s in stats),
        })
        del chat
        gc.collect()
    if verbose:
        _say(format_table(rows))
        _warn_if_busy()
    return rows


def _warn_if_busy() -> None:
    """Say so when other programs compete for the CPU: timings are then not comparable from run to run."""
    import os

    cores = os.cpu_count() or 1
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    if load > cores:
        _say(f"Note: the CPU was busy (load {load:.1f} on {cores} cores), so these speeds are lower than usual.")


def _warm_up(chat: Any) -> None:
    """Run one token through the model, so that one-off setup costs do not count in the first measurement."""
    import torch

    with torch.inference_mode():
        chat.model(input_ids=torch.tensor([[chat.tokenizer.bos_token_id or 0]], device=chat.model.device))


def plot_benchmark(rows: Sequence[dict[str, Any]], axes: Any = None) -> Any:
    """Three panels from :func:`benchmark` rows: parameters (total and active), weight memory, decode speed."""
    import matplotlib.pyplot as plt
    import numpy as np

    if axes is None:
        _, axes = plt.subplots(1, 3, figsize=(13, 3.6))
    names = [r["model"] for r in rows]
    x = np.arange(len(rows))
    panels = [
        (axes[0], [r["total_params_m"] for r in rows], "total", "tab:olive", -0.2, "{:.0f}M"),
        (axes[0], [r["active_params_m"] for r in rows], "active per token", "tab:green", 0.2, "{:.0f}M"),
        (axes[1], [r["weights_mb"] for r in rows], None, "tab:purple", 0, "{:.0f} MB"),
        (axes[2], [r["decode_tokens_per_s"] for r in rows], None, "tab:blue", 0, "{:.1f}"),
    ]
    for ax, values, label, colour, shift, fmt in panels:
        bars = ax.bar(x + shift, values, 0.4 if shift else 0.6, label=label, color=colour)
        ax.bar_label(bars, [fmt.format(v) for v in values], fontsize=8)
    axes[0].legend(fontsize=8, loc="upper left")
    labels = ("parameters (millions)", "weights in memory (MB)", "decode speed (tokens/s)")
    titles = ("Parameters: total and active", "Memory for the weights", "Generation speed")
    for ax, label, title in zip(axes, labels, titles, strict=True):
        ax.set_xticks(x, names)
        ax.set_ylabel(label)
        ax.set_title(title)
        ax.margins(y=0.15)
    return axes


def format_table(rows: Sequence[dict[str, Any]]) -> str:
    """The benchmark rows as a fixed-width text table."""
    header = (f"{'model':8s} {'total':>9s} {'active':>9s} {'weights':>9s} {'decode':>12s} "
              f"{'1st token':>9s} {'peak RSS':>9s}")
    lines = [header, "-" * len(header)]
    for r in rows:
        lines.append(
            f"{r['model']:8s} {r['total_params_m']:8.0f}M {r['active_params_m']:8.0f}M {r['weights_mb']:6.0f} MB "
            f"{r['decode_tokens_per_s']:6.1f} tok/s {r['first_token_s']:7.2f} s {r['peak_rss_mb']:6.0f} MB"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m helpers.moe [--benchmark] [--experts N] [--top-k K] [--noise X] [--dtype D]``."""
    parser = argparse.ArgumentParser(prog="python -m helpers.moe", description=__doc__.splitlines()[0])
    parser.add_argument("--benchmark", action="store_true", help="also time the MoE against its dense twin")
    parser.add_argument("--experts", type=int, default=MoEBuild.num_experts)
    parser.add_argument("--top-k", type=int, default=MoEBuild.top_k)
    parser.add_argument("--noise", type=float, default=MoEBuild.noise)
    parser.add_argument("--dtype", default=MoEBuild.dtype, choices=["bfloat16", "float32"])
    parser.add_argument("--tokens", type=int, default=48, help="new tokens per benchmark prompt")
    args = parser.parse_args(argv)
    build = MoEBuild(num_experts=args.experts, top_k=args.top_k, noise=args.noise, dtype=args.dtype)
    try:
        folders = prepare_moe(build)
        for key, folder in folders.items():
            size = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) / 1e6
            _say(f"{key:6s} {size:6.0f} MB  {folder}")
        phi = phi35_moe_param_count()
        _say(f"Reference: {phi}")
        if args.benchmark:
            benchmark(folders, max_new_tokens=args.tokens)
    except CourseError as exc:
        sys.exit(f"error: {exc}")


if __name__ == "__main__":
    main()
