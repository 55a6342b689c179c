"""The Phi family as data: load it, do the memory arithmetic, and pick a variant for a job and a device.

The facts live in ``data/phi_family.json`` (validated by ``data/phi_family.schema.json``); this module
turns them into objects and answers two practical questions:

* How much memory do a model's weights need at fp32, fp16, int8 or int4, and how much does its KV cache
  add for a given context? (:func:`weight_gb`, :meth:`Architecture.kv_cache_bytes`)
* Which Phi variant suits this job on this device, and why? (:func:`recommend`)

>>> selection = recommend("math", memory_gb=10)      # doctest: +SKIP
>>> print(selection)                                  # doctest: +SKIP
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from helpers.env import REPO_ROOT
from helpers.errors import CourseError

__all__ = [
    "BYTES_PER_PARAM",
    "COMMON_DEVICES",
    "DATA_FILE",
    "GB",
    "SCHEMA_FILE",
    "Architecture",
    "Device",
    "MoE",
    "PhiModel",
    "Recommendation",
    "Selection",
    "bytes_per_param",
    "consistency_problems",
    "context_label",
    "estimate_memory_gb",
    "family_table",
    "get_model",
    "load_family",
    "load_family_data",
    "memory_table",
    "recommend",
    "weight_bytes",
    "weight_gb",
]

DATA_FILE = REPO_ROOT / "data" / "phi_family.json"
SCHEMA_FILE = REPO_ROOT / "data" / "phi_family.schema.json"

#: One gigabyte as this module counts it (decimal, like model cards and file sizes).
GB = 1e9

#: Bytes one weight takes at each precision. int4 is the ideal half byte; real int4 files add
#: per-block scales (about 4.5 bits per weight at blocks of 32) and often keep embeddings wider.
BYTES_PER_PARAM: dict[str, float] = {"fp32": 4.0, "fp16": 2.0, "bf16": 2.0, "int8": 1.0, "int4": 0.5}

# --------------------------------------------------------------------------- memory arithmetic


def bytes_per_param(precision: str) -> float:
    """Bytes per weight at ``precision`` (``fp32``, ``fp16``, ``bf16``, ``int8`` or ``int4``).

    Example:
        >>> bytes_per_param("int4")
        0.5

    """
    try:
        return BYTES_PER_PARAM[precision.lower()]
    except (KeyError, AttributeError):
        raise CourseError(f"Unknown precision {precision!r}: use one of {', '.join(BYTES_PER_PARAM)}.") from None


def weight_bytes(params: float, precision: str = "fp16") -> float:
    """Bytes the weights of a ``params``-parameter model take at ``precision``.

    Example:
        >>> weight_bytes(3.8e9, "fp16")
        7600000000.0

    """
    if not params > 0:
        raise CourseError(f"A parameter count must be a positive number, not {params!r}: pass e.g. 3.8e9.")
    return float(params) * bytes_per_param(precision)


def weight_gb(params: float, precision: str = "fp16") -> float:
    """Gigabytes (1e9 bytes) the weights take at ``precision``.

    Example:
        >>> round(weight_gb(3.8e9, "int4"), 2)
        1.9

    """
    return weight_bytes(params, precision) / GB


def memory_table(params: float, precisions: Iterable[str] = ("fp32", "fp16", "int8", "int4")) -> dict[str, float]:
    """Weight memory in GB for each precision, e.g. ``{"fp32": 15.2, "fp16": 7.6, ...}``.

    Example:
        >>> memory_table(1e9)
        {'fp32': 4.0, 'fp16': 2.0, 'int8': 1.0, 'int4': 0.5}

    """
    return {p: weight_gb(params, p) for p in precisions}


def context_label(tokens: int | None) -> str:
    """Context length the way model names write it: 4096 -> ``"4K"``, 131072 -> ``"128K"``.

    Example:
        >>> context_label(131072), context_label(16384), context_label(None)
        ('128K', '16K', '?')

    """
    if tokens is None:
        return "?"
    return f"{tokens // 1024}K" if tokens % 1024 == 0 else f"{tokens:,}"


# --------------------------------------------------------------------------- the data


@dataclass(frozen=True)
class Architecture:
    """A decoder's shape: enough to count its parameters and size its KV cache.

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
            raise CourseError(f"Tokens must be >= 0 and batch >= 1 (got {tokens} and {batch}): pass sensible sizes.")
        return float(2 * self.layers * self.kv_heads * self.head_dim * tokens * batch) * bytes_per_param(precision)


