"""Scorers a learner can read: each takes the model's answer and the expected label and returns True or False.

Defined in notebook 13.
"""

from __future__ import annotations

import re

__all__ = ["first_word", "first_word_matches", "mentions_label"]


def first_word(answer: str) -> str:
    """The answer's first word, lower-cased, without punctuation.

    Example:
        >>> first_word("  Past. Look at 'walked'"), first_word("i think past"), first_word("")
        ('past', 'i', '')

    """
    match = re.search(r"[A-Za-z]+", answer)
    return match.group(0).lower() if match else ""


def first_word_matches(answer: str, label: str) -> bool:
    """The strict rule: the answer's first word is the label ("Future." passes; "I think future" does not).

    Example:
        >>> first_word_matches("Future. 'will' + a verb...", "future"), first_word_matches("It is future", "future")
        (True, False)

    """
    return first_word(answer) == label.lower()


def mentions_label(answer: str, label: str, labels: tuple[str, ...] = ("past", "present", "future")) -> bool:
    """The lenient rule: the first label word anywhere in the answer is the right one (format ignored).

    Example:
        >>> mentions_label("The sentence is in the future tense.", "future")
        True

    """
    found = re.search(r"\b(" + "|".join(labels) + r")\b", answer.lower())
    return bool(found) and found.group(1) == label.lower()
