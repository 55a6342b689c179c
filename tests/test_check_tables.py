"""Checks that cannot be fooled: for every lab check, a table of wrong answers that must fail and right ones that pass.

Each table holds at least five wrong answers (the obvious shortcuts among them: a changed case, a number inside a
model name standing in for a measurement, a substring that only looks right, swapped units) and at least three right
answers written differently (JSON-encoded results, "no" meaning False, a unit spelled out). Shortcuts that give the
right *value* (calling ``render_template`` or ``weight_gb``) cannot be told apart by value: the learner copies may not
import those helpers at all (``tests/test_learner_imports.py``); the checks that receive a *function* (lab 6's
``wilson`` and ``make_set``) also refuse one that calls the course's helper, under any name.
"""

from __future__ import annotations

import json
import math

import pytest

from helpers.checks import (
    FAILED,
    NOT_DONE,
    PASSED,
    check_conclusion,
    check_learning_rate,
    check_lora_config,
    check_lora_params,
    check_pick,
    check_prompt,
    check_run_tool,
    check_theoretical_sizes,
    check_tool_schema,
    check_training_set,
    check_validate_call,
    check_vision_prompt,
    check_weight_gb,
    check_wilson,
)

pytestmark = pytest.mark.usefixtures("fresh_check_results")


def _status(result) -> str:
    return result.status


# --------------------------------------------------------------------------- lab 1: prompts

SYSTEM, QUESTION = "Answer in one sentence.", "What is the capital of Norway?"
MSGS = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": QUESTION}]
PHI3 = f"<|system|>\n{SYSTEM}<|end|>\n<|user|>\n{QUESTION}<|end|>\n<|assistant|>\n"

PROMPT_WRONG = {
    "tags in another case": PHI3.replace("<|user|>", "<|User|>"),
    "a typed backslash-n": PHI3.replace("\n", "\\n"),
    "no newline after a tag": PHI3.replace("<|system|>\n", "<|system|>"),
    "no generation prompt": PHI3.removesuffix("<|assistant|>\n"),
    "Phi-4-mini's format instead": f"<|system|>{SYSTEM}<|end|><|user|>{QUESTION}<|end|><|assistant|>",
    "ChatML instead": f"<|im_start|>system\n{SYSTEM}<|im_end|>\n<|im_start|>user\n{QUESTION}<|im_end|>\n"
    "<|im_start|>assistant\n",
    "a trailing space": PHI3 + " ",
    "Windows line endings": PHI3.replace("\n", "\r\n"),
    "bytes, not text": PHI3.encode(),
    "the question in lower case": PHI3.replace(QUESTION, QUESTION.lower()),
}
PROMPT_RIGHT = {
    "an f-string": PHI3,
    "joined parts": "".join(
        ["<|system|>\n", SYSTEM, "<|end|>\n", "<|user|>\n", QUESTION, "<|end|>\n", "<|assistant|>\n"]
    ),
    "a loop over the messages": "".join(f"<|{m['role']}|>\n{m['content']}<|end|>\n" for m in MSGS) + "<|assistant|>\n",
    "str.format": f"<|system|>\n{SYSTEM}<|end|>\n<|user|>\n{QUESTION}<|end|>\n<|assistant|>\n",
}


@pytest.mark.parametrize("answer", PROMPT_WRONG.values(), ids=PROMPT_WRONG.keys())
def test_prompt_check_fails_wrong_prompts(tokenizer, answer):
    assert _status(check_prompt(answer, MSGS, "phi3", tokenizer)) == FAILED


@pytest.mark.parametrize("answer", PROMPT_RIGHT.values(), ids=PROMPT_RIGHT.keys())
def test_prompt_check_passes_right_prompts(tokenizer, answer):
    assert _status(check_prompt(answer, MSGS, "phi3", tokenizer)) == PASSED


