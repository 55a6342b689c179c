"""Test-wide settings: offline, quiet progress bars, a fixed seed for notebooks' kernels.

nbval starts each notebook's kernel with this process's environment, so these settings reach the
notebooks too: no model hub, no progress bars on stderr (they would break output comparison).
"""

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TQDM_DISABLE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("MPLBACKEND", "agg")
# Tests must not pick up a learner's switch to a hub model or their cloud keys.
os.environ.pop("SLM_LAB_MODEL", None)
