#!/usr/bin/env python3
"""Train the course's tiny vision-language model from scratch, on pictures drawn with Pillow.

The model is a standard Transformers LLaVA (``LlavaForConditionalGeneration``): a small SigLIP vision
encoder cuts each 64 x 64 picture into 16 x 16 patches (16 image tokens), a two-layer projector maps them
into the embedding space of a small Llama language model, and the language model answers in text.
Its processor is a real ``LlavaProcessor`` (SigLIP image processor + a byte-level BPE tokenizer trained
here) with a Phi-3-style chat template, so it is used exactly like any VLM on the Hugging Face Hub.

Training has two stages, both on CPU:

1. the vision encoder alone learns what each picture shows (shape, colour, count, word, tallest bar,
   number of bars) through small linear "auxiliary" heads that read every image token: LLaVA starts
   from a pretrained CLIP encoder, this model has none, so it makes its own (cheap: no language model);
2. the whole model learns to answer the questions, with the auxiliary loss still on.

    python scripts/train_tiny_vlm.py                      # the shipped model: data/tiny-vlm/ (about 10 min, 2 cores)
    python scripts/train_tiny_vlm.py --tiny --out /tmp/x  # a seconds-long smoke run (used by the tests)
    python -m helpers.vision                              # held-out accuracy of the shipped model

Training pictures come from the random streams seeded 0 and 500 (``--seed`` x 1000 + worker number,
+ 500 in stage 1); the held-out evaluation uses seed 1,000,003 and ``python -m helpers.vision`` seed
2,000,003, so the accuracy printed at the end is measured on pictures the model has never seen.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import sys
import tempfile
import time
from pathlib import Path

import torch
import torch.utils.data

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from helpers.vision import (  # noqa: E402
    COLOURS,
    NUMBER_WORDS,
    PHRASINGS,
    QUESTION_TYPES,
    SHAPES,
    TINY_VLM_DIR,
    WORDS,
    Sample,
    evaluate,
    make_sample,
    make_samples,
    user_turn,
)

IMAGE_TOKEN = "<|image|>"
SPECIAL_TOKENS = ["<|endoftext|>", "<|system|>", "<|user|>", "<|assistant|>", "<|end|>", IMAGE_TOKEN]
EVAL_SEED = 1_000_003

#: Phi-3 role tags, one image placeholder per picture (Phi-3.5-vision numbers them; see
#: helpers.vision.expand_numbered_placeholders).
CHAT_TEMPLATE = (
    "{%- for message in messages -%}"
    "{{- '<|' + message['role'] + '|>\\n' -}}"
    "{%- if message['content'] is string -%}{{- message['content'] -}}"
    "{%- else -%}{%- for part in message['content'] -%}"
    "{%- if part['type'] == 'image' -%}{{- '<|image|>\\n' -}}"
    "{%- elif part['type'] == 'text' -%}{{- part['text'] -}}{%- endif -%}"
    "{%- endfor -%}{%- endif -%}"
    "{{- '<|end|>\\n' -}}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{- '<|assistant|>\\n' -}}{%- endif -%}"
)

SIZES = {
    # name: (vision hidden, vision layers, vision MLP, text hidden, text layers, text MLP)
    "full": (96, 3, 384, 96, 2, 256),
    "large": (96, 3, 384, 128, 3, 384),
    "tiny": (32, 1, 64, 32, 1, 64),
}


def corpus() -> list[str]:
    """Every question and answer the model can meet, to train its tokenizer on."""
    lines = [p.format(n=n) for phrasings in PHRASINGS.values() for p in phrasings for n in (1, 2)]
    lines += list(WORDS) + [str(n) for n in range(100)] + list(COLOURS) + list(NUMBER_WORDS)
    lines += [f"{c} {s} {s}s image 1 image 2" for c in COLOURS for s in SHAPES]
    return lines * 4


def build_processor(image_size: int, patch_size: int):
    """A byte-level BPE tokenizer trained on :func:`corpus`, wrapped with a SigLIP image processor."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlavaProcessor, PreTrainedTokenizerFast
    from transformers.models.siglip.image_processing_pil_siglip import SiglipImageProcessorPil

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.Digits(individual_digits=True), pre_tokenizers.ByteLevel(add_prefix_space=False)]
    )
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=400, special_tokens=SPECIAL_TOKENS, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
    )
    tok.train_from_iterator(corpus(), trainer=trainer)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token="<|endoftext|>",
        eos_token="<|end|>",
        pad_token="<|endoftext|>",
        unk_token=None,
        extra_special_tokens={"image_token": IMAGE_TOKEN},
        model_max_length=512,
        chat_template=CHAT_TEMPLATE,
    )
    image_processor = SiglipImageProcessorPil(size={"height": image_size, "width": image_size})
    return LlavaProcessor(
        image_processor=image_processor,
        tokenizer=tokenizer,
        patch_size=patch_size,
        vision_feature_select_strategy="full",
        image_token=IMAGE_TOKEN,
        chat_template=CHAT_TEMPLATE,
    )