IMG_Q = "What changed?"
VISION = f"<|user|>\n<|image_1|>\n<|image_2|>\n{IMG_Q}<|end|>\n<|assistant|>\n"
VISION_WRONG = {
    "images numbered from 0": VISION.replace("image_2", "image_X")
    .replace("image_1", "image_0")
    .replace("image_X", "image_1"),
    "images swapped": VISION.replace("<|image_1|>\n<|image_2|>", "<|image_2|>\n<|image_1|>"),
    "one image only": VISION.replace("<|image_2|>\n", ""),
    "placeholders after the question": f"<|user|>\n{IMG_Q}<|image_1|>\n<|image_2|>\n<|end|>\n<|assistant|>\n",
    "placeholders in upper case": VISION.replace("image_", "IMAGE_"),
    "no newline between images": VISION.replace("<|image_1|>\n", "<|image_1|>"),
}
VISION_RIGHT = {
    "an f-string": VISION,
    "a join over the images": "<|user|>\n"
    + "".join(f"<|image_{i}|>\n" for i in (1, 2))
    + IMG_Q
    + "<|end|>\n<|assistant|>\n",
    "concatenation": "<|user|>\n" + "<|image_1|>\n" + "<|image_2|>\n" + IMG_Q + "<|end|>\n" + "<|assistant|>\n",
}


@pytest.mark.parametrize("answer", VISION_WRONG.values(), ids=VISION_WRONG.keys())
def test_vision_prompt_check_fails_wrong_prompts(tokenizer, answer):
    assert _status(check_vision_prompt(answer, IMG_Q, 2, tokenizer)) == FAILED


@pytest.mark.parametrize("answer", VISION_RIGHT.values(), ids=VISION_RIGHT.keys())
def test_vision_prompt_check_passes_right_prompts(tokenizer, answer):
    assert _status(check_vision_prompt(answer, IMG_Q, 2, tokenizer)) == PASSED


# --------------------------------------------------------------------------- lab 2: sizes and the conclusion

PARAMS = 134.5e6
SIZES = {"fp32": PARAMS * 4 / 1e6, "int8": PARAMS / 1e6, "int4": PARAMS / 2e6}
SIZES_WRONG = {
    "bytes": {k: v * 1e6 for k, v in SIZES.items()},
    "gigabytes": {k: v / 1e3 for k, v in SIZES.items()},
    "megabits": {k: v * 8 for k, v in SIZES.items()},
    "int8 and int4 swapped": {**SIZES, "int8": SIZES["int4"], "int4": SIZES["int8"]},
    "fp16 in place of fp32": {**SIZES, "fp32": SIZES["fp32"] / 2},
    "True for every size": dict.fromkeys(SIZES, True),
    "a key missing": {"fp32": SIZES["fp32"], "int8": SIZES["int8"]},
    "a number from a name": {**SIZES, "int4": "int4"},
    "bytes written as MB": {k: f"{v * 1e6:.0f} MB" for k, v in SIZES.items()},
}
SIZES_RIGHT = {
    "floats": SIZES,
    "rounded ints, keys in upper case": {k.upper(): round(v) for k, v in SIZES.items()},
    "strings with their units": {"fp32": "538 MB", "int8": "0.1345 GB", "int4": f"{PARAMS / 2:.0f} bytes"},
    "NumPy floats": None,  # filled in below (NumPy is imported lazily)
}


@pytest.mark.parametrize("answer", SIZES_WRONG.values(), ids=SIZES_WRONG.keys())
def test_theoretical_sizes_fail_wrong_answers(answer):
    assert _status(check_theoretical_sizes(answer, PARAMS)) == FAILED


@pytest.mark.parametrize("key", SIZES_RIGHT)
def test_theoretical_sizes_pass_right_answers(key):
    import numpy as np

    answer = SIZES_RIGHT[key] if key != "NumPy floats" else {k: np.float32(v) for k, v in SIZES.items()}
    assert _status(check_theoretical_sizes(answer, PARAMS)) == PASSED


def test_theoretical_sizes_say_which_unit_went_wrong():
    assert "bytes" in check_theoretical_sizes(SIZES_WRONG["bytes"], PARAMS).message
    assert "gigabytes" in check_theoretical_sizes(SIZES_WRONG["gigabytes"], PARAMS).message


