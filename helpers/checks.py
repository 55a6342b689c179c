"""The checks of the labs: plain functions a learner can read, each saying what was expected and why.

Every ``check_...`` prints one verdict and returns a :class:`CheckResult`:

* ✅ *correct*, with the reason it is right (and, where several answers are right, the others);
* ❌ *not quite*, with what was expected, why, and what to try (a character-by-character difference for prompts);
* ⏳ *not done yet*, when the answer is still the learner copy's ``...`` (or ``None``), with a hint to start.

A check never raises on a wrong or missing answer, so a learner copy runs top to bottom whatever state it is in.
:func:`lab_report` sums up a lab; the solution notebooks end with :func:`assert_all_passed` so CI fails
when a solution stops passing its own checks.

The sections follow the labs: prompt formats, quantization, choosing a Phi, LoRA, function calling.
"""

from __future__ import annotations

import difflib
import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from helpers.errors import CourseError

__all__ = [
    "PASSED",
    "RESULTS",
    "SCENARIOS",
    "CheckResult",
    "Scenario",
    "answer_or",
    "assert_all_passed",
    "check_conclusion",
    "check_learning_rate",
    "check_lora_config",
    "check_lora_params",
    "check_pick",
    "check_prompt",
    "check_run_tool",
    "check_theoretical_sizes",
    "check_tool_schema",
    "check_validate_call",
    "check_vision_prompt",
    "check_weight_gb",
    "is_implemented",
    "is_unanswered",
    "lab_report",
    "text_diff",
]

PASSED, FAILED, NOT_DONE = "passed", "failed", "not done"
_ICONS = {PASSED: "✅", FAILED: "❌", NOT_DONE: "⏳"}


@dataclass(frozen=True)
class CheckResult:
    """The verdict of one check: ``status`` is ``"passed"``, ``"failed"`` or ``"not done"``.

    It is truthy only when passed. Notebooks show nothing for it (the check already printed its message).
    """

    name: str
    status: str
    message: str

    def __bool__(self) -> bool:
        return self.status == PASSED

    def _ipython_display_(self) -> None:
        """Show nothing: the check printed its verdict already."""


#: Every verdict given in this Python session, by check name (the latest one wins).
RESULTS: dict[str, CheckResult] = {}


def _verdict(name: str, status: str, message: str) -> CheckResult:
    result = CheckResult(name, status, message.strip())
    RESULTS[name] = result
    print(f"{_ICONS[status]} {name}: {result.message}")
    return result


def _passed(name: str, message: str) -> CheckResult:
    return _verdict(name, PASSED, "correct: " + message)


def _failed(name: str, message: str) -> CheckResult:
    return _verdict(name, FAILED, "not quite: " + message)


def _not_done(name: str, hint: str) -> CheckResult:
    return _verdict(name, NOT_DONE, "not done yet. " + hint)


def is_unanswered(value: Any) -> bool:
    """Tell whether ``value`` is still a learner copy's placeholder: ``...``, ``None`` or an empty string.

    Example:
        >>> is_unanswered(...), is_unanswered(""), is_unanswered("<|user|>")
        (True, True, False)

    """
    return value is ... or value is None or (isinstance(value, str) and not value.strip())


def answer_or(value: Any, fallback: Any, what: str, using: str = "a stand-in value") -> Any:
    """Use the learner's ``value``, or say visibly that ``fallback`` stands in while it is unanswered.

    Lets the cells after an unfinished exercise run, so the lab never stops with an error.

    Example:
        >>> answer_or(..., 5e-6, "LEARNING_RATE", using="upstream's 5e-6")
        ⏳ LEARNING_RATE is not done yet: using upstream's 5e-6 for now, so the rest of the lab runs.
        5e-06

    """
    if is_unanswered(value):
        print(f"⏳ {what} is not done yet: using {using} for now, so the rest of the lab runs.")
        return fallback
    return value


def lab_report(names: Sequence[str] | None = None) -> None:
    """Print how many checks passed, and which failed or are not done yet (all checks so far, or ``names``)."""
    results = [RESULTS[n] for n in names if n in RESULTS] if names else list(RESULTS.values())
    passed = sum(r.status == PASSED for r in results)
    print(f"{passed} of {len(results)} checks passed.")
    for r in results:
        if r.status != PASSED:
            print(f"  {_ICONS[r.status]} {r.name}: {r.status}")
    if results and passed == len(results):
        print("🎉 Every check passes: well done.")


def assert_all_passed(expected: int) -> None:
    """Fail loudly unless exactly ``expected`` checks ran and all passed (the solutions' self-test)."""
    failing = [f"{r.name} ({r.status})" for r in RESULTS.values() if r.status != PASSED]
    if failing or len(RESULTS) != expected:
        raise AssertionError(f"{len(RESULTS)} checks ran (expected {expected}); not passing: {failing or 'none'}")


