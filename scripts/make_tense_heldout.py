"""Write ``data/data_quality/heldout.jsonl``: notebook 13's and lab 6's held-out tense items.

The items come from :func:`helpers.data_quality.generators.heldout_items` (seed 16, nine sentences for each of
the ten constructions), built only from names and verbs that no training generator uses. Run from the repository
root: ``python scripts/make_tense_heldout.py`` (``--check`` only says whether the file is up to date).
"""

import json
import sys

from helpers.data_quality.experiment import HELDOUT
from helpers.data_quality.generators import heldout_items


def main() -> int:
    """Write the file, or with ``--check`` compare it and exit 1 when stale."""
    text = "".join(json.dumps(item) + "\n" for item in heldout_items())
    if "--check" in sys.argv:
        same = HELDOUT.is_file() and HELDOUT.read_text(encoding="utf-8") == text
        print("up to date" if same else f"stale: run python {sys.argv[0]}")
        return 0 if same else 1
    HELDOUT.write_text(text, encoding="utf-8")
    print(f"wrote {len(text.splitlines())} items to {HELDOUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
