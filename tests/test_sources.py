"""Every figure of the Phi family carries a source, and notebooks do not retype figures that live in data.

A figure typed by hand into prose drifts from ``data/phi_family.json`` the day the data is corrected. Notebook prose
should read such figures from the data in a cell, or cite where the figure comes from (a model card or report), in
the same sentence.
"""

import copy
import json
import re
from pathlib import Path

import nbformat
import pytest

from helpers.phi_family import DATA_FILE

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted([*ROOT.glob("notebooks/*.ipynb"), *ROOT.glob("labs/*/solution.ipynb")])

# The figures of an entry that must each be backed by one of its sources (a source's "covers" list).
FIGURE_FIELDS = ("params_b", "context_tokens", "release", "languages")
# Words that make a sentence a citation: the figure is attributed, not retyped as the course's own claim.
CITATION = re.compile(
    r"model card|technical report|\breport\b|paper|phi_family|from the data|data/|platform card|according to|"
    r"Microsoft (?:says|reports|names|calls|describes)|upstream|computed|counted|measured|the cell|above",
    re.IGNORECASE,
)
PARAMS = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)\s?(?:B\b|billion)", re.IGNORECASE)
CONTEXT = re.compile(r"(?<![\w.])(\d+)\s?K(?:\b| tokens)")


def source_problems(data: dict) -> list[str]:
    """Return one sentence per entry whose figures are not all backed by a dated source."""
    problems = []
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(data.get("as_of", ""))):
        problems.append("The family table has no as_of date.")
    for m in data["models"]:
        sources = m.get("sources") or []
        if not sources:
            problems.append(f"{m['id']}: no source.")
            continue
        for s in sources:
            if not re.fullmatch(r"20\d{2}-\d{2}-\d{2}", str(s.get("read", ""))):
                problems.append(f"{m['id']}: source {s.get('title')!r} has no date read.")
        covered = {field for s in sources for field in s.get("covers", [])}
        for field in FIGURE_FIELDS:
            if m.get(field) is not None and field not in covered:
                problems.append(f"{m['id']}: no source covers {field}.")
    return problems


def model_names(data: dict) -> list[str]:
    names = {m["name"] for m in data["models"]} | {a for m in data["models"] for a in m.get("aliases", [])}
    return sorted(names, key=len, reverse=True)


def sentences(markdown: str):
    text = re.sub(r"<details>.*?</details>", " ", markdown, flags=re.DOTALL)  # answers are checked by hand
    text = re.sub(r"```.*?```", " ", text, flags=re.DOTALL)  # quoted upstream code
    for line in text.splitlines():
        if line.lstrip().startswith(">"):
            continue  # quoted upstream text
        yield from re.split(r"(?<=[.!?])\s+", line)


def retyped_figures(markdown: str, names: list[str]) -> list[str]:
    """Sentences that name a Phi model next to a parameter count or context length and cite nothing."""
    pattern = re.compile(r"(?<![\w-])(" + "|".join(re.escape(n) for n in names) + r")(?![\w-])")
    hits = []
    for sentence in sentences(markdown):
        if not pattern.search(sentence) or CITATION.search(sentence):
            continue
        if PARAMS.search(sentence) or CONTEXT.search(sentence):
            hits.append(sentence.strip())
    return hits


@pytest.fixture(scope="module")
def data():
    return json.loads(DATA_FILE.read_text(encoding="utf-8"))


def test_every_family_entry_carries_dated_sources_for_its_figures(data):
    assert source_problems(data) == []


def test_the_family_includes_the_releases_after_the_upstream_lessons(data):
    names = {m["name"] for m in data["models"]}
    assert {"Phi-1.5", "Phi-4-mini-flash-reasoning", "Phi-4-reasoning-vision-15B"} <= names


def test_languages_follow_the_model_cards(data):
    by_id = {m["id"]: m for m in data["models"]}
    for model_id in ("phi-3.5-mini", "phi-4-mini"):
        languages = by_id[model_id]["languages"]
        assert {"Norwegian", "Swedish"} <= set(languages)
        assert not {"Romanian", "Slovenian"} & set(languages)


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: d["models"][0].update(sources=[]), "no source"),
        (lambda d: d["models"][0]["sources"][0].pop("read"), "no date read"),
        (lambda d: d["models"][0]["sources"][0].update(read="last year"), "no date read"),
        (lambda d: [s.update(covers=["strengths"]) for s in d["models"][3]["sources"]], "no source covers params_b"),
        (lambda d: [s["covers"].remove("languages") for s in d["models"][-1]["sources"] if "languages" in s["covers"]],
         "no source covers languages"),
        (lambda d: d.pop("as_of"), "as_of"),
    ],
)
def test_source_problems_catch_a_missing_source(data, mutate, expected):
    broken = copy.deepcopy(data)
    mutate(broken)
    assert any(expected in p for p in source_problems(broken)), source_problems(broken)


@pytest.mark.parametrize(
    ("markdown", "flagged"),
    [
        ("Phi-3-mini has 3.8 billion parameters.", True),
        ("Phi-4 holds a 16K window.", True),
        ("Phi-4-mini (3.8B) is the pick here.", True),
        ("Phi-3-mini has 3.8 billion parameters (model card, read 2026-12-01).", False),
        ("The cell above reads Phi-4's size from the data.", False),
        ("> Upstream: Phi-4 has 32K context.", False),
        ("<details><summary>Answer</summary>Phi-3-mini: 3.8B x 1 byte = 3.8 GB.</details>", False),
        ("A 135M model decodes at 60 tokens/s.", False),
    ],
)
def test_the_retyped_figure_scan(data, markdown, flagged):
    assert bool(retyped_figures(markdown, model_names(data))) is flagged


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_notebook_prose_does_not_retype_family_figures(data, path):
    names = model_names(data)
    notebook = nbformat.read(path, as_version=4)
    hits = [h for cell in notebook.cells if cell.cell_type == "markdown" for h in retyped_figures(cell.source, names)]
    advice = "read these figures from data/phi_family.json in a cell, or cite the model card:\n"
    assert hits == [], advice + "\n".join(hits)
