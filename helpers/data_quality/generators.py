"""Three ways to make training data for the tense task: web-like, textbook-like, and the held-out items.

* :func:`web_like`: what a scrape of forums and quiz pages gives: answers in many formats, boilerplate around them,
  and labels from casual answerers who go by surface cues (``is`` or ``-ing`` means present), so the tricky
  constructions are often mislabelled. Nothing is filtered.
* :func:`textbook_like`: what a cheap synthetic generator gives: the answer first, then the clue and the rule, like a
  worked example in a textbook. Like a real generator it sometimes fails (``defect_rate``): garbled text, a wrong
  label, an unfilled template. Each item says which (``defect``), so a notebook can count what a filter removed.
* :func:`heldout_items`: the evaluation items, from names and verbs no training generator uses.

Every generator is deterministic for a given ``seed``. Defined in notebook 13.
"""

from __future__ import annotations

import random

from helpers.data_quality.tenses import (
    CONSTRUCTIONS,
    HELDOUT_NAMES,
    HELDOUT_VERBS,
    LABELS,
    TRICKY,
    sample_sentences,
)

__all__ = ["DEFECTS", "heldout_items", "textbook_like", "web_like"]

_FORUM = (
    "i think its {label}",
    "{Label} tense!!",
    "{label} obviously lol",
    "pretty sure it's {label} tense",
    "def {label}. source: my english teacher",
    "{LABEL}",
    "{label}",
    "{label}",
    "Its {label} tense. hope this helps :)",
    "Hmm... {label}? correct me if im wrong",
)
_BOILERPLATE = (
    "\n-- posted by grammarfan22 | 3 replies | Report",
    "\nAccept cookies? [Yes] [No]",
    "\nShow more quizzes >> | Next question",
    "\nTop 10 grammar hacks you NEED!! Click here",
    "",
    "",
    "",
)
_PREFIX = ("", "", "", "Answer: ", "Best answer: ", "Home > Grammar > Tenses\n", "Q: what tense?\nA: ")


def _naive_label(key: str, true_label: str) -> str:
    """A casual answerer's label: ``is`` or ``-ing`` reads as present."""
    return "present" if key in TRICKY and key != "did-not" else true_label


def web_like(n: int, seed: int = 0, naive_rate: float = 0.7, noise_rate: float = 0.1) -> list[dict]:
    """``n`` web-like items: ``{"sentence", "response", "source"}``.

    Args:
        n: How many items.
        seed: Random seed (the sentences and the noise).
        naive_rate: How often a tricky sentence gets the casual answerer's surface-cue label.
        noise_rate: How often any label is replaced by a random one.

    Example:
        >>> len(web_like(5, seed=1)), sorted(web_like(1)[0])
        (5, ['response', 'sentence', 'source'])

    """
    rng = random.Random(seed + 1_000)
    items = []
    for construction, sentence, _clue in sample_sentences(n, seed):
        label = construction.label
        if construction.key in TRICKY and rng.random() < naive_rate:
            label = _naive_label(construction.key, label)
        if rng.random() < noise_rate:
            label = rng.choice(LABELS)
        answer = rng.choice(_FORUM).format(label=label, Label=label.capitalize(), LABEL=label.upper())
        prefix, tail = rng.choice(_PREFIX), rng.choice(_BOILERPLATE)
        source = "forum" if not prefix else "quiz page"
        items.append({"sentence": sentence, "response": f"{prefix}{answer}{tail}", "source": source})
    return items


_EXPLAIN = (
    "{label}. Look at '{clue}': {rule}. So the sentence is in the {label} tense.",
    "{label}. The verb group is '{clue}', and {rule}. The tense is {label}.",
    "{label}. Clue: '{clue}'. Rule: {rule}.",
)
#: The ways the cheap textbook generator fails, and how often each happens among its failures.
DEFECTS = ("garbled", "wrong label", "unfilled template")


def _garble(text: str, rng: random.Random) -> str:
    """Mojibake and dropped letters, as a broken encoding step or a tiny generator produces."""
    swaps = {"e": "Ã©", "a": "Ã¤", "o": "Ã¶", "'": "â€™", " ": "  "}
    return "".join(swaps.get(ch, ch) if rng.random() < 0.35 else ch for ch in text)


def textbook_like(n: int, seed: int = 0, defect_rate: float = 0.3) -> list[dict]:
    """``n`` textbook-like items: ``{"sentence", "response", "defect"}``, answer first, then the clue and the rule.

    Args:
        n: How many items.
        seed: Random seed.
        defect_rate: The share of items the generator spoils (``defect`` then names how, else it is ``""``).

    Example:
        >>> textbook_like(1, seed=3, defect_rate=0)[0]["response"].split(".")[0] in LABELS
        True

    """
    rng = random.Random(seed + 2_000)
    items = []
    for construction, sentence, clue in sample_sentences(n, seed):
        label = construction.label
        text = rng.choice(_EXPLAIN).format(label=label, clue=clue, rule=construction.rule)
        defect = rng.choice(DEFECTS) if rng.random() < defect_rate else ""
        if defect == "garbled":
            text = _garble(text, rng)
        elif defect == "wrong label":
            wrong = rng.choice([x for x in LABELS if x != label])
            text = text.replace(label, wrong)
        elif defect == "unfilled template":
            text = rng.choice(("{LABEL}. Look at '{CLUE}': {RULE}.", "[TENSE]. The verb group is [CLUE]. [RULE]"))
        items.append({"sentence": sentence, "response": text, "defect": defect})
    return items


def heldout_items(per_construction: int = 9, seed: int = 16) -> list[dict]:
    """The evaluation items: ``{"sentence", "tense", "construction"}``, from held-out names and verbs only.

    ``per_construction`` sentences of each of the ten constructions, shuffled with ``seed``. The shipped file
    ``data/data_quality/heldout.jsonl`` is ``heldout_items()`` (written by ``scripts/make_tense_heldout.py``).
    """
    rng = random.Random(seed)
    items = []
    for construction in CONSTRUCTIONS:
        chosen = rng.sample([(name, verb) for name in HELDOUT_NAMES for verb in HELDOUT_VERBS], per_construction)
        for name, verb in chosen:
            sentence = construction.pattern.format(name=name, base=verb.base, past=verb.past, third=verb.third,
                                                   ing=verb.ing, obj=verb.obj)
            items.append({"sentence": sentence, "tense": construction.label, "construction": construction.key})
    rng.shuffle(items)
    return items
