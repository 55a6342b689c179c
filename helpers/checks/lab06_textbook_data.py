"""Lab 06 (textbook data): a Wilson interval written by hand, and a training set that must beat web-like data.

Each check prints one verdict and returns a :class:`helpers.checks.CheckResult` (the labs' shared framework), so
:func:`helpers.checks.lab_report` and :func:`helpers.checks.assert_all_passed` count them with the other labs'.

The training-set check is honest both ways. It rejects, before any training: a set of the wrong size, an empty
set, items without a sentence and a response, duplicate sentences, any held-out sentence (leakage: a score on
items the model trained on measures memory, not skill), and sets made by the course's own generators. Then it
fine-tunes on the set exactly as on the baseline set and passes only when the held-out accuracy beats the
baseline's by ``margin``. Defined in lab 6 (``labs/06-textbook-data``).
"""

from __future__ import annotations

import inspect
import math
import re
from collections.abc import Callable, Sequence
from typing import Any

from helpers.checks.core import CheckResult, is_implemented, is_unanswered, verdict
from helpers.data_quality.generators import textbook_like, web_like
from helpers.evaluation.intervals import wilson_interval
from helpers.i18n import N_, _

__all__ = [
    "FORBIDDEN",
    "MEASURED",
    "check_data_gain",
    "check_training_set",
    "check_wilson",
    "normalize",
    "training_set_problems",
]

#: Helpers that compute lab 6's answers: a learner copy must not import them (tests/test_learner_imports.py).
#: (``web_like`` is the baseline the lab trains on, not an answer; ``make_set`` may not return its output.)
FORBIDDEN = (
    "helpers.evaluation.wilson_interval",
    "helpers.evaluation.intervals.wilson_interval",
    "helpers.data_quality.generators.textbook_like",
    "helpers.data_quality.textbook_like",
    "statsmodels.stats.proportion.proportion_confint",
    "scipy.stats.binomtest",
)

#: The evaluation of every set :func:`check_data_gain` trained on, by name (for a plot).
MEASURED: dict[str, Any] = {}


def _verdict(name: str, status: str, message: str) -> CheckResult:
    template = {"passed": _("correct: {message}"), "failed": _("not quite: {message}"),
                "not done": _("not done yet. {hint}")}[status]
    return verdict(name, status, template.format(message=message, hint=message))


def _source_mentions(function: Any, names: Sequence[str], objects: Sequence[Any] = ()) -> str:
    """The first of ``names`` that ``function``'s source code uses, or the name of one of ``objects`` it can reach.

    Reaching means: a global or closure variable of ``function`` (or of a function nested in it) that is one of
    ``objects``, or a module holding one of them; so ``from ... import wilson_interval as ci`` is caught too.
    """
    try:
        source = inspect.getsource(function)
    except (OSError, TypeError):
        source = ""
    named = next((n for n in names if re.search(rf"\b{re.escape(n)}\b", source)), "")
    if named:
        return named
    code = getattr(function, "__code__", None)
    if code is None:
        return ""
    scope = dict(getattr(function, "__globals__", {}))
    for cell_name, cell in zip(code.co_freevars, function.__closure__ or (), strict=False):
        try:
            scope[cell_name] = cell.cell_contents
        except ValueError:  # an empty cell
            continue
    stack, seen = [code], set()
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        stack += [c for c in current.co_consts if inspect.iscode(c)]
        for used in (*current.co_names, *current.co_freevars):
            value = scope.get(used)
            for obj in objects:
                if value is obj or (inspect.ismodule(value) and any(v is obj for v in vars(value).values())):
                    return getattr(obj, "__name__", used)
    return ""


# --------------------------------------------------------------------------- the Wilson interval


def _wald(correct: int, n: int) -> tuple[float, float]:
    p = correct / n
    half = 1.96 * math.sqrt(p * (1 - p) / n)
    return p - half, p + half


