"""Static checks on every notebook and lab: committed clean, and shaped the way CONTRIBUTING.md describes."""

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
SOLUTIONS = sorted((ROOT / "labs").glob("*/solution.ipynb"))
ALL = sorted(p for p in ROOT.glob("**/*.ipynb") if not {".venv", ".cache", ".ipynb_checkpoints"} & set(p.parts))
PINNED_MARK = "# NBVAL_CHECK_OUTPUT"


def rel(path):
    return str(path.relative_to(ROOT))


def cells(path):
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def text(cell):
    return "".join(cell["source"])


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 4


@pytest.mark.parametrize("path", ALL, ids=rel)
def test_committed_without_outputs_or_execution_counts(path):
    """No cell keeps outputs or a count; pinned cells keep their expected output in metadata instead."""
    for number, cell in enumerate(cells(path)):
        if cell["cell_type"] != "code":
            continue
        assert cell.get("execution_count") is None, f"cell {number} has an execution count: strip the notebook"
        assert not cell.get("outputs"), f"cell {number} has outputs: strip the notebook (nbstripout, or pre-commit)"


@pytest.mark.parametrize("path", ALL, ids=rel)
def test_every_pinned_cell_has_an_expected_output(path):
    """A ``# NBVAL_CHECK_OUTPUT`` cell without an expected output would compare nothing."""
    for number, cell in enumerate(cells(path)):
        if cell["cell_type"] == "code" and text(cell).startswith(PINNED_MARK):
            assert cell["metadata"].get("pinned_outputs"), (
                f"cell {number} is marked {PINNED_MARK} but has no expected output: run scripts/pin_outputs.py"
            )


@pytest.mark.parametrize("path", NOTEBOOKS + SOLUTIONS, ids=rel)
def test_notebook_follows_the_house_structure(path):
    nb = cells(path)
    markdown = "\n".join(text(c) for c in nb if c["cell_type"] == "markdown")
    code = [text(c) for c in nb if c["cell_type"] == "code"]
    first = text(nb[0])
    assert nb[0]["cell_type"] == "markdown" and first.startswith("# "), "first cell: '# Title'"
    assert re.search(r"^> \S", first, re.M), "first cell: a one-line '> subtitle'"
    for heading in ("## What you will learn", "## What you need", "## Summary", "## Check your understanding"):
        assert heading in markdown, f"missing '{heading}'"
    assert any("setup_notebook(" in c for c in code), "no setup cell calling setup_notebook()"
    params = [c for c in code if c.startswith("# Parameters")]
    assert len(params) == 1, "exactly one parameters cell starting with '# Parameters'"
    assignments = re.findall(r"^([A-Za-z_][A-Za-z0-9_]*)\s*=", params[0], re.M)
    assert assignments, "the parameters cell sets no constants"
    assert all(name.isupper() for name in assignments), "the parameters cell holds ALL_CAPS constants only"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=rel)
def test_every_notebook_is_on_the_course_map(path):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start_here = "\n".join(text(c) for c in cells(ROOT / "notebooks" / "00-start-here.ipynb"))
    assert f"notebooks/{path.name}" in readme, "README's course map does not link it"
    assert f"({path.name})" in start_here, "notebook 00's course map does not link it"


def test_every_lab_has_a_readme_and_a_solution():
    for folder in sorted(p for p in (ROOT / "labs").glob("*") if p.is_dir()):
        assert (folder / "README.md").is_file(), f"{rel(folder)} has no README.md"
        assert (folder / "solution.ipynb").is_file(), f"{rel(folder)} has no solution.ipynb"


@pytest.mark.parametrize("path", ALL, ids=rel)
def test_no_credentials_in_notebooks(path):
    pattern = re.compile(r"(ghp_[A-Za-z0-9]{20,}|github_pat_\w{20,}|nvapi-[\w-]{20,}|sk-[A-Za-z0-9]{32,})")
    assert not pattern.search(path.read_text(encoding="utf-8"))