@dataclass(frozen=True)
class MoE:
    """Mixture-of-experts figures: ``experts`` of size ``expert_label``, ``experts_per_token`` used per token."""

    experts: int
    experts_per_token: int
    expert_label: str
    total_params_b: float
    active_params_b: float


@dataclass(frozen=True)
class PhiModel:
    """One model of the family, as ``data/phi_family.json`` describes it (see the schema for each field)."""

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


def _read_json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CourseError(
            f"{path} is missing: restore it with `git checkout -- {path.name}` or re-clone the repository."
        ) from None
    except json.JSONDecodeError as exc:
        raise CourseError(
            f"{path} is not valid JSON (line {exc.lineno}, column {exc.colno}): fix that spot and rerun."
        ) from None


def load_family_data(path: Path | None = None, validate: bool = True) -> dict[str, Any]:
    """Read the raw JSON document, checked against ``data/phi_family.schema.json`` when ``validate`` is true."""
    path = Path(path) if path else DATA_FILE
    data = _read_json(path)
    if validate:
        import jsonschema

        schema = _read_json(SCHEMA_FILE)
        errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(data), key=lambda e: list(e.absolute_path))
        if errors:
            where = "/".join(str(p) for p in errors[0].absolute_path) or "(top level)"
            raise CourseError(
                f"{path.name} breaks its schema at {where} ({errors[0].message[:120]}): fix that entry and rerun."
            )
    return data


@lru_cache(maxsize=4)
def _cached_family(path: str, validate: bool) -> tuple[PhiModel, ...]:
    data = load_family_data(Path(path), validate=validate)
    models = [PhiModel.from_dict(entry) for entry in data["models"]]
    # A multimodal model's KV cache is its language model's: borrow that architecture for the arithmetic.
    by_id = {m.id: m for m in models}
    return tuple(
        replace(m, kv_architecture=by_id[m.language_model].architecture)
        if m.language_model in by_id and m.kv_architecture is None
        else m
        for m in models
    )


def load_family(path: Path | None = None, validate: bool = True) -> list[PhiModel]:
    """All models of ``data/phi_family.json`` in file order (oldest generation first).

    Example:
        >>> [m.name for m in load_family()][:3]
        ['Phi-1', 'Phi-2', 'Phi-3-mini']

    """
    return list(_cached_family(str(Path(path) if path else DATA_FILE), validate))


def get_model(name: str, models: Sequence[PhiModel] | None = None) -> PhiModel:
    """Find a model by id, name, alias or Hugging Face id (case-insensitive).

    Example:
        >>> get_model("microsoft/Phi-4-mini-instruct").name
        'Phi-4-mini'

    """
    models = load_family() if models is None else models
    wanted = name.strip().lower()
    for model in models:
        names = {model.id, model.name, *model.aliases, *model.hf_ids}
        if wanted in {n.lower() for n in names}:
            return model
    raise CourseError(f"No Phi model called {name!r}: use one of {', '.join(m.id for m in models)}.")


def family_table(models: Sequence[PhiModel] | None = None) -> str:
    """Build a Markdown table of the family (show it with ``IPython.display.Markdown``)."""
    models = load_family() if models is None else models
    rows = ["| model | params | in memory | context | input | released | good for |", "|---|---|---|---|---|---|---|"]
    for m in models:
        context = " / ".join(context_label(c) for c in m.context_tokens) if m.context_tokens else "not published"
        params = f"{m.params_label} ({m.moe.active_params_b:g}B active)" if m.moe else m.params_label
        weights = "" if m.open_weights else " (not downloadable)"
        rows.append(
            f"| {m.name}{weights} | {params} | {m.params_b:g}B | {context} | {' + '.join(m.modalities_in)} "
            f"| {m.release} | {', '.join(m.tasks[:3])} |"
        )
    return "\n".join(rows)


def _generation_key(generation: str) -> float:
    return float(generation)


