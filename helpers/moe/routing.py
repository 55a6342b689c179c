"""Routing traces: which experts an MoE's routers picked for every token of a text."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from helpers.errors import CourseError
from helpers.i18n import _

__all__ = ["RouterTrace", "route"]


@dataclass
class RouterTrace:
    """Which experts the routers chose for every token of one text.

    Introduced in notebook 09.

    Attributes:
        tokens: The tokens, as text.
        probs: Router probabilities, shape ``(layers, tokens, experts)``.
        chosen: The experts each token ran through, shape ``(layers, tokens, top_k)``, best first.

    """

    tokens: list[str]
    probs: Any
    chosen: Any

    @property
    def num_experts(self) -> int:
        return int(self.probs.shape[-1])

    def load(self) -> Any:
        """Share of the token slots each expert received, shape ``(layers, experts)``; rows sum to 1."""
        import numpy as np

        counts = np.stack([np.bincount(layer.ravel(), minlength=self.num_experts) for layer in self.chosen])
        return counts / counts.sum(axis=1, keepdims=True)


def route(model: Any, tokenizer: Any, text: str) -> RouterTrace:
    """Run ``text`` through an MoE once and record every layer's routing decision.

    Introduced in notebook 09.

    Example:
        >>> trace = route(chat.model, chat.tokenizer, "The cat sat on the mat.")  # doctest: +SKIP
        >>> trace.chosen.shape  # doctest: +SKIP
        (30, 7, 2)

    """
    import torch

    if getattr(model.config, "num_local_experts", None) is None:
        raise CourseError(_("This model has no router (it is dense): pass the MoE model."))
    ids = tokenizer(text, return_tensors="pt").input_ids.to(model.device)
    with torch.inference_mode():
        out = model(input_ids=ids, output_router_logits=True)
    logits = torch.stack([layer.float().reshape(ids.shape[-1], -1) for layer in out.router_logits])
    probs = torch.softmax(logits, dim=-1)
    chosen = probs.topk(model.config.num_experts_per_tok, dim=-1).indices
    tokens = [tokenizer.decode([t]) for t in ids[0].tolist()]
    return RouterTrace(tokens, probs.cpu().numpy(), chosen.cpu().numpy())