TABLE = [
    {"precision": "fp32", "size_mb": 540, "tokens_per_s": 14.0, "quality": 1.0, "n_prompts": 10},
    {"precision": "int8", "size_mb": 267, "tokens_per_s": 27.0, "quality": 1.0, "n_prompts": 10},
    {"precision": "int4", "size_mb": 87, "tokens_per_s": 47.0, "quality": 0.4, "n_prompts": 10},
]
CONCLUSION_WRONG = {
    "only digits inside names": (
        "int8",
        "none",
        "int8 beats fp32 and int4 here, so I would ship int8 to every laptop.",
    ),
    "a model name's size as the number": (
        "int8",
        "none",
        "int8 is the one to ship, just like Phi-3-mini 3.8B would be.",
    ),
    "a size the table does not show": ("int8", "none", "int8 is 10x smaller than fp32 and lost nothing, so ship int8."),
    "a speed the table does not show": ("int8", "none", "int8 decodes 90 tokens/s and lost no answers, so ship int8."),
    "a score the table does not show": ("int4", "large", "int4 answered 90% correctly at 87 MB, so I would ship int4."),
    "a dominated pick": ("fp32", "none", "fp32 at 540 MB answered 100% correctly, so I would ship fp32 anyway."),
    "a quality cost the numbers contradict": ("int4", "none", "int4 at 87 MB is 6.2x smaller and the best choice."),
    "the pick only inside another word": (
        "int4",
        "large",
        "point4 aside, 87 MB and 40% correct is a large cost I take.",
    ),
    "no sentence": ("int8", "none", "267 MB"),
}
CONCLUSION_RIGHT = {
    "the solution's wording": (
        "int8",
        "none",
        "int8 is 2.0x smaller than fp32 and decodes 1.9x as fast, and it lost "
        "0 of 10 questions; int4 lost 6, so I would ship int8.",
    ),
    "MB and percent, upper case": (
        "INT8",
        " None ",
        "INT8 needs 267 MB instead of 540 MB and still answered 100% of the questions right, so it is my pick.",
    ),
    "a speed in tokens per second": (
        "int8",
        "none",
        "I would ship int8: it decodes about 27 tokens per second, twice fp32, with no answer lost.",
    ),
    "the large-cost reading, in GB": (
        "int4",
        "large",
        "int4 is only 0.087 GB but answered just 40% correctly: a large cost I accept for a phone.",
    ),
}


@pytest.mark.parametrize(("pick", "cost", "sentence"), CONCLUSION_WRONG.values(), ids=CONCLUSION_WRONG.keys())
def test_conclusion_fails_wrong_answers(pick, cost, sentence):
    assert _status(check_conclusion(pick, cost, sentence, TABLE)) == FAILED


@pytest.mark.parametrize(("pick", "cost", "sentence"), CONCLUSION_RIGHT.values(), ids=CONCLUSION_RIGHT.keys())
def test_conclusion_passes_right_answers(pick, cost, sentence):
    result = check_conclusion(pick, cost, sentence, TABLE)
    assert result.status == PASSED, result.message


def test_conclusion_is_checked_against_the_learners_own_table():
    sentence = CONCLUSION_RIGHT["a speed in tokens per second"][2]
    slower = [{**row, "tokens_per_s": row["tokens_per_s"] / 3} for row in TABLE]
    result = check_conclusion("int8", "none", sentence, slower)
    assert result.status == FAILED and "27 tokens per second" in result.message


# --------------------------------------------------------------------------- lab 3: memory and picks

WEIGHT_WRONG = {
    "bytes, no unit": (29.4e9, False),
    "the parameter count": (14.7, False),
    "fp32 bytes per weight": (58.8, False),
    "right size, wrong fit": (29.4, True),
    "'yes' where it does not fit": (29.4, "yes"),
    "a number inside the name": ("Phi-4 14B", False),
    "MB, no unit": (29400, False),
    "a precision name as the answer": ("fp16", "no"),
}
WEIGHT_RIGHT = {
    "floats": (29.4, False),
    "'no' meaning False": (29.4, "no"),
    "a string with GB": ("29.4 GB", "No"),
    "bytes with the unit": ("29400000000 bytes", 0),
    "the arithmetic": (14.7e9 * 2 / 1e9, 14.7e9 * 2 / 1e9 * 1.2 <= 14),
}


@pytest.mark.parametrize(("size", "fits"), WEIGHT_WRONG.values(), ids=WEIGHT_WRONG.keys())
def test_weight_gb_fails_wrong_answers(size, fits):
    assert _status(check_weight_gb(size, fits, model="phi-4", precision="fp16", usable_gb=14)) == FAILED


@pytest.mark.parametrize(("size", "fits"), WEIGHT_RIGHT.values(), ids=WEIGHT_RIGHT.keys())
def test_weight_gb_passes_right_answers(size, fits):
    result = check_weight_gb(size, fits, model="phi-4", precision="fp16", usable_gb=14)
    assert result.status == PASSED, result.message


