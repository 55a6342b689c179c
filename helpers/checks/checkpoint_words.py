"""Checkpoint checks on words (notebook 15): what an SLM is, SLM vs LLM, cloud vs local settings, does it fit.

Each check prints one verdict and returns a :class:`helpers.checks.CheckResult`, like the labs' checks. Answers may be
written in several ways (letters in any order and case, "no" or ``False``); a substring that merely contains the right
word fails.

Defined in notebook 15.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from helpers.checks.core import CheckResult, is_unanswered
from helpers.checks.core import failed as _failed
from helpers.checks.core import not_done as _not_done
from helpers.checks.core import passed as _passed
from helpers.i18n import N_, _

__all__ = ["CLOUD_SETTINGS", "CONTRAST_POINTS", "DEFINITION_STATEMENTS", "check_cloud_differences", "check_contrast",
           "check_definition", "check_fits"]


def _words(text: str) -> str:
    """Lower-case ``text`` and reduce it to words separated by single spaces (punctuation becomes space)."""
    words = (w.strip(".") for w in re.sub(r"[^a-z0-9.]+", " ", text.lower()).split())
    return " ".join(w for w in words if w)


def _as_items(answer: Any) -> list[str] | None:
    """Turn ``"A, C"``, ``"ACE"``-style letters or a list/set/tuple of strings into a list of strings."""
    if isinstance(answer, str):
        return [part for part in re.split(r"[,;/]|\band\b|\s+", answer) if part.strip()]
    if isinstance(answer, (list, tuple, set, frozenset)) and all(isinstance(a, str) for a in answer):
        return list(answer)
    return None


# =========================================================================== 1. what an SLM is

#: Statements about small language models; the learner picks the true ones by letter.
DEFINITION_STATEMENTS: dict[str, tuple[str, bool]] = {
    "A": ("An SLM uses the same transformer ideas as an LLM, with far fewer parameters.", True),
    "B": ("An SLM needs a different kind of tokenizer and cannot use chat templates.", False),
    "C": ("SLMs are often made by distilling or compressing a larger model.", True),
    "D": ("An SLM has no bias, because its training data is smaller.", False),
    "E": ("An SLM can run on a laptop or phone, where an LLM is impractical.", True),
    "F": ("An SLM knows as many facts as an LLM, only in less memory.", False),
}


def check_definition(answer: Any) -> CheckResult:
    """Check the letters of the true statements in :data:`DEFINITION_STATEMENTS` (any order, any case)."""
    name = N_("what an SLM is")
    if is_unanswered(answer):
        return _not_done(name, _("Give the letters of the true statements, e.g. 'A, C'."))
    items = _as_items(answer)
    if items is None:
        return _failed(name, _("give the letters as a string ('A, C') or a list (['A', 'C'])."))
    letters = set()
    for item in items:
        item = item.strip().upper()
        if len(item) > 1 and set(item) <= set(DEFINITION_STATEMENTS):  # "ACE"
            letters |= set(item)
        elif item in DEFINITION_STATEMENTS:
            letters.add(item)
        else:
            return _failed(name, _(
                "{item!r} is not one of the letters {choices}."
            ).format(item=item, choices=', '.join(DEFINITION_STATEMENTS)))
    true = {k for k, (_, ok) in DEFINITION_STATEMENTS.items() if ok}
    if letters != true:
        wrong = sorted(letters - true)
        missed = sorted(true - letters)
        parts = []
        if wrong:
            # TRANSLATORS: {letters} are statement letters (B, D).
            parts.append(_("{letters} is not true (reread it: the course measured the opposite)").format(
                letters=", ".join(wrong)))
        if missed:
            parts.append(_("one or more true statements are missing ({count})").format(count=len(missed)))
        return _failed(name, "; ".join(parts) + ".")
    return _passed(name, _(
        "an SLM is a scaled-down LLM (same architecture, fewer parameters), often distilled or compressed, "
        "made to run where an LLM cannot; it still inherits bias and knows fewer facts."
    ))


# =========================================================================== 2. SLM vs LLM, point by point

#: For each point of notebook 01, a statement; the learner says whether it describes an SLM, an LLM or both.
CONTRAST_POINTS: dict[str, tuple[str, str]] = {
    "size": ("Its weights fit a phone's memory at int4.", "slm"),
    "understanding": ("It knows a broad range of facts across many domains.", "llm"),
    "compute": ("Training it takes thousands of GPUs.", "llm"),
    "bias": ("It inherits bias from its training data.", "both"),
    "inference": ("It answers on the device itself, with no network round trip or shared server.", "slm"),
}

_KINDS = {
    "slm": "slm",
    "small": "slm",
    "small language model": "slm",
    "small model": "slm",
    "llm": "llm",
    "large": "llm",
    "large language model": "llm",
    "large model": "llm",
    "both": "both",
    "both of them": "both",
    "either": "both",
    "slm and llm": "both",
    "llm and slm": "both",
}


def check_contrast(answer: Any) -> CheckResult:
    """Check a dict ``{point: "SLM" | "LLM" | "both"}`` for every point in :data:`CONTRAST_POINTS`."""
    name = N_("SLM vs LLM")
    if is_unanswered(answer) or (isinstance(answer, Mapping) and any(is_unanswered(v) for v in answer.values())):
        return _not_done(name, _(
            "Fill in a dict with the keys {choices}: 'SLM', 'LLM' or 'both'."
        ).format(choices=', '.join(CONTRAST_POINTS)))
    if not isinstance(answer, Mapping) or {str(k).lower() for k in answer} != set(CONTRAST_POINTS):
        return _failed(name, _(
            "give a dict with exactly the keys {choices}."
        ).format(choices=', '.join(CONTRAST_POINTS)))
    wrong = []
    for key, value in answer.items():
        point = str(key).lower()
        said = _KINDS.get(_words(value)) if isinstance(value, str) else None
        if said is None:
            return _failed(name, _(
                "{point}: write 'SLM', 'LLM' or 'both', not {value!r}."
            ).format(point=point, value=value))
        if said != CONTRAST_POINTS[point][1]:
            wrong.append(point)
    if wrong:
        return _failed(name, _("reread {choices} (notebook 01 measures each point).").format(choices=', '.join(wrong)))
    return _passed(
        name, _(
            "SLMs fit small devices and answer locally; LLMs know more and need far more compute; both inherit bias."
        )
    )


# =========================================================================== 3. pick a Phi variant

#: The job of the pick question: what it needs and how much memory the device leaves.
#: What changes when the same ``openai`` code moves from the local server to a cloud endpoint, by synonym.
CLOUD_SETTINGS: dict[str, tuple[str, ...]] = {
    "base_url": ("base url", "base_url", "url", "endpoint", "endpoint url"),
    "api_key": ("api key", "api_key", "key", "credential", "token"),
    "model": ("model", "model id", "model name", "deployment", "deployment name"),
}


def check_cloud_differences(answer: Any) -> CheckResult:
    """Check the settings that change between a local and a cloud call: base URL, API key and model id."""
    name = N_("local vs cloud")
    if is_unanswered(answer):
        return _not_done(name, _("List the settings you change, e.g. ['base URL', ...]."))
    items = (
        [part for part in re.split(r"[,;]|\band\b", answer) if part.strip()]
        if isinstance(answer, str)
        else list(answer)
        if isinstance(answer, (list, tuple, set, frozenset)) and all(isinstance(a, str) for a in answer)
        else None
    )
    if items is None:
        return _failed(name, _("give the settings as a list of strings, e.g. ['base URL', 'API key', 'model id']."))
    found, unknown = set(), []
    for item in items:
        words = _words(item).replace("_", " ")
        hits = [k for k, synonyms in CLOUD_SETTINGS.items() if words in {s.replace("_", " ") for s in synonyms}]
        if hits:
            found.add(hits[0])
        else:
            unknown.append(item.strip())
    if unknown:
        return _failed(name, _(
            "{choices} does not change: the messages, the settings and the code stay "
            "the same; only where the request goes, who you are and which model answers do."
        ).format(choices=', '.join(repr(u) for u in unknown)))
    if found != set(CLOUD_SETTINGS):
        return _failed(name, _(
            "{n_cloud_settings} of the settings is missing."
        ).format(n_cloud_settings=len(CLOUD_SETTINGS) - len(found)))
    return _passed(name, _(
        "base URL, API key and model id (on Foundry, your deployment name). The request itself is the same; "
        "the cloud adds a network round trip, a shared server, a bill and a key to keep secret."
    ))


# =========================================================================== 5. speed and memory

_YES = {"yes", "y", "true", "it fits", "fits"}
_NO = {"no", "n", "false", "it does not fit", "does not fit", "it doesn t fit", "doesn t fit", "no it does not"}


def check_fits(
    answer: Any, model: str = "Phi-4-mini", precision: str = "fp16", memory_gb: float = 4.0, overhead: float = 0.2
) -> CheckResult:
    """Check a yes/no answer (``True``/``False``, ``"yes"``/``"no"``): does ``model`` fit ``memory_gb``."""
    from helpers.phi_family import estimate_memory_gb, get_model

    name = N_("does it fit")
    if is_unanswered(answer):
        return _not_done(name, _("Answer True or False (or 'yes' / 'no')."))
    if isinstance(answer, bool):
        said = answer
    elif isinstance(answer, str) and _words(answer).strip(".") in _YES | _NO:
        said = _words(answer).strip(".") in _YES
    else:
        return _failed(name, _("answer True or False (or 'yes' / 'no'), not {answer!r}.").format(answer=answer))
    need = estimate_memory_gb(get_model(model), precision, overhead=overhead)[0]
    truth = need <= memory_gb
    if said != truth:
        return _failed(
            name, _(
                "work it out: parameters x bytes per weight x {value:g}, against {memory_gb:g} GB."
            ).format(value=1 + overhead, memory_gb=memory_gb)
        )
    return _passed(
        name,
        _(
            "{model} at {precision} needs about {need:.1f} GB with {overhead:.0%} overhead; "
            "the device leaves {memory_gb:g} GB, so {value}."
        ).format(
            model=model, precision=precision, need=need, overhead=overhead, memory_gb=memory_gb,
            # TRANSLATORS: completes "the device leaves {memory_gb} GB, so {value}."
            value=_("it fits") if truth else _("it does not fit"),
        ),
    )
