"""The labs' checks: right answers pass, wrong ones get a helpful message, placeholders say "not done yet".

The prompt checks run the real chat templates through the default model's tokenizer (no model weights).
"""

import json

import pytest

from helpers import checks
from helpers.checks import (
    FAILED,
    NOT_DONE,
    PASSED,
    SCENARIOS,
    check_conclusion,
    check_learning_rate,
    check_lora_config,
    check_lora_params,
    check_pick,
    check_prompt,
    check_run_tool,
    check_theoretical_sizes,
    check_validate_call,
    check_vision_prompt,
    check_weight_gb,
    text_diff,
)
from helpers.prompts import PHI4_REASONING_SYSTEM, chatml, messages, phi3, phi4_reasoning, phi_vision

pytestmark = pytest.mark.usefixtures("fresh_check_results")


MSGS = messages("What is the capital of Norway?", system="Answer in one sentence.")


# --------------------------------------------------------------------------- text_diff


def test_text_diff_points_at_the_first_difference():
    report = text_diff("<|user|>\nHi<|end|>\n", "<|user|>Hi<|end|>")
    lines = report.splitlines()
    assert "first difference at character 8" in lines[2]
    assert lines[2].index("^") == len("          ") + len("<|user|>")
    assert "missing '\\n' (after '<|user|>')" in report


def test_text_diff_names_replacements_and_extras():
    assert "'X' where 'b' belongs" in text_diff("abc", "aXc")
    assert "extra 'im_' (after 'a<|')" in text_diff("a<|end|>", "a<|im_end|>")
    assert "extra ' '" in text_diff("ab", "a b")
    assert text_diff("same", "same") == "the strings are identical"


def test_placeholders_count_as_unanswered():
    assert all(checks.is_unanswered(v) for v in (..., None, "", "   "))
    assert not any(checks.is_unanswered(v) for v in ("x", 0, False, [], {"a": 1}))


# --------------------------------------------------------------------------- lab 1


@pytest.mark.parametrize(
    ("template", "builder", "msgs"),
    [
        ("phi3", phi3, MSGS),
        ("phi4", phi4_reasoning, messages("What is 2+2?", system=PHI4_REASONING_SYSTEM)),
        ("own", chatml, MSGS),
    ],
)
def test_prompt_check_passes_the_right_prompt(tokenizer, template, builder, msgs, capsys):
    result = check_prompt(builder(msgs), msgs, template, tokenizer)
    assert result.status == PASSED
    assert "✅" in capsys.readouterr().out


def test_prompt_check_shows_a_missing_newline(tokenizer, capsys):
    wrong = phi3(MSGS).replace("<|system|>\n", "<|system|>", 1)
    result = check_prompt(wrong, MSGS, "phi3", tokenizer)
    assert result.status == FAILED
    out = capsys.readouterr().out
    assert "❌" in out and "first difference at character 10" in out and "missing '\\n'" in out
    assert "newline after every role tag" in out  # says why, not only where


def test_prompt_check_recognises_a_typed_backslash_n(tokenizer):
    typed = phi3(MSGS).replace("\n", "\\n")
    assert "backslash" in check_prompt(typed, MSGS, "phi3", tokenizer).message


def test_prompt_check_says_not_done_for_placeholders(tokenizer):
    for placeholder in (..., None, ""):
        result = check_prompt(placeholder, MSGS, "phi4", tokenizer)
        assert result.status == NOT_DONE
        assert "not done yet" in result.message and "<|im_start|>" in result.message


def test_prompt_check_rejects_a_non_string(tokenizer):
    assert check_prompt(["<|user|>"], MSGS, "phi3", tokenizer).status == FAILED


def test_vision_prompt_check(tokenizer):
    question = "What changed?"
    assert check_vision_prompt(phi_vision(question, n_images=2), question, 2, tokenizer)
    swapped = phi_vision(question, n_images=2).replace("<|image_1|>\n<|image_2|>", "<|image_2|>\n<|image_1|>")
    result = check_vision_prompt(swapped, question, 2, tokenizer)
    assert result.status == FAILED and "numbered from 1" in result.message


# --------------------------------------------------------------------------- lab 2


def test_theoretical_sizes():
    params = 134.5e6
    right = {"fp32": params * 4 / 1e6, "int8": params / 1e6, "int4": params / 2e6}
    assert check_theoretical_sizes(right, params)
    in_bytes = {k: v * 1e6 for k, v in right.items()}
    assert "look like bytes" in check_theoretical_sizes(in_bytes, params).message
    wrong = {**right, "int4": right["int8"]}
    message = check_theoretical_sizes(wrong, params).message
    assert "int4" in message and "67 MB" in message and "fp32:" not in message
    assert check_theoretical_sizes(..., params).status == NOT_DONE
    assert check_theoretical_sizes({"fp32": ..., "int8": ..., "int4": ...}, params).status == NOT_DONE
    assert check_theoretical_sizes({"fp16": 1}, params).status == FAILED


