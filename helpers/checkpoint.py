"""The final checkpoint's checks (notebook 15), one per learning goal of the course.

They live with the labs' checks in :mod:`helpers.checks` (``checkpoint_words``, ``checkpoint_figures``) and print and
count like them (``lab_report()`` lists them); this module gathers them under one name for the notebook.

Defined in notebook 15.
"""

from helpers.checks.checkpoint_figures import (
    PICK_JOB,
    check_memory,
    check_pick,
    check_quantization,
    check_speed,
    parse_bytes,
)
from helpers.checks.checkpoint_words import (
    CLOUD_SETTINGS,
    CONTRAST_POINTS,
    DEFINITION_STATEMENTS,
    check_cloud_differences,
    check_contrast,
    check_definition,
    check_fits,
)

__all__ = [
    "CLOUD_SETTINGS",
    "CONTRAST_POINTS",
    "DEFINITION_STATEMENTS",
    "PICK_JOB",
    "check_cloud_differences",
    "check_contrast",
    "check_definition",
    "check_fits",
    "check_memory",
    "check_pick",
    "check_quantization",
    "check_speed",
    "parse_bytes",
]