def check_wilson(function: Any) -> CheckResult:
    """Check a learner's ``wilson(correct, n)`` against the Wilson score interval (95%) on four cases."""
    name = N_("Wilson interval")
    if is_unanswered(function) or not is_implemented(function, 8, 10):
        return _verdict(name, "not done", _("Write wilson(correct, n) returning (low, high), from the formula above."))
    used = _source_mentions(function, ("wilson_interval", "proportion_confint", "binomtest"), (wilson_interval,))
    if used:
        return _verdict(name, "failed", _(
            "it calls {used}; write the formula yourself (five lines), then compare."
        ).format(used=used))
    cases = [(8, 10), (0, 10), (10, 10), (45, 90)]
    for correct, n in cases:
        want = wilson_interval(correct, n)
        try:
            answer = function(correct, n)
        except Exception as exc:  # any error is the learner's to see, in one line
            return _verdict(name, "failed", _(
                "wilson({correct}, {n}) raised {kind}: {error}."
            ).format(correct=correct, n=n, kind=exc.__class__.__name__, error=exc))
        try:
            got = tuple(float(x) for x in answer)
        except (TypeError, ValueError):
            got = ()
        if len(got) != 2:
            return _verdict(
                name, "failed", _(
                    "wilson({correct}, {n}) should return two numbers (low, high), not {answer!r}."
                ).format(correct=correct, n=n, answer=answer)
            )
        if all(abs(g - w) < 1e-3 for g, w in zip(got, want, strict=True)):
            continue
        hint = ""
        wald = _wald(correct, n)
        if all(abs(g - w) < 1e-3 for g, w in zip(got, wald, strict=True)):
            hint = " " + _(
                "That is the normal-approximation (Wald) interval: at 0 or 10 out of 10 it has zero width, "
                "which claims certainty from ten items. Wilson's centre and width include z²/n terms."
            )
        return _verdict(
            name,
            "failed",
            _(
                "wilson({correct}, {n}) gave ({low:.3f}, {high:.3f}); expected ({want_low:.3f}, {want_high:.3f}).{hint}"
            ).format(correct=correct, n=n, low=got[0], high=got[1], want_low=want[0], want_high=want[1], hint=hint),
        )
    low, high = wilson_interval(8, 10)
    return _verdict(
        name,
        "passed",
        _(
            "8 of 10 right means somewhere between {low:.0%} and {high:.0%}; "
            "even 10 of 10 only says 'at least 72%'. Ten items cannot tell 80% from 60%."
        ).format(low=low, high=high),
    )


# --------------------------------------------------------------------------- the training set


def normalize(sentence: str) -> str:
    """Lower-case letters and digits only: ``"Tom is  going, to..."`` and ``"tom is going to"`` compare equal.

    Example:
        >>> normalize(" Priya WILL call the doctor tomorrow! ")
        'priyawillcallthedoctortomorrow'

    """
    return re.sub(r"[^a-z0-9]", "", sentence.lower())


def training_set_problems(items: Any, n: int, heldout: Sequence[dict]) -> list[str]:
    """Every reason ``items`` is not a fair training set of ``n`` items for the held-out ``heldout`` (empty = fine)."""
    if not isinstance(items, (list, tuple)):
        return [_("a training set is a list of dicts, not {kind}").format(kind=type(items).__name__)]
    if not items:
        return [_("the set is empty")]
    problems = []
    if len(items) != n:
        problems.append(_(
            "it has {count} items, not {n}: every set in the comparison has the same size, "
            "or a bigger set would win by size alone"
        ).format(count=len(items), n=n))
    bad = [
        i
        for i, item in enumerate(items)
        if not (
            isinstance(item, dict)
            and isinstance(item.get("sentence"), str)
            and isinstance(item.get("response"), str)
            and item["sentence"].strip()
            and item["response"].strip()
        )
    ]
    if bad:
        problems.append(_(
            "item {index} (and {more} more) lacks a non-empty 'sentence' and 'response' string"
        ).format(index=bad[0], more=len(bad) - 1))
        return problems
    keys = [normalize(item["sentence"]) for item in items]
    duplicates = len(keys) - len(set(keys))
    if duplicates:
        problems.append(_(
            "{count} sentence(s) appear more than once: a repeated item is a smaller set in disguise"
        ).format(count=duplicates))
    held = {normalize(item["sentence"]): item["sentence"] for item in heldout}
    leaked = [held[k] for k in keys if k in held]
    texts = [normalize(item["response"]) for item in items]
    leaked += [sentence for key, sentence in held.items() if any(key in text for text in texts)]
    if leaked:
        problems.append(_(
            "{count} held-out sentence(s) are in the training set (for example {example!r}): "
            "that is leakage; a model that trained on the test answers proves nothing on them"
        ).format(count=len(leaked), example=leaked[0]))
    return problems


def _copied_from_course(make_set: Callable[..., Any], items: Sequence[dict], n: int, seed: int) -> str:
    used = _source_mentions(
        make_set, ("textbook_like", "web_like", "heldout_items", "generators"), (textbook_like, web_like)
    )
    if used:
        return _("it calls the course's {used}; write your own generator from the word lists").format(used=used)
    mine = [(item["sentence"], item["response"]) for item in items]
    for other in (textbook_like, web_like):
        if mine == [(item["sentence"], item["response"]) for item in other(n, seed=seed)]:
            return _("it returns exactly what the course's {function}({n}, seed={seed}) returns").format(
                function=other.__name__, n=n, seed=seed)
    return ""


