"""The one command-line pattern of the course: argparse in each ``main(argv)``, errors as one line.

Every ``python -m helpers.<x>`` (and every script in ``scripts/``) ends with
``raise SystemExit(run(main))``: a :class:`helpers.errors.CourseError` prints ``error: <sentence>``
on stderr and exits with status 1, never a stack trace.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Any

from helpers.errors import CourseError

__all__ = ["run"]


def run(main: Callable[[Sequence[str] | None], Any], argv: Sequence[str] | None = None) -> int:
    """Call ``main(argv)`` and return the exit status: 0, or 1 after one ``error:`` line when it raised CourseError.

    Example:
        >>> def main(argv):
        ...     raise CourseError("Nothing to do: pass a file.")
        >>> run(main, [])
        1

    """
    try:
        status = main(argv)
    except CourseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return status if isinstance(status, int) and not isinstance(status, bool) else 0
