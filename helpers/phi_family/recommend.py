"""Pick a Phi variant for a job and a device, and say why (and why not the others)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from helpers.errors import CourseError
from helpers.i18n import N_, _
from helpers.phi_family.data import load_family
from helpers.phi_family.memory import GB, bytes_per_param, context_label
from helpers.phi_family.model import PhiModel
from helpers.phi_family.validation import generation_key

__all__ = ["COMMON_DEVICES", "Device", "Recommendation", "Selection", "estimate_memory_gb", "recommend"]


@dataclass(frozen=True)
class Device:
    """A device class and the memory a model can realistically use on it (a rule of thumb, not a spec).

    Introduced in notebook 02.
    """

    name: str
    total_gb: float
    usable_gb: float
    note: str

    def __str__(self) -> str:
        # TRANSLATORS: a device line: "phone (8 GB): 4 of 8 GB usable (the OS and other apps hold about half)".
        return _("{name}: {usable_gb:g} of {total_gb:g} GB usable ({note})").format(
            name=_(self.name), usable_gb=self.usable_gb, total_gb=self.total_gb, note=_(self.note))


#: Common targets. Usable memory is an assumption: the OS and other apps keep the rest. Change it freely.
COMMON_DEVICES: dict[str, Device] = {
    d.name: d
    for d in [
        Device(N_("phone (8 GB)"), 8, 4, N_("the OS and other apps hold about half")),
        Device(N_("laptop (16 GB)"), 16, 10, N_("shared with the OS, a browser and an IDE")),
        Device(N_("16 GB GPU"), 16, 14, N_("the CUDA context and fragmentation take a little")),
    ]
}

_PREFERENCES = ("capable", "light")


@dataclass(frozen=True)
class Recommendation:
    """A model that fits, at which precision, with the memory it needs and the reasons for picking it.

    Introduced in notebook 02.
    """

    model: PhiModel
    precision: str
    memory_gb: float
    reasons: tuple[str, ...]

    def __str__(self) -> str:
        lines = [_("{name} at {precision}: about {memory_gb:.1f} GB").format(
            name=self.model.name, precision=self.precision, memory_gb=self.memory_gb)]
        return "\n".join(lines + [f"  - {reason}" for reason in self.reasons])


@dataclass(frozen=True)
class Selection:
    """What :func:`recommend` found: ranked ``picks`` and, for every other model, why it was left out.

    Introduced in notebook 02.
    """

    task: str
    memory_gb: float
    context_tokens: int | None
    picks: tuple[Recommendation, ...]
    rejected: dict[str, str]

    @property
    def best(self) -> Recommendation | None:
        return self.picks[0] if self.picks else None

    def __str__(self) -> str:
        if self.context_tokens:
            # TRANSLATORS: {task} is a task id from the data (chat, vision, ...), kept as it is.
            head = _("Task {task!r} in {memory_gb:g} GB, {context} tokens of context:").format(
                task=self.task, memory_gb=self.memory_gb, context=context_label(self.context_tokens))
        else:
            head = _("Task {task!r} in {memory_gb:g} GB:").format(task=self.task, memory_gb=self.memory_gb)
        if not self.picks:
            return head + " " + _("nothing fits.") + "\n" + "\n".join(
                f"  x {n}: {why}" for n, why in self.rejected.items())
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

    Introduced in notebook 02.

    ``overhead`` covers the runtime, activations and a short cache (20% is a common rule of thumb).
    The KV cache is added when the decoder's shape is known (a multimodal model borrows its language
    model's); otherwise a note says it is missing.

    Returns:
        ``(gigabytes, notes)``.

    """
    if overhead < 0:
        raise CourseError(_(
            "overhead must be >= 0, not {overhead}: 0.2 means 20% on top of the weights."
        ).format(overhead=overhead))
    weights = model.weight_gb(precision)
    total = weights * (1 + overhead)
    notes = [_("weights {weights:.1f} GB at {precision} + {overhead:.0%} runtime overhead").format(
        weights=weights, precision=precision, overhead=overhead)]
    if context_tokens:
        if model.kv_architecture:
            kv = model.kv_architecture.kv_cache_bytes(context_tokens, kv_precision) / GB
            total += kv
            notes.append(_("KV cache for {context} tokens: {kv:.1f} GB at {kv_precision}").format(
                context=context_label(context_tokens), kv=kv, kv_precision=kv_precision))
        else:
            notes.append(_("KV cache for {context} tokens not counted (no architecture data)").format(
                context=context_label(context_tokens)))
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

    Introduced in notebook 02.

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
        raise CourseError(_(
            "Unknown task {task!r}: use one of {choices}."
        ).format(task=task, choices=', '.join(known_tasks)))
    if not memory_gb > 0:
        raise CourseError(_(
            "memory_gb must be a positive number of gigabytes, not {memory_gb!r}."
        ).format(memory_gb=memory_gb))
    if prefer not in _PREFERENCES:
        raise CourseError(_(
            "prefer must be one of {choices}, not {prefer!r}."
        ).format(choices=', '.join(_PREFERENCES), prefer=prefer))
    for precision in (*precisions, kv_precision):
        bytes_per_param(precision)
    if not precisions:
        raise CourseError(_("precisions is empty: pass at least one, e.g. (\"fp16\", \"int4\")."))

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
            rejected[m.name] = _("needs about {need:.1f} GB even at {precision}; you have {memory_gb:g} GB").format(
                need=need, precision=precision, memory_gb=memory_gb)
            continue
        if too_big:
            fits = _("fits in {memory_gb:g} GB at {precision} ({notes}); at {larger} it would need {larger_gb:.1f} GB")
        else:
            fits = _("fits in {memory_gb:g} GB at {precision} ({notes})")
        fits = fits.format(memory_gb=memory_gb, precision=precision, notes="; ".join(notes),
                           larger=too_big[-1][0] if too_big else "", larger_gb=too_big[-1][1] if too_big else 0.0)
        reasons = _reasons(m, task, fits, context_tokens, images, audio, tools)
        surplus = len(set(m.modalities_in) - {"text", *(["image"] if images else []), *(["audio"] if audio else [])})
        base = int(not m.instruction_tuned and task != "research")
        if prefer == "capable":
            key = (surplus, base, -generation_key(m.generation), _negated_release(m.release), -m.params, need, m.id)
        else:
            key = (surplus, base, need, _negated_release(m.release), m.id)
        picks.append((key, Recommendation(m, precision, need, tuple(reasons))))
    picks.sort(key=lambda item: item[0])
    ranked = [rec for _, rec in picks]
    for rec in ranked[top:]:
        rejected[rec.model.name] = _(
            "also fits ({precision}, {memory_gb:.1f} GB) but ranks below the top {top}"
        ).format(precision=rec.precision, memory_gb=rec.memory_gb, top=top)
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
        # TRANSLATORS: {license} is what follows the colon of the model's translated license from the data
        # ("Proprietary: ships with Windows 11 on Copilot+ PCs" shows "ships with Windows 11 on Copilot+ PCs").
        return _("weights not downloadable ({license})").format(license=_(m.license).split(":")[-1].strip())
    if task not in m.tasks:
        # TRANSLATORS: {task} and {tasks} are task ids from the data (chat, multilingual, vision), kept as they are.
        return _("not built for {task} (good for {tasks})").format(task=task, tasks=", ".join(m.tasks[:3]))
    if images and "image" not in m.modalities_in:
        return _("does not accept images")
    if audio and "audio" not in m.modalities_in:
        return _("does not accept audio")
    if tools and not m.function_calling:
        return _("no function calling")
    if reasoning and not {"reasoning", "math"} & set(m.tasks):
        return _("not trained for multi-step reasoning")
    if context_tokens:
        if m.max_context is None:
            return _("context length not published")
        if m.max_context < context_tokens:
            return _("holds {held} tokens; you need {needed}").format(
                held=context_label(m.max_context), needed=context_label(context_tokens))
    return None


