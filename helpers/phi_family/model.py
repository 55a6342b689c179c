"""The Phi family's data model: a model, its architecture (KV cache and parameter arithmetic), its MoE figures."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from helpers.errors import CourseError
from helpers.i18n import _
from helpers.phi_family.memory import bytes_per_param, context_label, weight_gb

__all__ = ["Architecture", "MoE", "PhiModel"]


@dataclass(frozen=True)
class Architecture:
    """A decoder's shape: enough to count its parameters and size its KV cache.

    Introduced in notebook 02.

    ``mlp`` is ``"gated"`` (SwiGLU: three matrices) or ``"plain"`` (two matrices). Mixture-of-experts
    models repeat the feed-forward block ``experts`` times and use ``experts_per_token`` of them.
    """

    layers: int
    hidden: int
    heads: int
    kv_heads: int
    intermediate: int
    vocab: int
    mlp: str = "gated"
    tied_embeddings: bool = False
    experts: int = 1
    experts_per_token: int = 1

    @property
    def head_dim(self) -> int:
        return self.hidden // self.heads

    @classmethod
    def from_hf_config(cls, config: Any) -> Architecture:
        """Read the shape from a Transformers config (``model.config`` or ``AutoConfig.from_pretrained``)."""
        heads = config.num_attention_heads
        kv_heads = getattr(config, "num_key_value_heads", None) or heads
        plain = getattr(config, "model_type", "") in {"phi", "gpt2", "gpt_neox"}
        return cls(
            layers=config.num_hidden_layers,
            hidden=config.hidden_size,
            heads=heads,
            kv_heads=kv_heads,
            intermediate=config.intermediate_size,
            vocab=config.vocab_size,
            mlp="plain" if plain else "gated",
            tied_embeddings=bool(getattr(config, "tie_word_embeddings", False)),
            experts=getattr(config, "num_local_experts", None) or 1,
            experts_per_token=getattr(config, "num_experts_per_tok", None) or 1,
        )

    def param_counts(self) -> tuple[float, float]:
        """``(total, active)`` parameters: weight matrices, embeddings and norms (biases are left out).

        Example:
            >>> Architecture(layers=2, hidden=8, heads=2, kv_heads=2, intermediate=16, vocab=10).param_counts()
            (1480.0, 1480.0)

        """
        attention = self.hidden * self.heads * self.head_dim * 2 + 2 * self.hidden * self.kv_heads * self.head_dim
        expert = (3 if self.mlp == "gated" else 2) * self.hidden * self.intermediate
        router = self.hidden * self.experts if self.experts > 1 else 0
        norms = 2 * self.hidden
        embeddings = self.vocab * self.hidden * (1 if self.tied_embeddings else 2)
        shared = embeddings + self.hidden + self.layers * (attention + router + norms)
        total = shared + self.layers * self.experts * expert
        active = shared + self.layers * min(self.experts_per_token, self.experts) * expert
        return float(total), float(active)

    def kv_cache_bytes(self, tokens: int, precision: str = "fp16", batch: int = 1) -> float:
        """Bytes of the KV cache: a key and a value vector per layer, per key/value head, per token.

        Example:
            >>> Architecture(layers=32, hidden=3072, heads=24, kv_heads=8, intermediate=8192, vocab=1).kv_cache_bytes(1)
            131072.0

        """
        if tokens < 0 or batch < 1:
            raise CourseError(_(
                "Tokens must be >= 0 and batch >= 1 (got {tokens} and {batch}): pass sensible sizes."
            ).format(tokens=tokens, batch=batch))
        return float(2 * self.layers * self.kv_heads * self.head_dim * tokens * batch) * bytes_per_param(precision)


@dataclass(frozen=True)
class MoE:
    """Mixture-of-experts figures: ``experts`` of size ``expert_label``, ``experts_per_token`` used per token.

    Introduced in notebook 02.
    """

    experts: int
    experts_per_token: int
    expert_label: str
    total_params_b: float
    active_params_b: float


@dataclass(frozen=True)
class PhiModel:
    """One model of the family, as ``data/phi_family.json`` describes it (see the schema for each field).

    Introduced in notebook 02.
    """

    id: str
    name: str
    generation: str
    params_label: str
    params_b: float
    design: str
    context_tokens: tuple[int, ...] | None
    modalities_in: tuple[str, ...]
    tasks: tuple[str, ...]
    instruction_tuned: bool
    function_calling: bool
    reasoning_output: str
    chat_format: str | None
    open_weights: bool
    hf_ids: tuple[str, ...]
    license: str
    release: str
    training_data: str
    strengths: tuple[str, ...]
    typical_use: tuple[str, ...]
    limits: tuple[str, ...]
    sources: tuple[dict[str, str], ...]
    upstream: dict[str, str]
    uncertain: tuple[dict[str, str], ...]
    moe: MoE | None = None
    architecture: Architecture | None = None
    language_model: str | None = None
    kv_architecture: Architecture | None = None
    aliases: tuple[str, ...] = ()
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_dict(cls, entry: dict[str, Any]) -> PhiModel:
        moe = MoE(**entry["moe"]) if entry.get("moe") else None
        arch = Architecture(**entry["architecture"]) if entry.get("architecture") else None
        context = tuple(entry["context_tokens"]) if entry.get("context_tokens") is not None else None
        return cls(
            id=entry["id"], name=entry["name"], generation=entry["generation"], params_label=entry["params_label"],
            params_b=float(entry["params_b"]), design=entry["design"], context_tokens=context,
            modalities_in=tuple(entry["modalities_in"]), tasks=tuple(entry["tasks"]),
            instruction_tuned=entry["instruction_tuned"], function_calling=entry["function_calling"],
            reasoning_output=entry["reasoning_output"], chat_format=entry["chat_format"],
            open_weights=entry["open_weights"], hf_ids=tuple(entry["hf_ids"]), license=entry["license"],
            release=entry["release"], training_data=entry["training_data"], strengths=tuple(entry["strengths"]),
            typical_use=tuple(entry["typical_use"]), limits=tuple(entry["limits"]),
            sources=tuple(entry["sources"]), upstream=dict(entry["upstream"]), uncertain=tuple(entry["uncertain"]),
            moe=moe, architecture=arch, language_model=entry.get("language_model"), kv_architecture=arch,
            aliases=tuple(entry.get("aliases", ())), raw=entry,
        )

    @property
    def params(self) -> float:
        """Parameters that must be in memory (all experts of a MoE)."""
        return self.params_b * 1e9

    @property
    def active_params(self) -> float:
        """Parameters used per token (fewer than :attr:`params` only for a MoE)."""
        return self.moe.active_params_b * 1e9 if self.moe else self.params

    @property
    def max_context(self) -> int | None:
        return max(self.context_tokens) if self.context_tokens else None

    @property
    def is_moe(self) -> bool:
        return self.moe is not None

    def weight_gb(self, precision: str = "fp16") -> float:
        return weight_gb(self.params, precision)

    def uncertain_about(self, name: str) -> str | None:
        """Return the note on a field this entry is unsure about, or ``None``."""
        return next((u["note"] for u in self.uncertain if u["field"] == name), None)

    def __str__(self) -> str:
        return f"{self.name} ({self.params_label}, {context_label(self.max_context)} context, {self.release})"
