"""Hugging Face Transformers (PyTorch): a loaded chat model, and the lazily loaded backend the benchmark uses."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator, Sequence
from typing import Any

from helpers.models import ModelChoice, load_transformers
from helpers.prompts import Message
from helpers.runtimes.base import Backend, GenerationSettings, loader

__all__ = ["TransformersBackend", "TransformersChat"]

_PRECISIONS = {"float32": "fp32", "float16": "fp16", "bfloat16": "bf16"}


class TransformersChat(Backend):
    """A chat model run by Hugging Face Transformers (PyTorch), already in memory.

    Introduced in notebook 03.

    Example:
        >>> chat = TransformersChat.load()                              # doctest: +SKIP
        >>> text, stats = chat.measure(messages("Capital of Norway?"))  # doctest: +SKIP

    """

    runtime = "transformers"

    def __init__(self, model: Any, tokenizer: Any, choice: ModelChoice) -> None:
        super().__init__("transformers-fp32", "fp32")
        self._adopt(model, tokenizer, choice)
        self.loaded = True

    def _adopt(self, model: Any, tokenizer: Any, choice: ModelChoice) -> None:
        """Take a loaded model: name, precision, device, context and weight bytes come from it."""
        from helpers.bench.weights import torch_weight_bytes

        self.model, self.tokenizer, self.choice = model, tokenizer, choice
        self.context = int(getattr(model.config, "max_position_embeddings", choice.spec.context))
        dtype = str(next(model.parameters()).dtype).replace("torch.", "")
        self.precision = _PRECISIONS.get(dtype, dtype)
        self.name = f"transformers-{self.precision}"
        self.model_name = choice.spec.name
        self.device = str(model.device)
        self.weights = torch_weight_bytes(model)

    @loader
    def load(cls, name: str | None = None, device: str | None = None, verbose: bool = True) -> TransformersChat:
        """Load a model (see :func:`helpers.models.load_transformers`) and return it as a chat."""
        return TransformersChat(*load_transformers(name, device=device, verbose=verbose))

    def stream(self, msgs: Sequence[Message], settings: GenerationSettings | None = None) -> Iterator[str]:
        """Yield the answer one token at a time (generation runs in a background thread).

        Closing the iterator early (the playground's Stop, a benchmark's time limit) stops ``generate``
        at its next token: a stopping criterion watches an event that closing sets, and the close waits
        for the background thread, so no core keeps decoding an answer nobody reads.
        """
        import torch

        settings = settings or GenerationSettings()
        inputs = self.tokenizer.apply_chat_template(
            list(msgs), add_generation_prompt=True, return_tensors="pt", return_dict=True
        ).to(self.model.device)
        self._check_length(inputs["input_ids"].shape[-1], settings)
        pieces: queue.Queue[str | None] = queue.Queue()
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
        stop = threading.Event()

        def run() -> None:
            try:
                with torch.inference_mode():
                    self.model.generate(**inputs, streamer=_token_streamer(self.tokenizer, pieces),
                                        stopping_criteria=_stop_when_set(stop), **kwargs)
            except BaseException as exc:  # surfaced in the consuming thread below
                errors.append(exc)
                pieces.put(None)

        worker = threading.Thread(target=run, name="slm-lab-transformers-generate", daemon=True)
        worker.start()
        try:
            while (piece := pieces.get()) is not None:
                yield piece
        finally:  # also when the consumer closes the stream early: generate() ends after its current token
            stop.set()
            worker.join()
        if errors:
            raise errors[0]

    def close(self) -> None:
        """Nothing to free: the caller loaded this model and keeps it."""


def _stop_when_set(stop: threading.Event) -> Any:
    """A ``generate`` stopping criterion that ends every sequence once ``stop`` is set (checked after each token)."""
    import torch
    from transformers import StoppingCriteria, StoppingCriteriaList

    class _StopWhenSet(StoppingCriteria):
        def __call__(self, input_ids: Any, scores: Any, **_: Any) -> Any:
            return torch.full((input_ids.shape[0],), stop.is_set(), dtype=torch.bool, device=input_ids.device)

    return StoppingCriteriaList([_StopWhenSet()])


def _token_streamer(tokenizer: Any, pieces: queue.Queue[str | None]) -> Any:
    """A ``generate`` streamer that puts the new text each token adds on ``pieces`` (``None`` at the end)."""
    from transformers.generation.streamers import BaseStreamer

    class _TokenStreamer(BaseStreamer):
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

    return _TokenStreamer()


class TransformersBackend(TransformersChat):
    """Transformers, loaded on first use and freed by ``close``: what the benchmark times.

    Introduced in notebook 10.

    Args:
        model: Registry key or hub id; ``None`` is the course default.
        device: ``"cpu"``, ``"cuda"``...; ``None`` picks one (see :func:`helpers.device.pick_device`).
        threads: PyTorch's intra-op threads; ``None`` keeps its default.

    """

    def __init__(self, model: str | None = None, device: str | None = None, threads: int | None = None) -> None:
        Backend.__init__(self, "transformers-fp32", "fp32")
        self.model_key, self.requested_device, self.threads = model, device, threads
        self.model = self.tokenizer = self.choice = None
        if device:
            self.device = device

    def _load(self) -> None:
        import torch

        if self.threads:
            torch.set_num_threads(self.threads)
        self.threads = torch.get_num_threads()
        self._adopt(*load_transformers(self.model_key, device=self.requested_device, verbose=False))

    def set_threads(self, threads: int) -> None:
        self.threads = threads
        if self.loaded:
            import torch

            torch.set_num_threads(threads)  # PyTorch changes it on the fly: no reload

    def close(self) -> None:
        self.model = self.tokenizer = None
        self.loaded = False