def test_weight_gb_hints_at_bytes():
    assert "bytes" in check_weight_gb(29.4e9, False, model="phi-4").message


PICK_WRONG = {
    "a model name with a size in it": ("phone-app", ("Phi-3-mini 3.8B", "int4")),
    "a precision inside the model": ("phone-app", ("Phi-4-mini-int4", "int4")),
    "too big at fp16": ("phone-app", ("Phi-4-mini", "fp16")),
    "no images": ("image-qa", ("Phi-4-mini", "int4")),
    "no tools": ("gpu-server", ("Phi-3.5-mini", "fp16")),
    "English only, for Norwegian pupils": ("classroom-laptop", ("Phi-4-mini-reasoning", "int8")),
    "English only Phi-4, for Norwegian pupils": ("classroom-laptop", ("Phi-4", "int4")),
    "not downloadable": ("phone-app", ("Phi-3-Silica", "int4")),
    "an unknown precision": ("phone-app", ("Phi-4-mini", "int3")),
    "not a Phi model": ("phone-app", ("GPT-4", "int4")),
    "only the model": ("phone-app", "Phi-4-mini"),
}
PICK_RIGHT = {
    "the solution": ("phone-app", ("Phi-4-mini", "int4")),
    "lower case, extra spaces": ("phone-app", (" phi-4-mini ", " INT4 ")),
    "a list, a Hugging Face id": ("classroom-laptop", ["microsoft/Phi-3.5-mini-instruct", "int8"]),
    "a newer multilingual model": ("classroom-laptop", ("Phi-4-mini", "fp16")),
    "the newest reasoning model": ("math-tutor", ("Phi-4-mini-flash-reasoning", "int8")),
}


@pytest.mark.parametrize(("scenario", "answer"), PICK_WRONG.values(), ids=PICK_WRONG.keys())
def test_pick_fails_wrong_answers(scenario, answer):
    assert _status(check_pick(scenario, answer)) == FAILED


@pytest.mark.parametrize(("scenario", "answer"), PICK_RIGHT.values(), ids=PICK_RIGHT.keys())
def test_pick_passes_right_answers(scenario, answer):
    result = check_pick(scenario, answer)
    assert result.status == PASSED, result.message


def test_classroom_languages_come_from_the_model_cards():
    from helpers.checks import SCENARIOS
    from helpers.phi_family import get_model

    spec = SCENARIOS["classroom-laptop"]
    assert spec.languages and "Romanian" not in spec.languages and "Slovenian" not in spec.languages
    for lang in spec.languages:  # every language the scenario promises is on Phi-3.5-mini's and Phi-4-mini's lists
        assert lang in get_model("Phi-3.5-mini").raw["languages"] and lang in get_model("Phi-4-mini").raw["languages"]
    assert check_pick("classroom-laptop", ("Phi-4-mini-reasoning", "int8")).status == FAILED


def test_a_language_no_model_card_lists_fails_every_pick(monkeypatch):
    import dataclasses

    from helpers.checks import lab03_pick_phi

    romanian = dataclasses.replace(lab03_pick_phi.SCENARIOS["classroom-laptop"], languages=("Romanian", "English"))
    monkeypatch.setitem(lab03_pick_phi.SCENARIOS, "classroom-laptop", romanian)
    for model in ("Phi-3.5-mini", "Phi-4-mini"):
        result = check_pick("classroom-laptop", (model, "int8"))
        assert result.status == FAILED and "does not list Romanian" in result.message


def test_every_model_the_data_ranks_as_fitting_passes():
    """The accepted set is computed from the data: whatever recommend() ranks (languages allowed) passes."""
    from helpers.checks import SCENARIOS
    from helpers.phi_family import recommend

    for key, spec in SCENARIOS.items():
        selection = recommend(
            spec.task, spec.memory_gb, images=spec.images, tools=spec.tools, reasoning=spec.reasoning, top=100
        )
        for rec in selection.picks:
            speaks = all(lang in (rec.model.raw.get("languages") or ()) for lang in spec.languages)
            assert check_pick(key, (rec.model.name, rec.precision)).status == (PASSED if speaks else FAILED)


# --------------------------------------------------------------------------- lab 4: LoRA