TABLE = [
    {"precision": "fp32", "size_mb": 540, "tokens_per_s": 14.0, "quality": 1.0, "n_prompts": 10},
    {"precision": "int8", "size_mb": 267, "tokens_per_s": 27.0, "quality": 1.0, "n_prompts": 10},
    {"precision": "int4", "size_mb": 87, "tokens_per_s": 47.0, "quality": 0.4, "n_prompts": 10},
]
SENTENCE = "int8 is half the size of fp32 at 267 MB and lost no answers, so I would ship int8."


def test_conclusion_accepts_every_defensible_reading():
    assert check_conclusion("int8", "none", SENTENCE, TABLE)
    int4 = "int4 is 6x smaller at 87 MB but answered only 40% correctly, a large cost I accept for a phone."
    assert check_conclusion("int4", "large", int4, TABLE)


def test_conclusion_rejects_a_dominated_pick_and_says_which_build_wins():
    result = check_conclusion("fp32", "none", SENTENCE.replace("int8", "fp32"), TABLE)
    assert result.status == FAILED and "int8 is smaller" in result.message


def test_conclusion_rejects_a_quality_verdict_the_numbers_contradict():
    result = check_conclusion("int4", "none", "int4 at 87 MB is the best choice for everyone here.", TABLE)
    assert result.status == FAILED and "6 of 10 prompts lost" in result.message


def test_conclusion_wants_a_sentence_with_a_number():
    result = check_conclusion("int8", "none", "int8 is the best choice for this laptop app, clearly.", TABLE)
    assert result.status == FAILED and "number from your table" in result.message
    assert check_conclusion("int8", "none", ..., TABLE).status == NOT_DONE
    assert check_conclusion("int16", "none", SENTENCE, TABLE).status == FAILED


# --------------------------------------------------------------------------- lab 3


def test_weight_gb_check():
    assert check_weight_gb(29.4, False, model="phi-4", precision="fp16", usable_gb=14)
    too_big = check_weight_gb(29.4, True, model="phi-4", precision="fp16", usable_gb=14)
    assert too_big.status == FAILED and "does not fit" in too_big.message
    wrong_size = check_weight_gb(14.7, False, model="phi-4", precision="fp16", usable_gb=14)
    assert wrong_size.status == FAILED and "2 bytes" in wrong_size.message
    assert check_weight_gb(..., ..., model="phi-4").status == NOT_DONE


def test_every_scenario_accepts_the_course_ranking_and_explains():
    from helpers.phi_family import recommend

    for key, spec in SCENARIOS.items():
        selection = recommend(spec.task, spec.memory_gb, images=spec.images, tools=spec.tools, reasoning=spec.reasoning)
        assert selection.picks, f"nothing fits {key}: the scenario or the data changed"
        for pick in selection.picks:
            result = check_pick(key, (pick.model.name, pick.precision))
            assert result.status == PASSED, result.message
            assert f"{spec.memory_gb:g} GB usable" in result.message


def test_pick_messages_explain_what_is_wrong():
    no_images = check_pick("image-qa", ("Phi-4-mini", "int4"))
    assert no_images.status == FAILED and "not built for vision" in no_images.message
    assert "Phi-3.5-vision" in no_images.message  # names what would fit
    too_big = check_pick("phone-app", ("Phi-4-mini", "fp16"))
    assert too_big.status == FAILED and "int4 fits" in too_big.message
    no_tools = check_pick("gpu-server", ("Phi-3.5-mini", "fp16"))
    assert no_tools.status == FAILED and "function calling" in no_tools.message
    assert check_pick("phone-app", ("GPT-4", "int4")).status == FAILED
    missing_precision = check_pick("phone-app", "Phi-4-mini")
    assert missing_precision.status == FAILED and "precision" in missing_precision.message
    assert check_pick("phone-app", ...).status == NOT_DONE


def test_a_defensible_but_heavier_pick_passes_with_a_note():
    result = check_pick("phone-app", ("Phi-4-multimodal", "int4"))
    assert result.status == PASSED and "never uses" in result.message
    lower = check_pick("classroom-laptop", ("Phi-3.5-mini", "int4"))
    assert lower.status == PASSED and "would fit too" in lower.message


# --------------------------------------------------------------------------- lab 4


def test_lora_config_check():
    from peft import LoraConfig

    upstream = LoraConfig(r=16, lora_alpha=32, lora_dropout=0.05, target_modules="all-linear", task_type="CAUSAL_LM")
    assert check_lora_config(upstream)
    wrong = LoraConfig(
        r=8, lora_alpha=32, lora_dropout=0.05, target_modules=["q_proj", "v_proj"], task_type="CAUSAL_LM"
    )
    message = check_lora_config(wrong).message
    assert "r is 8" in message and "rank" in message and "target_modules" in message
    assert check_lora_config(...).status == NOT_DONE
    assert check_lora_config({"r": 16}).status == FAILED


