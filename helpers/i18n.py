"""The learner's language for every message the helpers show: gettext catalogs, chosen by ``SLM_LAB_LANG``.

English is the default and the source language. The course also speaks Norwegian bokmål (``nb``), Swedish
(``sv``), Romanian (``ro``) and Slovenian (``sl``); the catalogs live in
``translations/<lang>/LC_MESSAGES/slm_lab.po`` and their compiled ``.mo`` files beside them (see
``scripts/i18n.py`` and CONTRIBUTING.md, "Translating").

Marking a message: wrap the English text in :func:`_` and fill placeholders *after* translation, by name::

    from helpers.i18n import _

    raise CourseError(_("{name} is not set: put it in .env, then rerun this cell.").format(name=name))

Never pass an f-string to :func:`_` (the catalog could not find it); use named ``{fields}`` so a translator
can move them. :func:`ngettext` picks a plural form; :func:`N_` marks a constant for extraction without
translating it at import time (translate it with :func:`_` where it is shown).

The language is read when a message is shown, not when a module is imported, so :func:`set_language` in a
notebook changes every later message.

Example:
    >>> set_language("sl")
    'sl'
    >>> _("CPU requested")
    'zahtevan CPU'
    >>> set_language("en")
    'en'
    >>> _("CPU requested")
    'CPU requested'

"""

from __future__ import annotations

import gettext
import os
import sys
from functools import cache
from pathlib import Path

__all__ = [
    "DEFAULT_LANGUAGE",
    "DOMAIN",
    "LANGUAGES",
    "LOCALE_DIR",
    "N_",
    "_",
    "get_language",
    "language_of_folder",
    "ngettext",
    "set_language",
]

#: The gettext domain: ``translations/<lang>/LC_MESSAGES/slm_lab.mo``.
DOMAIN = "slm_lab"
#: Where the catalogs live (the repository's ``translations/`` folder).
LOCALE_DIR = Path(__file__).resolve().parents[1] / "translations"
#: Every language the course speaks, English (the source) first, with its name in that language.
LANGUAGES = {"en": "English", "nb": "norsk bokmål", "sv": "svenska", "ro": "română", "sl": "slovenščina"}
DEFAULT_LANGUAGE = "en"
#: Spellings learners and operating systems use for the same languages.
ALIASES = {"no": "nb", "nb_no": "nb", "no_no": "nb", "sv_se": "sv", "ro_ro": "ro", "sl_si": "sl", "en_us": "en"}

_chosen: str | None = None


def _normalise(code: str) -> str | None:
    key = code.strip().lower().replace("-", "_").split(".")[0]
    key = ALIASES.get(key, key)
    return key if key in LANGUAGES else None


def set_language(code: str | None) -> str:
    """Speak ``code`` from now on (``None`` goes back to ``SLM_LAB_LANG``, else English).

    Args:
        code: ``"en"``, ``"nb"``, ``"sv"``, ``"ro"`` or ``"sl"`` (``"no"``, ``"sl-SI"`` and similar are accepted).

    Returns:
        The language now in use.

    """
    global _chosen
    if code is None:
        _chosen = None
        return get_language()
    normalised = _normalise(code)
    if normalised is None:
        from helpers.errors import CourseError

        raise CourseError(
            _("Unknown language {code!r}: use one of {choices}.").format(code=code, choices=", ".join(LANGUAGES))
        )
    _chosen = normalised
    return normalised


def get_language() -> str:
    """The language in use: :func:`set_language`'s choice, else ``SLM_LAB_LANG``, else English.

    An unknown ``SLM_LAB_LANG`` falls back to English and says so once on stderr (a silent fallback would
    leave a learner wondering why their language does not appear).
    """
    if _chosen is not None:
        return _chosen
    raw = os.environ.get("SLM_LAB_LANG", "").strip()
    if not raw:
        return DEFAULT_LANGUAGE
    normalised = _normalise(raw)
    if normalised is None:
        _warn_unknown(raw)
        return DEFAULT_LANGUAGE
    return normalised


@cache
def _warn_unknown(raw: str) -> None:
    print(
        f"SLM_LAB_LANG={raw!r} is not a course language ({', '.join(LANGUAGES)}): messages stay in English.",
        file=sys.stderr,
    )


@cache
def _translations(language: str) -> gettext.NullTranslations:
    if language == DEFAULT_LANGUAGE:
        return gettext.NullTranslations()
    # fallback=False: a language we list must have its compiled catalog (tests/test_i18n.py checks it is fresh).
    return gettext.translation(DOMAIN, localedir=LOCALE_DIR, languages=[language])


def _(message: str) -> str:
    """Translate ``message`` into the current language (English text when no translation exists)."""
    return _translations(get_language()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """Translate a message with a count, choosing the language's plural form for ``n``."""
    return _translations(get_language()).ngettext(singular, plural, n)


def N_(message: str) -> str:  # noqa: N802 - the gettext convention
    """Mark ``message`` for extraction without translating it now (translate with :func:`_` where it is shown)."""
    return message


def language_of_folder(folder: str | os.PathLike[str]) -> str | None:
    """The language of a localized copy's folder (``translations/sl/notebooks`` -> ``"sl"``), else ``None``.

    A notebook's kernel starts in the notebook's folder, so :func:`helpers.notebook.setup_notebook` uses this to
    speak the language of the notebook the learner opened, however JupyterLab was started (Binder, Codespaces).
    """
    parts = Path(folder).resolve().parts
    for index in range(len(parts) - 2, -1, -1):  # the innermost ``translations/<lang>`` (any copy of the course)
        if parts[index] == LOCALE_DIR.name and parts[index + 1] in LANGUAGES:
            return parts[index + 1]
    return None

