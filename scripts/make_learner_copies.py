#!/usr/bin/env python3
"""Learner copies of the labs, generated from the solution notebooks (a maintainer tool).

Every lab lives in ``labs/NN-name/``: ``solution.ipynb`` is the complete notebook that CI runs, and
``learner/NN-name.ipynb`` is what a learner opens. The learner copy is never edited by hand; this script
writes it from the solution:

* In a code cell, the lines between ``# BEGIN SOLUTION`` and ``# END SOLUTION`` are replaced by a stub at
  the same indentation: ``NAME = ...`` for every name the block assigns, or ``return ...`` when the block
  returns. Checks treat ``...`` as "not done yet", so an unfinished exercise never crashes a cell.
* A code cell whose first line is ``# SOLUTION ONLY`` (the solution's self-test) is left out.
* A note at the top says where the copy came from; outputs and execution counts are cleared.

Run ``python scripts/make_learner_copies.py`` after editing a solution (``--check`` only reports stale copies).

Example:
    >>> stub_for(["ANSWER = 6 * 7"])
    ['# ✏️ Your code here: replace the ... below.', 'ANSWER = ...']

"""

from __future__ import annotations

import argparse
import ast
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from helpers.cli import run
from helpers.env import REPO_ROOT
from helpers.errors import CourseError

__all__ = [
    "BEGIN",
    "END",
    "LABS_DIR",
    "SOLUTION_ONLY",
    "learner_copy",
    "learner_path",
    "solution_notebooks",
    "strip_solutions",
    "stub_for",
    "write_learner_copies",
]

BEGIN = "# BEGIN SOLUTION"
END = "# END SOLUTION"
SOLUTION_ONLY = "# SOLUTION ONLY"
LABS_DIR = REPO_ROOT / "labs"
STUB_COMMENT = "# ✏️ Your code here: replace the ... below."
NOTE = (
    "> ✏️ **Learner copy.** Fill in the cells marked ✏️ and run the check under each one: it says "
    "*not done yet*, *not quite* (with what was expected and why) or *correct*. "
    "This file is generated from `../solution.ipynb` by `scripts/make_learner_copies.py`; the solution is there "
    "when you are stuck."
)


def solution_notebooks(labs_dir: Path | None = None) -> list[Path]:
    """Every ``labs/NN-name/solution.ipynb``, in lab order."""
    return sorted((labs_dir or LABS_DIR).glob("[0-9][0-9]-*/solution.ipynb"))


def learner_path(solution: Path) -> Path:
    """Where the learner copy of ``solution`` lives: ``labs/NN-name/learner/NN-name.ipynb``."""
    return solution.parent / "learner" / f"{solution.parent.name}.ipynb"


def _assigned_names(tree: ast.Module) -> list[str]:
    names: list[str] = []

    def add(target: ast.expr) -> None:
        if isinstance(target, ast.Name) and target.id not in names:
            names.append(target.id)
        elif isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                add(element)

    for node in tree.body:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                add(target)
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
            add(node.target)
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name not in names:
            names.append(node.name)
    return names


def _returns(body: list[ast.stmt]) -> bool:
    """Tell whether statements return from the enclosing function (nested functions and classes do not count)."""
    for node in body:
        if isinstance(node, ast.Return):
            return True
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        children = [child for child in ast.iter_child_nodes(node) if isinstance(child, ast.stmt)]
        children += [stmt for handler in getattr(node, "handlers", []) for stmt in handler.body]
        if _returns(children):
            return True
    return False


