"""Sparse upcycling: a dense Llama model becomes a Mixtral-architecture MoE, plus a dense twin of the same active size.

1. every expert starts as a copy of the dense MLP (plus a little symmetry-breaking noise, so the
   experts differ; real upcycling then keeps training, which this course does not);
2. each layer's router is initialised from k-means centroids of the hidden states that reach that
   MLP on a short calibration text, so similar tokens go to the same experts;
3. the attention, norms and embeddings are kept as they are.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from helpers.errors import CourseError
from helpers.i18n import _

__all__ = ["CALIBRATION_TEXTS", "NOISE", "ROUTER_SHARPNESS", "check_shape", "dense_twin", "mixtral_config", "upcycle"]


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


def _check_dense(dense: Any) -> None:
    config = dense.config
    if getattr(config, "model_type", None) != "llama":
        raise CourseError(_(
            "Sparse upcycling here needs a Llama-architecture model, got {model_type!r}: "
            "pass the default model (SmolLM2) or another LlamaForCausalLM."
        ).format(model_type=getattr(config, 'model_type', '?')))
    if getattr(config, "mlp_bias", False) or getattr(config, "attention_bias", False):
        raise CourseError(_("This model has bias terms, which Mixtral layers lack: upcycle a bias-free Llama model."))


def check_shape(num_experts: int, top_k: int, noise: float) -> None:
    """Refuse an MoE shape that cannot work (fewer than 2 experts, top_k out of range, noise not in [0, 1)).

    Introduced in notebook 09.
    """
    if num_experts < 2 or not 1 <= top_k <= num_experts:
        raise CourseError(_(
            "An MoE needs at least 2 experts and 1 <= top_k <= experts, got {num_experts} experts "
            "and top_k={top_k}: try num_experts=4, top_k=2."
        ).format(num_experts=num_experts, top_k=top_k))
    if not 0 <= noise < 1:
        raise CourseError(_(
            "noise={noise} is out of range: use 0 for identical experts or a small value such as 0.01."
        ).format(noise=noise))


#: The settings a Mixtral model copies unchanged from the Llama model it is upcycled from.
_SHARED_CONFIG = (
    "vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads",
    "num_key_value_heads", "hidden_act", "max_position_embeddings", "initializer_range", "rms_norm_eps",
    "pad_token_id", "bos_token_id", "eos_token_id", "tie_word_embeddings", "attention_dropout",
)


def mixtral_config(dense_config: Any, num_experts: int, top_k: int) -> Any:
    """Return the ``MixtralConfig`` that matches a Llama config, with ``num_experts`` experts per layer.

    Introduced in notebook 09.
    """
    from transformers import MixtralConfig

    c = dense_config
    return MixtralConfig(
        **{key: getattr(c, key) for key in _SHARED_CONFIG},
        head_dim=getattr(c, "head_dim", None),
        rope_parameters=dict(c.rope_parameters),
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

    layers, n, _width = x.shape
    if n < k:
        raise CourseError(_(
            "Only {n} calibration tokens for {k} experts: give a longer calibration text."
        ).format(n=n, k=k))
    gen = torch.Generator().manual_seed(seed)
    x = torch.nn.functional.normalize(x, dim=-1)
    rows = torch.arange(layers)
    first = torch.randint(n, (layers,), generator=gen)
    centroids = [x[rows, first]]
    for _step in range(1, k):
        similarity = torch.einsum("lnd,lkd->lnk", x, torch.stack(centroids, dim=1)).amax(dim=-1)
        weights = (1 - similarity).clamp_min(0) ** 2 + 1e-12
        pick = torch.multinomial(weights, 1, generator=gen).squeeze(1)
        centroids.append(x[rows, pick])
    c = torch.stack(centroids, dim=1)
    for _step in range(iterations):
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

    Introduced in notebook 09.

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
    check_shape(num_experts, top_k, noise)
    if router not in ("kmeans", "random"):
        raise CourseError(_(
            "Unknown router initialisation {router!r}: use 'kmeans' or 'random'."
        ).format(router=router))
    if router == "kmeans" and tokenizer is None:
        raise CourseError(_("The k-means router needs the tokenizer: pass upcycle(dense, tokenizer, ...)."))
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
        raise CourseError(_(
            "Upcycling left weights unset ({missing}, {unexpected}): use the pinned transformers version."
        ).format(missing=missing[:3], unexpected=unexpected[:3]))
    # Non-persistent buffers (the rotary frequencies) were created on the meta device: rebuild them.
    moe.model.rotary_emb = type(moe.model.rotary_emb)(config=config).to(device)
    moe.generation_config = dense.generation_config
    return moe.to(dtype).eval()


def dense_twin(dense: Any, factor: int = 2) -> Any:
    """Build a dense Llama with an MLP ``factor`` times wider that computes the same function.

    Introduced in notebook 09.

    Each MLP neuron is duplicated ``factor`` times and the output projection divided by ``factor``, so the
    twin has exactly the parameters that a top-``factor`` upcycled MoE *uses* per token: a dense model of
    the same active size, for a fair speed comparison.
    """
    import torch
    from transformers import LlamaForCausalLM

    _check_dense(dense)
    if factor < 1:
        raise CourseError(_("factor={factor} must be at least 1.").format(factor=factor))
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
