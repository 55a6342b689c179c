"""Load the Phi family from ``data/phi_family.json`` (validated against its schema), look models up, print a table."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from helpers.env import REPO_ROOT
from helpers.errors import CourseError
from helpers.i18n import _
from helpers.phi_family.memory import context_label
from helpers.phi_family.model import PhiModel

__all__ = ["DATA_FILE", "SCHEMA_FILE", "family_table", "get_model", "load_family", "load_family_data"]

DATA_FILE = REPO_ROOT / "data" / "phi_family.json"
SCHEMA_FILE = REPO_ROOT / "data" / "phi_family.schema.json"


def _read_json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CourseError(_(
            "{path} is missing: restore it with `git checkout -- {name}` or re-clone the repository."
        ).format(path=path, name=path.name)) from None
    except json.JSONDecodeError as exc:
        raise CourseError(_(
            "{path} is not valid JSON (line {lineno}, column {colno}): fix that spot and rerun."
        ).format(path=path, lineno=exc.lineno, colno=exc.colno)) from None


def load_family_data(path: Path | None = None, validate: bool = True) -> dict[str, Any]:
    """Read the raw JSON document, checked against ``data/phi_family.schema.json`` when ``validate`` is true.

    Introduced in notebook 02.
    """
    path = Path(path) if path else DATA_FILE
    data = _read_json(path)
    if validate:
        import jsonschema

        schema = _read_json(SCHEMA_FILE)
        errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(data), key=lambda e: list(e.absolute_path))
        if errors:
            where = "/".join(str(p) for p in errors[0].absolute_path) or "(top level)"
            raise CourseError(_(
                "{name} breaks its schema at {where} ({message}): fix that entry and rerun."
            ).format(name=path.name, where=where, message=errors[0].message[:120]))
    return data


@lru_cache(maxsize=4)
def _cached_family(path: str, validate: bool) -> tuple[PhiModel, ...]:
    data = load_family_data(Path(path), validate=validate)
    models = [PhiModel.from_dict(entry) for entry in data["models"]]
    # A multimodal model's KV cache is its language model's: borrow that architecture for the arithmetic.
    by_id = {m.id: m for m in models}
    return tuple(
        replace(m, kv_architecture=by_id[m.language_model].architecture)
        if m.language_model in by_id and m.kv_architecture is None
        else m
        for m in models
    )


def load_family(path: Path | None = None, validate: bool = True) -> list[PhiModel]:
    """All models of ``data/phi_family.json`` in file order (oldest generation first).

    Introduced in notebook 02.

    Example:
        >>> [m.name for m in load_family()][:3]
        ['Phi-1', 'Phi-2', 'Phi-3-mini']

    """
    return list(_cached_family(str(Path(path) if path else DATA_FILE), validate))


def get_model(name: str, models: Sequence[PhiModel] | None = None) -> PhiModel:
    """Find a model by id, name, alias or Hugging Face id (case-insensitive).

    Introduced in notebook 02.

    Example:
        >>> get_model("microsoft/Phi-4-mini-instruct").name
        'Phi-4-mini'

    """
    models = load_family() if models is None else models
    wanted = name.strip().lower()
    for model in models:
        names = {model.id, model.name, *model.aliases, *model.hf_ids}
        if wanted in {n.lower() for n in names}:
            return model
    raise CourseError(_(
        "No Phi model called {name!r}: use one of {choices}."
    ).format(name=name, choices=', '.join(m.id for m in models)))


def family_table(models: Sequence[PhiModel] | None = None) -> str:
    """Build a Markdown table of the family (show it with ``IPython.display.Markdown``).

    Introduced in notebook 02.
    """
    models = load_family() if models is None else models
    # TRANSLATORS: a Markdown table's header row: keep the seven | separated cells.
    header = _("| model | params | in memory | context | input | released | good for |")
    rows = [header, "|---|---|---|---|---|---|---|"]
    for m in models:
        context = " / ".join(context_label(c) for c in m.context_tokens) if m.context_tokens else _("not published")
        params = (_("{params} ({active:g}B active)").format(params=m.params_label, active=m.moe.active_params_b)
                  if m.moe else m.params_label)
        name = m.name if m.open_weights else _("{name} (not downloadable)").format(name=m.name)
        rows.append(
            f"| {name} | {params} | {m.params_b:g}B | {context} | {' + '.join(m.modalities_in)} "
            f"| {m.release} | {', '.join(m.tasks[:3])} |"
        )
    return "\n".join(rows)