def test_lora_params_and_learning_rate_checks():
    assert check_lora_params(16 * (576 + 576), 576, 576)
    assert "full matrix" in check_lora_params(576 * 576, 576, 576).message
    assert check_lora_params(..., 576, 576).status == NOT_DONE
    assert check_learning_rate(1e-3, steps=12)
    too_small = check_learning_rate(5e-6, steps=12)
    assert too_small.status == FAILED and "full fine-tune" in too_small.message
    assert check_learning_rate(0.1, steps=12).status == FAILED
    assert check_learning_rate(None, steps=12).status == NOT_DONE


# --------------------------------------------------------------------------- lab 5

CALL_SCHEMA = {
    "anyOf": [
        {
            "type": "object",
            "properties": {
                "tool": {"const": "calculator"},
                "arguments": {
                    "type": "object",
                    "properties": {"expression": {"type": "string"}},
                    "required": ["expression"],
                    "additionalProperties": False,
                },
            },
            "required": ["tool", "arguments"],
            "additionalProperties": False,
        },
        {
            "type": "object",
            "properties": {
                "tool": {"const": "convert_currency"},
                "arguments": {
                    "type": "object",
                    "properties": {
                        "amount": {"type": "number"},
                        "from_currency": {"type": "string"},
                        "to_currency": {"type": "string"},
                    },
                    "required": ["amount", "from_currency", "to_currency"],
                    "additionalProperties": False,
                },
            },
            "required": ["tool", "arguments"],
            "additionalProperties": False,
        },
    ]
}


def test_validate_call_check():
    import jsonschema

    validator = jsonschema.Draft202012Validator(CALL_SCHEMA)

    def good(text):
        try:
            call = json.loads(text)
        except json.JSONDecodeError as exc:
            return False, exc.msg
        return validator.is_valid(call), ""

    def json_only(text):
        try:
            json.loads(text)
        except json.JSONDecodeError:
            return False, "not JSON"
        return True, ""

    def crashes(text):
        return True, json.loads(text)["tool"]

    assert check_validate_call(good)
    lax = check_validate_call(json_only)
    assert lax.status == FAILED and "a tool that does not exist: accepted" in lax.message
    assert "JSONDecodeError" in check_validate_call(crashes).message
    assert check_validate_call(lambda text: ...).status == NOT_DONE
    assert check_validate_call(...).status == NOT_DONE
    assert "pair" in check_validate_call(lambda text: True).message


def test_run_tool_check():
    def calculator(expression):
        return {"23*47": 1081, "(3+4)*12": 84}.get(expression) or 1 / 0

    tools = {
        "calculator": calculator,
        "weather": lambda city: f"sunny in {city}",
        "convert_currency": lambda amount, from_currency, to_currency: {"EUR": 1, "NOK": 11}[from_currency] * amount,
    }

    def good(call):
        try:
            return str(tools[call["tool"]](**call["arguments"]))
        except Exception as exc:
            return f"error: {exc}"

    assert check_run_tool(good, tools)
    unguarded = check_run_tool(lambda call: str(tools[call["tool"]](**call["arguments"])), tools)
    assert unguarded.status == FAILED
    assert "a division by zero" in unguarded.message and "ZeroDivisionError" in unguarded.message
    assert "stop your whole app" in unguarded.message
    not_text = check_run_tool(lambda call: tools[call["tool"]](**call["arguments"]), tools)
    assert not_text.status == FAILED and "expected '1081'" in not_text.message
    assert check_run_tool(lambda call: ..., tools).status == NOT_DONE
    assert check_run_tool(..., tools).status == NOT_DONE


def test_is_implemented():
    def stub(call):
        return ...

    def broken(call):
        raise ValueError

    assert not checks.is_implemented(stub, {}) and not checks.is_implemented(..., {})
    assert checks.is_implemented(broken, {}) and checks.is_implemented(len, "x")


# --------------------------------------------------------------------------- bookkeeping


def test_answer_or_says_when_it_stands_in(capsys):
    assert checks.answer_or(..., 5, "X") == 5
    assert "X is not done yet" in capsys.readouterr().out
    assert checks.answer_or(3, 5, "X") == 3


def test_lab_report_and_assert_all_passed(capsys):
    checks.assert_all_passed(0)
    check_learning_rate(1e-3, steps=10)
    check_lora_params(..., 576, 576)
    capsys.readouterr()
    checks.lab_report()
    out = capsys.readouterr().out
    assert "1 of 2 checks passed" in out and "LoRA parameters for one layer: not done" in out
    with pytest.raises(AssertionError, match="not passing"):
        checks.assert_all_passed(2)
