"""Both local runtimes answer the same question, stream token by token and respect the context window."""

import pytest

from helpers.errors import CourseError
from helpers.prompts import messages
from helpers.runtimes import GenerationSettings, OnnxChat, TransformersChat

QUESTION = messages("What is the capital of Norway?")


@pytest.fixture(scope="module", params=["transformers", "onnx"])
def chat(request):
    if request.param == "transformers":
        return TransformersChat.load(device="cpu", verbose=False)
    return OnnxChat.load(verbose=False)


def test_greedy_answer_is_right_and_repeatable(chat):
    first = chat.chat(QUESTION)
    assert "Oslo" in first
    assert chat.chat(QUESTION) == first


def test_stream_yields_one_piece_per_token_within_the_budget(chat):
    settings = GenerationSettings(max_new_tokens=12)
    pieces = list(chat.stream(messages("Write a long story about a dragon."), settings))
    assert len(pieces) == 12
    assert "".join(pieces).strip()


def test_measure_reports_positive_speed(chat):
    _, stats = chat.measure(QUESTION, GenerationSettings(max_new_tokens=8))
    assert stats.new_tokens >= 2 and stats.decode_tokens_per_s > 0 and stats.ttft_s > 0


def test_sampling_with_a_seed_is_reproducible(chat):
    settings = GenerationSettings(max_new_tokens=15, temperature=0.9, top_p=0.9, seed=7)
    prompt = messages("Invent a name for a cat.")
    assert chat.chat(prompt, settings) == chat.chat(prompt, settings)


def test_prompt_longer_than_the_context_gets_one_clear_sentence(chat):
    huge = messages("word " * (chat.context + 10))
    with pytest.raises(CourseError, match=r"holds only .* tokens of context: shorten the prompt"):
        list(chat.stream(huge))