def check_training_set(make_set: Any, n: int, heldout: Sequence[dict], seed: int = 0) -> CheckResult:
    """Check that ``make_set(n, seed)`` builds a fair training set, before any training (no model needed).

    Fair means: exactly ``n`` items with a non-empty ``sentence`` and ``response``, no duplicate sentences, no
    held-out sentence (leakage, compared without case and punctuation, in sentences and responses), and not the
    course's own generators (by name in the source, or by identical output).
    """
    name = N_("your training set is fair")
    if is_unanswered(make_set) or not is_implemented(make_set, 2, seed):
        return _verdict(name, "not done", _(
            "Write make_set(n, seed) returning n dicts with 'sentence' and 'response'."
        ))
    try:
        items = make_set(n, seed)
    except Exception as exc:  # the learner's error, shown in one line
        return _verdict(name, "failed", _(
            "make_set({n}, {seed}) raised {kind}: {error}."
        ).format(n=n, seed=seed, kind=exc.__class__.__name__, error=exc))
    problems = training_set_problems(items, n, heldout)
    if problems:
        # TRANSLATORS: {problems} are the reasons the set is not fair, joined by "; ".
        return _verdict(name, "failed", _("{problems}. Nothing was trained.").format(problems="; ".join(problems)))
    copied = _copied_from_course(make_set, items, n, seed)
    if copied:
        return _verdict(name, "failed", _("{problems}. Nothing was trained.").format(problems=copied))
    return _verdict(
        name, "passed", _(
            "{n} distinct items, none of the {n_heldout} held-out sentences, your own code."
        ).format(n=n, n_heldout=len(heldout))
    )


def check_data_gain(
    make_set: Any,
    n: int,
    heldout: Sequence[dict],
    model: Any,
    tokenizer: Any,
    baseline: Any,
    steps: int,
    batch_size: int = 4,
    learning_rate: float = 1e-3,
    seed: int = 0,
    margin: float = 0.10,
) -> CheckResult:
    """Check the set is fair (:func:`check_training_set`), fine-tune on it, and compare with ``baseline``.

    Args:
        make_set: The learner's generator, ``make_set(n, seed) -> list of {"sentence", "response"}``.
        n: The set size every set in the comparison has.
        heldout: The held-out items (``{"sentence", "tense"}``) the fine-tune is judged on.
        model: The base model (restored after training).
        tokenizer: Its tokenizer.
        baseline: The :class:`~helpers.evaluation.EvalResult` of the same fine-tune on the baseline set.
        steps: Training steps (the same as the baseline's).
        batch_size: Items per step (the same as the baseline's).
        learning_rate: The same as the baseline's.
        seed: The same as the baseline's.
        margin: How much higher the held-out accuracy must be than the baseline's (0.10 = 10 points).

    """
    from helpers.data_quality.tenses import SYSTEM
    from helpers.data_quality.training import train_lora
    from helpers.evaluation.harness import evaluate

    name = N_("your set beats web-like data")
    fair = check_training_set(make_set, n, heldout, seed)
    if fair.status != "passed":
        return _verdict(
            name,
            "not done" if fair.status == "not done" else "failed",
            _("first make a fair set (see the check above). Nothing was trained.")
            if fair.status == "failed"
            else _("first make a fair set (see the check above)."),
        )
    items = make_set(n, seed)
    net, _losses = train_lora(
        model,
        tokenizer,
        items,
        steps=steps,
        batch_size=batch_size,
        learning_rate=learning_rate,
        seed=seed,
        desc=_("your set"),
    )
    result = evaluate(net, tokenizer, heldout, SYSTEM, name="your set")
    net.unload()
    MEASURED["your set"] = result
    gain = result.accuracy - baseline.accuracy
    summary = _(
        "after the same {steps} steps, your set scores {correct}/{n} ({accuracy:.0%}) "
        "on the held-out sentences, the baseline {baseline_correct}/{baseline_n} ({baseline_accuracy:.0%}): "
        "{gain:+.0%}"
    ).format(
        steps=steps, correct=result.correct, n=result.n, accuracy=result.accuracy, baseline_correct=baseline.correct,
        baseline_n=baseline.n, baseline_accuracy=baseline.accuracy, gain=gain,
    )
    if gain < margin:
        return _verdict(
            name,
            "failed",
            _(
                "{summary}; it needs at least +{margin:.0%}. Check that every response "
                "starts with the right tense word and that the tricky constructions are labelled right; "
                "with few steps, long responses also spread the training over many tokens besides the label."
            ).format(summary=summary, margin=margin),
        )
    return _verdict(name, "passed", _(
        "{summary}. Same size, same training: only the data differ."
    ).format(summary=summary))
