"""Environment variables, the git-ignored ``.env`` file, and secrets that never get printed."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from helpers.errors import CourseError
from helpers.i18n import _

__all__ = ["REPO_ROOT", "Secret", "env_flag", "get_env", "get_required_env", "get_secret", "load_env_file"]

#: The repository root (the folder that holds ``helpers/``).
REPO_ROOT = Path(__file__).resolve().parents[1]


@lru_cache(maxsize=1)
def load_env_file(path: Path | None = None) -> Path | None:
    """Load ``.env`` from the repository root once; variables already set in the shell win.

    Introduced in notebook 00.

    Returns:
        The file that was read, or ``None`` when there is none.

    """
    path = path or REPO_ROOT / ".env"
    if not path.is_file():
        return None
    from dotenv import load_dotenv

    load_dotenv(path, override=False)
    return path


def get_env(name: str, default: str | None = None) -> str | None:
    """Return an environment variable (after reading ``.env``), treating an empty value as unset.

    Introduced in notebook 06.

    Example:
        >>> get_env("SLM_LAB_SURELY_UNSET", "fallback")
        'fallback'

    """
    load_env_file()
    value = os.environ.get(name, "").strip()
    return value or default


def env_flag(name: str, default: bool = False) -> bool:
    """Read a yes/no environment variable (``1``, ``true``, ``yes``, ``on`` mean yes).

    Introduced in notebook 00.
    """
    value = get_env(name)
    if value is None:
        return default
    return value.lower() in {"1", "true", "yes", "on"}


def get_required_env(name: str, description: str) -> str:
    """Return an environment variable or raise a :class:`CourseError` that says how to set it.

    Introduced in notebook 00.

    Args:
        name: The variable, e.g. ``"AZURE_OPENAI_ENDPOINT"``.
        description: What it is, e.g. ``"your Azure AI Foundry endpoint URL"``.

    """
    value = get_env(name)
    if value is None:
        raise CourseError(_(
            "{name} is not set: put {description} in .env in the course folder (copy .env.example there) "
            "or export {name} in your shell, then rerun this cell."
        ).format(name=name, description=description))
    return value


@dataclass(frozen=True)
class Secret:
    """A key that refuses to show itself in a repr, a log line or a notebook output.

    Introduced in notebook 00.

    Example:
        >>> key = Secret("OPENAI_API_KEY", "sk-not-a-real-key")
        >>> key
        Secret(OPENAI_API_KEY=***)
        >>> key.reveal()
        'sk-not-a-real-key'

    """

    name: str
    _value: str

    def reveal(self) -> str:
        """The raw value, for passing straight to an SDK."""
        return self._value

    def __repr__(self) -> str:
        return f"Secret({self.name}=***)"

    __str__ = __repr__


def get_secret(name: str, description: str) -> Secret:
    """Like :func:`get_required_env`, wrapped in a :class:`Secret`.

    Introduced in notebook 00.
    """
    return Secret(name, get_required_env(name, description))
