"""Count a model's parameters by role, and how many of them one token uses (total vs active)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

__all__ = ["PHI35_MOE", "ParamCount", "human", "param_count", "phi35_moe_param_count"]


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


@dataclass(frozen=True)
class ParamCount:
    """Where a model's parameters are, and how many of them one token uses.

    Introduced in notebook 09.

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
        return f"{self.name}: {human(self.total)} total, {human(self.active)} active ({kind})"


def human(n: float) -> str:
    """Write a parameter count short: ``1.42B``, ``134.5M``, ``12.0K``.

    Introduced in notebook 09.
    """
    for unit, size in (("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if abs(n) >= size:
            return f"{n / size:.2f}{unit}" if unit == "B" else f"{n / size:.1f}{unit}"
    return str(int(n))


def param_count(model: Any, name: str | None = None) -> ParamCount:
    """Count a causal LM's parameters by role (works on the ``meta`` device too: nothing is allocated).

    Introduced in notebook 09.

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

    Introduced in notebook 09.

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
