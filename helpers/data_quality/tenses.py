"""The task of notebook 13 and lab 6: name the tense of an English sentence (past, present or future).

A 135M model knows a lot of English but does not answer "past", "present" or "future" as its first word when asked,
and it trips on sentences whose surface misleads: "is going to leave" looks present (``is``, ``-ing``) but is future,
"did not call" has no ``-ed`` but is past. A few minutes of LoRA on the right data teaches both.

Sentences are built from small word lists. The held-out items (``data/data_quality/heldout.jsonl``) use names and
verbs that the training generators never use (:data:`HELDOUT_NAMES`, :data:`HELDOUT_VERBS`), so a model can only
score there by learning the rule. Defined in notebook 13.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

__all__ = [
    "CONSTRUCTIONS",
    "HELDOUT_NAMES",
    "HELDOUT_VERBS",
    "LABELS",
    "SYSTEM",
    "TRAIN_NAMES",
    "TRAIN_VERBS",
    "TRICKY",
    "Construction",
    "Verb",
    "make_sentence",
    "sample_sentences",
]

LABELS = ("past", "present", "future")
#: The instruction every prompt uses, in training and in evaluation (short: each token costs training time).
SYSTEM = "Name the tense of the sentence: past, present or future. Answer with that word first."


@dataclass(frozen=True)
class Verb:
    """A verb's forms and an object that fits it: ``Verb("paint", "painted", "paints", "painting", "the fence")``."""

    base: str
    past: str
    third: str
    ing: str
    obj: str


def _load() -> dict:
    import json

    from helpers.env import REPO_ROOT

    return json.loads((REPO_ROOT / "data" / "data_quality" / "tenses.json").read_text(encoding="utf-8"))


_DATA = _load()
TRAIN_VERBS = tuple(Verb(*v) for v in _DATA["train_verbs"])
#: Verbs used only by the held-out items.
HELDOUT_VERBS = tuple(Verb(*v) for v in _DATA["heldout_verbs"])
TRAIN_NAMES = tuple(_DATA["train_names"])
HELDOUT_NAMES = tuple(_DATA["heldout_names"])


@dataclass(frozen=True)
class Construction:
    """One way to build a sentence: its tense, a format string, the clue a teacher points at, and why it is tricky."""

    key: str
    label: str
    pattern: str  # uses {name}, {base}, {past}, {third}, {ing}, {obj}
    clue: str  # what a teacher points at, same placeholders
    rule: str  # the rule, in a textbook's words
    tricky: str = ""  # why surface cues mislead ("" when they do not)


CONSTRUCTIONS = tuple(Construction(**c) for c in _DATA["constructions"])
#: The constructions whose surface misleads (a naive keyword rule gets them wrong).
TRICKY = tuple(c.key for c in CONSTRUCTIONS if c.tricky)


def make_sentence(construction: Construction, name: str, verb: Verb) -> tuple[str, str]:
    """Return ``(sentence, clue)`` for one construction, name and verb.

    Example:
        >>> make_sentence(CONSTRUCTIONS[8], "Tom", TRAIN_VERBS[0])
        ('Tom is going to paint the fence next week.', 'is going to paint')

    """
    fields = {"name": name, "base": verb.base, "past": verb.past, "third": verb.third, "ing": verb.ing,
              "obj": verb.obj}
    return construction.pattern.format(**fields), construction.clue.format(**fields)


def sample_sentences(n: int, seed: int, names: tuple[str, ...] = TRAIN_NAMES,
                     verbs: tuple[Verb, ...] = TRAIN_VERBS) -> list[tuple[Construction, str, str]]:
    """``n`` distinct ``(construction, sentence, clue)`` triples, constructions in turn, names and verbs at random."""
    rng = random.Random(seed)
    seen: set[str] = set()
    out: list[tuple[Construction, str, str]] = []
    order = list(CONSTRUCTIONS)
    rng.shuffle(order)
    i = 0
    while len(out) < n:
        construction = order[i % len(order)]
        i += 1
        sentence, clue = make_sentence(construction, rng.choice(names), rng.choice(verbs))
        if sentence not in seen:
            seen.add(sentence)
            out.append((construction, sentence, clue))
        if i > 50 * n + 1000:
            raise ValueError(f"cannot make {n} distinct sentences from these word lists")
    return out
