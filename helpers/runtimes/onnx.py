"""ONNX Runtime GenAI: a loaded chat model, and the lazily loaded backend (with session options) the benchmark uses."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

from helpers.models import ModelChoice, load_onnx
from helpers.prompts import Message
from helpers.runtimes.base import Backend, GenerationSettings, loader

__all__ = ["OnnxBackend", "OnnxChat"]


class OnnxChat(Backend):
    """A chat model run by ONNX Runtime GenAI, already in memory: the generator loop, token by token.

    Introduced in notebook 04.
    """

    runtime = "onnxruntime-genai"

    def __init__(self, model: Any, tokenizer: Any, choice: ModelChoice, precision: str = "int4") -> None:
        super().__init__(f"onnx-{precision}", precision)
        self._adopt(model, tokenizer, choice)
        self.loaded = True

    def _adopt(self, model: Any, tokenizer: Any, choice: ModelChoice) -> None:
        self.model, self.tokenizer, self.choice = model, tokenizer, choice
        self.context = choice.spec.context
        self.model_name = choice.spec.name

    @loader
    def load(cls, name: str | None = None, precision: str = "int4", verbose: bool = True) -> OnnxChat:
        """Load a model (see :func:`helpers.models.load_onnx`) and return it as a chat."""
        model, tokenizer, choice = load_onnx(name, precision=precision, verbose=verbose)
        return OnnxChat(model, tokenizer, choice, precision)

    def prompt(self, msgs: Sequence[Message]) -> str:
        """The conversation rendered with the model's own chat template."""
        return self.tokenizer.apply_chat_template(json.dumps(list(msgs)), add_generation_prompt=True)

    def stream(self, msgs: Sequence[Message], settings: GenerationSettings | None = None) -> Iterator[str]:
        """Yield the answer one token at a time from the ``append_tokens`` / ``generate_next_token`` loop."""
        import onnxruntime_genai as og

        settings = settings or GenerationSettings()
        input_ids = self.tokenizer.encode(self.prompt(msgs))
        self._check_length(len(input_ids), settings)
        params = og.GeneratorParams(self.model)
        options: dict[str, Any] = {
            "max_length": len(input_ids) + settings.max_new_tokens,
            "do_sample": not settings.greedy,
            "repetition_penalty": settings.repetition_penalty,
        }
        if not settings.greedy:
            options.update(temperature=settings.temperature, top_p=settings.top_p, top_k=settings.top_k or 50,
                           random_seed=settings.seed)
        params.set_search_options(**options)
        generator = og.Generator(self.model, params)
        generator.append_tokens(input_ids)
        decoder = self.tokenizer.create_stream()
        while not generator.is_done():
            generator.generate_next_token()
            token = generator.get_next_tokens()[0]
            if generator.is_done() and token in self.tokenizer.eos_token_ids:
                break
            yield decoder.decode(token)

    def close(self) -> None:
        """Nothing to free: the caller loaded this model and keeps it."""


class OnnxBackend(OnnxChat):
    """ONNX Runtime GenAI loaded on first use and freed by ``close``, with optional session options.

    Introduced in notebook 10.

    Args:
        precision: ``"int4"``, ``"int8"`` or ``"fp32"`` (the default model is built locally for each).
        model: Registry key or hub id; ``None`` is the course default.
        threads: ONNX Runtime's intra-op threads (``None`` keeps its default: one per physical core).
        session_options: More ONNX Runtime session options, merged into ``genai_config.json``'s
            ``decoder.session_options`` in memory (the file is not changed).

    """

    def __init__(
        self,
        precision: str = "int4",
        model: str | None = None,
        threads: int | None = None,
        session_options: dict[str, Any] | None = None,
    ) -> None:
        Backend.__init__(self, f"onnx-{precision}", precision)
        self.model_key, self.threads = model, threads
        self.model = self.tokenizer = self.choice = None
        self.session_options = dict(session_options or {})
        if threads:
            self.session_options["intra_op_num_threads"] = threads

    def _load(self) -> None:
        import onnxruntime_genai as og

        from helpers.bench.weights import onnx_weight_bytes
        from helpers.models import onnx_model_dir

        folder, choice = onnx_model_dir(self.model_key, self.precision, verbose=False)
        config = og.Config(str(folder))
        if self.session_options:
            config.overlay(json.dumps({"model": {"decoder": {"session_options": self.session_options}}}))
        model = og.Model(config)
        self._adopt(model, og.Tokenizer(model), choice)
        self.weights = onnx_weight_bytes(folder)

    def set_threads(self, threads: int) -> None:
        self.session_options["intra_op_num_threads"] = threads
        super().set_threads(threads)

    def close(self) -> None:
        self.model = self.tokenizer = None
        self.loaded = False
