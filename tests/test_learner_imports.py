"""Learner copies do not import a helper that computes an answer for the learner.

Each lab's check module lists its forbidden helpers (``FORBIDDEN``, collected in
``helpers.checks.FORBIDDEN_BY_LAB``); this test parses every code cell of every learner copy and fails on an import
of one of them, under any alias (``from helpers.prompts import render_template as r``, ``import helpers.prompts``
followed by ``helpers.prompts.render_template``).
"""

from __future__ import annotations

import ast

import nbformat
import pytest

from helpers.checks import FORBIDDEN_BY_LAB
from helpers.env import REPO_ROOT

LEARNER_COPIES = sorted((REPO_ROOT / "labs").glob("[0-9][0-9]-*/learner/*.ipynb"))


def forbidden_uses(source: str, forbidden: tuple[str, ...]) -> list[str]:
    """The forbidden dotted names that ``source`` imports or reaches through an imported module."""
    tree = ast.parse(source)
    found, modules = [], {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                dotted = f"{node.module}.{alias.name}"
                if dotted in forbidden:
                    found.append(dotted)
                modules[alias.asname or alias.name] = dotted
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in forbidden:
                    found.append(alias.name)
                bound = alias.asname or alias.name.split(".")[0]
                modules[bound] = alias.name if alias.asname else bound
    for node in ast.walk(tree):  # helpers.prompts.render_template, or p.render_template after `import ... as p`
        if isinstance(node, ast.Attribute):
            parts, inner = [node.attr], node.value
            while isinstance(inner, ast.Attribute):
                parts.append(inner.attr)
                inner = inner.value
            if isinstance(inner, ast.Name) and inner.id in modules:
                dotted = ".".join([modules[inner.id], *reversed(parts)])
                found += [f for f in forbidden if dotted == f or dotted.startswith(f + ".")]
    return found


def test_every_lab_has_a_forbidden_list():
    labs = {path.parent.parent.name for path in LEARNER_COPIES}
    assert labs and labs <= set(FORBIDDEN_BY_LAB), f"no FORBIDDEN list for {sorted(labs - set(FORBIDDEN_BY_LAB))}"


@pytest.mark.parametrize(
    ("source", "caught"),
    [
        ("from helpers.prompts import render_template", True),
        ("from helpers.prompts import messages, render_template as r", True),
        ("import helpers.prompts\nhelpers.prompts.render_template([], 'phi3', None)", True),
        ("import helpers.prompts as p\np.phi3([])", True),
        ("from helpers import prompts\nprompts.render_template", True),
        ("from helpers.prompts import messages", False),
        ("from helpers.checks import check_prompt", False),
    ],
)
def test_the_scan_sees_imports_under_any_name(source, caught):
    assert bool(forbidden_uses(source, FORBIDDEN_BY_LAB["01-prompt-formats"])) == caught


@pytest.mark.parametrize("path", LEARNER_COPIES, ids=[p.parent.parent.name for p in LEARNER_COPIES])
def test_learner_copy_imports_no_answer_helper(path):
    forbidden = FORBIDDEN_BY_LAB[path.parent.parent.name]
    notebook = nbformat.read(path, as_version=4)
    uses = []
    for cell in notebook.cells:
        if cell.cell_type == "code":
            source = "\n".join(line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!")))
            uses += forbidden_uses(source, forbidden)
    assert not uses, f"{path.name} imports helpers that compute an answer: {sorted(set(uses))}"
