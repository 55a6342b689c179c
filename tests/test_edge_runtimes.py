"""The edge routes answer for real when prepared (``python course.py setup --edge``; ``course.py test`` prepares them).

A route that is not prepared is skipped with the command that prepares it.
"""

import json
import sys

import pytest

from helpers.edge import available_accelerators
from helpers.edge.buildenv import env_ready
from helpers.errors import CourseError
from helpers.models import is_complete, onnx_model_dir
from helpers.prompts import messages
from helpers.runtimes import GenerationSettings

SETTINGS = GenerationSettings(max_new_tokens=24)
QUESTION = messages("What is the capital of Norway?")
PREPARE = "not prepared: run `python course.py setup --edge`"


def test_accelerator_table_is_honest_about_this_machine():
    rows = {row["name"]: row for row in available_accelerators()}
    assert set(rows) == {"Apple MLX", "Qualcomm QNN", "DirectML", "OpenVINO"}
    for row in rows.values():
        assert isinstance(row["available"], bool) and row["reason"] and row["install"].startswith("pip install")
    if sys.platform == "linux":
        assert not rows["Apple MLX"]["available"] and not rows["DirectML"]["available"]
        assert "needs" in rows["Apple MLX"]["reason"]


def test_the_course_build_shares_its_int4_table_and_olive_keeps_fp32():
    from helpers.edge.olive import olive_dir, onnx_quantization

    course = onnx_quantization(onnx_model_dir(None, "int4", verbose=False)[0])
    assert course["embedding_dtype"] == "int4" and course["embedding_shared_with_lm_head"]
    assert course["block_size"] == 32
    if not is_complete(olive_dir()):
        pytest.skip(f"Olive build {PREPARE}")
    olive = onnx_quantization(olive_dir())
    assert olive["embedding_dtype"] == "float" and not olive["embedding_shared_with_lm_head"]
    assert olive["embedding_mb"] > 100 > course["embedding_mb"]


def test_openvino_answers_streams_and_follows_a_schema():
    from helpers.edge.openvino import OpenVinoChat, openvino_dir

    if not is_complete(openvino_dir()):
        pytest.skip(f"OpenVINO export {PREPARE}")
    chat = OpenVinoChat.load()
    pieces = list(chat.stream(QUESTION, SETTINGS))
    assert len(pieces) > 1 and "Oslo" in "".join(pieces)
    schema = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"],
              "additionalProperties": False}
    assert set(json.loads(chat.json(QUESTION, schema))) == {"city"}


def _stopped_early_then_clean(chat) -> None:
    """Stop after two pieces (Stop, a time limit), then ask again: the same answer as before, nothing left over."""
    first = "".join(chat.stream(QUESTION, SETTINGS))
    stream = chat.stream(QUESTION, SETTINGS)
    assert [next(stream), next(stream)]
    stream.close()
    assert "".join(chat.stream(QUESTION, SETTINGS)) == first


def test_openvino_stops_early_and_takes_the_next_request():
    """`course.py bench` stopped OpenVINO mid-answer and then crashed: a second generate() while one still ran."""
    from helpers.edge.openvino import OpenVinoChat, openvino_dir

    if not is_complete(openvino_dir()):
        pytest.skip(f"OpenVINO export {PREPARE}")
    _stopped_early_then_clean(OpenVinoChat.load())


def test_olive_build_answers_on_the_course_runtime():
    from helpers.edge.olive import olive_chat, olive_dir

    if not is_complete(olive_dir()):
        pytest.skip(f"Olive build {PREPARE}")
    assert "Oslo" in olive_chat().chat(QUESTION, SETTINGS)


def test_foundry_local_answers_through_its_worker_and_stops():
    from helpers.edge.foundry_local import FoundryLocalChat

    if not env_ready("foundry-local"):
        pytest.skip(f"Foundry Local environment {PREPARE}")
    chat = FoundryLocalChat.load()
    try:
        pieces = list(chat.stream(QUESTION, SETTINGS))
        assert len(pieces) > 1 and "Oslo" in "".join(pieces)
        assert chat.info["version"].startswith("2.")
        _stopped_early_then_clean(chat)  # the rest of a stopped answer must not start the next one
    finally:
        chat.close()
    assert chat.process.poll() is not None
    with pytest.raises(CourseError, match="worker has stopped"):
        list(chat.stream(QUESTION, SETTINGS))


def test_foundry_local_explains_a_folder_it_cannot_load(tmp_path):
    from helpers.edge.foundry_local import FoundryLocalChat

    if not env_ready("foundry-local"):
        pytest.skip(f"Foundry Local environment {PREPARE}")
    with pytest.raises(CourseError, match="Foundry Local could not load"):
        FoundryLocalChat.load(folder=tmp_path)


def test_llamacpp_json_schema_in_process():
    """The xllamacpp route keeps llama.cpp's structured output (response_format with a JSON schema)."""
    from helpers.runtimes import LlamaCppBackend

    schema = {"type": "object", "properties": {"capital": {"type": "string"}}, "required": ["capital"]}
    with LlamaCppBackend(threads=1) as backend:
        reply = backend.complete(QUESTION, GenerationSettings(max_new_tokens=40),
                                 response_format={"type": "json_schema", "json_schema": {"schema": schema}})
    answer = json.loads(reply["choices"][0]["message"]["content"])
    assert set(answer) == {"capital"} and isinstance(answer["capital"], str)

