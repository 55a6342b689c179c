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


def _v(base: str, past: str, third: str, ing: str, obj: str) -> Verb:
    return Verb(base, past, third, ing, obj)


TRAIN_VERBS = (
    _v("paint", "painted", "paints", "painting", "the fence"),
    _v("clean", "cleaned", "cleans", "cleaning", "the kitchen"),
    _v("visit", "visited", "visits", "visiting", "their aunt"),
    _v("cook", "cooked", "cooks", "cooking", "dinner"),
    _v("wash", "washed", "washes", "washing", "the car"),
    _v("play", "played", "plays", "playing", "the piano"),
    _v("watch", "watched", "watches", "watching", "the news"),
    _v("fix", "fixed", "fixes", "fixing", "the bike"),
    _v("write", "wrote", "writes", "writing", "a letter"),
    _v("read", "read", "reads", "reading", "the paper"),
    _v("buy", "bought", "buys", "buying", "fresh bread"),
    _v("sing", "sang", "sings", "singing", "a song"),
    _v("drive", "drove", "drives", "driving", "the van"),
    _v("feed", "fed", "feeds", "feeding", "the cat"),
    _v("build", "built", "builds", "building", "a shed"),
    _v("carry", "carried", "carries", "carrying", "the boxes"),
)
#: Verbs used only by the held-out items.
HELDOUT_VERBS = (
    _v("bake", "baked", "bakes", "baking", "a cake"),
    _v("open", "opened", "opens", "opening", "the window"),
    _v("plant", "planted", "plants", "planting", "tomatoes"),
    _v("call", "called", "calls", "calling", "the doctor"),
    _v("draw", "drew", "draws", "drawing", "a map"),
    _v("sell", "sold", "sells", "selling", "old books"),
    _v("teach", "taught", "teaches", "teaching", "the class"),
    _v("climb", "climbed", "climbs", "climbing", "the hill"),
    _v("mend", "mended", "mends", "mending", "the net"),
    _v("catch", "caught", "catches", "catching", "the bus"),
    _v("pack", "packed", "packs", "packing", "the bags"),
    _v("water", "watered", "waters", "watering", "the garden"),
)
TRAIN_NAMES = ("Maria", "Tom", "Aisha", "Ben", "Lena", "Omar", "Kate", "Sam", "Nora", "Leo", "Ivy", "Max")
HELDOUT_NAMES = ("Priya", "Jonas", "Chloe", "Mateo", "Hana", "Felix", "Zara", "Diego", "Elsa", "Ravi")


@dataclass(frozen=True)
class Construction:
    """One way to build a sentence: its tense, a format string, the clue a teacher points at, and why it is tricky."""

    key: str
    label: str
    pattern: str  # uses {name}, {base}, {past}, {third}, {ing}, {obj}
    clue: str  # what a teacher points at, same placeholders
    rule: str  # the rule, in a textbook's words
    tricky: str = ""  # why surface cues mislead ("" when they do not)


CONSTRUCTIONS = (
    Construction("simple-past", "past", "{name} {past} {obj} yesterday.", "{past}",
                 "a verb in its past form describes a finished action"),
    Construction("did-not", "past", "{name} did not {base} {obj} last week.", "did not {base}",
                 "'did' is the past of 'do', so 'did not' + a verb is past even though the verb has no past ending",
                 "the main verb has no -ed"),
    Construction("was-ing", "past", "{name} was {ing} {obj} when the phone rang.", "was {ing}",
                 "'was' + an -ing verb is an action in progress in the past",
                 "the -ing ending looks present"),
    Construction("used-to", "past", "{name} used to {base} {obj} every summer.", "used to {base}",
                 "'used to' + a verb is a past habit that has stopped"),
    Construction("simple-present", "present", "{name} {third} {obj} every morning.", "{third}",
                 "a verb with -s after he, she or a name is a present habit or fact"),
    Construction("is-ing", "present", "{name} is {ing} {obj} right now.", "is {ing}",
                 "'is' + an -ing verb is an action happening now"),
    Construction("does-not", "present", "{name} does not {base} {obj} on Sundays.", "does not {base}",
                 "'does' is present, so 'does not' + a verb is present"),
    Construction("will", "future", "{name} will {base} {obj} tomorrow.", "will {base}",
                 "'will' + a verb describes an action still to come"),
    Construction("going-to", "future", "{name} is going to {base} {obj} next week.", "is going to {base}",
                 "'is going to' + a verb is a plan for later, so the action is still to come",
                 "'is' and '-ing' look present"),
    Construction("about-to", "future", "{name} is about to {base} {obj}.", "is about to {base}",
                 "'is about to' + a verb is an action that will happen very soon",
                 "'is' looks present"),
)
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
