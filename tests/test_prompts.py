"""Hand-built prompt formats against the real chat templates, rendered by Transformers itself."""

import pytest

from helpers import prompts
from helpers.models import prepare_default_model

CONVERSATIONS = {
    "single turn": prompts.messages("What is an SLM?"),
    "with system": prompts.messages("What is an SLM?", system="Answer in one sentence."),
    "multi turn": prompts.messages(
        "And a large one?", system="Be brief.", history=[("What is a small model?", "One with few parameters.")]
    ),
}


@pytest.fixture(scope="module")
def tokenizer():
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(prepare_default_model(onnx=(), verbose=False)["hf"])


@pytest.mark.parametrize("conversation", CONVERSATIONS.values(), ids=CONVERSATIONS.keys())
@pytest.mark.parametrize(
    ("builder", "template"),
    [(prompts.phi3, "phi3"), (prompts.phi4_mini, "phi4-mini"), (prompts.phi4_reasoning, "phi4")],
)
def test_hand_built_phi_formats_match_the_real_templates(tokenizer, builder, template, conversation):
    assert builder(conversation) == prompts.render_template(conversation, template, tokenizer)


def test_chatml_matches_the_default_models_own_template_when_a_system_prompt_is_given(tokenizer):
    conversation = CONVERSATIONS["with system"]
    assert prompts.chatml(conversation) == prompts.render_template(conversation, "own", tokenizer)


def test_default_models_template_adds_its_own_system_prompt_where_chatml_does_not(tokenizer):
    conversation = CONVERSATIONS["single turn"]
    rendered = prompts.render_template(conversation, "own", tokenizer)
    assert rendered != prompts.chatml(conversation)
    assert rendered.startswith("<|im_start|>system\nYou are a helpful AI assistant named SmolLM")
    assert rendered.endswith(prompts.chatml(conversation))


def test_phi3_template_drops_an_empty_system_prompt_like_the_builder(tokenizer):
    conversation = [{"role": "system", "content": ""}, {"role": "user", "content": "Hi"}]
    assert prompts.phi3(conversation) == prompts.render_template(conversation, "phi3", tokenizer) == (
        "<|user|>\nHi<|end|>\n<|assistant|>\n"
    )


def test_phi4_mini_tools_go_inside_the_system_turn(tokenizer):
    conversation = [
        {"role": "system", "content": "You can call tools.", "tools": '[{"name": "add"}]'},
        {"role": "user", "content": "2+3?"},
    ]
    rendered = prompts.render_template(conversation, "phi4-mini", tokenizer)
    assert rendered == prompts.phi4_mini(conversation)
    assert '<|system|>You can call tools.<|tool|>[{"name": "add"}]<|/tool|><|end|>' in rendered


def test_without_generation_prompt_the_templates_end_the_turn(tokenizer):
    conversation = CONVERSATIONS["with system"]
    assert prompts.phi4_reasoning(conversation, add_generation_prompt=False) == prompts.render_template(
        conversation, "phi4", tokenizer, add_generation_prompt=False
    )
    # The Phi-3 template appends the tokenizer's end-of-text token here; the hand-built string does not.
    phi3 = prompts.render_template(conversation, "phi3", tokenizer, add_generation_prompt=False)
    assert phi3 == prompts.phi3(conversation, add_generation_prompt=False) + tokenizer.eos_token


def test_vision_placeholders_are_numbered_from_one():
    assert prompts.phi_vision("Describe.", 3).count("<|image_") == 3
    assert "<|image_1|>\n<|image_2|>\n<|image_3|>\nDescribe." in prompts.phi_vision("Describe.", 3)
    with pytest.raises(ValueError, match="at least 1"):
        prompts.phi_vision("Describe.", 0)


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("<think>7*6=42</think>\nThe answer is 42.", ("7*6=42", "The answer is 42.")),
        ("No thinking here.", ("", "No thinking here.")),
        ("<think>unfinished", ("", "<think>unfinished")),
    ],
)
def test_split_reasoning(answer, expected):
    assert prompts.split_reasoning(answer) == expected