def consistency_problems(models: Sequence[PhiModel], known_chat_formats: Iterable[str] | None = None) -> list[str]:
    """Run the checks the schema cannot express; return one sentence per problem (empty when all is well).

    * ids and names are unique; MoE figures add up (active <= total <= experts x expert size);
    * ``params_b`` matches a MoE's total and, where the architecture is given, the count it implies;
    * tasks agree with modalities and flags (``vision`` <-> image input, ``speech`` <-> audio input,
      ``function-calling`` <-> ``function_calling``, ``long-context`` -> a 64K+ window, ``think-tags`` -> reasoning);
    * contexts ascend; a missing context, or one that differs from the upstream lesson, is explained in ``uncertain``;
    * chat formats exist in :data:`helpers.prompts.CHAT_TEMPLATES`; a later generation never predates an earlier one.
    """
    if known_chat_formats is None:
        from helpers.prompts import CHAT_TEMPLATES

        known_chat_formats = CHAT_TEMPLATES
    formats = set(known_chat_formats)
    problems: list[str] = []
    for attr in ("id", "name"):
        values = [getattr(m, attr) for m in models]
        problems += [f"Duplicate {attr} {v!r}." for v in sorted({v for v in values if values.count(v) > 1})]

    for m in models:
        say = problems.append
        if m.moe:
            expert_b = float(m.moe.expert_label.rstrip("B"))
            if not m.moe.active_params_b <= m.moe.total_params_b:
                say(f"{m.name}: active parameters ({m.moe.active_params_b}B) exceed the total.")
            if m.moe.total_params_b > m.moe.experts * expert_b:
                say(f"{m.name}: total {m.moe.total_params_b}B is more than {m.moe.experts} experts x {expert_b}B.")
            if m.moe.experts_per_token > m.moe.experts:
                say(f"{m.name}: uses more experts per token than it has.")
            if abs(m.params_b - m.moe.total_params_b) > 1e-9:
                say(f"{m.name}: params_b ({m.params_b}) should equal the MoE total ({m.moe.total_params_b}).")
        if m.architecture:
            arch = m.architecture
            if arch.hidden % arch.heads or arch.heads % arch.kv_heads:
                say(f"{m.name}: heads must divide hidden size and key/value heads must divide heads.")
            total, active = arch.param_counts()
            if abs(total / m.params - 1) > 0.02:
                say(f"{m.name}: its architecture implies {total / 1e9:.2f}B parameters, not {m.params_b}B.")
            if m.moe and abs(active / m.active_params - 1) > 0.03:
                say(f"{m.name}: its architecture implies {active / 1e9:.2f}B active, not {m.moe.active_params_b}B.")
            if m.moe and (arch.experts, arch.experts_per_token) != (m.moe.experts, m.moe.experts_per_token):
                say(f"{m.name}: architecture and moe disagree on the experts.")
        for tag, flag in [
            ("vision", "image" in m.modalities_in),
            ("speech", "audio" in m.modalities_in),
            ("function-calling", m.function_calling),
        ]:
            if (tag in m.tasks) != flag:
                say(f"{m.name}: the task {tag!r} and the matching modality/flag disagree.")
        if "long-context" in m.tasks and (m.max_context or 0) < 65536:
            say(f"{m.name}: tagged long-context but holds only {context_label(m.max_context)} tokens.")
        if m.reasoning_output != "none" and not {"reasoning", "math"} & set(m.tasks):
            say(f"{m.name}: shows its reasoning but is not tagged reasoning or math.")
        if m.language_model is not None:
            base = next((b for b in models if b.id == m.language_model), None)
            if base is None or base.architecture is None:
                say(f"{m.name}: language_model {m.language_model!r} is not a model with an architecture.")
            elif base.params_b >= m.params_b:
                say(f"{m.name}: its language model {base.name} cannot be as large as the whole model.")
        if m.context_tokens is None:
            if not m.uncertain_about("context_tokens"):
                say(f"{m.name}: no context length and no note in uncertain saying why.")
        elif list(m.context_tokens) != sorted(m.context_tokens):
            say(f"{m.name}: context_tokens must ascend.")
        upstream = m.upstream.get("context", "-").replace(" ", "")
        ours = "/".join(context_label(c) for c in m.context_tokens) if m.context_tokens else "-"
        if upstream not in ("-", ours) and not m.uncertain_about("context_tokens"):
            say(f"{m.name}: context {ours} differs from the upstream lesson's {upstream} without a note in uncertain.")
        if m.chat_format is not None and m.chat_format not in formats:
            say(f"{m.name}: chat format {m.chat_format!r} is not in helpers.prompts.CHAT_TEMPLATES.")
        if m.open_weights and m.instruction_tuned and m.chat_format is None:
            say(f"{m.name}: an open instruction-tuned model needs a chat format.")
        for note in m.uncertain:
            if note["field"] not in m.raw:
                say(f"{m.name}: uncertain names {note['field']!r}, which is not a field.")

    by_generation = sorted(models, key=lambda m: _generation_key(m.generation))
    for old in by_generation:
        for new in by_generation:
            if _generation_key(old.generation) < _generation_key(new.generation) and new.release < old.release:
                problems.append(f"{new.name} (generation {new.generation}) predates {old.name} ({old.generation}).")
    return problems


