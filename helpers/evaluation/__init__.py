"""Evaluation: a small harness, readable scorers and confidence intervals (notebook 13, lab 6).

Submodules: :mod:`~helpers.evaluation.harness` (ask, score, summarise), :mod:`~helpers.evaluation.scorers`
(exact-match rules) and :mod:`~helpers.evaluation.intervals` (Wilson and bootstrap intervals).
"""

from helpers.evaluation.harness import EvalResult, chat_prompt, evaluate, generate_answers
from helpers.evaluation.intervals import bootstrap_difference, items_needed, wilson_interval
from helpers.evaluation.scorers import first_word, first_word_matches, mentions_label

__all__ = [
    "EvalResult",
    "bootstrap_difference",
    "chat_prompt",
    "evaluate",
    "first_word",
    "first_word_matches",
    "generate_answers",
    "items_needed",
    "mentions_label",
    "wilson_interval",
]