# =========================================================================== text differences


def _show(text: str) -> str:
    """Show a string's invisible characters: newlines as backslash-n, tabs as backslash-t."""
    return repr(text)[1:-1]


def text_diff(expected: str, got: str, context: int = 25, limit: int = 4) -> str:
    r"""Describe where two strings differ, character by character, with a caret under the first difference.

    Example:
        >>> print(text_diff("<|user|>\nHi<|end|>", "<|user|>Hi<|end|>"))
        expected: <|user|>\nHi<|end|>
        yours:    <|user|>Hi<|end|>
                          ^ first difference at character 8
        - character 8: missing '\n' (after '<|user|>')

    """
    matcher = difflib.SequenceMatcher(None, expected, got, autojunk=False)
    changes = [op for op in matcher.get_opcodes() if op[0] != "equal"]
    if not changes:
        return "the strings are identical"
    first = changes[0][1]
    start = max(0, first - context)
    prefix = "…" if start else ""
    shown_exp = prefix + _show(expected[start : first + context])
    shown_got = prefix + _show(got[start : changes[0][3] + context])
    caret = " " * (len(prefix) + len(_show(expected[start:first])))
    lines = [
        f"expected: {shown_exp}",
        f"yours:    {shown_got}",
        f"          {caret}^ first difference at character {first}",
    ]
    for tag, i1, i2, j1, j2 in changes[:limit]:
        before = _show(expected[max(0, i1 - 12) : i1])
        if tag == "delete":
            what = f"missing {expected[i1:i2]!r}"
        elif tag == "insert":
            what = f"extra {got[j1:j2]!r}"
        else:
            what = f"{got[j1:j2]!r} where {expected[i1:i2]!r} belongs"
        lines.append(f"- character {i1}: {what} (after {before!r})")
    if len(changes) > limit:
        lines.append(f"- … and {len(changes) - limit} more differences")
    return "\n".join(lines)


# =========================================================================== lab 1: prompt formats

_FORMAT_NOTES = {
    "phi3": "Phi-3 and Phi-3.5 put a newline after every role tag and after every <|end|>, "
    "and the prompt ends with '<|assistant|>' and a newline, so the model writes the answer next.",
    "phi4": "Phi-4 and Phi-4-reasoning use ChatML-like tags: '<|im_start|>role<|im_sep|>text<|im_end|>' "
    "with no newlines at all, ending with '<|im_start|>assistant<|im_sep|>'.",
    "phi4-mini": "Phi-4-mini uses the Phi-3 tags without newlines: "
    "'<|system|>text<|end|><|user|>text<|end|><|assistant|>'.",
    "own": "The default model (SmolLM2) uses ChatML: '<|im_start|>role' and a newline, the text, '<|im_end|>' "
    "and a newline, ending with '<|im_start|>assistant' and a newline.",
}
_TEMPLATE_NAMES = {
    "phi3": "Phi-3.5-mini's chat template",
    "phi4": "Phi-4's chat template (Phi-4-reasoning uses the same tags)",
    "phi4-mini": "Phi-4-mini's chat template",
    "own": "the default model's own chat template",
}


def _compare_prompt(name: str, answer: Any, expected: str, note: str, source: str) -> CheckResult:
    if is_unanswered(answer):
        return _not_done(name, f"Write the prompt as one Python string. Start with {expected[:14]!r}. {note}")
    if not isinstance(answer, str):
        return _failed(name, f"the prompt must be a str, not {type(answer).__name__}.")
    if answer == expected:
        return _passed(name, f"character for character what {source} produces. {note}")
    hint = ""
    if answer.strip() == expected.strip():
        hint = " Only whitespace at the start or end differs, but a model sees every newline as a token."
    elif "\\n" in answer:
        hint = (
            " Your string contains a backslash and an 'n' as two characters: "
            "use a real newline ('\\n' in a normal string)."
        )
    return _failed(
        name,
        f"{source} renders these messages differently.{hint}\n{text_diff(expected, answer)}\nWhy it matters: {note} "
        "A model trained on one format answers worse in any other, and a missing newline is a different token.",
    )


def check_prompt(answer: Any, msgs: Sequence[Mapping[str, Any]], template: str, tokenizer: Any) -> CheckResult:
    """Compare a hand-built prompt with what the real chat template renders for ``msgs``.

    Args:
        answer: Your prompt string.
        msgs: The conversation it should encode.
        template: ``"phi3"``, ``"phi4"``, ``"phi4-mini"`` (a file in ``data/chat_templates``) or ``"own"``.
        tokenizer: The default model's tokenizer: it runs the template exactly as in production.

    """
    from helpers.prompts import render_template

    expected = render_template(msgs, template, tokenizer, add_generation_prompt=True)
    name = f"{template} prompt" if template != "own" else "ChatML prompt (default model)"
    return _compare_prompt(
        name, answer, expected, _FORMAT_NOTES.get(template, ""), _TEMPLATE_NAMES.get(template, template)
    )


