"""The checks of the labs: plain functions a learner can read, each saying what was expected and why.

Every ``check_...`` prints one verdict and returns a :class:`CheckResult`:

* ✅ *correct*, with the reason it is right (and, where several answers are right, the others);
* ❌ *not quite*, with what was expected, why, and what to try (a character-by-character difference for prompts);
* ⏳ *not done yet*, when the answer is still the learner copy's ``...`` (or ``None``), with a hint to start.

A check never raises on a wrong or missing answer, so a learner copy runs top to bottom whatever state it is in.
:func:`lab_report` sums up a lab; the solution notebooks end with :func:`assert_all_passed` so CI fails
when a solution stops passing its own checks.

This module is the framework; ``lab01_prompts`` ... ``lab05_tools`` hold each lab's checks.
"""

from __future__ import annotations

import difflib
import numbers
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from helpers.i18n import N_, _

__all__ = [
    "FAILED",
    "NOT_DONE",
    "PASSED",
    "RESULTS",
    "CheckName",
    "CheckResult",
    "answer_or",
    "as_bool",
    "as_number",
    "assert_all_passed",
    "failed",
    "is_implemented",
    "is_unanswered",
    "lab_report",
    "not_done",
    "passed",
    "show",
    "shown_name",
    "text_diff",
]

PASSED, FAILED, NOT_DONE = N_("passed"), N_("failed"), N_("not done")
_ICONS = {PASSED: "✅", FAILED: "❌", NOT_DONE: "⏳"}


class CheckName(str):
    """A check name built from fields: the English text is the key of :data:`RESULTS`, the learner reads it translated.

    Introduced in lab 01.

    ``CheckName(N_("pick for {scenario}"), scenario="phone-app")`` equals ``"pick for phone-app"`` (code and tests
    index :data:`RESULTS` with it); :func:`shown_name` translates the template and fills the same fields (technical
    names: models, precisions, scenario keys).

    Example:
        >>> name = CheckName("pick for {scenario}", scenario="phone-app")
        >>> name == "pick for phone-app", shown_name(name)
        (True, 'pick for phone-app')

    """

    template: str
    fields: dict[str, Any]

    def __new__(cls, template: str, /, **fields: Any) -> CheckName:
        self = super().__new__(cls, template.format(**fields))
        self.template, self.fields = template, fields
        return self

    def shown(self) -> str:
        """The name in the learner's language."""
        return _(self.template).format(**self.fields)


def shown_name(name: str) -> str:
    """A check's name as the learner reads it: translated (a plain name is a constant marked with ``N_``).

    Introduced in lab 01.
    """
    return name.shown() if isinstance(name, CheckName) else _(name)


@dataclass(frozen=True)
class CheckResult:
    """The verdict of one check: ``status`` is ``"passed"``, ``"failed"`` or ``"not done"``.

    Introduced in lab 01.

    It is truthy only when passed. Notebooks show nothing for it (the check already printed its message).
    """

    name: str
    status: str
    message: str

    def __bool__(self) -> bool:
        return self.status == PASSED

    def _ipython_display_(self) -> None:
        """Show nothing: the check printed its verdict already."""


#: Every verdict given in this Python session, by check name (the latest one wins).
RESULTS: dict[str, CheckResult] = {}


def verdict(name: str, status: str, message: str) -> CheckResult:
    result = CheckResult(name, status, message.strip())
    RESULTS[name] = result
    print(f"{_ICONS[status]} {shown_name(name)}: {result.message}")
    return result


def passed(name: str, message: str) -> CheckResult:
    """Record and print a ✅ verdict.

    Introduced in lab 01.
    """
    # TRANSLATORS: {message} is the check's own sentence (translated too), after a ✅ and the check's name.
    return verdict(name, PASSED, _("correct: {message}").format(message=message))


def failed(name: str, message: str) -> CheckResult:
    """Record and print a ❌ verdict.

    Introduced in lab 01.
    """
    # TRANSLATORS: {message} says what was expected and why (translated too), after a ❌ and the check's name.
    return verdict(name, FAILED, _("not quite: {message}").format(message=message))


