"""Foundry Local: Microsoft's on-device runtime (ONNX Runtime GenAI inside), with a catalog of optimized models.

``foundry-local-sdk`` 2.x runs in-process, but it pins ONNX Runtime 1.31 while the course runs 1.32,
so the course keeps it in ``.cache/envs/foundry-local`` and talks to it through a small worker process
(:mod:`helpers.edge.foundry_worker`) over JSON lines. The course's own int4 ONNX build is registered
in Foundry Local's *local* catalog ("bring your own model"); the public catalog needs the internet.
Defined for notebook 12.

Example:
    >>> chat = FoundryLocalChat.load()  # doctest: +SKIP
    >>> chat.chat([{"role": "user", "content": "Capital of Norway?"}])  # doctest: +SKIP
    'The capital of Norway is Oslo.'
    >>> chat.close()  # doctest: +SKIP

"""

from __future__ import annotations

import atexit
import json
import subprocess
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from helpers.edge.base import EdgeChat
from helpers.edge.buildenv import ensure_env
from helpers.errors import CourseError
from helpers.i18n import _
from helpers.prompts import Message

__all__ = ["FoundryLocalChat", "model_id"]

WORKER = Path(__file__).with_name("foundry_worker.py")


def model_id(folder: Path) -> str:
    """A Foundry Local id (``<name>-<device>:<version>``) unique to ``folder``: registrations persist, by id."""
    import hashlib
    import re

    folder = Path(folder).resolve()
    name = re.sub(r"[^a-z0-9]+", "-", folder.name.lower()).strip("-") or "model"
    return f"slmlab-{name}-{hashlib.sha256(str(folder).encode()).hexdigest()[:8]}-generic-cpu:1"


class FoundryLocalChat(EdgeChat):
    """Chat through Foundry Local's ``ChatSession`` in a worker process (stopped by :meth:`close` or at exit)."""

    runtime = "foundry-local"

    def __init__(self, process: subprocess.Popen[str], folder: Path, info: dict[str, Any]) -> None:
        self.process, self.folder, self.info = process, Path(folder), info
        atexit.register(self.close)

    @classmethod
    def load(cls, folder: Path | None = None, timeout_s: float = 120.0) -> FoundryLocalChat:
        """Start the worker, register ``folder`` (default: the course's ONNX int4 build) and load it."""
        import select

        from helpers.models import cache_dir, onnx_model_dir

        python = ensure_env("foundry-local")
        folder = Path(folder or onnx_model_dir(None, "int4", verbose=False)[0])
        data = cache_dir() / "foundry-local"
        data.mkdir(parents=True, exist_ok=True)
        process = subprocess.Popen(
            [str(python), str(WORKER), str(folder), model_id(folder), str(data)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, bufsize=1,
        )
        ready, _writable, _errored = select.select([process.stdout], [], [], timeout_s)
        line = process.stdout.readline() if ready and process.stdout else ""
        info = json.loads(line) if line.strip().startswith("{") else {"error": "the worker stopped without a word"}
        if "error" in info:
            process.kill()
            raise CourseError(_(
                "Foundry Local could not load {name} ({error}): "
                "run `python course.py setup --edge`, then rerun."
            ).format(name=folder.name, error=info['error'][:200]))
        return cls(process, folder, info)

    @property
    def load_s(self) -> float:
        """Seconds the worker took to start Foundry Local, register and load the model."""
        return float(self.info.get("load_s", 0.0))

    def stream(self, msgs: Sequence[Message], settings: Any = None) -> Iterator[str]:
        """Yield the answer piece by piece as the worker streams it."""
        from helpers.runtimes import GenerationSettings

        settings = settings or GenerationSettings()
        if self.process.poll() is not None or not self.process.stdin or not self.process.stdout:
            raise CourseError(_("The Foundry Local worker has stopped: load it again with FoundryLocalChat.load()."))
        job = {"messages": [dict(m) for m in msgs], "max_new_tokens": settings.max_new_tokens,
               "temperature": settings.temperature, "top_p": settings.top_p, "seed": settings.seed}
        self.process.stdin.write(json.dumps(job) + "\n")
        self.process.stdin.flush()
        finished = False
        try:
            for line in self.process.stdout:
                reply = json.loads(line)
                if "piece" in reply:
                    yield reply["piece"]
                elif reply.get("done"):
                    finished = True
                    return
                elif "error" in reply:
                    finished = True
                    raise CourseError(_(
                        "Foundry Local failed: {error}; rerun, or restart the kernel."
                    ).format(error=reply['error'][:200]))
        finally:
            if not finished:  # stopped early: read the rest of this answer, so the next one starts clean
                self._drain()
        raise CourseError(_(
            "The Foundry Local worker stopped mid-answer: load it again with FoundryLocalChat.load()."
        ))

    def _drain(self) -> None:
        """Read the worker's output up to the end of the current answer (its "done" or "error" line)."""
        for line in self.process.stdout or ():
            reply = json.loads(line)
            if reply.get("done") or "error" in reply:
                return

    def close(self) -> None:
        """Stop the worker process."""
        process = getattr(self, "process", None)
        if process and process.poll() is None:
            if process.stdin:
                process.stdin.close()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
