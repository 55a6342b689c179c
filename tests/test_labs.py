"""The labs' form: README, solution, an up-to-date learner copy that hides the solutions and still runs.

The solutions themselves are run by nbval (pytest collects ``labs/``); learner copies are not collected.
One cheap learner copy (lab 3, no model) is executed here to prove a stubbed lab runs without an error.
"""

import ast

import nbformat
import pytest

from helpers.errors import CourseError
from scripts.make_learner_copies import (
    BEGIN,
    END,
    LABS_DIR,
    SOLUTION_ONLY,
    learner_copy,
    learner_path,
    solution_notebooks,
    strip_solutions,
    stub_for,
    write_learner_copies,
)

SOLUTIONS = solution_notebooks()
README_SECTIONS = ("## Goal", "## Time", "## Hardware", "## What is checked")


def test_there_are_six_labs():
    assert [s.parent.name[:2] for s in SOLUTIONS] == ["01", "02", "03", "04", "05", "06"]


@pytest.mark.parametrize("solution", SOLUTIONS, ids=lambda p: p.parent.name)
def test_lab_has_a_readme_with_the_required_sections(solution):
    readme = (solution.parent / "README.md").read_text(encoding="utf-8")
    assert readme.startswith("# Lab ")
    for section in README_SECTIONS:
        assert section in readme, f"{solution.parent.name}/README.md lacks {section}"


def test_learner_copies_are_up_to_date():
    stale = write_learner_copies(check=True)
    assert not stale, f"regenerate with `python scripts/make_learner_copies.py`: {[str(p) for p in stale]}"


@pytest.mark.parametrize("solution", SOLUTIONS, ids=lambda p: p.parent.name)
def test_learner_copy_hides_the_solutions_and_is_clean(solution):
    source = nbformat.read(solution, as_version=4)
    copy = nbformat.read(learner_path(solution), as_version=4)
    blocks = sum(c.source.count(BEGIN) for c in source.cells if c.cell_type == "code")
    assert blocks >= 2, "a lab needs at least two exercises"
    for cell in copy.cells:
        assert BEGIN not in cell.source and END not in cell.source and SOLUTION_ONLY not in cell.source
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
            ast.parse(cell.source)  # every stubbed cell is still valid Python
    stubs = sum(c.source.count("# ✏️ Your code here") for c in copy.cells)
    assert stubs == blocks
    assert copy.cells[1].source.startswith("> ✏️ **Learner copy.**")


@pytest.mark.parametrize("solution", SOLUTIONS, ids=lambda p: p.parent.name)
def test_solution_is_committed_clean_and_ends_with_a_self_test(solution):
    nb = nbformat.read(solution, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.outputs == [] and c.execution_count is None for c in code)
    assert any(c.source.startswith(SOLUTION_ONLY) and "assert_all_passed(" in c.source for c in code)
    assert code[1].source.startswith("# Parameters")
    headings = [c.source.splitlines()[0] for c in nb.cells if c.cell_type == "markdown"]
    assert headings[0].startswith("# Lab ") and nb.cells[0].source.splitlines()[1].startswith("> ")
    for heading in ("## What you will learn", "## Summary", "## Check your understanding"):
        assert any(h.startswith(heading) for h in headings), heading


def test_stub_for_assignments_returns_and_functions():
    assert stub_for(["X = 1", "Y, Z = 2, 3", "X += 1"])[1:] == ["X = ...", "Y = ...", "Z = ..."]
    assert stub_for(["    total = 1", "    return total"]) == [
        "    # ✏️ Your code here: replace the ... below.",
        "    return ...",
    ]
    assert stub_for(["def f(x):", "    return x"])[1:] == ["f = ..."]
    guarded = ["    try:", "        return run()", "    except ValueError as exc:", "        return str(exc)"]
    assert stub_for(guarded)[1:] == ["    return ..."]
    with pytest.raises(CourseError, match="assigns no name"):
        stub_for(["print('hi')"])


def test_strip_solutions_keeps_the_rest_and_rejects_broken_markers():
    source = f"a = 1\n{BEGIN}\nANSWER = 42\n{END}\ncheck(ANSWER)"
    assert strip_solutions(source) == "a = 1\n# ✏️ Your code here: replace the ... below.\nANSWER = ...\ncheck(ANSWER)"
    for broken in (f"{BEGIN}\nA = 1", f"A = 1\n{END}", f"{BEGIN}\n{BEGIN}\nA = 1\n{END}"):
        with pytest.raises(CourseError):
            strip_solutions(broken)


def test_learner_copy_generation_is_deterministic():
    solution = SOLUTIONS[0]
    assert nbformat.writes(learner_copy(solution)) == nbformat.writes(learner_copy(solution))


def test_a_stubbed_learner_copy_runs_and_reports_not_done():
    from nbclient import NotebookClient

    path = learner_path(LABS_DIR / "03-pick-the-right-phi" / "solution.ipynb")
    nb = nbformat.read(path, as_version=4)
    # Raises CellExecutionError if any cell fails (conftest.py sets MPLBACKEND=agg for the kernel).
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    printed = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert printed.count("not done yet") == 6
    assert "0 of 6 checks passed" in printed
    assert not any(o.get("output_type") == "error" for c in nb.cells if c.cell_type == "code" for o in c.outputs)
