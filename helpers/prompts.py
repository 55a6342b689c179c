"""Prompt formats of the Phi family and ChatML, built by hand and through real chat templates.

Every model family wraps a conversation in its own special tokens. The hand-written builders here
exist to *show* those formats; in real code, let the tokenizer's chat template do it
(:func:`render_template`), which is what the tests compare the builders against.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from helpers.env import REPO_ROOT

__all__ = [
    "CHAT_TEMPLATES",
    "PHI4_REASONING_SYSTEM",
    "Message",
    "chatml",
    "messages",
    "phi3",
    "phi4_mini",
    "phi4_reasoning",
    "phi_vision",
    "render_template",
    "split_reasoning",
]

Message = dict[str, Any]

TEMPLATE_DIR = REPO_ROOT / "data" / "chat_templates"

#: Format name -> the Jinja template file shipped in ``data/chat_templates``.
CHAT_TEMPLATES: dict[str, Path] = {
    "phi3": TEMPLATE_DIR / "phi-3.5-mini.jinja",
    "phi4-mini": TEMPLATE_DIR / "phi-4-mini.jinja",
    "phi4": TEMPLATE_DIR / "phi-4.jinja",
}

#: The system prompt Phi-4-reasoning's template inserts: think inside <think>...</think>, then answer.
PHI4_REASONING_SYSTEM = (
    "You are Phi, a language model trained by Microsoft to help users. Your role as an assistant involves "
    "thoroughly exploring questions through a systematic thinking process before providing the final and "
    "accurate solution. Please structure your response into two main sections: Thought and Solution using "
    "the specified format: <think> {Thought section} </think> {Solution section}."
)


def messages(user: str, system: str | None = None, history: Sequence[tuple[str, str]] = ()) -> list[Message]:
    """Build an OpenAI-style message list.

    Introduced in notebook 00.

    Args:
        user: The new user turn.
        system: An optional system prompt.
        history: Earlier ``(user, assistant)`` turns.

    Example:
        >>> messages("Hi", system="Be brief.")
        [{'role': 'system', 'content': 'Be brief.'}, {'role': 'user', 'content': 'Hi'}]

    """
    out: list[Message] = [{"role": "system", "content": system}] if system else []
    for question, answer in history:
        out += [{"role": "user", "content": question}, {"role": "assistant", "content": answer}]
    out.append({"role": "user", "content": user})
    return out


def phi3(msgs: Sequence[Message], add_generation_prompt: bool = True) -> str:
    """Phi-3 / Phi-3.5-mini format: ``<|user|>\\n...<|end|>\\n<|assistant|>\\n``.

    Introduced in notebook 02.

    Example:
        >>> phi3(messages("Hi", system="Be brief."))
        '<|system|>\\nBe brief.<|end|>\\n<|user|>\\nHi<|end|>\\n<|assistant|>\\n'

    """
    text = "".join(f"<|{m['role']}|>\n{m['content']}<|end|>\n" for m in msgs if m["content"])
    return text + ("<|assistant|>\n" if add_generation_prompt else "")


def phi4_mini(msgs: Sequence[Message], add_generation_prompt: bool = True) -> str:
    """Phi-4-mini format: the same tags as Phi-3 but no newlines; tools go in ``<|tool|>...<|/tool|>``.

    Introduced in notebook 02.

    Example:
        >>> phi4_mini(messages("Hi", system="Be brief."))
        '<|system|>Be brief.<|end|><|user|>Hi<|end|><|assistant|>'

    """
    parts = []
    for m in msgs:
        tools = f"<|tool|>{m['tools']}<|/tool|>" if m["role"] == "system" and m.get("tools") else ""
        parts.append(f"<|{m['role']}|>{m['content']}{tools}<|end|>")
    return "".join(parts) + ("<|assistant|>" if add_generation_prompt else "")


def phi4_reasoning(msgs: Sequence[Message], add_generation_prompt: bool = True) -> str:
    """Phi-4 / Phi-4-reasoning format: ``<|im_start|>role<|im_sep|>...<|im_end|>``.

    Introduced in notebook 02.

    Phi-4-reasoning expects :data:`PHI4_REASONING_SYSTEM` (or your own system prompt asking for
    ``<think>``) and answers ``<think>reasoning</think>solution``; see :func:`split_reasoning`.

    Example:
        >>> phi4_reasoning(messages("2+2?"))
        '<|im_start|>user<|im_sep|>2+2?<|im_end|><|im_start|>assistant<|im_sep|>'

    """
    text = "".join(f"<|im_start|>{m['role']}<|im_sep|>{m['content']}<|im_end|>" for m in msgs)
    return text + ("<|im_start|>assistant<|im_sep|>" if add_generation_prompt else "")


def chatml(msgs: Sequence[Message], add_generation_prompt: bool = True) -> str:
    """ChatML, used by the course's default model (SmolLM2): ``<|im_start|>role\\n...<|im_end|>\\n``.

    Introduced in notebook 02, where it is compared with the Phi formats.

    Example:
        >>> chatml(messages("Hi", system="Be brief."))
        '<|im_start|>system\\nBe brief.<|im_end|>\\n<|im_start|>user\\nHi<|im_end|>\\n<|im_start|>assistant\\n'

    """
    text = "".join(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in msgs)
    return text + ("<|im_start|>assistant\n" if add_generation_prompt else "")


def phi_vision(text: str, n_images: int = 1) -> str:
    """Phi-3.5-vision user turn with numbered image placeholders, one per image.

    Introduced in notebook 02.

    Example:
        >>> phi_vision("Compare them.", n_images=2)
        '<|user|>\\n<|image_1|>\\n<|image_2|>\\nCompare them.<|end|>\\n<|assistant|>\\n'

    """
    if n_images < 1:
        raise ValueError("n_images must be at least 1; use phi3() for a text-only prompt.")
    placeholders = "".join(f"<|image_{i}|>\n" for i in range(1, n_images + 1))
    return f"<|user|>\n{placeholders}{text}<|end|>\n<|assistant|>\n"


def split_reasoning(answer: str) -> tuple[str, str]:
    """Split a reasoning model's answer into ``(thinking, solution)``.

    Introduced in notebook 02.

    Example:
        >>> split_reasoning("<think>2+2 is 4</think> The answer is 4.")
        ('2+2 is 4', 'The answer is 4.')

    """
    head, sep, tail = answer.partition("</think>")
    if not sep:
        return "", answer.strip()
    return head.replace("<think>", "", 1).strip(), tail.strip()


def render_template(
    msgs: Sequence[Message],
    template: str,
    tokenizer: Any,
    add_generation_prompt: bool = True,
) -> str:
    """Render ``msgs`` with a chat template through Transformers' own ``apply_chat_template``.

    Introduced in notebook 02.

    Args:
        msgs: The conversation.
        template: A key of :data:`CHAT_TEMPLATES` (``"phi3"``, ``"phi4-mini"``, ``"phi4"``),
            or ``"own"`` for the tokenizer's built-in template.
        tokenizer: Any Transformers tokenizer (its special tokens fill ``eos_token``).
        add_generation_prompt: End with the assistant's opening tag, ready to generate.

    """
    kwargs: dict[str, Any] = {"tokenize": False, "add_generation_prompt": add_generation_prompt}
    if template != "own":
        kwargs["chat_template"] = CHAT_TEMPLATES[template].read_text(encoding="utf-8")
    return tokenizer.apply_chat_template(list(msgs), **kwargs)
