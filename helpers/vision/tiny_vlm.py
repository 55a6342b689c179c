"""The course's tiny vision-language model (a 0.7M-parameter LLaVA in ``data/tiny-vlm/``): load it, ask it, score it.

``scripts/train_tiny_vlm.py`` trains it; ``python -m helpers.vision`` measures its held-out accuracy.
Introduced in notebook 08.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from helpers.env import REPO_ROOT
from helpers.errors import CourseError
from helpers.i18n import _
from helpers.vision.images import load_image
from helpers.vision.synthetic import QUESTION_TYPES, Sample, make_samples

__all__ = ["TINY_VLM_DIR", "answers_match", "ask", "evaluate", "load_tiny_vlm", "main", "user_turn"]


#: Where the course's trained tiny VLM lives (config, weights, tokenizer, processor).
TINY_VLM_DIR = REPO_ROOT / "data" / "tiny-vlm"


def load_tiny_vlm(path: str | Path | None = None) -> tuple[Any, Any]:
    """Load the course's tiny vision-language model and its processor (CPU, eval mode).

    Introduced in notebook 08.

    Returns:
        ``(model, processor)``: a ``LlavaForConditionalGeneration`` and a ``LlavaProcessor``.

    """
    folder = Path(path or TINY_VLM_DIR)
    if not (folder / "config.json").is_file():
        raise CourseError(_(
            "No tiny VLM in {folder}: train one with `python scripts/train_tiny_vlm.py`, then rerun."
        ).format(folder=folder))
    from transformers import AutoModelForImageTextToText, AutoProcessor
    from transformers.utils import logging

    bars = logging.is_progress_bar_enabled()
    logging.disable_progress_bar()  # a 4 MB model needs no "Loading weights" bar
    try:
        # The PIL backend is the one the model was trained with (torchvision's resize differs slightly).
        processor = AutoProcessor.from_pretrained(folder, backend="pil")
        model = AutoModelForImageTextToText.from_pretrained(folder).eval()
    finally:
        if bars:
            logging.enable_progress_bar()
    return model, processor


def user_turn(question: str, n_images: int) -> list[dict[str, Any]]:
    """A one-turn conversation: ``n_images`` image parts, then the question (the format chat templates expect).

    Introduced in notebook 08.

    Example:
        >>> user_turn("Same?", 2)[0]["content"]
        [{'type': 'image'}, {'type': 'image'}, {'type': 'text', 'text': 'Same?'}]

    """
    return [{"role": "user", "content": [{"type": "image"}] * n_images + [{"type": "text", "text": question}]}]


def ask(
    model: Any,
    processor: Any,
    images: Sequence[Any],
    question: str,
    max_new_tokens: int = 10,
) -> str:
    """Ask the tiny VLM one question about one or more images, the way every Transformers VLM is asked.

    Introduced in notebook 08.

    The chat template puts one image placeholder per picture before the question; the processor
    resizes and normalizes the pictures and repeats each placeholder once per image patch.
    """
    import torch

    pictures = [load_image(image) for image in images]
    prompt = processor.apply_chat_template(user_turn(question, len(pictures)), add_generation_prompt=True)
    inputs = processor(images=pictures or None, text=prompt, return_tensors="pt")
    with torch.inference_mode():
        out = model.generate(**inputs, max_new_tokens=max_new_tokens, do_sample=False)
    return processor.decode(out[0, inputs["input_ids"].shape[1] :], skip_special_tokens=True).strip()


def answers_match(answer: str, expected: str) -> bool:
    """Exact match after lower-casing and trimming spaces and a final full stop.

    Introduced in notebook 08.
    """
    return answer.strip().rstrip(".").lower() == expected.strip().rstrip(".").lower()


def evaluate(model: Any, processor: Any, samples: Sequence[Sample], batch_size: int = 32) -> dict[str, float]:
    """Accuracy per question type (exact match) on ``samples``; key ``"all"`` holds the overall figure.

    Introduced in notebook 08.
    """
    import torch

    right: Counter[str] = Counter()
    total: Counter[str] = Counter()
    side = processor.tokenizer.padding_side
    processor.tokenizer.padding_side = "left"  # batched generation pads on the left; the caller's setting comes back
    try:
        for start in range(0, len(samples), batch_size):
            batch = samples[start : start + batch_size]
            prompts = [processor.apply_chat_template(user_turn(s.question, len(s.images)), add_generation_prompt=True)
                       for s in batch]  # fmt: skip
            images = [image for s in batch for image in s.images]
            inputs = processor(images=images, text=prompts, return_tensors="pt", padding=True).to(model.device)
            with torch.inference_mode():
                out = model.generate(**inputs, max_new_tokens=8, do_sample=False)
            answers = processor.batch_decode(out[:, inputs["input_ids"].shape[1] :], skip_special_tokens=True)
            for sample, answer in zip(batch, answers, strict=True):
                total[sample.kind] += 1
                right[sample.kind] += answers_match(answer, sample.answer)
    finally:
        processor.tokenizer.padding_side = side
    scores = {kind: right[kind] / total[kind] for kind in total}
    scores["all"] = sum(right.values()) / max(1, sum(total.values()))
    return scores


def main(argv: Sequence[str] | None = None) -> dict[str, float]:
    """``python -m helpers.vision``: the tiny VLM's held-out accuracy per question type (the benchmark).

    Introduced in notebook 08.
    """
    parser = argparse.ArgumentParser(
        prog="python -m helpers.vision", description="Held-out accuracy of the course's tiny vision-language model."
    )
    parser.add_argument("--samples", type=int, default=900, help="held-out questions, spread over the types")
    parser.add_argument("--seed", type=int, default=2_000_003, help="picture seed (training used seed 0)")
    parser.add_argument("--model", type=Path, default=TINY_VLM_DIR)
    args = parser.parse_args(argv)
    model, processor = load_tiny_vlm(args.model)
    start = time.perf_counter()
    scores = evaluate(model, processor, make_samples(args.samples, seed=args.seed))
    elapsed = time.perf_counter() - start
    n_params = sum(p.numel() for p in model.parameters())
    print(_("tiny VLM ({millions:.2f} M parameters) on {samples} held-out questions, seed {seed}:").format(
        millions=n_params / 1e6, samples=args.samples, seed=args.seed))
    for kind, score in scores.items():
        # The example questions are in English: they are what the model was trained on.
        example = QUESTION_TYPES[kind][1] if kind in QUESTION_TYPES else _("all question types together")
        print(f"  {kind:16s} {score:6.1%}   {example}")
    print(_("({seconds:.1f} s, {rate:.0f} questions/s on CPU)").format(seconds=elapsed, rate=args.samples / elapsed))
    return scores