# --------------------------------------------------------------------------- choosing a model


@dataclass(frozen=True)
class Device:
    """A device class and the memory a model can realistically use on it (a rule of thumb, not a spec)."""

    name: str
    total_gb: float
    usable_gb: float
    note: str

    def __str__(self) -> str:
        return f"{self.name}: {self.usable_gb:g} of {self.total_gb:g} GB usable ({self.note})"


#: Common targets. Usable memory is an assumption: the OS and other apps keep the rest. Change it freely.
COMMON_DEVICES: dict[str, Device] = {
    d.name: d
    for d in [
        Device("phone (8 GB)", 8, 4, "the OS and other apps hold about half"),
        Device("laptop (16 GB)", 16, 10, "shared with the OS, a browser and an IDE"),
        Device("16 GB GPU", 16, 14, "the CUDA context and fragmentation take a little"),
    ]
}

_PREFERENCES = ("capable", "light")


@dataclass(frozen=True)
class Recommendation:
    """A model that fits, at which precision, with the memory it needs and the reasons for picking it."""

    model: PhiModel
    precision: str
    memory_gb: float
    reasons: tuple[str, ...]

    def __str__(self) -> str:
        lines = [f"{self.model.name} at {self.precision}: about {self.memory_gb:.1f} GB"]
        return "\n".join(lines + [f"  - {reason}" for reason in self.reasons])


@dataclass(frozen=True)
class Selection:
    """What :func:`recommend` found: ranked ``picks`` and, for every other model, why it was left out."""

    task: str
    memory_gb: float
    context_tokens: int | None
    picks: tuple[Recommendation, ...]
    rejected: dict[str, str]

    @property
    def best(self) -> Recommendation | None:
        return self.picks[0] if self.picks else None

    def __str__(self) -> str:
        context = f", {context_label(self.context_tokens)} tokens of context" if self.context_tokens else ""
        head = f"Task {self.task!r} in {self.memory_gb:g} GB{context}:"
        if not self.picks:
            return head + " nothing fits.\n" + "\n".join(f"  x {n}: {why}" for n, why in self.rejected.items())
        body = "\n".join(f"{i}. {pick}" for i, pick in enumerate(self.picks, 1))
        return f"{head}\n{body}"


def estimate_memory_gb(
    model: PhiModel,
    precision: str,
    context_tokens: int | None = None,
    overhead: float = 0.2,
    kv_precision: str = "fp16",
) -> tuple[float, list[str]]:
    """Memory to run ``model``: weights x (1 + ``overhead``), plus the KV cache for ``context_tokens``.

    ``overhead`` covers the runtime, activations and a short cache (20% is a common rule of thumb).
    The KV cache is added when the decoder's shape is known (a multimodal model borrows its language
    model's); otherwise a note says it is missing.

    Returns:
        ``(gigabytes, notes)``.

    """
    if overhead < 0:
        raise CourseError(f"overhead must be >= 0, not {overhead}: 0.2 means 20% on top of the weights.")
    weights = model.weight_gb(precision)
    total = weights * (1 + overhead)
    notes = [f"weights {weights:.1f} GB at {precision} + {overhead:.0%} runtime overhead"]
    if context_tokens:
        if model.kv_architecture:
            kv = model.kv_architecture.kv_cache_bytes(context_tokens, kv_precision) / GB
            total += kv
            notes.append(f"KV cache for {context_label(context_tokens)} tokens: {kv:.1f} GB at {kv_precision}")
        else:
            notes.append(f"KV cache for {context_label(context_tokens)} tokens not counted (no architecture data)")
    return total, notes


