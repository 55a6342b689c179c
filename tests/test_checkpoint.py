"""The final checkpoint's checks (helpers/checkpoint.py): wrong answers fail, right answers written differently pass."""

from __future__ import annotations

import pytest

from helpers import checkpoint
from helpers.checks import PASSED
from helpers.phi_family import get_model, recommend

MEASURED_SPEED = 42.0
MEASURED_BYTES = 538_000_000.0
PARAMS = 3.8e9

CASES = {
    "definition": (
        checkpoint.check_definition,
        ["A, C, E", "ace", ["e", "C", "a"], "A and C and E"],
        ["A, C", "A, C, E, F", "B, D", "A, C, E, G", 3, "SLM"],
    ),
    "contrast": (
        checkpoint.check_contrast,
        [
            {"size": "SLM", "understanding": "LLM", "compute": "LLM", "bias": "both", "inference": "SLM"},
            {"size": "small", "understanding": "large", "compute": "llm", "bias": "Both", "inference": "slm"},
            {
                "Size": "small language model",
                "understanding": "Large language model",
                "compute": "LLM",
                "bias": "SLM and LLM",
                "inference": "SLM.",
            },
        ],
        [
            {"size": "SLM", "understanding": "LLM", "compute": "LLM", "bias": "SLM", "inference": "SLM"},
            {"size": "SLM", "understanding": "LLM", "compute": "LLM", "bias": "not both", "inference": "SLM"},
            {"size": "SLM", "understanding": "SLM", "compute": "LLM", "bias": "both", "inference": "SLM"},
            {"size": "SLM", "understanding": "LLM", "compute": "LLM", "bias": "both"},
            {"size": "SLLM", "understanding": "LLM", "compute": "LLM", "bias": "both", "inference": "SLM"},
            "SLM, LLM, LLM, both, SLM",
        ],
    ),
    "pick": (
        checkpoint.check_pick,
        [
            ("Phi-4-multimodal", "int4"),
            "phi-4-multimodal at int4",
            {"model": "Phi-4-multimodal-instruct", "precision": "4-bit"},
            ("microsoft/Phi-4-multimodal-instruct", "INT4"),
        ],
        [
            ("Phi-4-mini", "int4"),
            ("Phi-4-multimodal", "fp16"),
            ("Phi-4-multimodal", "int8"),
            "Phi-4-multimodal",
            "Phi-4",
            recommend("speech", 4.0, overhead=0.2, audio=True),
            ("Phi-4-multimodal-5.6B", "int4"),
        ],
    ),
    "cloud": (
        checkpoint.check_cloud_differences,
        [
            ["base URL", "API key", "model id"],
            "endpoint, key and deployment name",
            ("model", "api_key", "base_url"),
            ["Base URL", "Key", "Model"],
        ],
        [
            ["base URL", "API key"],
            ["base URL", "API key", "model id", "messages"],
            ["monkey", "base URL", "model"],
            ["base URL", "API key", "temperature"],
            "everything",
            ["keyboard", "url", "model"],
        ],
    ),
    "speed": (
        lambda a: checkpoint.check_speed(a, MEASURED_SPEED),
        [42, 40.5, "42 tokens/s", "43,1 tok/s", "44 tokens per second"],
        [MEASURED_SPEED * 60, 1000 / MEASURED_SPEED, "SmolLM2-135M", "Phi-3-mini 3.8B", 135, "fast", True, 12],
    ),
    "memory": (
        lambda a: checkpoint.check_memory(a, MEASURED_BYTES),
        [538_000_000, "538 MB", "0.538 GB", "513 MiB", "5.38e8 bytes"],
        [538, 0.538, MEASURED_BYTES * 8, "135M", "SmolLM2-135M", "538", 269_000_000, "538 MBit"],
    ),
    "quantization": (
        lambda a: checkpoint.check_quantization(a, PARAMS),
        [
            {"fp16": "7.6 GB", "int4": "1.9 GB", "cost": "quality"},
            {"fp16": 7.6e9, "int4": 1.9e9, "cost": "Some answer quality."},
            {"fp16": "7600 MB", "int4": "1.77 GiB", "cost": "accuracy"},
        ],
        [
            {"fp16": "1.9 GB", "int4": "7.6 GB", "cost": "quality"},
            {"fp16": "7.6 GB", "int4": "3.8 GB", "cost": "quality"},
            {"fp16": "7.6 GB", "int4": "1.9 GB", "cost": "speed"},
            {"fp16": "7.6 GB", "int4": "1.9 GB", "cost": "no quality loss"},
            {"fp16": 7.6, "int4": 1.9, "cost": "quality"},
            {"fp16": "15.2 GB", "int4": "1.9 GB", "cost": "quality"},
            {"fp16": "60.8 Gbit", "int4": "1.9 GB", "cost": "quality"},
        ],
    ),
    "fits": (
        checkpoint.check_fits,
        [False, "no", "No.", "does not fit", "FALSE"],
        [True, "yes", "know", "not sure", "nope, it fits", 0],
    ),
}


def _cases(kind: int) -> list:
    return [
        pytest.param(name, answer, id=f"{name}-{i}")
        for name, case in CASES.items()
        for i, answer in enumerate(case[kind])
    ]


def test_every_check_has_a_table_of_at_least_five_wrong_and_three_right_answers():
    public = {n for n in checkpoint.__all__ if n.startswith("check_")}
    assert len(public) == len(CASES)
    for name, (_, right, wrong) in CASES.items():
        assert len(right) >= 3 and len(wrong) >= 5, name


@pytest.mark.parametrize(("name", "answer"), _cases(1))
def test_a_right_answer_passes(name, answer, capsys):
    result = CASES[name][0](answer)
    assert result.status == PASSED, capsys.readouterr().out


@pytest.mark.parametrize(("name", "answer"), _cases(2))
def test_a_wrong_answer_fails(name, answer, capsys):
    result = CASES[name][0](answer)
    assert result.status == "failed", capsys.readouterr().out


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("blank", [..., None, ""])
def test_a_blank_answer_is_not_done(name, blank):
    assert CASES[name][0](blank).status == "not done"


def test_the_pick_follows_the_data_not_a_hard_coded_name():
    fits = get_model("Phi-4-multimodal").weight_gb("int4") * 1.2 <= checkpoint.PICK_JOB["memory_gb"]
    assert bool(checkpoint.check_pick(("Phi-4-multimodal", "int4"))) == fits


def test_the_unit_hint_names_the_unit_the_number_looks_like(capsys):
    checkpoint.check_memory(538, MEASURED_BYTES)
    assert "'538 MB'" in capsys.readouterr().out