def build_model(processor, size: str, image_size: int, patch_size: int):
    from transformers import LlamaConfig, LlavaConfig, LlavaForConditionalGeneration, SiglipVisionConfig

    v_hidden, v_layers, v_inter, t_hidden, t_layers, t_inter = SIZES[size]
    tok = processor.tokenizer
    vision = SiglipVisionConfig(
        hidden_size=v_hidden, intermediate_size=v_inter, num_hidden_layers=v_layers, num_attention_heads=4,
        image_size=image_size, patch_size=patch_size, vision_use_head=False,
    )  # fmt: skip
    text = LlamaConfig(
        vocab_size=len(tok), hidden_size=t_hidden, intermediate_size=t_inter, num_hidden_layers=t_layers,
        num_attention_heads=4, num_key_value_heads=4, max_position_embeddings=512, tie_word_embeddings=True,
        bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id,
    )  # fmt: skip
    config = LlavaConfig(
        vision_config=vision, text_config=text, image_token_id=tok.convert_tokens_to_ids(IMAGE_TOKEN),
        image_seq_length=(image_size // patch_size) ** 2, vision_feature_select_strategy="full",
        vision_feature_layer=-1, tie_word_embeddings=True,
    )  # fmt: skip
    model = LlavaForConditionalGeneration(config)
    model.generation_config.eos_token_id = tok.eos_token_id
    model.generation_config.pad_token_id = tok.pad_token_id
    model.generation_config.bos_token_id = tok.bos_token_id
    return model


#: Auxiliary targets per picture: the vision encoder gets a direct training signal from the first step,
#: instead of waiting for the language model to learn to look at the image tokens (heads are not saved).
TEXTS = list(WORDS)
AUX_HEADS = {
    "shape": len(SHAPES), "colour": len(COLOURS), "count": 5, "text": len(TEXTS), "tallest": len(COLOURS), "bars": 4,
}  # fmt: skip


def picture_labels(sample: Sample) -> list[list[int]]:
    """One row of auxiliary labels per picture of ``sample`` (-100 where a label does not apply)."""
    scenes = [sample.facts["image_1"], sample.facts["image_2"]] if "image_1" in sample.facts else [sample.facts]
    rows = []
    for facts in scenes:
        row = dict.fromkeys(AUX_HEADS, -100)
        if "shape" in facts:
            row["shape"], row["count"] = SHAPES.index(facts["shape"]), facts["count"] - 1
            row["colour"] = list(COLOURS).index(facts["colour"])
        elif "text" in facts:
            row["text"] = TEXTS.index(facts["text"])
        else:
            values = facts["values"]
            row["tallest"] = list(COLOURS).index(facts["colours"][values.index(max(values))])
            row["bars"] = len(values) - 2
        rows.append([row[name] for name in AUX_HEADS])
    return rows


class AuxiliaryHeads(torch.nn.Module):
    """Linear heads that read every image token (as the projector receives it) and predict its picture's facts.

    Every token is asked for the facts of the whole picture, so the vision encoder learns to spread them
    to all of its tokens; the language model can then read them with the simplest attention pattern.
    """

    def __init__(self, hidden: int) -> None:
        super().__init__()
        self.linear = torch.nn.Linear(hidden, sum(AUX_HEADS.values()))
        self.features = None

    def capture(self, module, args) -> None:
        self.features = args[0]

    def loss(self, labels, hits: dict[str, list[float]] | None = None):
        """Mean cross-entropy over the heads that have labels in this batch; ``hits`` collects accuracies."""
        logits = self.linear(self.features).split(list(AUX_HEADS.values()), dim=-1)  # (pictures, tokens, classes)
        losses = []
        for i, (name, head) in enumerate(zip(AUX_HEADS, logits, strict=True)):
            mask = labels[:, i] != -100
            if mask.any():
                chosen, target = head[mask], labels[mask, i]
                per_token = target[:, None].expand(-1, chosen.shape[1])
                losses.append(torch.nn.functional.cross_entropy(chosen.flatten(0, 1), per_token.flatten()))
                if hits is not None:
                    right = (chosen.mean(1).argmax(-1) == target).float().mean().item()
                    hits.setdefault(name, []).append(right)
        return sum(losses) / max(1, len(losses))


def collate(processor, samples: list[Sample]):
    """Prompt + answer as one sequence; the loss only counts the answer and its end tag."""
    texts = [
        processor.apply_chat_template(
            [
                *user_turn(s.question, len(s.images)),
                {"role": "assistant", "content": s.answer},
            ]
        )
        for s in samples
    ]
    images = [image for s in samples for image in s.images]
    batch = processor(images=images, text=texts, return_tensors="pt", padding=True)
    ids = batch["input_ids"]
    assistant = processor.tokenizer.convert_tokens_to_ids("<|assistant|>")
    labels = ids.clone()
    for row in range(ids.shape[0]):
        start = int((ids[row] == assistant).nonzero()[-1]) + 2  # skip "<|assistant|>" and its newline
        labels[row, :start] = -100
    labels[batch["attention_mask"] == 0] = -100
    batch["labels"] = labels
    batch["aux_labels"] = torch.tensor([row for s in samples for row in picture_labels(s)], dtype=torch.long)
    return batch


#: How often each question type is drawn in training (default 1). The slowest skills for the language model get more
#: examples: finding "image 2" by its place in the prompt, and telling a star from a square in 16 image tokens.
TYPE_WEIGHTS = {"colour_in_image": 3, "shape": 2, "describe": 2}


class Batches(torch.utils.data.IterableDataset):
    """An endless stream of collated training batches; each DataLoader worker draws its own pictures."""

    def __init__(self, processor, batch_size: int, seed: int, pictures_only: bool = False) -> None:
        super().__init__()
        self.processor, self.batch_size, self.seed, self.pictures_only = processor, batch_size, seed, pictures_only

    def __iter__(self):
        info = torch.utils.data.get_worker_info()
        rng = random.Random(self.seed * 1000 + (info.id if info else 0) + (500 if self.pictures_only else 0))
        kinds = [kind for kind in QUESTION_TYPES for _ in range(TYPE_WEIGHTS.get(kind, 1))]
        while True:
            samples = [make_sample(rng.choice(kinds), rng) for _ in range(self.batch_size)]
            if self.pictures_only:  # stage 1: pictures and their labels, no text
                pixels = self.processor.image_processor([im for s in samples for im in s.images], return_tensors="pt")
                labels = torch.tensor([row for s in samples for row in picture_labels(s)], dtype=torch.long)
                yield {"pixel_values": pixels["pixel_values"], "aux_labels": labels}
            else:
                yield collate(self.processor, samples)


def cosine(steps: int):
    """Linear warm-up over 5% of the steps, then cosine decay to 2% of the peak learning rate."""
    warmup = max(1, steps // 20)

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        return 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(1, steps - warmup))) * 0.98 + 0.02

    return factor