def recommend(
    task: str,
    memory_gb: float,
    *,
    context_tokens: int | None = None,
    images: bool = False,
    audio: bool = False,
    tools: bool = False,
    reasoning: bool = False,
    precisions: Sequence[str] = ("fp16", "int8", "int4"),
    overhead: float = 0.2,
    kv_precision: str = "fp16",
    prefer: str = "capable",
    include_closed: bool = False,
    top: int = 3,
    models: Sequence[PhiModel] | None = None,
) -> Selection:
    """Name the Phi variants that suit ``task`` in ``memory_gb`` of memory, each with the reasons why.

    A model qualifies when it is tagged with ``task`` (see ``tasks`` in ``data/phi_family.json``), has what the
    keyword flags ask for (image or audio input, function calling, visible reasoning), holds ``context_tokens``,
    and fits at one of ``precisions`` (tried in order, so the highest precision that fits wins).

    Ranking: models that carry no encoders the job leaves unused come first (why hold an audio encoder for a
    text chat?), and instruction-tuned models before base models (unless the task is ``"research"``); then
    ``prefer="capable"`` puts the newest generation and release first, then the larger model, while
    ``prefer="light"`` puts the smallest memory first (speed, battery).

    Args:
        task: One of the task tags, e.g. ``"chat"``, ``"math"``, ``"vision"``, ``"function-calling"``.
        memory_gb: Memory the model may use (see :data:`COMMON_DEVICES` for rules of thumb).
        context_tokens: Longest prompt plus answer you need, in tokens.
        images: The job sends images.
        audio: The job sends audio.
        tools: The job needs function calling.
        reasoning: The job needs multi-step reasoning (a model tagged reasoning or math).
        precisions: Weight precisions you are willing to run, best first.
        overhead: Runtime overhead on top of the weights (0.2 = 20%).
        kv_precision: Precision of the KV cache (``"fp16"``; some runtimes offer ``"int8"``).
        prefer: ``"capable"`` or ``"light"``.
        include_closed: Also consider models you cannot download (Phi-3-Silica).
        top: How many picks to return.
        models: The family to choose from (default: ``load_family()``).

    Example:
        >>> recommend("vision", 14).best.model.name
        'Phi-3.5-vision'
        >>> recommend("vision", 14, audio=True).best.model.name
        'Phi-4-multimodal'

    """
    models = load_family() if models is None else models
    known_tasks = sorted({t for m in models for t in m.tasks})
    if task not in known_tasks:
        raise CourseError(f"Unknown task {task!r}: use one of {', '.join(known_tasks)}.")
    if not memory_gb > 0:
        raise CourseError(f"memory_gb must be a positive number of gigabytes, not {memory_gb!r}.")
    if prefer not in _PREFERENCES:
        raise CourseError(f"prefer must be one of {', '.join(_PREFERENCES)}, not {prefer!r}.")
    for precision in (*precisions, kv_precision):
        bytes_per_param(precision)
    if not precisions:
        raise CourseError("precisions is empty: pass at least one, e.g. (\"fp16\", \"int4\").")

    picks: list[tuple[tuple[Any, ...], Recommendation]] = []
    rejected: dict[str, str] = {}
    for m in models:
        why_not = _requirement_gap(m, task, context_tokens, images, audio, tools, reasoning, include_closed)
        if why_not:
            rejected[m.name] = why_not
            continue
        too_big: list[tuple[str, float]] = []
        for precision in precisions:
            need, notes = estimate_memory_gb(m, precision, context_tokens, overhead, kv_precision)
            if need <= memory_gb:
                break
            too_big.append((precision, need))
        else:
            rejected[m.name] = f"needs about {need:.1f} GB even at {precision}; you have {memory_gb:g} GB"
            continue
        fits = f"fits in {memory_gb:g} GB at {precision} ({'; '.join(notes)})"
        if too_big:
            fits += f"; at {too_big[-1][0]} it would need {too_big[-1][1]:.1f} GB"
        reasons = _reasons(m, task, fits, context_tokens, images, audio, tools)
        surplus = len(set(m.modalities_in) - {"text", *(["image"] if images else []), *(["audio"] if audio else [])})
        base = int(not m.instruction_tuned and task != "research")
        if prefer == "capable":
            key = (surplus, base, -_generation_key(m.generation), _negated_release(m.release), -m.params, need, m.id)
        else:
            key = (surplus, base, need, _negated_release(m.release), m.id)
        picks.append((key, Recommendation(m, precision, need, tuple(reasons))))
    picks.sort(key=lambda item: item[0])
    ranked = [rec for _, rec in picks]
    for rec in ranked[top:]:
        rejected[rec.model.name] = f"also fits ({rec.precision}, {rec.memory_gb:.1f} GB) but ranks below the top {top}"
    return Selection(task, memory_gb, context_tokens, tuple(ranked[:top]), rejected)


