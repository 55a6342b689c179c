"""What every edge chat shares: ``stream`` yields text pieces; ``chat`` and ``measure`` build on it.

The same surface as :mod:`helpers.runtimes` (``stream(msgs, settings)``, ``chat``, ``measure``, the
same :class:`~helpers.runtimes.GenerationSettings`), so an edge runtime can sit in the benchmark beside
Transformers and ONNX Runtime GenAI. Defined for notebook 12.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from helpers.prompts import Message
from helpers.timing import GenerationStats, measure_stream

__all__ = ["EdgeChat", "folder_mb"]


def folder_mb(folder: Path) -> float:
    """Size of every file in ``folder`` (recursively), in MB (10^6 bytes)."""
    return sum(f.stat().st_size for f in Path(folder).rglob("*") if f.is_file()) / 1e6


class EdgeChat:
    """Base class: subclasses set ``runtime`` and ``folder`` and implement ``stream``."""

    runtime = "?"
    folder: Path

    def stream(self, msgs: Sequence[Message], settings: Any = None) -> Iterator[str]:
        raise NotImplementedError

    def chat(self, msgs: Sequence[Message], settings: Any = None) -> str:
        """The whole answer as one string."""
        return "".join(self.stream(msgs, settings)).strip()

    def measure(self, msgs: Sequence[Message], settings: Any = None, live: bool = False) -> tuple[str, GenerationStats]:
        """Generate once and time it (``live=True`` prints the answer as it streams)."""
        printer = (lambda piece: print(piece, end="", flush=True)) if live else None
        text, stats = measure_stream(self.stream(msgs, settings), on_token=printer)
        if live:
            print()
        return text.strip(), stats

    @property
    def size_mb(self) -> float:
        """Size of the model folder on disk."""
        return folder_mb(self.folder)

    def close(self) -> None:
        """Release the model (subclasses with a worker process stop it)."""
