"""What every notebook's setup cell calls: seeding, friendly errors, one line about this machine."""

from __future__ import annotations

import os
import platform
import random
import sys
from typing import Any

from helpers.errors import CourseError
from helpers.i18n import _, language_of_folder, set_language

__all__ = ["machine_summary", "setup_notebook"]


def _show_course_error(shell: Any, etype: type, value: BaseException, tb: Any, tb_offset: int | None = None) -> None:
    """Show a :class:`CourseError` as one readable line instead of a stack trace."""
    print(f"\u26a0\ufe0f  {value}", file=sys.stderr)


def machine_summary() -> dict[str, Any]:
    """Python, PyTorch, accelerator, CPU cores and memory of this machine.

    Introduced in notebook 00.
    """
    import psutil

    from helpers.device import pick_device

    info: dict[str, Any] = {
        "python": platform.python_version(),
        "os": f"{platform.system()} {platform.machine()}",
        "cpu_cores": os.cpu_count(),
        "ram_gb": round(psutil.virtual_memory().total / 2**30, 1),
    }
    try:
        import torch

        info["torch"] = torch.__version__
        info["device"] = pick_device()
    except ImportError:
        info["torch"] = None
        info["device"] = None
    return info


def setup_notebook(seed: int = 0, verbose: bool = True) -> dict[str, Any]:
    """Seed every random generator, show course errors as one line, and print what this machine has.

    In a localized notebook (a copy under ``translations/<lang>/``) it also switches the helpers' messages to
    that language.

    Introduced in notebook 00.

    Example:
        >>> info = setup_notebook(verbose=False)
        >>> info["cpu_cores"] >= 1
        True

    """
    folder_language = language_of_folder(os.getcwd())
    if folder_language:  # a localized notebook (translations/<lang>/...): its helpers speak its language
        set_language(folder_language)
    random.seed(seed)
    try:
        import numpy as np

        np.random.seed(seed)
    except ImportError:  # pragma: no cover - numpy is a course dependency
        pass
    info = machine_summary()
    if info["torch"]:
        import torch

        torch.manual_seed(seed)
    try:
        from IPython import get_ipython

        shell = get_ipython()
    except ImportError:  # pragma: no cover - notebooks always have IPython
        shell = None
    if shell is not None:
        shell.set_custom_exc((CourseError,), _show_course_error)
    if verbose:
        device = info["device"]
        print(
            _("Python {python} on {os}, {cores} CPU cores, {ram} GB RAM | PyTorch {torch} | device: {device}").format(
                python=info["python"], os=info["os"], cores=info["cpu_cores"], ram=info["ram_gb"],
                torch=info["torch"], device=device,
            )
        )
    return info