def not_done(name: str, hint: str) -> CheckResult:
    """Record and print a ⏳ verdict with a hint to start.

    Introduced in lab 01.
    """
    # TRANSLATORS: {hint} says how to start the exercise (translated too).
    return verdict(name, NOT_DONE, _("not done yet. {hint}").format(hint=hint))


def is_unanswered(value: Any) -> bool:
    """Tell whether ``value`` is still a learner copy's placeholder: ``...``, ``None`` or an empty string.

    Introduced in lab 01.

    Example:
        >>> is_unanswered(...), is_unanswered(""), is_unanswered("<|user|>")
        (True, True, False)

    """
    return value is ... or value is None or (isinstance(value, str) and not value.strip())


def answer_or(value: Any, fallback: Any, what: str, using: str | None = None) -> Any:
    """Use the learner's ``value``, or say visibly that ``fallback`` stands in while it is unanswered.

    Introduced in lab 04.

    Lets the cells after an unfinished exercise run, so the lab never stops with an error.

    Example:
        >>> answer_or(..., 5e-6, "LEARNING_RATE", using="upstream's 5e-6")
        ⏳ LEARNING_RATE is not done yet: using upstream's 5e-6 for now, so the rest of the lab runs.
        5e-06

    """
    if is_unanswered(value):
        # TRANSLATORS: {what} is a variable a learner fills in (LEARNING_RATE); {using} names the value used instead.
        print("⏳ " + _("{what} is not done yet: using {using} for now, so the rest of the lab runs.").format(
            what=what, using=using if using is not None else _("a stand-in value")
        ))
        return fallback
    return value


def lab_report(names: Sequence[str] | None = None) -> None:
    """Print how many checks passed, and which failed or are not done yet (all checks so far, or ``names``).

    Introduced in lab 01.
    """
    results = [RESULTS[n] for n in names if n in RESULTS] if names else list(RESULTS.values())
    passed = sum(r.status == PASSED for r in results)
    print(_("{passed} of {total} checks passed.").format(passed=passed, total=len(results)))
    for r in results:
        if r.status != PASSED:
            print(f"  {_ICONS[r.status]} {shown_name(r.name)}: {_(r.status)}")
    if results and passed == len(results):
        print("🎉 " + _("Every check passes: well done."))


def assert_all_passed(expected: int) -> None:
    """Fail loudly unless exactly ``expected`` checks ran and all passed (the solutions' self-test).

    Introduced in lab 01.
    """
    failing = [f"{r.name} ({r.status})" for r in RESULTS.values() if r.status != PASSED]
    if failing or len(RESULTS) != expected:
        raise AssertionError(f"{len(RESULTS)} checks ran (expected {expected}); not passing: {failing or 'none'}")


def show(text: str) -> str:
    """Show a string's invisible characters: newlines as backslash-n, tabs as backslash-t.

    Introduced in lab 01.
    """
    return repr(text)[1:-1]


def text_diff(expected: str, got: str, context: int = 25, limit: int = 4) -> str:
    r"""Describe where two strings differ, character by character, with a caret under the first difference.

    Introduced in lab 01.

    Example:
        >>> print(text_diff("<|user|>\nHi<|end|>", "<|user|>Hi<|end|>"))
        expected: <|user|>\nHi<|end|>
        yours:    <|user|>Hi<|end|>
                          ^ first difference at character 8
        - character 8: missing '\n' (after '<|user|>')

    """
    matcher = difflib.SequenceMatcher(None, expected, got, autojunk=False)
    changes = [op for op in matcher.get_opcodes() if op[0] != "equal"]
    if not changes:
        return _("the strings are identical")
    first = changes[0][1]
    start = max(0, first - context)
    prefix = "…" if start else ""
    shown_exp = prefix + show(expected[start : first + context])
    shown_got = prefix + show(got[start : changes[0][3] + context])
    caret = " " * (len(prefix) + len(show(expected[start:first])))
    # TRANSLATORS: two labels printed above each other, before the expected text and the learner's text.
    labels = (_("expected:"), _("yours:"))
    width = max(len(label) for label in labels) + 1
    lines = [
        labels[0].ljust(width) + shown_exp,
        labels[1].ljust(width) + shown_got,
        " " * width + caret + "^ " + _("first difference at character {index}").format(index=first),
    ]
    for tag, i1, i2, j1, j2 in changes[:limit]:
        before = show(expected[max(0, i1 - 12) : i1])
        fields = {"index": i1, "expected": expected[i1:i2], "yours": got[j1:j2], "before": before}
        if tag == "delete":
            line = _("- character {index}: missing {expected!r} (after {before!r})")
        elif tag == "insert":
            line = _("- character {index}: extra {yours!r} (after {before!r})")
        else:
            line = _("- character {index}: {yours!r} where {expected!r} belongs (after {before!r})")
        lines.append(line.format(**fields))
    if len(changes) > limit:
        lines.append(_("- … and {count} more differences").format(count=len(changes) - limit))
    return "\n".join(lines)


