"""The checks of the labs: plain functions a learner can read, each saying what was expected and why.

Introduced in lab 01. ``core`` is the framework (:class:`CheckResult`, the three verdicts,
:func:`answer_or`, :func:`lab_report`, :func:`text_diff`); each lab has its own module, and the cases
that are data (lab 3's scenarios, lab 5's tool calls) live in ``data/labs/``.

| module | lab |
|---|---|
| ``lab01_prompts`` | 01 prompt formats |
| ``lab02_quantization`` | 02 quantize and compare |
| ``lab03_pick_phi`` | 03 pick the right Phi |
| ``lab04_lora`` | 04 LoRA fine-tuning |
| ``lab05_tools`` | 05 function calling |

Labs import every check from here: ``from helpers.checks import check_prompt, lab_report``.
"""

from helpers.checks.core import (
    FAILED,
    NOT_DONE,
    PASSED,
    RESULTS,
    CheckResult,
    answer_or,
    assert_all_passed,
    is_implemented,
    is_unanswered,
    lab_report,
    text_diff,
)
from helpers.checks.lab01_prompts import check_prompt, check_vision_prompt
from helpers.checks.lab02_quantization import check_conclusion, check_theoretical_sizes
from helpers.checks.lab03_pick_phi import SCENARIOS, Scenario, check_pick, check_weight_gb
from helpers.checks.lab04_lora import UPSTREAM_LORA, check_learning_rate, check_lora_config, check_lora_params
from helpers.checks.lab05_tools import check_run_tool, check_tool_schema, check_validate_call

__all__ = [
    "FAILED",
    "NOT_DONE",
    "PASSED",
    "RESULTS",
    "SCENARIOS",
    "UPSTREAM_LORA",
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
