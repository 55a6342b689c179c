"""Chat with a local model through Transformers or ONNX Runtime GenAI, streamed token by token.

Both runtimes get the same interface, so notebooks and benchmarks can compare them fairly:

>>> chat = TransformersChat.load()                           # doctest: +SKIP
>>> text, stats = chat.measure(messages("Capital of Norway?"))  # doctest: +SKIP
>>> print(stats)                                              # doctest: +SKIP
12 tokens | first token 0.05 s | decode 14.0 tokens/s | ...
"""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from helpers.errors import CourseError
from helpers.models import ModelChoice, load_onnx, load_transformers
from helpers.prompts import Message
from helpers.timing import GenerationStats, measure_stream

__all__ = ["GenerationSettings", "OnnxChat", "TransformersChat"]


@dataclass(frozen=True)
class GenerationSettings:
    """Decoding settings shared by every runtime. ``temperature=0`` means greedy decoding."""

    max_new_tokens: int = 60
    temperature: float = 0.0
    top_p: float = 1.0
    top_k: int = 0
    repetition_penalty: float = 1.0
    seed: int = 0

    @property
    def greedy(self) -> bool:
        return self.temperature <= 0


class _Chat:
    """Shared behaviour: ``stream`` yields one text piece per token; ``chat`` and ``measure`` build on it."""

    runtime = "?"
    choice: ModelChoice
    context: int

    def stream(self, msgs: Sequence[Message], settings: GenerationSettings | None = None) -> Iterator[str]:
        raise NotImplementedError

    def chat(self, msgs: Sequence[Message], settings: GenerationSettings | None = None) -> str:
        """The whole answer as one string."""
        return "".join(self.stream(msgs, settings)).strip()

    def measure(
        self, msgs: Sequence[Message], settings: GenerationSettings | None = None, live: bool = False
    ) -> tuple[str, GenerationStats]:
        """Generate once and time it (``live=True`` prints the answer as it streams)."""
        printer = (lambda piece: print(piece, end="", flush=True)) if live else None
        text, stats = measure_stream(self.stream(msgs, settings), on_token=printer)
        if live:
            print()
        return text.strip(), stats

    def _check_length(self, n_prompt: int, settings: GenerationSettings) -> None:
        if n_prompt + settings.max_new_tokens > self.context:
            raise CourseError(
                f"The prompt is {n_prompt} tokens and {settings.max_new_tokens} new tokens were asked for, "
                f"but {self.choice.spec.name} holds only {self.context} tokens of context: shorten the prompt "
                "or lower max_new_tokens."
            )


class TransformersChat(_Chat):
    """A chat model run by Hugging Face Transformers (PyTorch)."""

    runtime = "transformers"

    def __init__(self, model: Any, tokenizer: Any, choice: ModelChoice) -> None:
        self.model, self.tokenizer, self.choice = model, tokenizer, choice
        self.context = int(getattr(model.config, "max_position_embeddings", choice.spec.context))

    @classmethod
    def load(cls, name: str | None = None, device: str | None = None, verbose: bool = True) -> TransformersChat:
        """Load a model (see :func:`helpers.models.load_transformers`)."""
        return cls(*load_transformers(name, device=device, verbose=verbose))

    @property
    def device(self) -> str:
        return str(self.model.device)

    def stream(self, msgs: Sequence[Message], settings: GenerationSettings | None = None) -> Iterator[str]:
        """Yield the answer one token at a time (generation runs in a background thread)."""
        import torch
        from transformers.generation.streamers import BaseStreamer

        settings = settings or GenerationSettings()
        inputs = self.tokenizer.apply_chat_template(
            list(msgs), add_generation_prompt=True, return_tensors="pt", return_dict=True
        ).to(self.model.device)
        self._check_length(inputs["input_ids"].shape[-1], settings)
        pieces: queue.Queue[str | None] = queue.Queue()
        tokenizer = self.tokenizer

        class _TokenStreamer(BaseStreamer):
            """Receives token ids from ``generate``; emits the new text each token adds."""

            def __init__(self) -> None:
                self.ids: list[int] = []
                self.text = ""
                self.skipped_prompt = False

            def put(self, value: Any) -> None:
                if not self.skipped_prompt:
                    self.skipped_prompt = True
                    return
                self.ids.extend(value.reshape(-1).tolist())
                text = tokenizer.decode(self.ids, skip_special_tokens=True)
                piece = text[len(self.text):] if not text.endswith("\ufffd") else ""
                if piece:
                    self.text = text
                pieces.put(piece)

            def end(self) -> None:
                pieces.put(None)

        kwargs: dict[str, Any] = {
            "max_new_tokens": settings.max_new_tokens,
            "do_sample": not settings.greedy,
            "repetition_penalty": settings.repetition_penalty,
            "pad_token_id": self.tokenizer.pad_token_id or self.tokenizer.eos_token_id,
        }
        if not settings.greedy:
            kwargs.update(temperature=settings.temperature, top_p=settings.top_p, top_k=settings.top_k or None)
            torch.manual_seed(settings.seed)
        errors: list[BaseException] = []

        def run() -> None:
            try:
                with torch.inference_mode():
                    self.model.generate(**inputs, streamer=_TokenStreamer(), **kwargs)
            except BaseException as exc:  # surfaced in the consuming thread below
                errors.append(exc)
                pieces.put(None)

        worker = threading.Thread(target=run, daemon=True)
        worker.start()
        while (piece := pieces.get()) is not None:
            yield piece
        worker.join()
        if errors:
            raise errors[0]


class OnnxChat(_Chat):
    """A chat model run by ONNX Runtime GenAI: the generator loop, token by token."""

    runtime = "onnxruntime-genai"

    def __init__(self, model: Any, tokenizer: Any, choice: ModelChoice, precision: str = "int4") -> None:
        self.model, self.tokenizer, self.choice, self.precision = model, tokenizer, choice, precision
        self.context = choice.spec.context

    @classmethod
    def load(cls, name: str | None = None, precision: str = "int4", verbose: bool = True) -> OnnxChat:
        """Load a model (see :func:`helpers.models.load_onnx`)."""
        model, tokenizer, choice = load_onnx(name, precision=precision, verbose=verbose)
        return cls(model, tokenizer, choice, precision)

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
