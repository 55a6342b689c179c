"""Lab 01 (prompt formats): a prompt written by hand must match the chat template character for character."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from helpers.checks.core import CheckName, CheckResult, failed, is_unanswered, not_done, passed, text_diff
from helpers.i18n import N_, _

__all__ = ["FORBIDDEN", "check_prompt", "check_vision_prompt"]

#: Helpers that write lab 1's prompts: a learner copy must not import them (tests/test_learner_imports.py).
FORBIDDEN = (
    "helpers.prompts.render_template",
    "helpers.prompts.phi3",
    "helpers.prompts.phi4_reasoning",
    "helpers.prompts.phi4_mini",
    "helpers.prompts.phi_vision",
    "helpers.prompts.chatml",
)

_FORMAT_NOTES = {
    "phi3": N_(
        "Phi-3 and Phi-3.5 put a newline after every role tag and after every <|end|>, "
        "and the prompt ends with '<|assistant|>' and a newline, so the model writes the answer next."
    ),
    "phi4": N_(
        "Phi-4 and Phi-4-reasoning use ChatML-like tags: '<|im_start|>role<|im_sep|>text<|im_end|>' "
        "with no newlines at all, ending with '<|im_start|>assistant<|im_sep|>'."
    ),
    "phi4-mini": N_(
        "Phi-4-mini uses the Phi-3 tags without newlines: '<|system|>text<|end|><|user|>text<|end|><|assistant|>'."
    ),
    "own": N_(
        "The default model (SmolLM2) uses ChatML: '<|im_start|>role' and a newline, the text, '<|im_end|>' "
        "and a newline, ending with '<|im_start|>assistant' and a newline."
    ),
}


_TEMPLATE_NAMES = {
    "phi3": N_("Phi-3.5-mini's chat template"),
    "phi4": N_("Phi-4's chat template (Phi-4-reasoning uses the same tags)"),
    "phi4-mini": N_("Phi-4-mini's chat template"),
    "own": N_("the default model's own chat template"),
}


def _compare_prompt(name: str, answer: Any, expected: str, note: str, source: str) -> CheckResult:
    if is_unanswered(answer):
        return not_done(name, _(
            "Write the prompt as one Python string. Start with {expected!r}. {note}"
        ).format(expected=expected[:14], note=note))
    if not isinstance(answer, str):
        return failed(name, _("the prompt must be a str, not {kind}.").format(kind=type(answer).__name__))
    if answer == expected:
        return passed(name, _(
            "character for character what {source} produces. {note}"
        ).format(source=source, note=note))
    hint = ""
    if answer.strip() == expected.strip():
        hint = " " + _("Only whitespace at the start or end differs, but a model sees every newline as a token.")
    elif "\\n" in answer:
        hint = " " + _(
            "Your string contains a backslash and an 'n' as two characters: "
            "use a real newline ('\\n' in a normal string)."
        )
    return failed(name, _(
        "{source} renders these messages differently.{hint}\n{text_diff}\nWhy it matters: {note} "
        "A model trained on one format answers worse in any other, and a missing newline is a different token."
    ).format(source=source, hint=hint, text_diff=text_diff(expected, answer), note=note))


def check_prompt(answer: Any, msgs: Sequence[Mapping[str, Any]], template: str, tokenizer: Any) -> CheckResult:
    """Compare a hand-built prompt with what the real chat template renders for ``msgs``.

    Introduced in lab 01.

    Args:
        answer: Your prompt string.
        msgs: The conversation it should encode.
        template: ``"phi3"``, ``"phi4"``, ``"phi4-mini"`` (a file in ``data/chat_templates``) or ``"own"``.
        tokenizer: The default model's tokenizer: it runs the template exactly as in production.

    """
    from helpers.prompts import render_template

    expected = render_template(msgs, template, tokenizer, add_generation_prompt=True)
    # TRANSLATORS: a check's name; {template} is a chat template's id (phi3, phi4, phi4-mini).
    name = CheckName(N_("{template} prompt"), template=template) if template != "own" else N_(
        "ChatML prompt (default model)"
    )
    return _compare_prompt(
        name, answer, expected, _(_FORMAT_NOTES[template]) if template in _FORMAT_NOTES else "",
        _(_TEMPLATE_NAMES[template]) if template in _TEMPLATE_NAMES else template,
    )


def check_vision_prompt(answer: Any, text: str, n_images: int, tokenizer: Any) -> CheckResult:
    """Compare a hand-built Phi-3.5-vision prompt with the Phi-3 template and its image placeholders.

    Introduced in lab 01.

    Phi-3.5-vision uses the Phi-3 chat format; each image is a placeholder ``<|image_1|>``, ``<|image_2|>``, ...
    on its own line at the start of the user turn, which its processor replaces by the image's tokens.
    """
    from helpers.prompts import render_template

    placeholders = "".join(f"<|image_{i}|>\n" for i in range(1, n_images + 1))
    expected = render_template([{"role": "user", "content": placeholders + text}], "phi3", tokenizer)
    note = _(
        "The image placeholders <|image_1|> ... <|image_{n_images}|> come first in the user turn, one per line, "
        "numbered from 1; the processor swaps each for that image's tokens. The rest is the Phi-3 format."
    ).format(n_images=n_images)
    # TRANSLATORS: a check's name.
    name = CheckName(N_("vision prompt ({n_images} images)"), n_images=n_images)
    return _compare_prompt(
        name, answer, expected, note, _("the Phi-3 template with image placeholders")
    )