def _lora(**changes):
    from peft import LoraConfig

    settings = {
        "r": 16,
        "lora_alpha": 32,
        "lora_dropout": 0.05,
        "target_modules": "all-linear",
        "task_type": "CAUSAL_LM",
        **changes,
    }
    return LoraConfig(**settings)


ALL_LINEAR = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
LORA_WRONG = {
    "peft's default rank": {"r": 8},
    "alpha equal to r": {"lora_alpha": 16},
    "the same scale with another rank": {"r": 32, "lora_alpha": 64},
    "dropout 0.5": {"lora_dropout": 0.5},
    "attention q and v only": {"target_modules": ["q_proj", "v_proj"]},
    "a sequence-classification head": {"task_type": "SEQ_CLS"},
    "'all-linear' in upper case": {"target_modules": "ALL-LINEAR"},
}
LORA_RIGHT = {
    "'all-linear'": {},
    "the seven layers by name": {"target_modules": ALL_LINEAR},
    "the seven layers as a set, and bias='none'": {"target_modules": set(ALL_LINEAR), "bias": "none"},
    "the TaskType enum": {"task_type": "TASK_ENUM"},
}


@pytest.mark.parametrize("changes", LORA_WRONG.values(), ids=LORA_WRONG.keys())
def test_lora_config_fails_wrong_configs(changes):
    assert _status(check_lora_config(_lora(**changes))) == FAILED


def test_lora_config_fails_a_plain_dict():
    assert _status(check_lora_config({"r": 16, "lora_alpha": 32, "lora_dropout": 0.05})) == FAILED


@pytest.mark.parametrize("changes", LORA_RIGHT.values(), ids=LORA_RIGHT.keys())
def test_lora_config_passes_right_configs(changes):
    from peft import TaskType

    if changes.get("task_type") == "TASK_ENUM":
        changes = {"task_type": TaskType.CAUSAL_LM}
    assert _status(check_lora_config(_lora(**changes))) == PASSED


PARAMS_WRONG = {
    "the full matrix": 576 * 576,
    "r x in x out": 16 * 576 * 576,
    "r squared": 16 * 16,
    "one matrix only": 16 * 576,
    "True": True,
    "the text of the formula": "16 * (576 + 576)",
    "a float that is close": 18432.5,
}
PARAMS_RIGHT = {
    "an int": 18432,
    "the arithmetic": 16 * 576 + 576 * 16,
    "a float": 18432.0,
    "a string with commas": "18,432",
}


@pytest.mark.parametrize("answer", PARAMS_WRONG.values(), ids=PARAMS_WRONG.keys())
def test_lora_params_fail_wrong_answers(answer):
    assert _status(check_lora_params(answer, 576, 576, r=16)) == FAILED


@pytest.mark.parametrize("answer", PARAMS_RIGHT.values(), ids=PARAMS_RIGHT.keys())
def test_lora_params_pass_right_answers(answer):
    assert _status(check_lora_params(answer, 576, 576, r=16)) == PASSED


LR_WRONG = {
    "upstream's 5e-6": 5e-6,
    "1e-5": 1e-5,
    "5e-5": 5e-5,
    "5e-3": 5e-3,
    "0.1": 0.1,
    "negative": -1e-3,
    "zero": 0,
    "True": True,
    "a word": "high",
    "a precision name": "int4",
}
LR_RIGHT = {"1e-3": 1e-3, "2e-4 (the usual LoRA rate)": 2e-4, "a string": "1e-3", "NumPy": "np", "2e-3": 2e-3}


@pytest.mark.parametrize("lr", LR_WRONG.values(), ids=LR_WRONG.keys())
def test_learning_rate_fails_wrong_rates(lr):
    assert _status(check_learning_rate(lr, steps=18)) == FAILED


@pytest.mark.parametrize("lr", LR_RIGHT.values(), ids=LR_RIGHT.keys())
def test_learning_rate_passes_right_rates(lr):
    import numpy as np

    assert _status(check_learning_rate(np.float32(1e-3) if lr == "np" else lr, steps=18)) == PASSED


def test_learning_rate_message_names_the_range_it_checks():
    from helpers.checks.lab04_lora import LORA_SHORT_RUN_LR

    message = check_learning_rate(5e-6, steps=18).message
    low, high = LORA_SHORT_RUN_LR
    assert f"{low:g} to {high:g}" in message and "full fine-tune" in message and "18 steps x 5e-06" in message
    assert check_learning_rate(1e-4, steps=6).status == FAILED  # fewer steps: steps x rate says go higher


