"""The benchmark's fixed prompt set (``data/bench_prompts.json``): every backend answers the same conversations."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from helpers.env import REPO_ROOT
from helpers.errors import CourseError
from helpers.i18n import _
from helpers.prompts import Message, messages

__all__ = ["PROMPTS_FILE", "BenchPrompt", "load_prompts", "prompts_from_texts"]

PROMPTS_FILE = REPO_ROOT / "data" / "bench_prompts.json"


@dataclass(frozen=True)
class BenchPrompt:
    """One conversation of the benchmark's fixed prompt set.

    Introduced in notebook 10.
    """

    id: str
    task: str
    messages: tuple[Message, ...]


def load_prompts(path: Path | str | None = None, limit: int | None = None) -> list[BenchPrompt]:
    """Read the fixed prompt set (``data/bench_prompts.json`` unless ``path`` is given).

    Introduced in notebook 10.

    Args:
        path: A JSON file with a ``system`` prompt and a list of ``prompts`` (``id``, ``task``, ``user``).
        limit: Keep only the first ``limit`` prompts (quick runs).

    Example:
        >>> prompts = load_prompts(limit=2)
        >>> [p.id for p in prompts]
        ['capital', 'photosynthesis']

    """
    path = Path(path) if path else PROMPTS_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        system = data.get("system")
        prompts = [
            BenchPrompt(str(item["id"]), str(item.get("task", "")), tuple(messages(str(item["user"]), system=system)))
            for item in data["prompts"]
        ]
    except FileNotFoundError:
        raise CourseError(_(
            "The benchmark prompt file {path} is missing: restore it from the repository."
        ).format(path=path)) from None
    except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
        raise CourseError(_(
            "The benchmark prompt file {path} is not valid ({kind}: {error}): each entry of "
            "'prompts' needs an 'id' and a 'user' text."
        ).format(path=path, kind=exc.__class__.__name__, error=exc)) from None
    ids = [p.id for p in prompts]
    if not prompts or len(set(ids)) != len(ids):
        raise CourseError(_(
            "The prompt file {path} has no prompts or repeats an id: give each prompt its own id."
        ).format(path=path))
    if limit is not None and limit < 1:
        raise CourseError(_("limit={limit} would leave no prompts: use 1 or more.").format(limit=limit))
    return prompts[:limit]


def prompts_from_texts(texts: Sequence[str], system: str | None = None) -> list[BenchPrompt]:
    """Turn plain user messages into benchmark prompts (ids ``p1``, ``p2``...), e.g. for the MoE comparison.

    Introduced in notebook 09.

    Example:
        >>> [p.id for p in prompts_from_texts(["Hi", "Bye"])]
        ['p1', 'p2']

    """
    return [BenchPrompt(f"p{i}", "", tuple(messages(text, system=system))) for i, text in enumerate(texts, start=1)]
