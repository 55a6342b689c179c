"""The checks of the labs: plain functions a learner can read, each saying what was expected and why.

Introduced in lab 01. ``core`` is the framework (:class:`CheckResult`, the three verdicts,
:func:`answer_or`, :func:`lab_report`, :func:`text_diff`); each lab has its own module, and the cases
that are data (lab 3's scenarios, lab 5's tool calls) live in ``data/labs/``. Each lab module names the
helpers that would compute its answers (``FORBIDDEN``): learner copies may not import them.

| module | lab |
|---|---|
| ``lab01_prompts`` | 01 prompt formats |
| ``lab02_quantization`` | 02 quantize and compare |
| ``lab03_pick_phi`` | 03 pick the right Phi |
| ``lab04_lora`` | 04 LoRA fine-tuning |
| ``lab05_tools`` | 05 function calling |
| ``lab06_textbook_data`` | 06 textbook data |

Labs import every check from here: ``from helpers.checks import check_prompt, lab_report``.
"""

from helpers.checks import (
    lab01_prompts,
    lab02_quantization,
    lab03_pick_phi,
    lab04_lora,
    lab05_tools,
    lab06_textbook_data,
)
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
from helpers.checks.lab03_pick_phi import SCENARIOS, Scenario, check_pick, check_weight_gb, course_ranking
from helpers.checks.lab04_lora import UPSTREAM_LORA, check_learning_rate, check_lora_config, check_lora_params
from helpers.checks.lab05_tools import check_run_tool, check_tool_schema, check_validate_call
from helpers.checks.lab06_textbook_data import MEASURED, check_data_gain, check_training_set, check_wilson

#: Each lab's helpers that compute an answer, by lab folder: a learner copy may not import them.
FORBIDDEN_BY_LAB = {
    "01-prompt-formats": lab01_prompts.FORBIDDEN,
    "02-quantize-and-compare": lab02_quantization.FORBIDDEN,
    "03-pick-the-right-phi": lab03_pick_phi.FORBIDDEN,
    "04-lora-fine-tuning": lab04_lora.FORBIDDEN,
    "05-function-calling": lab05_tools.FORBIDDEN,
    "06-textbook-data": lab06_textbook_data.FORBIDDEN,
}

__all__ = [
    "FAILED",
    "FORBIDDEN_BY_LAB",
    "MEASURED",
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
    "check_data_gain",
    "check_learning_rate",
    "check_lora_config",
    "check_lora_params",
    "check_pick",
    "check_prompt",
    "check_run_tool",
    "check_theoretical_sizes",
    "check_tool_schema",
    "check_training_set",
    "check_validate_call",
    "check_vision_prompt",
    "check_weight_gb",
    "check_wilson",
    "course_ranking",
    "is_implemented",
    "is_unanswered",
    "lab_report",
    "text_diff",
]
