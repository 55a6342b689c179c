"""Lab 04 (LoRA fine-tuning): the adapter configuration, its parameter count and the learning rate."""

from __future__ import annotations

from typing import Any

from helpers.checks.core import CheckResult, failed, is_unanswered, not_done, passed

__all__ = ["UPSTREAM_LORA", "check_learning_rate", "check_lora_config", "check_lora_params"]

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
    """Check a ``peft.LoraConfig`` against the upstream Phi-4-mini fine-tuning recipe.

    Introduced in lab 04.
    """
    name = "LoRA config"
    if is_unanswered(config):
        return not_done(
            name, "Build peft.LoraConfig(r=..., lora_alpha=..., lora_dropout=..., target_modules=..., task_type=...)."
        )
    missing = [k for k in (*UPSTREAM_LORA, "target_modules", "task_type") if not hasattr(config, k)]
    if missing:
        return failed(name, f"this does not look like a peft.LoraConfig (no {', '.join(missing)}).")
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
        return failed(name, "; ".join(problems) + ".")
    return passed(name, "the upstream recipe. " + "; ".join(_LORA_WHY.values()) + ".")


def check_lora_params(answer: Any, in_features: int, out_features: int, r: int = 16) -> CheckResult:
    """Check the number of trainable LoRA parameters for one ``in_features`` -> ``out_features`` linear layer.

    Introduced in lab 04.
    """
    name = "LoRA parameters for one layer"
    expected = r * (in_features + out_features)
    full = in_features * out_features
    if is_unanswered(answer):
        return not_done(
            name, f"A is r x in ({r} x {in_features}) and B is out x r ({out_features} x {r}): add their sizes."
        )
    if answer == expected:
        return passed(
            name,
            f"{r} x {in_features} + {out_features} x {r} = {expected:,} trainable numbers instead of "
            f"{full:,} ({expected / full:.1%} of the full matrix).",
        )
    hint = ""
    if answer == full:
        hint = " That is the full matrix: LoRA freezes it and trains two thin ones."
    elif answer == r * in_features * out_features or answer == r * r:
        hint = " Multiply each thin matrix's two sides and add the two products."
    return failed(
        name, f"expected {r} x {in_features} (A) + {out_features} x {r} (B) = {expected:,}, not {answer!r}.{hint}"
    )


def check_learning_rate(lr: Any, steps: int) -> CheckResult:
    """Check a learning rate for a short LoRA run of ``steps`` optimizer steps on the 135M model.

    Introduced in lab 04.
    """
    name = "learning rate"
    if is_unanswered(lr):
        return not_done(
            name, "Pick a learning rate for a few dozen steps: compare upstream's 5e-6 with the usual LoRA range."
        )
    if not isinstance(lr, (int, float)) or lr <= 0:
        return failed(name, f"a learning rate is a positive number, not {lr!r}.")
    if lr < 1e-4:
        return failed(
            name,
            f"{lr:g} is too small for {steps} steps. Upstream's 5e-6 fits its setting: a 3.8B model tuned "
            "for a whole epoch of a large chat data set (thousands of steps, and a larger model needs smaller steps). "
            f"Here {steps} steps of {lr:g} barely move the adapter; LoRA runs this short use about 1e-4 to 2e-3.",
        )
    if lr > 5e-3:
        return failed(
            name,
            f"{lr:g} is so large that the loss is likely to jump or diverge; "
            "LoRA runs this short use about 1e-4 to 2e-3.",
        )
    return passed(
        name,
        f"{lr:g} suits {steps} steps on a small model. Upstream's 5e-6 is for thousands of steps on a 3.8B model; "
        "with a few dozen steps the adapter must move further per step, so the rate is a few hundred times larger.",
    )