def check_vision_prompt(answer: Any, text: str, n_images: int, tokenizer: Any) -> CheckResult:
    """Compare a hand-built Phi-3.5-vision prompt with the Phi-3 template and its image placeholders.

    Phi-3.5-vision uses the Phi-3 chat format; each image is a placeholder ``<|image_1|>``, ``<|image_2|>``, ...
    on its own line at the start of the user turn, which its processor replaces by the image's tokens.
    """
    from helpers.prompts import render_template

    placeholders = "".join(f"<|image_{i}|>\n" for i in range(1, n_images + 1))
    expected = render_template([{"role": "user", "content": placeholders + text}], "phi3", tokenizer)
    note = (
        f"The image placeholders <|image_1|> ... <|image_{n_images}|> come first in the user turn, one per line, "
        "numbered from 1; the processor swaps each for that image's tokens. The rest is the Phi-3 format."
    )
    return _compare_prompt(
        f"vision prompt ({n_images} images)", answer, expected, note, "the Phi-3 template with image placeholders"
    )


# =========================================================================== lab 2: quantization


def check_theoretical_sizes(answer: Any, params: float) -> CheckResult:
    """Check ``{"fp32": MB, "int8": MB, "int4": MB}``: a ``params``-parameter model's weights in MB (1e6 bytes)."""
    from helpers.phi_family import BYTES_PER_PARAM

    name = "theoretical sizes"
    wanted = {p: params * BYTES_PER_PARAM[p] / 1e6 for p in ("fp32", "int8", "int4")}
    if is_unanswered(answer) or (isinstance(answer, Mapping) and any(is_unanswered(v) for v in answer.values())):
        return _not_done(
            name,
            "Fill in a dict {'fp32': ..., 'int8': ..., 'int4': ...} of megabytes: parameters x bytes per weight / 1e6.",
        )
    if not isinstance(answer, Mapping) or set(answer) != set(wanted):
        return _failed(name, "give a dict with exactly the keys 'fp32', 'int8' and 'int4'.")
    wrong = []
    for precision, mb in wanted.items():
        got = answer[precision]
        if not isinstance(got, (int, float)) or not math.isclose(got, mb, rel_tol=0.02):
            bits = int(BYTES_PER_PARAM[precision] * 8)
            wrong.append(
                f"{precision}: you have {got!r}, expected about {mb:.0f} MB ({params:.4g} weights x {bits} bits = "
                f"{BYTES_PER_PARAM[precision]:g} bytes each)"
            )
    if wrong:
        hint = ""
        if any(
            isinstance(answer[p], (int, float)) and math.isclose(answer[p], wanted[p] * 1e6, rel_tol=0.02)
            for p in wanted
        ):
            hint = " Your numbers look like bytes: divide by 1e6 for MB."
        elif any(
            isinstance(answer[p], (int, float)) and math.isclose(answer[p], wanted[p] * 8, rel_tol=0.02) for p in wanted
        ):
            hint = " Your numbers look like megabits: a byte has 8 bits."
        return _failed(name, "; ".join(wrong) + "." + hint)
    return _passed(
        name,
        f"fp32 {wanted['fp32']:.0f} MB, int8 {wanted['int8']:.0f} MB, int4 {wanted['int4']:.0f} MB: "
        "each halving of the bits halves the weights. Real files are a bit larger: quantized weights carry "
        "a scale per block, and some tensors stay wider.",
    )


_QUALITY_COSTS = ("none", "small", "large")


def _dominating(results: Sequence[Mapping[str, Any]], pick: Mapping[str, Any]) -> Mapping[str, Any] | None:
    for other in results:
        if other is not pick and other["size_mb"] < pick["size_mb"] and other["quality"] >= pick["quality"]:
            return other
    return None