# --------------------------------------------------------------------------- lab 5: tools

WEATHER = {
    "type": "object",
    "properties": {
        "tool": {"const": "weather"},
        "arguments": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
            "additionalProperties": False,
        },
    },
    "required": ["tool", "arguments"],
    "additionalProperties": False,
}


def _schema(change):
    schema = json.loads(json.dumps(WEATHER))
    change(schema)
    return schema


def test_tool_schema_messages_name_the_fix():
    assert check_tool_schema(WEATHER)
    message = check_tool_schema(_schema(lambda s: s["properties"]["arguments"].pop("additionalProperties"))).message
    assert "additionalProperties" in message and "max_length" in message and "invented argument" in message
    loose_name = _schema(lambda s: s["properties"].update(tool={"type": "string"}))
    assert "wrong tool name" in check_tool_schema(loose_name).message
    assert check_tool_schema({"type": "objekt"}).status == FAILED
    assert check_tool_schema(...).status == NOT_DONE


SCHEMA_WRONG = {
    "open arguments": lambda s: s["properties"]["arguments"].pop("additionalProperties"),
    "any tool name": lambda s: s["properties"].update(tool={"type": "string"}),
    "the name in another case": lambda s: s["properties"].update(tool={"const": "Weather"}),
    "city not required": lambda s: s["properties"]["arguments"].update(required=[]),
    "city of any type": lambda s: s["properties"]["arguments"]["properties"].update(city={}),
    "only Oslo": lambda s: s["properties"]["arguments"]["properties"].update(city={"enum": ["Oslo"]}),
    "no type: a list passes": lambda s: s.pop("type"),
    "arguments may be a string": lambda s: s["properties"].update(
        arguments={
            "type": ["object", "string"],
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
            "additionalProperties": False,
        }
    ),
}
SCHEMA_RIGHT = {
    "the plain schema": lambda s: None,
    "an enum for the name": lambda s: s["properties"].update(tool={"enum": ["weather"]}),
    "a pattern for the city": lambda s: s["properties"]["arguments"]["properties"]["city"].update(minLength=1),
    "a description and a title": lambda s: s.update(title="weather call", description="one call"),
}


@pytest.mark.parametrize("change", SCHEMA_WRONG.values(), ids=SCHEMA_WRONG.keys())
def test_tool_schema_fails_wrong_schemas(change):
    assert _status(check_tool_schema(_schema(change))) == FAILED


@pytest.mark.parametrize("change", SCHEMA_RIGHT.values(), ids=SCHEMA_RIGHT.keys())
def test_tool_schema_passes_right_schemas(change):
    result = check_tool_schema(_schema(change))
    assert result.status == PASSED, result.message


TOOLS = ("calculator", "convert_currency")
ARGS = {"calculator": {"expression"}, "convert_currency": {"amount", "from_currency", "to_currency"}}


def _strict(call) -> bool:
    return (
        isinstance(call, dict)
        and set(call) == {"tool", "arguments"}
        and call["tool"] in TOOLS
        and isinstance(call["arguments"], dict)
        and set(call["arguments"]) == ARGS[call["tool"]]
        and all(isinstance(v, str) for k, v in call["arguments"].items() if k != "amount")
    )


def v_right(text):
    try:
        return _strict(json.loads(text)), ""
    except json.JSONDecodeError as exc:
        return False, exc.msg


def v_list(text):
    ok, reason = v_right(text)
    return [ok, reason]


def v_words(text):
    ok, reason = v_right(text)
    return ("yes" if ok else "no"), reason


def v_substring(text):
    return any(f'"{t}' in text for t in TOOLS) and text.strip().startswith("{"), ""


def v_casefold(text):
    try:
        call = json.loads(text.lower())
    except json.JSONDecodeError:
        return False, "not JSON"
    return _strict(call), ""


def v_raw_decode(text):
    try:
        call, _ = json.JSONDecoder().raw_decode(text.strip())
    except json.JSONDecodeError:
        return False, "not JSON"
    return _strict(call), ""


def v_json_only(text):
    try:
        json.loads(text)
    except json.JSONDecodeError:
        return False, "not JSON"
    return True, ""


def v_crashes(text):
    return _strict(json.loads(text)), ""


def v_bool_only(text):
    return v_right(text)[0]


def v_string_verdict(text):
    return ("True" if v_right(text)[0] else "False"), ""