def _negated_release(release: str) -> int:
    year, month = release.split("-")
    return -(int(year) * 12 + int(month))


def _requirement_gap(
    m: PhiModel,
    task: str,
    context_tokens: int | None,
    images: bool,
    audio: bool,
    tools: bool,
    reasoning: bool,
    include_closed: bool,
) -> str | None:
    """Why ``m`` cannot do the job at any precision, or ``None`` when it can."""
    if not m.open_weights and not include_closed:
        return "weights not downloadable (" + m.license.split(":")[-1].strip() + ")"
    if task not in m.tasks:
        return f"not built for {task} (good for {', '.join(m.tasks[:3])})"
    if images and "image" not in m.modalities_in:
        return "does not accept images"
    if audio and "audio" not in m.modalities_in:
        return "does not accept audio"
    if tools and not m.function_calling:
        return "no function calling"
    if reasoning and not {"reasoning", "math"} & set(m.tasks):
        return "not trained for multi-step reasoning"
    if context_tokens:
        if m.max_context is None:
            return "context length not published"
        if m.max_context < context_tokens:
            return f"holds {context_label(m.max_context)} tokens; you need {context_label(context_tokens)}"
    return None


_TASK_WORDS: dict[str, tuple[str, ...]] = {
    "chat": ("chat", "assistant", "MMLU", "rivals", "beats"),
    "code": ("code", "python"),
    "math": ("math",),
    "reasoning": ("reason",),
    "function-calling": ("function", "tool"),
    "multilingual": ("language", "multilingual", "vocabulary"),
    "long-context": ("context",),
    "vision": ("image", "ocr", "chart"),
    "speech": ("speech", "asr"),
    "on-device": ("phone", "npu", "device", "bits"),
    "research": ("data", "textbook", "trained"),
}


def _relevant_strength(m: PhiModel, task: str) -> str:
    """Pick the first listed strength that mentions the task, else the first strength."""
    words = _TASK_WORDS.get(task, (task,))
    return next((s for s in m.strengths if any(w in s.lower() for w in words)), m.strengths[0])


def _reasons(
    m: PhiModel,
    task: str,
    fits: str,
    context_tokens: int | None,
    images: bool,
    audio: bool,
    tools: bool,
) -> list[str]:
    speciality = "its speciality" if m.tasks[0] == task else f"its speciality is {m.tasks[0]}"
    reasons = [f"made for {task} ({speciality}); strength: {_relevant_strength(m, task)}"]
    reasons.append(fits)
    if context_tokens:
        reasons.append(f"holds {context_label(m.max_context)} tokens, you need {context_label(context_tokens)}")
    if images or audio:
        reasons.append(f"accepts {' + '.join(m.modalities_in)}")
    if tools:
        reasons.append("supports function calling (tools in the system turn)")
    if m.reasoning_output == "think-tags":
        reasons.append("shows its reasoning in <think>...</think> before the answer: slower, more accurate")
    if m.moe:
        reasons.append(
            f"mixture of experts: all {m.moe.total_params_b:g}B parameters must be in memory, "
            f"but each token uses only {m.moe.active_params_b:g}B, so it computes like a small model"
        )
    if not m.open_weights:
        reasons.append("not downloadable: reach it through the platform that ships it")
    return reasons
