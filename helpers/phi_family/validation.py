"""The checks ``data/phi_family.json`` needs beyond its JSON schema: figures that must add up, tags that must agree."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from helpers.phi_family.memory import context_label
from helpers.phi_family.model import PhiModel

__all__ = ["consistency_problems", "generation_key"]


def generation_key(generation: str) -> float:
    """Sort key of a generation label such as ``\"3.5\"``.

    Introduced in notebook 02.
    """
    return float(generation)


def consistency_problems(models: Sequence[PhiModel], known_chat_formats: Iterable[str] | None = None) -> list[str]:
    """Run the checks the schema cannot express; return one sentence per problem (empty when all is well).

    Introduced in notebook 02.

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
        problems += _size_problems(m) + _tag_problems(m, models, formats)

    by_generation = sorted(models, key=lambda m: generation_key(m.generation))
    for old in by_generation:
        for new in by_generation:
            if generation_key(old.generation) < generation_key(new.generation) and new.release < old.release:
                problems.append(f"{new.name} (generation {new.generation}) predates {old.name} ({old.generation}).")
    return problems


def _size_problems(m: PhiModel) -> list[str]:
    """MoE figures and architecture counts that do not add up."""
    problems: list[str] = []
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
    return problems


def _tag_problems(m: PhiModel, models: Sequence[PhiModel], formats: set[str]) -> list[str]:
    """Tasks, flags, contexts, chat formats and notes that disagree with each other."""
    problems: list[str] = []
    say = problems.append
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
    return problems
