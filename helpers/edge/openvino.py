"""OpenVINO GenAI: Intel's runtime for CPUs, integrated and discrete GPUs, and NPUs.

The exporter (``optimum-cli export openvino`` from optimum-intel) runs in its own environment
(:mod:`helpers.edge.buildenv`) because it pins an older Transformers; the runtime
(``openvino-genai``, no torch) installs beside the course's pins from ``requirements-edge.txt``.
Defined for notebook 12.

Example:
    >>> chat = OpenVinoChat.load()  # doctest: +SKIP
    >>> chat.chat([{"role": "user", "content": "Capital of Norway?"}])  # doctest: +SKIP
    'The capital of Norway is Oslo.'

"""

from __future__ import annotations

import os
import queue
import subprocess
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from helpers.edge.base import EdgeChat
from helpers.edge.buildenv import env_tool
from helpers.errors import CourseError
from helpers.i18n import _
from helpers.prompts import Message

__all__ = ["EXPORT_ARGS", "OpenVinoChat", "openvino_dir", "prepare_openvino"]

#: The export's settings: int4 weights in groups of 64 (SmolLM2's 576-wide layers are not divisible by 128).
EXPORT_ARGS = ("--task", "text-generation-with-past", "--weight-format", "int4", "--group-size", "64")


def openvino_dir() -> Path:
    """``.cache/models/smollm2-135m/openvino-int4``."""
    from helpers.models import DEFAULT_MODEL, cache_dir

    return cache_dir() / "models" / DEFAULT_MODEL / "openvino-int4"


def prepare_openvino(quiet: bool = False) -> Path:
    """Export the default model to OpenVINO int4 (once; about 100 s on 2 cores) and return the folder."""
    from helpers.models import build_atomically, is_complete

    out = openvino_dir()
    if is_complete(out):
        return out
    cli, hf = env_tool("optimum-intel", "optimum-cli", quiet=quiet)

    def build(tmp: Path) -> None:
        if not quiet:
            print(_("Exporting to OpenVINO int4 (about 100 s on 2 cores)..."), flush=True)
        result = subprocess.run(
            [cli, "export", "openvino", "--model", str(hf), *EXPORT_ARGS, str(tmp)],
            capture_output=True, text=True, check=False, env={**os.environ, "HF_HUB_OFFLINE": "1"},
        )
        if result.returncode != 0 or not (tmp / "openvino_model.xml").is_file():
            tail = " ".join(result.stderr.strip().splitlines()[-2:])[:300]
            raise CourseError(_(
                "The OpenVINO export failed ({tail}); rerun `python course.py setup --edge`."
            ).format(tail=tail))

    return build_atomically(out, build, {"exporter": "optimum-intel", "args": list(EXPORT_ARGS)})


def _require_runtime() -> Any:
    try:
        import openvino_genai
    except ImportError:
        raise CourseError(_(
            "openvino-genai is not installed: run `python course.py setup --edge` "
            "(or `pip install -r requirements-edge.txt`), then restart the kernel."
        )) from None
    return openvino_genai


class OpenVinoChat(EdgeChat):
    """A chat model run by ``openvino_genai.LLMPipeline`` (chat template applied, streamed by callback)."""

    runtime = "openvino-genai"

    def __init__(self, pipe: Any, folder: Path, device: str = "CPU") -> None:
        self.pipe, self.folder, self.device = pipe, Path(folder), device

    @classmethod
    def load(cls, folder: Path | None = None, device: str = "CPU") -> OpenVinoChat:
        """Load an exported folder (default: the course's int4 export) on ``device`` (CPU, GPU or NPU)."""
        ov_genai = _require_runtime()
        folder = Path(folder or openvino_dir())
        if not (folder / "openvino_model.xml").is_file():
            raise CourseError(_(
                "No OpenVINO model in {folder}: run `python course.py setup --edge`, then rerun."
            ).format(folder=folder))
        from helpers.models import cache_dir

        # CACHE_DIR keeps the compiled model, so the second load skips compilation.
        compiled = cache_dir() / "openvino-compiled"
        compiled.mkdir(parents=True, exist_ok=True)
        return cls(ov_genai.LLMPipeline(str(folder), device, CACHE_DIR=str(compiled)), folder, device)

    def config(self, settings: Any = None) -> Any:
        """An ``openvino_genai.GenerationConfig`` from the course's GenerationSettings."""
        from helpers.runtimes import GenerationSettings

        ov_genai = _require_runtime()
        settings = settings or GenerationSettings()
        config = self.pipe.get_generation_config()
        config.max_new_tokens = settings.max_new_tokens
        config.repetition_penalty = settings.repetition_penalty
        config.do_sample = not settings.greedy
        if not settings.greedy:
            config.temperature, config.top_p = settings.temperature, settings.top_p
            config.top_k = settings.top_k or 50
            config.rng_seed = settings.seed
        assert isinstance(config, ov_genai.GenerationConfig)
        return config

    def stream(self, msgs: Sequence[Message], settings: Any = None) -> Iterator[str]:
        """Yield the answer piece by piece (``generate`` runs in a thread and calls back per piece).

        Closing the generator early (Stop, a time limit) stops generation after the current piece and waits for
        it, so the pipeline can take the next request (it refuses a second ``generate`` while one is running).
        """
        ov_genai = _require_runtime()
        history = ov_genai.ChatHistory([dict(m) for m in msgs])
        config = self.config(settings)
        pieces: queue.Queue[str | None] = queue.Queue()
        errors: list[BaseException] = []
        stop = threading.Event()

        def on_piece(piece: str) -> bool:
            pieces.put(piece)
            return stop.is_set()  # True asks generate() to stop after this piece

        def run() -> None:
            try:
                self.pipe.generate(history, config, streamer=on_piece)
            except BaseException as exc:  # surfaced in the consuming thread below
                errors.append(exc)
            finally:
                pieces.put(None)

        worker = threading.Thread(target=run, daemon=True)
        worker.start()
        try:
            while (piece := pieces.get()) is not None:
                yield piece
        finally:  # also when the consumer stops early (Stop, a time limit): the pipeline must be idle again
            stop.set()
            worker.join()
        if errors:
            raise errors[0]

    def json(self, msgs: Sequence[Message], schema: dict[str, Any], max_new_tokens: int = 80) -> str:
        """Answer constrained to a JSON schema (``StructuredOutputConfig``)."""
        import json

        ov_genai = _require_runtime()
        config = self.pipe.get_generation_config()
        config.max_new_tokens = max_new_tokens
        config.structured_output_config = ov_genai.StructuredOutputConfig(json_schema=json.dumps(schema))
        return str(self.pipe.generate(ov_genai.ChatHistory([dict(m) for m in msgs]), config)).strip()