def check_conclusion(
    recommended: Any, quality_cost: Any, sentence: Any, results: Sequence[Mapping[str, Any]]
) -> CheckResult:
    """Check a conclusion against the measured numbers, loosely: any defensible reading passes.

    Args:
        recommended: The precision you would ship to a laptop, e.g. ``"int4"``.
        quality_cost: What quantizing to ``recommended`` cost in quality compared with fp32:
            ``"none"``, ``"small"`` or ``"large"``.
        sentence: One or two sentences that state your conclusion with at least one measured number.
        results: The lab's table: one dict per precision with ``precision``, ``size_mb``, ``tokens_per_s``
            and ``quality`` (the fraction of prompts answered correctly, 0 to 1).

    """
    name = "conclusion"
    if any(is_unanswered(v) for v in (recommended, quality_cost, sentence)):
        return _not_done(name, "Set RECOMMENDED, QUALITY_COST and CONCLUSION from the table and the plot above.")
    by_precision = {r["precision"]: r for r in results}
    if recommended not in by_precision:
        return _failed(name, f"RECOMMENDED must be one of {sorted(by_precision)}, not {recommended!r}.")
    if quality_cost not in _QUALITY_COSTS:
        return _failed(name, f"QUALITY_COST must be one of {_QUALITY_COSTS}, not {quality_cost!r}.")
    pick, base = by_precision[recommended], by_precision.get("fp32", max(results, key=lambda r: r["quality"]))
    better = _dominating(results, pick)
    if better is not None:
        return _failed(
            name,
            f"{better['precision']} is smaller ({better['size_mb']:.0f} MB vs {pick['size_mb']:.0f} MB) "
            "and scored at least as well "
            f"({better['quality']:.0%} vs {pick['quality']:.0%}), so nothing in the numbers speaks for {recommended}. "
            "A defensible pick is one that no other build beats on both size and quality.",
        )
    n_prompts = max(int(r.get("n_prompts", 0)) for r in results) or 8
    drop = round((base["quality"] - pick["quality"]) * n_prompts)  # prompts lost against fp32
    acceptable = {
        c
        for c, ok in (
            ("none", drop <= 0),
            ("small", 0 <= drop <= max(1, n_prompts // 3)),
            ("large", drop >= max(1, n_prompts // 4)),
        )
        if ok
    }
    if quality_cost not in acceptable:
        return _failed(
            name,
            f"{recommended} answered {pick['quality']:.0%} of the prompts correctly and fp32 {base['quality']:.0%}: "
            f"{max(drop, 0)} of {n_prompts} prompts lost, which reads as "
            f"{' or '.join(sorted(acceptable))}, not {quality_cost!r}.",
        )
    words = len(re.findall(r"[A-Za-z]+", str(sentence)))
    problems = []
    if recommended.lower() not in str(sentence).lower():
        problems.append(f"name the build you recommend ({recommended})")
    if not re.search(r"\d", str(sentence).replace(recommended, "")):
        problems.append("quote at least one measured number (a size, a speed or a score)")
    if words < 8:
        problems.append("write a full sentence or two")
    if problems:
        return _failed(name, "your choices fit the numbers, but the sentence should " + " and ".join(problems) + ".")
    ratio = base["size_mb"] / pick["size_mb"]
    speed = pick["tokens_per_s"] / base["tokens_per_s"] if base["tokens_per_s"] else float("nan")
    return _passed(
        name,
        f"the numbers support it: {recommended} is {ratio:.1f}x smaller than fp32 "
        f"and decodes {speed:.1f}x as fast here, "
        f"with a quality cost you called {quality_cost!r} ({max(drop, 0)} of {n_prompts} prompts lost).",
    )


# =========================================================================== lab 3: choosing a Phi


@dataclass(frozen=True)
class Scenario:
    """A job and a device, with the requirements :func:`helpers.phi_family.recommend` checks."""

    key: str
    story: str
    device: str
    memory_gb: float
    task: str
    images: bool = False
    tools: bool = False
    reasoning: bool = False
    context_tokens: int | None = None

    def requirements(self) -> str:
        needs = [f"task '{self.task}'", f"{self.memory_gb:g} GB usable"]
        needs += [
            label
            for flag, label in (
                (self.images, "image input"),
                (self.tools, "function calling"),
                (self.reasoning, "multi-step reasoning"),
            )
            if flag
        ]
        if self.context_tokens:
            needs.append(f"{self.context_tokens:,} tokens of context")
        return ", ".join(needs)


#: The five jobs of lab 3. Usable memory follows helpers.phi_family.COMMON_DEVICES.
SCENARIOS: dict[str, Scenario] = {
    s.key: s
    for s in [
        Scenario(
            "phone-app",
            "A notes app summarises and answers questions about your notes, offline, on the phone itself.",
            "phone (8 GB)",
            4,
            "chat",
        ),
        Scenario(
            "classroom-laptop",
            "An offline classroom laptop: pupils ask homework questions in Norwegian, Swedish and English.",
            "laptop (16 GB)",
            10,
            "multilingual",
        ),
        Scenario(
            "math-tutor",
            "A math tutor that works through algebra and geometry problems step by step.",
            "laptop (16 GB)",
            10,
            "math",
            reasoning=True,
        ),
        Scenario(
            "image-qa",
            "Answer questions about photos of receipts, charts and whiteboards.",
            "16 GB GPU",
            14,
            "vision",
            images=True,
        ),
        Scenario(
            "gpu-server",
            "A support bot that looks up orders by calling the shop's API (function calling).",
            "16 GB GPU",
            14,
            "function-calling",
            tools=True,
        ),
    ]
}


def check_weight_gb(
    answer_gb: Any,
    fits: Any,
    model: str = "phi-4",
    precision: str = "fp16",
    usable_gb: float = 14,
    overhead: float = 0.2,
) -> CheckResult:
    """Check a weight-memory estimate and whether the model fits in ``usable_gb`` with ``overhead`` on top."""
    from helpers.phi_family import bytes_per_param, get_model

    name = f"{model} at {precision}"
    spec = get_model(model)
    if is_unanswered(answer_gb) or is_unanswered(fits):
        return _not_done(
            name,
            "Weights in GB = parameters x bytes per weight / 1e9; then compare weights x 1.2 with the usable memory.",
        )
    expected = spec.weight_gb(precision)
    need = expected * (1 + overhead)
    if not isinstance(answer_gb, (int, float)) or not math.isclose(answer_gb, expected, rel_tol=0.03):
        return _failed(
            name,
            f"{spec.name} has {spec.params_b:g}B parameters; at {precision} each takes "
            f"{bytes_per_param(precision):g} bytes, so the weights need {expected:.1f} GB, not {answer_gb!r}.",
        )
    if bool(fits) != (need <= usable_gb):
        verdict = "fits" if need <= usable_gb else "does not fit"
        return _failed(
            name,
            f"the size is right, but with {overhead:.0%} for the runtime it needs {need:.1f} GB and "
            f"{usable_gb:g} GB are usable, so it {verdict}.",
        )
    return _passed(
        name,
        f"{expected:.1f} GB of weights, about {need:.1f} GB to run: "
        f"{'it fits' if fits else f'it does not fit in {usable_gb:g} GB; try a smaller precision'}.",
    )


def _parse_pick(answer: Any) -> tuple[Any, Any]:
    if isinstance(answer, str):
        return answer, None
    if isinstance(answer, (tuple, list)) and len(answer) == 2:
        return answer[0], answer[1]
    return None, None


def check_pick(scenario: str, answer: Any) -> CheckResult:
    """Check a ``(model, precision)`` pick for one of :data:`SCENARIOS`; every pick the data supports passes.

    A pick is defensible when the model is built for the job (task, inputs, tools, reasoning), its weights
    can be downloaded, and it fits the device's usable memory at the chosen precision with 20% runtime overhead.
    The message names the course's own ranking too, so you can compare reasons.
    """
    from helpers.phi_family import BYTES_PER_PARAM, estimate_memory_gb, get_model, load_family, recommend

    spec = SCENARIOS[scenario]
    name = f"pick for {scenario}"
    if is_unanswered(answer):
        return _not_done(name, f"Give (model, precision), e.g. ('Phi-3-mini', 'int4'). Needs: {spec.requirements()}.")
    model_name, precision = _parse_pick(answer)
    if model_name is None or is_unanswered(model_name):
        return _failed(name, "give a pair (model, precision), e.g. ('Phi-3-mini', 'int4').")
    try:
        model = get_model(str(model_name))
    except CourseError:
        names = ", ".join(m.name for m in load_family())
        return _failed(name, f"{model_name!r} is not in data/phi_family.json. The family: {names}.")
    if precision is None or str(precision).lower() not in BYTES_PER_PARAM:
        return _failed(
            name, f"add a precision, one of {', '.join(BYTES_PER_PARAM)}: it decides whether {model.name} fits."
        )
    precision = str(precision).lower()
    selection = recommend(
        spec.task,
        spec.memory_gb,
        context_tokens=spec.context_tokens,
        images=spec.images,
        tools=spec.tools,
        reasoning=spec.reasoning,
        precisions=("fp16", "int8", "int4"),
        top=100,
    )
    fitting = {rec.model.name: rec for rec in selection.picks}
    ranking = ", ".join(f"{rec.model.name} ({rec.precision})" for rec in selection.picks[:3]) or "nothing"
    if model.name not in fitting:
        why = selection.rejected.get(model.name, "it does not meet the requirements")
        return _failed(
            name,
            f"{model.name} is not a good fit: {why}. This job needs {spec.requirements()}. Models that fit: {ranking}.",
        )
    need, _ = estimate_memory_gb(model, precision, spec.context_tokens)
    if need > spec.memory_gb:
        return _failed(
            name,
            f"{model.name} is right for the job, but at {precision} it needs about {need:.1f} GB "
            f"and the {spec.device} leaves {spec.memory_gb:g} GB: {fitting[model.name].precision} fits "
            f"({fitting[model.name].memory_gb:.1f} GB).",
        )
    notes = [f"{model.name} at {precision} needs about {need:.1f} GB of the {spec.memory_gb:g} GB usable"]
    unused = set(model.modalities_in) - {"text", *(["image"] if spec.images else [])}
    if unused:
        notes.append(
            f"it works, though it carries {' and '.join(sorted(unused))} input the job never uses "
            "(memory you could save)"
        )
    best = fitting[model.name].precision
    if BYTES_PER_PARAM[best] > BYTES_PER_PARAM[precision]:
        notes.append(f"{best} would fit too and keeps more quality")
    others = [n for n in fitting if n != model.name][:4]
    if others:
        notes.append(f"also defensible: {', '.join(others)}")
    notes.append(f"the course's ranking (newest first, no unused encoders): {ranking}")
    return _passed(name, "; ".join(notes) + ".")


# =========================================================================== lab 4: LoRA

UPSTREAM_LORA = {"r": 16, "lora_alpha": 32, "lora_dropout": 0.05}
_LORA_WHY = {
    "r": "r is the rank: each adapted matrix W gets two thin matrices B (out x r) and A (r x in), and learns W + BA",
    "lora_alpha": "lora_alpha scales the update by alpha / r (32 / 16 = 2), "
    "so changing r does not change the step size",
    "lora_dropout": "lora_dropout randomly zeroes 5% of the adapter's inputs while training, "
    "against overfitting a small data set",
}
_LINEAR_LAYERS = {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"}


def check_lora_config(config: Any) -> CheckResult:
    """Check a ``peft.LoraConfig`` against the upstream Phi-4-mini fine-tuning recipe."""
    name = "LoRA config"
    if is_unanswered(config):
        return _not_done(
            name, "Build peft.LoraConfig(r=..., lora_alpha=..., lora_dropout=..., target_modules=..., task_type=...)."
        )
    missing = [k for k in (*UPSTREAM_LORA, "target_modules", "task_type") if not hasattr(config, k)]
    if missing:
        return _failed(name, f"this does not look like a peft.LoraConfig (no {', '.join(missing)}).")
    problems = [
        f"{key} is {getattr(config, key)!r}, upstream uses {want!r}: {_LORA_WHY[key]}"
        for key, want in UPSTREAM_LORA.items()
        if getattr(config, key) != want
    ]
    targets = config.target_modules
    if not (targets == "all-linear" or (isinstance(targets, (set, list, tuple)) and set(targets) >= _LINEAR_LAYERS)):
        problems.append(
            f"target_modules is {targets!r}: upstream adapts every linear layer ('all-linear': "
            "attention q, k, v, o and the MLP's gate, up and down projections)"
        )
    if str(getattr(config.task_type, "value", config.task_type)) != "CAUSAL_LM":
        problems.append(f"task_type is {config.task_type!r}: a chat model predicts the next token, so use 'CAUSAL_LM'")
    if problems:
        return _failed(name, "; ".join(problems) + ".")
    return _passed(name, "the upstream recipe. " + "; ".join(_LORA_WHY.values()) + ".")


def check_lora_params(answer: Any, in_features: int, out_features: int, r: int = 16) -> CheckResult:
    """Check the number of trainable LoRA parameters for one ``in_features`` -> ``out_features`` linear layer."""
    name = "LoRA parameters for one layer"
    expected = r * (in_features + out_features)
    full = in_features * out_features
    if is_unanswered(answer):
        return _not_done(
            name, f"A is r x in ({r} x {in_features}) and B is out x r ({out_features} x {r}): add their sizes."
        )
    if answer == expected:
        return _passed(
            name,
            f"{r} x {in_features} + {out_features} x {r} = {expected:,} trainable numbers instead of "
            f"{full:,} ({expected / full:.1%} of the full matrix).",
        )
    hint = ""
    if answer == full:
        hint = " That is the full matrix: LoRA freezes it and trains two thin ones."
    elif answer == r * in_features * out_features or answer == r * r:
        hint = " Multiply each thin matrix's two sides and add the two products."
    return _failed(
        name, f"expected {r} x {in_features} (A) + {out_features} x {r} (B) = {expected:,}, not {answer!r}.{hint}"
    )


def check_learning_rate(lr: Any, steps: int) -> CheckResult:
    """Check a learning rate for a short LoRA run of ``steps`` optimizer steps on the 135M model."""
    name = "learning rate"
    if is_unanswered(lr):
        return _not_done(
            name, "Pick a learning rate for a few dozen steps: compare upstream's 5e-6 with the usual LoRA range."
        )
    if not isinstance(lr, (int, float)) or lr <= 0:
        return _failed(name, f"a learning rate is a positive number, not {lr!r}.")
    if lr < 1e-4:
        return _failed(
            name,
            f"{lr:g} is too small for {steps} steps. Upstream's 5e-6 fits its setting: a 3.8B model tuned "
            "for a whole epoch of a large chat data set (thousands of steps, and a larger model needs smaller steps). "
            f"Here {steps} steps of {lr:g} barely move the adapter; LoRA runs this short use about 1e-4 to 2e-3.",
        )
    if lr > 5e-3:
        return _failed(
            name,
            f"{lr:g} is so large that the loss is likely to jump or diverge; "
            "LoRA runs this short use about 1e-4 to 2e-3.",
        )
    return _passed(
        name,
        f"{lr:g} suits {steps} steps on a small model. Upstream's 5e-6 is for thousands of steps on a 3.8B model; "
        "with a few dozen steps the adapter must move further per step, so the rate is a few hundred times larger.",
    )


# =========================================================================== lab 5: function calling

_WEATHER_GOOD = {"tool": "weather", "arguments": {"city": "Oslo"}}
_WEATHER_BAD = [
    ({"tool": "weather", "arguments": {"city": "Oslo", "unit": "celsius"}}, "an invented argument 'unit'"),
    ({"tool": "weather", "arguments": {"city": "Oslo"}, "note": "hi"}, "an invented top-level key 'note'"),
    ({"tool": "weather", "arguments": {}}, "no 'city'"),
    ({"tool": "calculator", "arguments": {"city": "Oslo"}}, "the wrong tool name"),
    ({"tool": "weather", "arguments": {"city": 42}}, "a number as the city"),
    ({"arguments": {"city": "Oslo"}}, "no 'tool' key"),
]


def _objects_without_closed_properties(schema: Any, path: str = "schema") -> list[str]:
    """Paths of ``type: object`` nodes that do not set ``additionalProperties: false``."""
    found = []
    if isinstance(schema, Mapping):
        if schema.get("type") == "object" and schema.get("additionalProperties") is not False:
            found.append(path)
        for key, value in schema.items():
            found += _objects_without_closed_properties(value, f"{path}[{key!r}]")
    elif isinstance(schema, list):
        for i, value in enumerate(schema):
            found += _objects_without_closed_properties(value, f"{path}[{i}]")
    return found


def check_tool_schema(schema: Any) -> CheckResult:
    """Check the JSON schema of a call to the ``weather`` tool (one string argument, ``city``).

    It must accept ``{"tool": "weather", "arguments": {"city": "Oslo"}}`` and reject invented keys, a missing
    or non-string city and any other tool name, and every object in it must set ``additionalProperties: false``.
    """
    import jsonschema

    name = "weather tool schema"
    if is_unanswered(schema):
        return _not_done(
            name, "Copy CALCULATOR_SCHEMA's shape: a 'tool' fixed with const, and 'arguments' with one string, 'city'."
        )
    if not isinstance(schema, Mapping):
        return _failed(name, f"a JSON schema is a dict, not {type(schema).__name__}.")
    try:
        jsonschema.Draft202012Validator.check_schema(schema)
        validator = jsonschema.Draft202012Validator(schema)
    except jsonschema.SchemaError as exc:
        return _failed(name, f"this is not a valid JSON schema: {exc.message}.")
    if not validator.is_valid(_WEATHER_GOOD):
        error = next(validator.iter_errors(_WEATHER_GOOD))
        return _failed(name, f"it rejects the correct call {json.dumps(_WEATHER_GOOD)} ({error.message}).")
    let_through = [why for call, why in _WEATHER_BAD if validator.is_valid(call)]
    open_objects = _objects_without_closed_properties(schema)
    if open_objects:
        return _failed(
            name,
            f'{", ".join(open_objects)} does not set "additionalProperties": false. Without it the '
            "guided decoder lets a small model add keys forever, until max_length (see FIELD_NOTES.md)."
            + (f" It also lets through calls with {'; '.join(let_through)}." if let_through else ""),
        )
    if let_through:
        return _failed(
            name,
            f"it accepts calls it should refuse: {'; '.join(let_through)}. Use 'const' for the tool name, "
            "'required' for every key and 'type': 'string' for the city.",
        )
    return _passed(
        name,
        "it accepts the right call and refuses invented keys, missing or mistyped arguments and other tools. "
        "The same schema guides the decoder and validates the result.",
    )


_CALL_CASES: list[tuple[str, bool, str]] = [
    ('{"tool": "calculator", "arguments": {"expression": "2+2"}}', True, "a correct calculator call"),
    (
        '{"tool": "convert_currency", "arguments": {"amount": 5, "from_currency": "EUR", "to_currency": "USD"}}',
        True,
        "a correct currency call",
    ),
    (
        '  {"tool": "calculator", "arguments": {"expression": "7*6"}}\n',
        True,
        "a correct call with whitespace around it",
    ),
    ('{"tool": "calculator", "arguments": {"expression": "2+2"}', False, "JSON cut off before its last brace"),
    ("2+2 equals 4.", False, "plain text instead of JSON"),
    ('{"tool": "math", "arguments": {"expression": "2+2"}}', False, "a tool that does not exist"),
    ('{"tool": "calculator", "arguments": {"formula": "2+2"}}', False, "a wrong argument name"),
    ('{"tool": "calculator", "arguments": {"expression": 4}}', False, "a number where a string belongs"),
    (
        '{"tool": "calculator", "arguments": {"expression": "2+2"}, "confidence": 0.9}',
        False,
        "an invented top-level key",
    ),
    ('[{"tool": "calculator", "arguments": {"expression": "2+2"}}]', False, "a list instead of one call"),
]


def check_validate_call(validate_call: Callable[[str], Any]) -> CheckResult:
    """Run your ``validate_call(text) -> (ok, reason)`` on valid and broken model outputs."""
    name = "validate_call"
    if is_unanswered(validate_call) or not callable(validate_call):
        return _not_done(name, "Define validate_call(text) returning (True, '') or (False, reason).")
    wrong = []
    for text, valid, what in _CALL_CASES:
        try:
            result = validate_call(text)
        except Exception as exc:  # a learner's function may raise anything; report it instead of crashing
            wrong.append(f"{what}: it raised {type(exc).__name__} ({exc}); catch errors and return (False, reason)")
            continue
        if result is ...:
            return _not_done(
                name, "validate_call still returns '...': parse with json.loads, then check with the schema."
            )
        if not (isinstance(result, tuple) and len(result) == 2):
            return _failed(name, f"validate_call should return a pair (ok, reason), not {result!r}.")
        if bool(result[0]) != valid:
            wrong.append(
                f"{what}: {'accepted' if result[0] else 'rejected'}, should be {'accepted' if valid else 'rejected'}"
            )
    if wrong:
        return _failed(name, f"{len(wrong)} of {len(_CALL_CASES)} cases wrong:\n  - " + "\n  - ".join(wrong))
    return _passed(
        name, f"all {len(_CALL_CASES)} cases right: only a complete JSON object that matches one tool's schema is run."
    )


_TOOL_CALLS = [
    {"tool": "calculator", "arguments": {"expression": "23*47"}},
    {"tool": "calculator", "arguments": {"expression": "(3+4)*12"}},
    {"tool": "weather", "arguments": {"city": "Oslo"}},
    {"tool": "convert_currency", "arguments": {"amount": 10, "from_currency": "EUR", "to_currency": "NOK"}},
]
_FAILING_CALLS = [
    ({"tool": "calculator", "arguments": {"expression": "1/0"}}, "a division by zero"),
    (
        {"tool": "convert_currency", "arguments": {"amount": 5, "from_currency": "XYZ", "to_currency": "EUR"}},
        "an unknown currency",
    ),
]


def check_run_tool(
    run_tool: Callable[[Mapping[str, Any]], Any], tools: Mapping[str, Callable[..., Any]]
) -> CheckResult:
    """Run your ``run_tool(call) -> str`` on validated calls, including two whose tool raises an error.

    A result must be the tool's return value as text; a tool's exception must come back as a string that starts
    with ``"error"``, not as a crash.
    """
    name = "run_tool"
    if is_unanswered(run_tool) or not callable(run_tool):
        return _not_done(
            name, "Define run_tool(call): look up TOOLS[call['tool']] and call it with **call['arguments']."
        )
    wrong = []
    for call in _TOOL_CALLS:
        if call["tool"] not in tools:
            continue
        expected = str(tools[call["tool"]](**call["arguments"]))
        try:
            got = run_tool(call)
        except Exception as exc:  # report, do not crash the learner's notebook
            wrong.append(f"{json.dumps(call)} raised {type(exc).__name__}: {exc}")
            continue
        if got is ...:
            return _not_done(name, "run_tool still returns '...': look the function up by name and pass the arguments.")
        if got != expected:
            wrong.append(f"{json.dumps(call)} gave {got!r}, expected {expected!r} (the tool's result as text)")
    for call, what in _FAILING_CALLS:
        if call["tool"] not in tools:
            continue
        try:
            got = run_tool(call)
        except Exception as exc:  # the point of this case: it must not raise
            wrong.append(f"{what} ({json.dumps(call)}) raised {type(exc).__name__}; catch it and return 'error: ...'")
            continue
        if not (isinstance(got, str) and got.lower().startswith("error")):
            wrong.append(f"{what} gave {got!r}; return a string starting with 'error'")
    if wrong:
        return _failed(
            name,
            "\n  - " + "\n  - ".join(wrong) + "\nA tool's failure goes back to the model as text, so it can "
            "say so or try again; an exception would stop your whole app.",
        )
    return _passed(
        name,
        "each validated call runs the named Python function with the model's arguments, and a failing tool "
        "becomes an 'error: ...' message instead of a crash. The model only proposes; your code decides and runs.",
    )


def is_implemented(function: Any, *probe: Any) -> bool:
    """Tell whether an exercise's function is written: callable, and not returning the stub's ``...`` for ``probe``.

    Example:
        >>> def stub(x):
        ...     return ...
        >>> is_implemented(stub, 1), is_implemented(len, "abc")
        (False, True)

    """
    if not callable(function):
        return False
    try:
        return function(*probe) is not ...
    except Exception:  # it does something; its own check reports what goes wrong
        return True
