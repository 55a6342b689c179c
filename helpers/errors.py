"""One exception type for everything a learner can fix.

Every problem a learner can act on (a missing key, a server that is down, a model that cannot be
downloaded offline) is raised as :class:`CourseError` with one sentence that says what happened and
what to do. Notebooks show that sentence without a stack trace (see :func:`helpers.setup_notebook`).
"""

from __future__ import annotations

__all__ = ["CourseError"]


class CourseError(RuntimeError):
    """A problem the learner can fix, described in one sentence.

    Introduced in notebook 05.

    Example:
        >>> raise CourseError("NVIDIA_API_KEY is not set: add it to .env or export it, then rerun.")
        Traceback (most recent call last):
        ...
        helpers.errors.CourseError: NVIDIA_API_KEY is not set: add it to .env or export it, then rerun.

    """
