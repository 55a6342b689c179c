"""``python -m helpers.moe``: see :func:`helpers.moe.cli.main`."""

from helpers.cli import run
from helpers.moe.cli import main

raise SystemExit(run(main))
