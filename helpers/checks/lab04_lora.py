"""Lab 04 (LoRA fine-tuning): the adapter configuration, its parameter count and the learning rate."""

from __future__ import annotations

from typing import Any

from helpers.checks.core import CheckResult, failed, is_unanswered, not_done, passed
from helpers.i18n import N_, _

__all__ = [
    "FORBIDDEN",
    "LORA_SHORT_RUN_LR",
    "UPSTREAM_LORA",
    "check_learning_rate",
    "check_lora_config",
    "check_lora_params",
]

#: Nothing in the course computes lab 4's answers (the parameter count, the rate): no helper is forbidden.
FORBIDDEN: tuple[str, ...] = ()

UPSTREAM_LORA = {"r": 16, "lora_alpha": 32, "lora_dropout": 0.05}


_LORA_WHY = {
    "r": N_(
        "r is the rank: each adapted matrix W gets two thin matrices B (out x r) and A (r x in), and learns W + BA"
    ),
    "lora_alpha": N_(
        "lora_alpha scales the update by alpha / r (32 / 16 = 2), so changing r does not change the step size"
    ),
    "lora_dropout": N_(
        "lora_dropout randomly zeroes 5% of the adapter's inputs while training, against overfitting a small data set"
    ),
}


_LINEAR_LAYERS = {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"}


def check_lora_config(config: Any) -> CheckResult:
    """Check a ``peft.LoraConfig`` against the upstream Phi-4-mini fine-tuning recipe.

    Introduced in lab 04.
    """
    name = N_("LoRA config")
    if is_unanswered(config):
        return not_done(
            name, _(
                "Build peft.LoraConfig(r=..., lora_alpha=..., lora_dropout=..., target_modules=..., task_type=...)."
            )
        )
    missing = [k for k in (*UPSTREAM_LORA, "target_modules", "task_type") if not hasattr(config, k)]
    if missing:
        return failed(name, _(
            "this does not look like a peft.LoraConfig (no {choices})."
        ).format(choices=', '.join(missing)))
    problems = [
        # TRANSLATORS: {key} is a LoraConfig field (r, lora_alpha); {why} is the sentence explaining it.
        _("{key} is {value!r}, upstream uses {want!r}: {why}").format(
            key=key, value=getattr(config, key), want=want, why=_(_LORA_WHY[key]))
        for key, want in UPSTREAM_LORA.items()
        if getattr(config, key) != want
    ]
    targets = config.target_modules
    if not (targets == "all-linear" or (isinstance(targets, (set, list, tuple)) and set(targets) >= _LINEAR_LAYERS)):
        problems.append(_(
            "target_modules is {targets!r}: upstream adapts every linear layer ('all-linear': "
            "attention q, k, v, o and the MLP's gate, up and down projections)"
        ).format(targets=targets))
    if str(getattr(config.task_type, "value", config.task_type)) != "CAUSAL_LM":
        problems.append(_(
            "task_type is {task_type!r}: a chat model predicts the next token, so use 'CAUSAL_LM'"
        ).format(task_type=config.task_type))
    if problems:
        return failed(name, "; ".join(problems) + ".")
    reasons = "; ".join(_(why) for why in _LORA_WHY.values())
    return passed(name, _("the upstream recipe. {reasons}.").format(reasons=reasons))


def check_lora_params(answer: Any, in_features: int, out_features: int, r: int = 16) -> CheckResult:
    """Check the number of trainable LoRA parameters for one ``in_features`` -> ``out_features`` linear layer.

    Introduced in lab 04.
    """
    name = N_("LoRA parameters for one layer")
    expected = r * (in_features + out_features)
    full = in_features * out_features
    if is_unanswered(answer):
        return not_done(
            name, _(
                "A is r x in ({r} x {in_features}) and B is out x r ({out_features} x {r}): add their sizes."
            ).format(r=r, in_features=in_features, out_features=out_features)
        )
    if isinstance(answer, str) and answer.replace(",", "").replace("_", "").replace(" ", "").isdigit():
        answer = int(answer.replace(",", "").replace("_", "").replace(" ", ""))  # "18,432" is a number too
    if not isinstance(answer, bool) and answer == expected:
        return passed(
            name,
            _(
                "{r} x {in_features} + {out_features} x {r} = {expected:,} trainable numbers instead of "
                "{full:,} ({share:.1%} of the full matrix)."
            ).format(
                r=r, in_features=in_features, out_features=out_features, expected=expected, full=full,
                share=expected / full,
            ),
        )
    hint = ""
    if answer == full:
        hint = " " + _("That is the full matrix: LoRA freezes it and trains two thin ones.")
    elif answer == r * in_features * out_features or answer == r * r:
        hint = " " + _("Multiply each thin matrix's two sides and add the two products.")
    return failed(
        name, _(
            "expected {r} x {in_features} (A) + {out_features} x {r} (B) = {expected:,}, not {answer!r}.{hint}"
        ).format(r=r, in_features=in_features, out_features=out_features, expected=expected, answer=answer, hint=hint)
    )


#: The learning rates a short LoRA run on the 135M model needs (the lab's text names the same range).
LORA_SHORT_RUN_LR = (1e-4, 2e-3)
#: LoRA's adapter starts at zero and must travel: about steps x rate >= 18 x 1e-4 in this lab's runs.
MIN_TOTAL_STEP = 18 * 1e-4


def _lr_range(steps: int) -> tuple[float, float]:
    low, high = LORA_SHORT_RUN_LR
    return max(low, MIN_TOTAL_STEP / max(steps, 1)), high


def check_learning_rate(lr: Any, steps: int) -> CheckResult:
    """Check a learning rate for a short LoRA run of ``steps`` optimizer steps on the 135M model.

    Introduced in lab 04.

    The reasoning is steps x rate: the adapter starts at zero, so the total distance it can move is about the
    number of steps times the rate. A few dozen steps need roughly 1e-4 to 2e-3 (fewer steps raise the lower end);
    upstream's 5e-6 is a full-fine-tune-sized rate from Microsoft's sample, and LoRA runs commonly use 1e-4 to 2e-4.
    """
    from helpers.checks.core import as_number

    name = N_("learning rate")
    low, high = _lr_range(steps)
    if is_unanswered(lr):
        return not_done(name, _(
            "Pick a learning rate for {steps} steps: steps x rate is how far the adapter can move. "
            "Compare upstream's 5e-6 with the usual LoRA range."
        ).format(steps=steps))
    value = as_number(lr)
    if value is None or value <= 0:
        return failed(name, _("a learning rate is a positive number such as 1e-3, not {lr!r}.").format(lr=lr))
    reasoning = _(
        "Here {steps} steps x {value:g} = {total:.2g} in total. Upstream's 5e-6 comes from Microsoft's "
        "Phi fine-tuning sample and is sized for a full fine-tune (every weight moves a little, over thousands of "
        "steps); LoRA runs commonly use 1e-4 to 2e-4 over hundreds of steps, and a run of a few dozen steps on a "
        "135M model needs roughly {low:g} to {high:g}."
    ).format(steps=steps, value=value, total=steps * value, low=low, high=high)
    if value < low:
        return failed(name, _(
            "{value:g} is too small: the adapter starts at zero and barely moves. {reasoning}"
        ).format(value=value, reasoning=reasoning))
    if value > high:
        return failed(
            name, _(
                "{value:g} is too large: the loss is likely to jump or diverge in a few steps. {reasoning}"
            ).format(value=value, reasoning=reasoning)
        )
    return passed(name, _(
        "{value:g} suits {steps} steps on a small model. {reasoning} With a few dozen steps the adapter must move "
        "further per step, so the rate is a few hundred times upstream's."
    ).format(value=value, steps=steps, reasoning=reasoning))