def is_implemented(function: Any, *probe: Any) -> bool:
    """Tell whether an exercise's function is written: callable, and not returning the stub's ``...`` for ``probe``.

    Introduced in lab 05.

    Example:
        >>> def stub(x):
        ...     return ...
        >>> is_implemented(stub, 1), is_implemented(len, "abc")
        (False, True)

    """
    if not callable(function):
        return False
    try:
        return function(*probe) is not ...
    except Exception:  # it does something; its own check reports what goes wrong
        return True


_YES = {"true", "yes", "y", "fits", "it fits", "1"}
_NO = {"false", "no", "n", "does not fit", "doesn't fit", "it does not fit", "0"}


def as_bool(value: Any) -> bool | None:
    """Read a yes/no answer: ``True``/``False``, ``1``/``0`` or the words ``"yes"``/``"no"``; ``None`` if unclear.

    Introduced in lab 03.

    ``bool("no")`` is ``True`` in Python, so a check must never call ``bool`` on a learner's string.

    Example:
        >>> as_bool("No"), as_bool(True), as_bool(" yes "), as_bool("maybe")
        (False, True, True, None)

    """
    if isinstance(value, bool) or (isinstance(value, numbers.Integral) and value in (0, 1)):
        return bool(value)
    if hasattr(value, "item") and not isinstance(value, str):  # a NumPy bool
        return as_bool(value.item())
    if isinstance(value, str):
        word = value.strip().lower().rstrip(".!")
        if word in _YES:
            return True
        if word in _NO:
            return False
    return None


_UNITS = {"": 1.0, "b": 1e-9, "byte": 1e-9, "bytes": 1e-9, "kb": 1e-6, "mb": 1e-3, "gb": 1.0, "tb": 1e3}
_QUANTITY = re.compile(r"^\s*([-+]?\d+(?:[.,_]\d+)*(?:\.\d+)?(?:e[-+]?\d+)?)\s*([a-z]*)\s*$", re.IGNORECASE)


def as_number(value: Any, unit: str = "gb") -> float | None:
    """Read a number in ``unit`` (``"gb"`` or ``"mb"``): a real number, or a string with an explicit unit.

    Introduced in lab 02.

    A string may say its unit (``"29.4 GB"``, ``"29400000000 bytes"``, ``"538 MB"``): it is converted. A bare
    number is taken to be in ``unit`` already. ``True``/``False`` and anything else give ``None``.

    Example:
        >>> as_number("29.4 GB"), round(as_number("29_400_000_000 bytes"), 6), as_number("0.538 GB", unit="mb")
        (29.4, 29.4, 538.0)

    """
    if isinstance(value, bool):
        return None
    if isinstance(value, numbers.Real):
        return float(value)
    if hasattr(value, "item") and not isinstance(value, str):  # a NumPy scalar
        return as_number(value.item(), unit)
    if not isinstance(value, str):
        return None
    match = _QUANTITY.match(value)
    if not match:
        return None
    number, said = match.group(1).replace("_", "").replace(",", ""), match.group(2).lower()
    if said not in _UNITS:
        return None
    try:
        amount = float(number)
    except ValueError:
        return None
    in_gb = amount * _UNITS[said] if said else None
    if in_gb is None:
        return amount
    return in_gb * (1e3 if unit == "mb" else 1.0)
