"""The edge runtimes of :mod:`helpers.edge` (OpenVINO GenAI, the Olive build, Foundry Local) as lazy backends.

They load only what ``python course.py setup --edge`` (or notebook 12) prepared: :func:`edge_unprepared`
says in one sentence what is missing, and the benchmark leaves such a route out with that line.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from helpers.errors import CourseError
from helpers.i18n import _
from helpers.prompts import Message
from helpers.runtimes.base import Backend, GenerationSettings

__all__ = ["EDGE_BACKENDS", "EdgeBackend", "edge_unprepared"]

#: Benchmark name -> (runtime, precision).
EDGE_BACKENDS = {
    "openvino-int4": ("openvino-genai", "int4"),
    "olive-int4": ("onnxruntime-genai (Olive build)", "int4"),
    "foundry-local": ("foundry-local", "int4"),
}


def edge_unprepared(name: str) -> str | None:
    """``None`` when the edge route ``name`` can load here, else one sentence saying what to prepare."""
    from importlib.util import find_spec

    from helpers.edge.buildenv import env_ready
    from helpers.models import is_complete

    hint = "run `python course.py setup --edge` to add it"
    if name == "openvino-int4":
        from helpers.edge.openvino import openvino_dir

        if find_spec("openvino_genai") is None:
            return f"{name}: openvino-genai is not installed; {hint}."
        return None if is_complete(openvino_dir()) else f"{name}: no OpenVINO export yet; {hint}."
    if name == "olive-int4":
        from helpers.edge.olive import olive_dir

        return None if (olive_dir() / "genai_config.json").is_file() else f"{name}: no Olive build yet; {hint}."
    if name == "foundry-local":
        return None if env_ready("foundry-local") else f"{name}: its environment is not prepared; {hint}."
    raise CourseError(_(
        "Unknown edge backend {name!r}: use one of {choices}."
    ).format(name=name, choices=', '.join(EDGE_BACKENDS)))


def _maker(name: str) -> Callable[[], Any]:
    if name == "openvino-int4":
        from helpers.edge.openvino import OpenVinoChat

        return OpenVinoChat.load
    if name == "olive-int4":
        from helpers.edge.olive import olive_chat

        return olive_chat
    from helpers.edge.foundry_local import FoundryLocalChat

    return FoundryLocalChat.load


class EdgeBackend(Backend):
    """A lazy backend around one :mod:`helpers.edge` chat, so the benchmark times it like every other runtime.

    Introduced in notebook 10 (the runtimes themselves in notebook 12).
    """

    def __init__(self, name: str, threads: int | None = None) -> None:
        if name not in EDGE_BACKENDS:
            raise CourseError(_(
                "Unknown edge backend {name!r}: use one of {choices}."
            ).format(name=name, choices=', '.join(EDGE_BACKENDS)))
        runtime, precision = EDGE_BACKENDS[name]
        super().__init__(name, precision)
        self.runtime = runtime
        self.threads = threads  # recorded only: these runtimes pick their own thread counts
        self.chat_model: Any = None

    def _load(self) -> None:
        from helpers.bench.weights import WeightBytes, onnx_weight_bytes
        from helpers.models import MODELS

        problem = edge_unprepared(self.name)
        if problem:
            raise CourseError(problem)
        self.chat_model = _maker(self.name)()
        folder = self.chat_model.folder
        self.model_name = MODELS["smollm2-135m"].name
        if (folder / "genai_config.json").is_file():
            self.weights = onnx_weight_bytes(folder)
        else:  # OpenVINO: one .bin file; SmolLM2's tied embeddings make it all read per token
            size = sum(f.stat().st_size for f in folder.glob("*.bin"))
            self.weights = WeightBytes(total=size, per_token=size)

    def stream(self, msgs: Sequence[Message], settings: GenerationSettings | None = None) -> Iterator[str]:
        self.load()
        yield from self.chat_model.stream(list(msgs), settings or GenerationSettings())

    def close(self) -> None:
        if self.chat_model is not None:
            self.chat_model.close()
        self.chat_model = None
        super().close()
