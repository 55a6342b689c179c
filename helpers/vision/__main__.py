"""``python -m helpers.vision``: see :func:`helpers.vision.tiny_vlm.main`."""

from helpers.cli import run
from helpers.vision.tiny_vlm import main

raise SystemExit(run(main))