VALIDATE_WRONG = {
    "substring match": v_substring,
    "case-folded": v_casefold,
    "first JSON object only": v_raw_decode,
    "JSON only": v_json_only,
    "raises on bad JSON": v_crashes,
    "a bare bool": v_bool_only,
}
VALIDATE_RIGHT = {
    "a tuple": v_right,
    "a list pair": v_list,
    "'yes'/'no'": v_words,
    "'True'/'False' strings": v_string_verdict,
}


@pytest.mark.parametrize("function", VALIDATE_WRONG.values(), ids=VALIDATE_WRONG.keys())
def test_validate_call_fails_wrong_functions(function):
    assert _status(check_validate_call(function)) == FAILED


@pytest.mark.parametrize("function", VALIDATE_RIGHT.values(), ids=VALIDATE_RIGHT.keys())
def test_validate_call_passes_right_functions(function):
    result = check_validate_call(function)
    assert result.status == PASSED, result.message


def _calculator(expression):
    return {"23*47": 1081, "(3+4)*12": 84}.get(expression) or 1 / 0


def _convert(amount, from_currency, to_currency):
    return round(amount * {"EUR": 1.0, "NOK": 11.7}[from_currency] / {"EUR": 1.0, "NOK": 11.7}[to_currency], 2)


RUN_TOOLS = {
    "calculator": _calculator,
    "weather": lambda city: f"light rain, 7 °C in {city}",
    "convert_currency": _convert,
}


def _guarded(make_text, on_error=lambda exc: f"error: {exc}"):
    def run_tool(call):
        try:
            return make_text(RUN_TOOLS[call["tool"]](**call["arguments"]))
        except Exception as exc:
            return on_error(exc)

    return run_tool


RUN_WRONG = {
    "no guard": lambda call: str(RUN_TOOLS[call["tool"]](**call["arguments"])),
    "not text": _guarded(lambda r: r),
    "the tool's repr": _guarded(repr),
    "an empty string on error": _guarded(str, on_error=lambda exc: ""),
    "'no error' on error": _guarded(str, on_error=lambda exc: "no error here"),
    "the exception object": _guarded(str, on_error=lambda exc: exc),
    "a label around the result": _guarded(lambda r: f"result: {r}"),
    "always an error": lambda call: "error: not implemented",
}
RUN_RIGHT = {
    "str and 'error: ...'": _guarded(str),
    "JSON-encoded results": _guarded(lambda r: json.dumps(r, ensure_ascii=True)),
    "'Error:' in another case": _guarded(str, on_error=lambda exc: f"Error: {type(exc).__name__}"),
    "JSON objects": _guarded(lambda r: json.dumps({"result": r}), on_error=lambda exc: json.dumps({"error": str(exc)})),
}


@pytest.mark.parametrize("function", RUN_WRONG.values(), ids=RUN_WRONG.keys())
def test_run_tool_fails_wrong_functions(function):
    assert _status(check_run_tool(function, RUN_TOOLS)) == FAILED


@pytest.mark.parametrize("function", RUN_RIGHT.values(), ids=RUN_RIGHT.keys())
def test_run_tool_passes_right_functions(function):
    result = check_run_tool(function, RUN_TOOLS)
    assert result.status == PASSED, result.message


# --------------------------------------------------------------------------- lab 6: Wilson and the training set


def w_right(correct, n):
    z, p = 1.96, correct / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half


def w_other_algebra(correct, n):
    z2 = 1.959964**2
    a, b, c = 1 + z2 / n, -(2 * correct / n + z2 / n), (correct / n) ** 2
    root = math.sqrt(b * b - 4 * a * c)
    return [(-b - root) / (2 * a), (-b + root) / (2 * a)]


def w_numpy(correct, n):
    import numpy as np

    return np.array(w_right(correct, n), dtype=np.float64)


def w_helper(correct, n):
    from helpers.evaluation.intervals import wilson_interval

    return wilson_interval(correct, n)


def _w_alias():
    from helpers.evaluation.intervals import wilson_interval as ci

    def wilson(correct, n):
        return ci(correct, n)

    return wilson


def w_wald(correct, n):
    p = correct / n
    half = 1.96 * math.sqrt(p * (1 - p) / n)
    return p - half, p + half


def w_swapped(correct, n):
    low, high = w_right(correct, n)
    return high, low