_TASK_WORDS: dict[str, tuple[str, ...]] = {
    "chat": ("chat", "assistant", "mmlu", "rivals", "beats"),
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
    """Pick the first listed strength that mentions the task, else the first strength (translated)."""
    words = _TASK_WORDS.get(task, (task,))
    return _(next((s for s in m.strengths if any(w in s.lower() for w in words)), m.strengths[0]))


def _reasons(
    m: PhiModel,
    task: str,
    fits: str,
    context_tokens: int | None,
    images: bool,
    audio: bool,
    tools: bool,
) -> list[str]:
    strength = _relevant_strength(m, task)
    if m.tasks[0] == task:
        # TRANSLATORS: {task} is a task id from the data; {strength} is a sentence from the model's data (translated).
        reasons = [_("made for {task} (its speciality); strength: {strength}").format(task=task, strength=strength)]
    else:
        # TRANSLATORS: {task} and {speciality} are task ids from the data; {strength} is from the model's data.
        reasons = [_("made for {task} (its speciality is {speciality}); strength: {strength}").format(
            task=task, speciality=m.tasks[0], strength=strength)]
    reasons.append(fits)
    if context_tokens:
        reasons.append(_("holds {held} tokens, you need {needed}").format(
            held=context_label(m.max_context), needed=context_label(context_tokens)))
    if images or audio:
        # TRANSLATORS: {inputs} are input kinds from the data (text + image + audio), kept as they are.
        reasons.append(_("accepts {inputs}").format(inputs=" + ".join(m.modalities_in)))
    if tools:
        reasons.append(_("supports function calling (tools in the system turn)"))
    if m.reasoning_output == "think-tags":
        reasons.append(_("shows its reasoning in <think>...</think> before the answer: slower, more accurate"))
    if m.moe:
        reasons.append(_(
            "mixture of experts: all {total_b:g}B parameters must be in memory, "
            "but each token uses only {active_b:g}B, so it computes like a small model"
        ).format(total_b=m.moe.total_params_b, active_b=m.moe.active_params_b))
    if not m.open_weights:
        reasons.append(_("not downloadable: reach it through the platform that ships it"))
    return reasons