def loader(processor, args, pictures_only: bool = False):
    data = Batches(processor, args.vision_batch_size if pictures_only else args.batch_size, args.seed, pictures_only)
    return iter(torch.utils.data.DataLoader(
        data, batch_size=None, num_workers=args.workers, prefetch_factor=4 if args.workers else None,
    ))  # fmt: skip


def pretrain_vision(model, aux, processor, args) -> None:
    """Stage 1: train the vision encoder alone to recognise what each picture shows (cheap: no language model).

    LLaVA starts from a vision encoder pretrained elsewhere (CLIP); this model has none, so it makes its own.
    """
    params = [*model.model.vision_tower.parameters(), *aux.parameters()]
    optimizer = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.01, betas=(0.9, 0.98))
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, cosine(args.vision_steps))
    batches = loader(processor, args, pictures_only=True)
    start = time.perf_counter()
    hits: dict[str, list[float]] = {}
    model.train()
    for step in range(args.vision_steps):
        batch = next(batches)
        model.model.vision_tower(batch["pixel_values"].to(args.device))  # the hook captures its output
        loss = aux.loss(batch["aux_labels"].to(args.device), hits)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        if (step + 1) % max(1, args.vision_steps // 10) == 0 or step == args.vision_steps - 1:
            accuracy = ", ".join(f"{k} {sum(v[-20:]) / len(v[-20:]):.0%}" for k, v in hits.items())
            print(f"vision step {step + 1:5d}/{args.vision_steps}  loss {loss.item():.3f}  picture facts: {accuracy}  "
                  f"{time.perf_counter() - start:6.0f} s", flush=True)  # fmt: skip


def write_example_images(folder: Path) -> None:
    """The three pictures notebook 08 opens from files (drawn by the same code as the training pictures)."""
    from helpers.vision import draw_bar_chart, draw_shapes, draw_text

    folder.mkdir(parents=True, exist_ok=True)
    draw_shapes(3, "triangle", "green", seed=3).save(folder / "three-green-triangles.png")
    draw_text("CAFE", seed=4).save(folder / "cafe-sign.png")
    draw_bar_chart([0.35, 0.9, 0.55, 0.2], ["blue", "orange", "green", "red"], seed=5).save(folder / "bar-chart.png")
    print(f"example pictures written to {folder}")


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, help="where to save the model (default: data/tiny-vlm; --tiny: a temp dir)")
    parser.add_argument("--steps", type=int, default=1000, help="stage 2: steps of the whole model")
    parser.add_argument("--batch-size", type=int, default=32, help="questions per stage-2 batch")
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--eval-samples", type=int, default=900, help="held-out questions to score at the end")
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument("--threads", type=int, default=1, help="PyTorch threads (0: all; 1 + a worker suits 2 cores)")
    parser.add_argument("--workers", type=int, default=1, help="processes drawing training pictures (0: none)")
    parser.add_argument("--size", choices=sorted(SIZES), default="full", help="model size (default: %(default)s)")
    parser.add_argument("--image-size", type=int, default=64, help="side of the resized pictures in pixels")
    parser.add_argument("--patch", type=int, default=16, help="vision patch size: (size / patch)^2 tokens per image")
    parser.add_argument("--eval-every", type=int, default=0, help="also score 270 held-out questions every N steps")
    parser.add_argument("--aux-weight", type=float, default=1.0, help="weight of the per-picture auxiliary loss")
    parser.add_argument("--vision-steps", type=int, default=600, help="stage 1: vision-only steps")
    parser.add_argument("--vision-batch-size", type=int, default=48, help="questions per stage-1 batch")
    parser.add_argument("--tiny", action="store_true", help="a seconds-long smoke run with a minute model")
    parser.add_argument("--examples", type=Path, help="only write notebook 08's example pictures to this folder")
    args = parser.parse_args(argv)
    if args.examples:
        write_example_images(args.examples)
        return {}
    command_start = time.perf_counter()
    if args.out is None:  # a smoke run never overwrites the shipped model
        args.out = Path(tempfile.mkdtemp(prefix="tiny-vlm-smoke-")) if args.tiny else TINY_VLM_DIR
    if args.tiny:
        args.steps, args.batch_size, args.eval_samples = min(args.steps, 30), min(args.batch_size, 8), 9
        args.vision_steps, args.vision_batch_size = min(args.vision_steps, 5), min(args.vision_batch_size, 8)
        args.size, args.workers = "tiny", 0

    if args.threads:
        torch.set_num_threads(args.threads)
    random.seed(args.seed)
    torch.manual_seed(args.seed)
    image_size, patch_size = args.image_size, args.patch
    processor = build_processor(image_size, patch_size)
    model = build_model(processor, args.size, image_size, patch_size).to(args.device)
    n_params = sum(p.numel() for p in model.parameters())
    tokens = (image_size // patch_size) ** 2
    print(f"tiny VLM: {n_params / 1e6:.2f} M parameters, vocabulary {len(processor.tokenizer)}, "
          f"{image_size}x{image_size} pictures -> {tokens} image tokens each", flush=True)  # fmt: skip

    aux = AuxiliaryHeads(model.config.vision_config.hidden_size).to(args.device)
    model.model.multi_modal_projector.register_forward_pre_hook(aux.capture)
    last_layer = model.model.vision_tower.encoder.layers[-1]
    last_layer.register_forward_hook(lambda module, inputs, out: aux.capture(module, (out,)))
    start_all, cpu_start = time.perf_counter(), time.process_time()
    if args.vision_steps:
        pretrain_vision(model, aux, processor, args)

    params = [*model.parameters(), *aux.parameters()]
    optimizer = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.01, betas=(0.9, 0.98))
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, cosine(args.steps))
    batches = loader(processor, args)
    start = time.perf_counter()
    losses: list[float] = []
    aux_losses: list[float] = []
    model.train()
    for step in range(args.steps):
        batch = next(batches).to(args.device)
        aux_labels = batch.pop("aux_labels")
        loss = model(**batch).loss
        aux_loss = aux.loss(aux_labels) if args.aux_weight else torch.zeros(())
        (loss + args.aux_weight * aux_loss).backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        losses.append(loss.item())
        aux_losses.append(aux_loss.item())
        if (step + 1) % max(1, args.steps // 30) == 0 or step == args.steps - 1:
            recent = sum(losses[-20:]) / len(losses[-20:])
            recent_aux = sum(aux_losses[-20:]) / len(aux_losses[-20:])
            print(f"step {step + 1:5d}/{args.steps}  loss {recent:.4f}  aux {recent_aux:.3f}  "
                  f"{time.perf_counter() - start:6.0f} s", flush=True)  # fmt: skip
        if args.eval_every and (step + 1) % args.eval_every == 0 and step + 1 < args.steps:
            model.eval()
            scores = evaluate(model, processor, make_samples(270, seed=EVAL_SEED + 7))
            print(f"  step {step + 1} held-out: " + ", ".join(f"{k} {v:.0%}" for k, v in scores.items()), flush=True)
            model.train()
    train_s, train_cpu_s = time.perf_counter() - start_all, time.process_time() - cpu_start

    model.eval()
    held_out = make_samples(args.eval_samples, seed=EVAL_SEED)
    scores = evaluate(model, processor, held_out)
    model = model.to("cpu")
    print("held-out accuracy: " + ", ".join(f"{k} {v:.0%}" for k, v in scores.items()), flush=True)

    from transformers.utils import logging

    logging.disable_progress_bar()  # no "Writing model shards" bar for a 3 MB model
    args.out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(args.out)
    processor.save_pretrained(args.out)
    info = {
        "command": " ".join(["python scripts/train_tiny_vlm.py", *(argv if argv is not None else sys.argv[1:])]),
        "parameters": n_params,
        "vision_steps": args.vision_steps,
        "steps": args.steps,
        "batch_size": args.batch_size,
        "train_seconds": round(train_s, 1),
        "train_cpu_seconds_main_process": round(train_cpu_s, 1),
        "load_average_1min_at_end": round(os.getloadavg()[0], 2),
        "device": args.device,
        "torch_threads": torch.get_num_threads(),
        "first_loss": round(losses[0], 4),
        "final_loss": round(sum(losses[-20:]) / len(losses[-20:]), 4),
        "command_seconds": None,  # filled in below: the whole command, evaluation included
        "held_out_samples": args.eval_samples,
        "held_out_accuracy": {k: round(v, 4) for k, v in scores.items()},
    }
    info["command_seconds"] = round(time.perf_counter() - command_start, 1)
    (args.out / "training.json").write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    print(f"saved to {args.out}: {train_s:.0f} s of training, {info['command_seconds']:.0f} s in all", flush=True)
    return scores


if __name__ == "__main__":
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    main()
