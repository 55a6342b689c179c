"""The helpers package stays small and findable: no module over 400 lines, no function over 60 lines of code.

Docstrings do not count towards a function's length (they are the documentation the limit should never
discourage); everything else from the first statement after the docstring to the last line does.
"""

import ast
from pathlib import Path

import pytest

HELPERS = Path(__file__).resolve().parents[1] / "helpers"
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60
MODULES = sorted(HELPERS.rglob("*.py"))


def code_lines(function: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """Lines from the first statement after the docstring to the end of the function."""
    body = function.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        body = body[1:]
    return function.end_lineno - body[0].lineno + 1 if body else 0


def test_the_rule_measures_what_it_says():
    source = 'def f():\n    """Doc.\n\n    More doc.\n    """\n    a = 1\n    return a\n'
    assert code_lines(ast.parse(source).body[0]) == 2
    assert len(MODULES) > 20  # the package was found


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(HELPERS)))
def test_module_is_small(path):
    source = path.read_text(encoding="utf-8")
    lines = len(source.splitlines())
    assert lines <= MAX_MODULE_LINES, f"{path.name} has {lines} lines: split it by concern (limit {MAX_MODULE_LINES})."
    long = [
        f"{node.name} ({code_lines(node)} lines, line {node.lineno})"
        for node in ast.walk(ast.parse(source))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and code_lines(node) > MAX_FUNCTION_LINES
    ]
    assert not long, f"{path.name}: functions over {MAX_FUNCTION_LINES} lines of code: {', '.join(long)}."


def test_no_maintainer_tool_in_the_learners_package():
    assert not (HELPERS / "labs.py").exists(), "learner copies are made by scripts/make_learner_copies.py"


def test_a_command_ends_a_course_error_in_one_line_and_status_1():
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "helpers.models", "int3"], capture_output=True, text=True,
                          cwd=HELPERS.parent, timeout=120)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == ["error: Unknown ONNX precision 'int3': use one of int4, int8, fp32."]
