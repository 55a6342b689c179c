"""A small evaluation harness: ask every held-out item, score each answer with a readable rule, add an interval.

Why not an evaluation library? lighteval (0.13, checked December 2026) would run a custom task on local files, but
it requires about 30 packages, among them inspect-ai, datasets, nltk, scikit-learn, sacrebleu and rouge-score, and
pins some of them (``termcolor==2.3.0``, ``nltk==3.9.1``). For one task with an exact-match rule, the ninety lines
below are easier to read and check than that stack. Defined in notebook 13.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from helpers.evaluation.intervals import wilson_interval
from helpers.evaluation.scorers import first_word_matches

__all__ = ["EvalResult", "chat_prompt", "evaluate", "generate_answers", "shared_prefix"]


@dataclass
class EvalResult:
    """Scores on a list of items: ``accuracy`` with its 95% Wilson interval ``low``-``high``."""

    name: str
    answers: list[str]
    scores: list[bool]
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def n(self) -> int:
        """How many items were scored."""
        return len(self.scores)

    @property
    def correct(self) -> int:
        """How many were right."""
        return sum(self.scores)

    @property
    def accuracy(self) -> float:
        """The share right."""
        return self.correct / self.n if self.n else 0.0

    @property
    def interval(self) -> tuple[float, float]:
        """The 95% Wilson interval of the accuracy."""
        return wilson_interval(self.correct, self.n)

    def __str__(self) -> str:
        low, high = self.interval
        return f"{self.name}: {self.correct}/{self.n} = {self.accuracy:.0%} (95% interval {low:.0%}-{high:.0%})"


def chat_prompt(tokenizer: Any, system: str, user: str) -> str:
    """The model's chat prompt for one question, ending where the assistant's answer starts."""
    msgs = [{"role": "system", "content": system}, {"role": "user", "content": user}]
    return tokenizer.apply_chat_template(msgs, tokenize=False, add_generation_prompt=True)


def shared_prefix(tokenizer: Any, prompts: Sequence[str]) -> list[int]:
    """Token ids of the start every prompt shares (up to a line break), or ``[]`` if it does not tokenize apart."""
    if len(prompts) < 2:
        return []
    first, last = min(prompts), max(prompts)  # what these two share, every prompt shares
    same = next((i for i, (a, b) in enumerate(zip(first, last, strict=False)) if a != b), min(len(first), len(last)))
    text = first[:same]
    text = text[:text.rfind("\n") + 1]
    ids = tokenizer(text, add_special_tokens=False)["input_ids"] if text else []
    whole = (tokenizer(p, add_special_tokens=False)["input_ids"] for p in prompts)
    return ids if ids and all(w[:len(ids)] == ids for w in whole) else []


def generate_answers(model: Any, tokenizer: Any, prompts: Sequence[str], max_new_tokens: int = 4,
                     batch_size: int = 96, reuse_prefix: bool = True) -> list[str]:
    """Greedy answers to ready-made prompts, in batches.

    Every prompt here starts with the same chat template and system message. With ``reuse_prefix`` that start
    runs through the model once and its keys and values (the KV cache) are copied for every batch, as serving
    engines do ("prefix caching"): the same answers, for about half the compute. Each row is the shared start,
    padding, then the prompt's own part, so every answer starts at the end; the attention mask skips the padding
    and the positions count only real tokens. The batches are big (the 90 held-out items fit in one): each
    decoding step reads every weight once, whatever the batch, and on a CPU that read is most of a step's time.
    """
    import copy

    import torch

    prefix = shared_prefix(tokenizer, prompts) if reuse_prefix else []
    cache = None
    if prefix:
        with torch.inference_mode():
            cache = model(input_ids=torch.tensor([prefix], device=model.device), use_cache=True).past_key_values
    tokenizer.padding_side = "left"
    answers: list[str] = []
    for start in range(0, len(prompts), batch_size):
        chunk = list(prompts[start:start + batch_size])
        if cache is None:
            batch = dict(tokenizer(chunk, return_tensors="pt", padding=True, add_special_tokens=False))
        else:
            own = [tokenizer(p, add_special_tokens=False)["input_ids"][len(prefix):] for p in chunk]
            pads = [max(len(o) for o in own) - len(o) for o in own]
            batch = {"input_ids": torch.tensor([prefix + [tokenizer.pad_token_id] * n + o
                                                for n, o in zip(pads, own, strict=True)]),
                     "attention_mask": torch.tensor([[1] * len(prefix) + [0] * n + [1] * len(o)
                                                     for n, o in zip(pads, own, strict=True)]),
                     "past_key_values": copy.deepcopy(cache)}
            batch["past_key_values"].batch_repeat_interleave(len(chunk))  # one copy of the shared start per row
        batch = {k: v.to(model.device) if torch.is_tensor(v) else v for k, v in batch.items()}
        with torch.inference_mode():
            out = model.generate(**batch, max_new_tokens=max_new_tokens, do_sample=False,
                                 pad_token_id=tokenizer.pad_token_id)
        width = batch["input_ids"].shape[1]
        answers += [tokenizer.decode(row[width:], skip_special_tokens=True).strip() for row in out]
    return answers


def evaluate(model: Any, tokenizer: Any, items: Sequence[dict], system: str, name: str = "model",
             question: str = "sentence", label: str = "tense",
             scorer: Callable[[str, str], bool] = first_word_matches, max_new_tokens: int = 4) -> EvalResult:
    """Ask ``model`` every item's ``question`` field and score the answer against its ``label`` field with ``scorer``.

    A LoRA model (peft) is asked with its adapter merged into the weights and unmerged afterwards: the same
    answers at the plain model's speed.

    Example:
        >>> result = evaluate(model, tokenizer, heldout, SYSTEM, name="base")  # doctest: +SKIP
        >>> print(result)  # doctest: +SKIP
        base: 3/90 = 3% (95% interval 1%-9%)

    """
    prompts = [chat_prompt(tokenizer, system, item[question]) for item in items]
    merge = callable(getattr(model, "merge_adapter", None))  # a LoRA model: fold B·A into the weights meanwhile
    if merge:
        model.merge_adapter()
    try:
        answers = generate_answers(model, tokenizer, prompts, max_new_tokens=max_new_tokens)
    finally:
        if merge:
            model.unmerge_adapter()
    return EvalResult(name, answers, [scorer(a, item[label]) for a, item in zip(answers, items, strict=True)])
