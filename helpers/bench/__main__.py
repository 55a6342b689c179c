"""``python -m helpers.bench``: see :func:`helpers.bench.cli.main`."""

from helpers.bench.cli import main
from helpers.cli import run

raise SystemExit(run(main))
