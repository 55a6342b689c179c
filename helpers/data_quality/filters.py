"""A quality filter: keep the items the base model finds least surprising (notebook 02's perplexity, as a filter).

Defined in notebook 13.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["item_text", "perplexities", "perplexity_filter"]


def item_text(item: dict) -> str:
    """The text a filter scores: the sentence, then the response."""
    return f"{item['sentence']}\n{item['response']}"


def perplexities(model: Any, tokenizer: Any, texts: Sequence[str], batch_size: int = 4) -> list[float]:
    """Each text's perplexity under ``model``: exp of the mean per-token loss (as in notebook 02)."""
    import torch

    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    out: list[float] = []
    for start in range(0, len(texts), batch_size):
        batch = tokenizer(list(texts[start:start + batch_size]), return_tensors="pt", padding=True,
                          padding_side="right").to(model.device)
        with torch.inference_mode():
            logits = model(**batch).logits[:, :-1].float()
        targets = batch["input_ids"][:, 1:]
        mask = batch["attention_mask"][:, 1:].float()
        loss = torch.nn.functional.cross_entropy(logits.transpose(1, 2), targets, reduction="none")
        out += torch.exp((loss * mask).sum(1) / mask.sum(1)).tolist()
    return out


def perplexity_filter(model: Any, tokenizer: Any, pool: Sequence[dict], keep: int) -> tuple[list[dict], list[float]]:
    """The ``keep`` items of ``pool`` with the lowest perplexity (in pool order), and every item's perplexity.

    Example:
        >>> kept, scores = perplexity_filter(model, tokenizer, textbook_like(64), keep=32)  # doctest: +SKIP

    """
    scores = perplexities(model, tokenizer, [item_text(item) for item in pool])
    cutoff = sorted(range(len(pool)), key=scores.__getitem__)[:keep]
    return [pool[i] for i in sorted(cutoff)], scores