def stub_for(lines: list[str]) -> list[str]:
    """Build the stub that replaces a solution block (``lines`` without the markers, any indentation).

    Example:
        >>> stub_for(["    total = sum(xs)", "    return total / len(xs)"])
        ['    # ✏️ Your code here: replace the ... below.', '    return ...']

    """
    code = textwrap.dedent("\n".join(lines))
    indent = next((line[: len(line) - len(line.lstrip())] for line in lines if line.strip()), "")
    tree = ast.parse(code)  # a top-level ``return`` parses fine: only compiling would reject it
    body = ["return ..."] if _returns(tree.body) else [f"{name} = ..." for name in _assigned_names(tree)]
    if not body:
        raise CourseError(
            "A solution block assigns no name and returns nothing, so its learner stub would be empty: "
            "assign the answer to a variable inside the block."
        )
    return [indent + STUB_COMMENT] + [indent + line for line in body]


def strip_solutions(source: str, where: str = "a cell") -> str:
    """Replace every ``# BEGIN SOLUTION`` ... ``# END SOLUTION`` block of ``source`` by its stub."""
    out: list[str] = []
    block: list[str] | None = None
    for line in source.splitlines():
        marker = line.strip()
        if marker == BEGIN:
            if block is not None:
                raise CourseError(f"{where} opens {BEGIN} twice without {END}: close the first block.")
            block = []
        elif marker == END:
            if block is None:
                raise CourseError(f"{where} has {END} without {BEGIN}: add the opening marker.")
            out.extend(stub_for(block))
            block = None
        elif block is not None:
            block.append(line)
        else:
            out.append(line)
    if block is not None:
        raise CourseError(f"{where} opens {BEGIN} but never closes it: add {END}.")
    return "\n".join(out)


def learner_copy(solution: Path) -> Any:
    """Build the learner copy of ``solution`` in memory (an ``nbformat`` notebook, no outputs)."""
    import nbformat

    nb = nbformat.read(solution, as_version=4)
    cells = []
    blocks = 0
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            if cell.source.lstrip().startswith(SOLUTION_ONLY):
                continue
            blocks += cell.source.count(BEGIN)
            cell.source = strip_solutions(cell.source, where=f"{solution.parent.name} cell {index}")
            cell.outputs = []
            cell.execution_count = None
            cell.metadata.pop("keep_output", None)
        cells.append(cell)
    if blocks == 0:
        raise CourseError(f"{solution} has no {BEGIN} block: mark at least one exercise.")
    first_text = 1 if cells and cells[0].cell_type == "markdown" else 0
    cells.insert(first_text, nbformat.v4.new_markdown_cell(NOTE))
    for number, cell in enumerate(cells):
        cell["id"] = f"c{number:02d}"  # stable ids: regenerating gives the same file, diffs stay clean
    return nbformat.v4.new_notebook(cells=cells, metadata=nb.metadata)


def _render(nb: Any) -> str:
    import nbformat

    return nbformat.writes(nb) + "\n"


def write_learner_copies(check: bool = False, labs_dir: Path | None = None) -> list[Path]:
    """Regenerate every learner copy; with ``check=True`` write nothing and return the stale ones.

    Returns:
        The learner copies that were (or, with ``check``, would be) rewritten.

    """
    changed = []
    for solution in solution_notebooks(labs_dir):
        target = learner_path(solution)
        text = _render(learner_copy(solution))
        current = target.read_text(encoding="utf-8") if target.is_file() else None
        if current != text:
            changed.append(target)
            if not check:
                target.parent.mkdir(exist_ok=True)
                target.write_text(text, encoding="utf-8")
    return changed


def main(argv: Sequence[str] | None = None) -> int:
    """Write the learner copies, or (``--check``) list the stale ones and exit 1 if there are any."""
    parser = argparse.ArgumentParser(prog="python scripts/make_learner_copies.py", description=main.__doc__)
    parser.add_argument("--check", action="store_true", help="write nothing; list stale copies (exit status 1)")
    check = parser.parse_args(argv).check
    changed = write_learner_copies(check=check)
    verb = "out of date" if check else "written"
    for path in changed:
        print(f"{verb}: {path.relative_to(REPO_ROOT)}")
    if not changed:
        print("all learner copies are up to date")
    return 1 if check and changed else 0


if __name__ == "__main__":
    raise SystemExit(run(main))