def w_percent(correct, n):
    return tuple(100 * x for x in w_right(correct, n))


def w_z2(correct, n):
    z, p = 2.576, correct / n  # a 99% interval
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half


WILSON_WRONG = {
    "the course's helper": w_helper,
    "the helper under another name": _w_alias(),
    "Wald": w_wald,
    "swapped ends": w_swapped,
    "percent": w_percent,
    "a 99% interval": w_z2,
    "the centre only": lambda c, n: (c / n,),
}
WILSON_RIGHT = {"the formula": w_right, "a quadratic's roots, as a list": w_other_algebra, "a NumPy array": w_numpy}


@pytest.mark.parametrize("function", WILSON_WRONG.values(), ids=WILSON_WRONG.keys())
def test_wilson_fails_wrong_functions(function):
    assert _status(check_wilson(function)) == FAILED


@pytest.mark.parametrize("function", WILSON_RIGHT.values(), ids=WILSON_RIGHT.keys())
def test_wilson_passes_right_functions(function):
    result = check_wilson(function)
    assert result.status == PASSED, result.message


HELDOUT = [
    {"sentence": "Priya will call the doctor tomorrow.", "tense": "future"},
    {"sentence": "Tom walked to school yesterday.", "tense": "past"},
]


def _items(n, start=0):
    verbs = ["reads", "writes", "sings", "paints", "cooks", "draws", "swims", "dances"]
    return [
        {"sentence": f"Anna {verbs[i % 8]} every day number {i}.", "response": "Present. 'every day'."}
        for i in range(start, start + n)
    ]


def ts_right(n, seed):
    return _items(n)


def ts_extra_keys(n, seed):
    return [{**item, "source": "mine", "id": i} for i, item in enumerate(_items(n))]


def ts_reordered(n, seed):
    return tuple({"response": item["response"], "sentence": "  " + item["sentence"] + " "} for item in _items(n))


def ts_short(n, seed):
    return _items(n - 1)


def ts_duplicate_case(n, seed):
    items = _items(n - 1)
    return [*items, {**items[0], "sentence": items[0]["sentence"].upper()}]


def ts_leak_case(n, seed):
    return [*_items(n - 1), {"sentence": HELDOUT[0]["sentence"].lower().rstrip("."), "response": "Future."}]


def ts_leak_response(n, seed):
    return [*_items(n - 1), {"sentence": "Sam says hello.", "response": f"Like '{HELDOUT[1]['sentence']}': past."}]


def ts_no_response(n, seed):
    return [{"sentence": item["sentence"]} for item in _items(n)]


def ts_textbook(n, seed):
    from helpers.data_quality.generators import textbook_like

    return textbook_like(n, seed=seed)


def _ts_alias():
    from helpers.data_quality import generators as g

    def make_set(n, seed):
        return g.web_like(n, seed=seed)

    return make_set


TRAINING_WRONG = {
    "one item short": ts_short,
    "a duplicate in upper case": ts_duplicate_case,
    "a held-out sentence in lower case": ts_leak_case,
    "a held-out sentence in a response": ts_leak_response,
    "no responses": ts_no_response,
    "the course's generator": ts_textbook,
    "the course's generator under another name": _ts_alias(),
    "strings, not dicts": lambda n, s: ["a"] * n,
}
TRAINING_RIGHT = {
    "plain dicts": ts_right,
    "extra keys": ts_extra_keys,
    "a tuple, other key order, spaces": ts_reordered,
}


@pytest.mark.parametrize("function", TRAINING_WRONG.values(), ids=TRAINING_WRONG.keys())
def test_training_set_fails_wrong_sets(function):
    assert _status(check_training_set(function, 8, HELDOUT)) == FAILED


@pytest.mark.parametrize("function", TRAINING_RIGHT.values(), ids=TRAINING_RIGHT.keys())
def test_training_set_passes_right_sets(function):
    result = check_training_set(function, 8, HELDOUT)
    assert result.status == PASSED, result.message


@pytest.mark.parametrize("function", TRAINING_WRONG.values(), ids=TRAINING_WRONG.keys())
def test_data_gain_refuses_unfair_sets_before_training(function):
    from helpers.checks import check_data_gain

    result = check_data_gain(function, 8, HELDOUT, model=None, tokenizer=None, baseline=None, steps=1)
    assert result.status == FAILED and "Nothing was trained" in result.message
