"""How sure a score is: Wilson intervals for an accuracy, a bootstrap interval for a difference.

An accuracy of 8 out of 10 is not the same evidence as 80 out of 100. The Wilson score interval says how far the
true accuracy may be from the measured one; unlike the textbook ``p ± 1.96 * sqrt(p(1-p)/n)`` it stays inside
[0, 1] and behaves at 0% and 100%. Defined in notebook 13.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

from helpers.errors import CourseError
from helpers.i18n import _

__all__ = ["bootstrap_difference", "items_needed", "wilson_interval"]


def wilson_interval(correct: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """The Wilson score interval for ``correct`` successes out of ``n`` (95% with the default ``z``).

    Example:
        >>> [round(x, 3) for x in wilson_interval(8, 10)]
        [0.49, 0.943]

    """
    if n <= 0 or not 0 <= correct <= n:
        raise CourseError(_(
            "An interval needs 0 <= correct <= n and n > 0, not {correct} of {n}: count the items again."
        ).format(correct=correct, n=n))
    p = correct / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def items_needed(half_width: float, p: float = 0.5, z: float = 1.96) -> int:
    """How many items make a 95% interval about ``± half_width`` wide at accuracy ``p`` (normal approximation).

    Example:
        >>> items_needed(0.10), items_needed(0.05)
        (97, 385)

    """
    return math.ceil(z * z * p * (1 - p) / half_width**2)


def bootstrap_difference(
    a: Sequence[bool], b: Sequence[bool], resamples: int = 2000, seed: int = 0
) -> tuple[float, float, float]:
    """Paired bootstrap of accuracy(a) - accuracy(b) on the same items: ``(difference, low, high)`` (95%).

    Both lists score the same items in the same order, so each resample draws items, not scores: the interval
    accounts for some items being harder than others.
    """
    if len(a) != len(b) or not a:
        raise CourseError(_(
            "A paired bootstrap needs two equally long, non-empty score lists, not {n_a} and {n_b}."
        ).format(n_a=len(a), n_b=len(b)))
    rng = random.Random(seed)
    n = len(a)
    diffs = []
    for _step in range(resamples):
        picks = [rng.randrange(n) for _ in range(n)]
        diffs.append(sum(a[i] - b[i] for i in picks) / n)
    diffs.sort()
    return sum(a[i] - b[i] for i in range(n)) / n, diffs[int(0.025 * resamples)], diffs[int(0.975 * resamples) - 1]
