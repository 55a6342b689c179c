"""Edge runtimes beside the course's own: OpenVINO GenAI, Foundry Local, Olive, and their build environments.

Each runtime gets a small chat class with the same ``stream(msgs, settings)`` / ``chat`` / ``measure``
surface as :mod:`helpers.runtimes` (same :class:`~helpers.runtimes.GenerationSettings`). Tools whose
pins clash with the course's run from isolated environments under ``.cache/envs``
(:mod:`helpers.edge.buildenv`). Introduced in notebook 12; ``python -m helpers.edge`` prepares everything.
Submodules are imported on use, so ``import helpers.edge`` stays instant.
"""

from helpers.edge.accelerators import available_accelerators

__all__ = ["available_accelerators"]
