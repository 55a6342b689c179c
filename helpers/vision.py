"""Images for vision-language models: safe loading, data URLs, placeholders, and the course's tiny VLM.

Three concerns live here, all about getting pictures into a model:

* **Loading** (:func:`load_image`): a path, bytes, a data URL or a Pillow image becomes an RGB image, or
  a :class:`~helpers.errors.CourseError` that says in one sentence why not (missing, unreadable, too big).
* **Sending** (:func:`image_to_data_url`, :func:`vision_messages`): an image as a base64 ``data:`` URL inside an
  OpenAI-style chat message, the format NVIDIA NIM and Azure AI Foundry accept for Phi-4-multimodal.
* **Placeholders** (:func:`expand_numbered_placeholders`): Phi-3.5-vision numbers its images
  (``<|image_1|>``, ``<|image_2|>``); most Transformers processors use one repeated token instead.

The course's own vision-language model is tiny and trained here, on synthetic pictures drawn with Pillow
(:func:`make_samples`): shapes, colours, counts, words and bar charts. ``scripts/train_tiny_vlm.py`` trains it;
the weights ship in ``data/tiny-vlm/``. Run ``python -m helpers.vision`` to measure its held-out accuracy.
"""

from __future__ import annotations

import base64
import binascii
import io
import math
import random
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from helpers.env import REPO_ROOT
from helpers.errors import CourseError

__all__ = [
    "COLOURS",
    "MAX_IMAGE_BYTES",
    "MAX_IMAGE_PIXELS",
    "NIM_MAX_DATA_URL_CHARS",
    "NUMBER_WORDS",
    "PHRASINGS",
    "QUESTION_TYPES",
    "SHAPES",
    "TINY_VLM_DIR",
    "WORDS",
    "Sample",
    "ask",
    "draw_bar_chart",
    "draw_shapes",
    "draw_text",
    "evaluate",
    "expand_numbered_placeholders",
    "image_to_data_url",
    "load_image",
    "load_tiny_vlm",
    "main",
    "make_sample",
    "make_samples",
    "user_turn",
    "vision_messages",
]

#: Where the course's trained tiny VLM lives (config, weights, tokenizer, processor).
TINY_VLM_DIR = REPO_ROOT / "data" / "tiny-vlm"

#: Files larger than this are refused before Pillow even opens them (20 MB).
MAX_IMAGE_BYTES = 20_000_000
#: Images with more pixels than this are refused (about 36 megapixels, e.g. 6000 x 6000).
MAX_IMAGE_PIXELS = 36_000_000
#: NVIDIA's API catalog takes inline (base64) images up to about this many characters; larger ones need its assets API.
NIM_MAX_DATA_URL_CHARS = 180_000

# --------------------------------------------------------------------------- loading and sending images

_DATA_URL = re.compile(r"^data:image/[\w.+-]+;base64,(?P<data>.*)$", re.DOTALL)


def _describe(source: object) -> str:
    """How an error message names the image: its file name, or what kind of data it came as."""
    if isinstance(source, (bytes, bytearray)):
        return "The image data"
    if isinstance(source, str) and source.startswith("data:"):
        return "The data URL's image"
    if isinstance(source, (str, Path)):
        return Path(source).name
    return "The image"


def load_image(
    source: Any,
    max_bytes: int = MAX_IMAGE_BYTES,
    max_pixels: int = MAX_IMAGE_PIXELS,
) -> Any:
    """Open an image as RGB, or raise a :class:`CourseError` that says what is wrong and what to do.

    Args:
        source: A file path, raw bytes, a ``data:image/...;base64,`` URL, or a ``PIL.Image.Image``.
        max_bytes: Refuse files (or decoded data) larger than this.
        max_pixels: Refuse images with more pixels than this (huge images exhaust memory and are
            shrunk to a few hundred pixels by every vision processor anyway).

    Returns:
        A ``PIL.Image.Image`` in RGB mode, fully loaded (the file is closed).

    Example:
        >>> load_image("no/such/picture.png")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        helpers.errors.CourseError: No image file at no/such/picture.png: check the path (...).

    """
    from PIL import Image, UnidentifiedImageError

    if isinstance(source, Image.Image):
        image = source
    else:
        if isinstance(source, (bytes, bytearray)):
            data = bytes(source)
        elif isinstance(source, str) and source.startswith("data:"):
            match = _DATA_URL.match(source)
            try:
                data = base64.b64decode(match.group("data"), validate=True) if match else b""
            except (binascii.Error, ValueError):
                data = b""
            if not data:
                raise CourseError(
                    "That data URL holds no base64 image: it must look like data:image/png;base64,iVBOR..., "
                    "so build it with image_to_data_url()."
                )
        elif isinstance(source, (str, Path)):
            path = Path(source).expanduser()
            if not path.is_file():
                raise CourseError(
                    f"No image file at {source}: check the path (relative paths start at the notebook's folder)."
                )
            size = path.stat().st_size
            if size > max_bytes:
                raise CourseError(
                    f"{path.name} is {size / 1e6:.1f} MB, more than the {max_bytes / 1e6:.0f} MB this course accepts: "
                    "shrink or re-save it (for example as JPEG), or raise max_bytes."
                )
            data = path.read_bytes()
        else:
            raise CourseError(
                f"Cannot read an image from a {type(source).__name__}: "
                "pass a file path, bytes, a data URL or a PIL image."
            )
        if len(data) > max_bytes:
            raise CourseError(
                f"The image data is {len(data) / 1e6:.1f} MB, more than the {max_bytes / 1e6:.0f} MB "
                "this course accepts: shrink it or raise max_bytes."
            )
        try:
            image = Image.open(io.BytesIO(data))
            # Check the size from the header, before decoding a possible decompression bomb.
            _check_pixels(image, max_pixels, _describe(source))
            image.load()
        except CourseError:
            raise
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
            raise CourseError(
                f"{_describe(source)} is not a readable image ({exc.__class__.__name__}): "
                "use a PNG, JPEG, GIF, BMP or WebP file that opens in an image viewer."
            ) from None
    _check_pixels(image, max_pixels, _describe(source))
    return image.convert("RGB") if image.mode != "RGB" else image


def _check_pixels(image: Any, max_pixels: int, what: str) -> None:
    width, height = image.size
    if width * height > max_pixels:
        raise CourseError(
            f"{what} is {width} x {height} pixels, more than the {max_pixels / 1e6:.0f} megapixels "
            "this course accepts: resize it first (image.thumbnail((2048, 2048))) or raise max_pixels."
        )
    if width < 1 or height < 1:
        raise CourseError(f"{what} has no pixels ({width} x {height}): use a real picture.")


def image_to_data_url(image: Any, max_chars: int = NIM_MAX_DATA_URL_CHARS, image_format: str = "PNG") -> str:
    """Encode an image as a base64 ``data:`` URL no longer than ``max_chars``, shrinking it if needed.

    Cloud chat APIs take images inside the message as ``{"type": "image_url", "image_url": {"url": ...}}``;
    a data URL carries the picture itself, so nothing has to be uploaded anywhere first.

    Args:
        image: Anything :func:`load_image` accepts.
        max_chars: The longest URL to return. NVIDIA's API catalog takes about 180,000 characters inline.
        image_format: ``"PNG"`` (lossless, best for charts and text) or ``"JPEG"`` (smaller for photos).

    Example:
        >>> from PIL import Image
        >>> image_to_data_url(Image.new("RGB", (8, 8), "red"))[:22]
        'data:image/png;base64,'

    """
    image = load_image(image)
    fmt = image_format.upper().replace("JPG", "JPEG")
    if fmt not in {"PNG", "JPEG"}:
        raise CourseError(f"Unsupported image_format {image_format!r}: use 'PNG' or 'JPEG'.")
    current = image
    for _ in range(12):
        buffer = io.BytesIO()
        current.save(buffer, format=fmt, **({"quality": 85} if fmt == "JPEG" else {}))
        url = f"data:image/{fmt.lower()};base64,{base64.b64encode(buffer.getvalue()).decode('ascii')}"
        if len(url) <= max_chars:
            return url
        scale = math.sqrt(max_chars / len(url)) * 0.9
        width, height = current.size
        new_size = (max(1, int(width * scale)), max(1, int(height * scale)))
        if new_size == current.size or min(new_size) < 16:
            break
        current = image.resize(new_size)
    raise CourseError(
        f"The image does not fit in {max_chars} characters even when shrunk: crop it, use image_format='JPEG', "
        "or upload it through the provider's file API."
    )


def vision_messages(question: str, images: Sequence[Any], system: str | None = None) -> list[dict[str, Any]]:
    """OpenAI-style chat messages with images as data URLs, for NIM, Foundry or any compatible endpoint.

    Example:
        >>> from PIL import Image
        >>> msgs = vision_messages("What colour is it?", [Image.new("RGB", (8, 8), "red")])
        >>> [part["type"] for part in msgs[0]["content"]]
        ['text', 'image_url']

    """
    content: list[dict[str, Any]] = [{"type": "text", "text": question}]
    content += [{"type": "image_url", "image_url": {"url": image_to_data_url(image)}} for image in images]
    return ([{"role": "system", "content": system}] if system else []) + [{"role": "user", "content": content}]


_NUMBERED = re.compile(r"<\|image_(\d+)\|>")


def expand_numbered_placeholders(prompt: str, images: Sequence[Any], image_token: str) -> tuple[str, list[Any]]:
    """Turn Phi-3.5-vision's numbered placeholders into a processor's single image token.

    Phi-3.5-vision names each image by number (``<|image_1|>``, ``<|image_2|>``); processors such as
    LLaVA's use one token (``<image>``) and take the images in the order the tokens appear. This
    rewrites the prompt and reorders the images to match, so a Phi-style prompt works with either.

    Args:
        prompt: Text with ``<|image_N|>`` placeholders, numbered from 1.
        images: The images; ``<|image_N|>`` refers to ``images[N - 1]``.
        image_token: The processor's image token (``processor.image_token``).

    Returns:
        ``(prompt, images)``: one ``image_token`` per placeholder, images in the order they appear.

    Example:
        >>> expand_numbered_placeholders("<|image_2|> then <|image_1|>", ["a", "b"], "<image>")
        ('<image> then <image>', ['b', 'a'])

    """
    numbers = [int(n) for n in _NUMBERED.findall(prompt)]
    if not numbers:
        raise CourseError("The prompt has no <|image_N|> placeholder: put <|image_1|> where the first image belongs.")
    bad = sorted({n for n in numbers if not 1 <= n <= len(images)})
    if bad:
        raise CourseError(
            f"The prompt refers to <|image_{bad[0]}|> but {len(images)} image(s) were given: "
            "number the placeholders from 1 to the number of images."
        )
    unused = len(images) - len(set(numbers))
    if unused:
        raise CourseError(
            f"{unused} of the {len(images)} images are never named in the prompt: add a <|image_N|> for each."
        )
    return _NUMBERED.sub(image_token, prompt), [images[n - 1] for n in numbers]


# --------------------------------------------------------------------------- synthetic pictures

#: Colour names the tiny VLM knows, with the RGB values it was trained on.
COLOURS: dict[str, tuple[int, int, int]] = {
    "red": (220, 40, 40),
    "green": (40, 160, 60),
    "blue": (40, 80, 220),
    "yellow": (235, 200, 30),
    "purple": (140, 60, 180),
    "orange": (245, 130, 20),
}
#: Shapes the tiny VLM knows.
SHAPES: tuple[str, ...] = ("circle", "square", "triangle", "star")
#: Words it can read.
WORDS: tuple[str, ...] = ("PHI", "SLM", "CAT", "DOG", "SUN", "STOP", "EXIT", "TAXI", "CAFE", "ZOO")
NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five")

#: Question type -> how many pictures it shows and an example question.
QUESTION_TYPES: dict[str, tuple[int, str]] = {
    "shape": (1, "What shape is in the image?"),
    "colour": (1, "What colour are the shapes?"),
    "count": (1, "How many shapes are there?"),
    "describe": (1, "Describe the image."),
    "read": (1, "What does the text say?"),
    "chart_tallest": (1, "Which bar is the tallest?"),
    "chart_bars": (1, "How many bars are in the chart?"),
    "compare_count": (2, "Which image has more shapes?"),
    "colour_in_image": (2, "What colour is the shape in image 2?"),
}

PHRASINGS: dict[str, tuple[str, ...]] = {
    "shape": ("What shape is in the image?", "Which shape do you see?", "What kind of shape is this?"),
    "colour": ("What colour are the shapes?", "What color is the shape?", "Which colour do you see?"),
    "count": ("How many shapes are there?", "Count the shapes.", "How many objects are in the picture?"),
    "describe": ("Describe the image.", "What is in the picture?", "Describe what you see."),
    "read": ("What does the text say?", "Read the text in the image.", "What is written here?"),
    "chart_tallest": (
        "Which bar is the tallest?", "What colour is the highest bar?", "Which bar has the largest value?",
    ),
    "chart_bars": ("How many bars are in the chart?", "Count the bars.", "How many bars are there?"),
    "compare_count": ("Which image has more shapes?", "Which picture shows more objects?"),
    "colour_in_image": ("What colour is the shape in image {n}?", "Which colour are the shapes in picture {n}?"),
}


@dataclass
class Sample:
    """One synthetic question: its pictures, the question, the expected answer and its type."""

    images: list[Any]
    question: str
    answer: str
    kind: str
    facts: dict[str, Any] = field(default_factory=dict)


def _shape_points(shape: str, cx: float, cy: float, r: float, angle: float) -> list[tuple[float, float]]:
    if shape == "square":
        corners = 4
        return [(cx + r * math.cos(angle + math.pi / 4 + k * math.pi / 2),
                 cy + r * math.sin(angle + math.pi / 4 + k * math.pi / 2)) for k in range(corners)]  # fmt: skip
    if shape == "triangle":
        return [(cx + r * math.cos(angle - math.pi / 2 + k * 2 * math.pi / 3),
                 cy + r * math.sin(angle - math.pi / 2 + k * 2 * math.pi / 3)) for k in range(3)]  # fmt: skip
    if shape == "star":
        return [(cx + (r if k % 2 == 0 else r * 0.38) * math.cos(angle - math.pi / 2 + k * math.pi / 5),
                 cy + (r if k % 2 == 0 else r * 0.38) * math.sin(angle - math.pi / 2 + k * math.pi / 5))
                for k in range(10)]  # fmt: skip
    raise ValueError(f"unknown shape {shape!r}")


def _background(rng: random.Random) -> tuple[int, int, int]:
    grey = rng.randint(225, 255)
    return (grey, min(255, grey + rng.randint(-8, 8)), min(255, grey + rng.randint(-8, 8)))


#: Shapes sit in the cells of a GRID x GRID layout (one shape per cell, a little off-centre), so a
#: from-scratch vision encoder with one patch per cell learns them in minutes.
GRID = 4


def draw_shapes(count: int, shape: str, colour: str, size: int = 128, seed: int | None = None) -> Any:
    """Draw ``count`` shapes of one kind and colour, each in its own cell of a 4 x 4 grid, on a light background.

    Example:
        >>> draw_shapes(3, "star", "blue").size
        (128, 128)

    """
    from PIL import Image, ImageDraw

    if not 1 <= count <= GRID * GRID:
        raise CourseError(f"count must be between 1 and {GRID * GRID}, not {count}.")
    rng = random.Random(seed)
    image = Image.new("RGB", (size, size), _background(rng))
    draw = ImageDraw.Draw(image)
    cell = size / GRID
    jitter = rng.randint(-15, 15)
    fill = tuple(max(0, min(255, c + jitter)) for c in COLOURS[colour])
    for index in rng.sample(range(GRID * GRID), count):
        r = rng.uniform(0.35, 0.44) * cell
        cx = (index % GRID + 0.5) * cell + rng.uniform(-0.06, 0.06) * cell
        cy = (index // GRID + 0.5) * cell + rng.uniform(-0.06, 0.06) * cell
        if shape == "circle":
            draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=fill)
        else:
            draw.polygon(_shape_points(shape, cx, cy, r, rng.uniform(-0.25, 0.25)), fill=fill)
    return image


def draw_text(text: str, size: int = 128, seed: int | None = None) -> Any:
    """Draw a short word in a dark colour near the middle of the picture (Pillow's built-in font).

    Example:
        >>> draw_text("PHI").size
        (128, 128)

    """
    from PIL import Image, ImageDraw, ImageFont

    rng = random.Random(seed)
    image = Image.new("RGB", (size, size), _background(rng))
    draw = ImageDraw.Draw(image)
    font_size = rng.randint(int(size * 0.25), int(size * 0.29))
    while True:
        font = ImageFont.load_default(size=font_size)
        left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
        if right - left <= size * 0.9 or font_size <= 8:
            break
        font_size -= 2
    x = (size - (right - left)) / 2 - left + rng.uniform(-0.04, 0.04) * size
    y = (size - (bottom - top)) / 2 - top + rng.uniform(-0.04, 0.04) * size
    ink = rng.choice([(20, 20, 20), (30, 30, 110), (110, 20, 20), (20, 80, 30)])
    draw.text((x, y), text, fill=ink, font=font)
    return image


def draw_bar_chart(values: Sequence[float], colours: Sequence[str], size: int = 128, seed: int | None = None) -> Any:
    """Draw a bar chart: one bar per value (0 to 1), in the named colours, with two axes.

    Example:
        >>> draw_bar_chart([0.3, 0.9, 0.5], ["red", "green", "blue"]).size
        (128, 128)

    """
    from PIL import Image, ImageDraw

    rng = random.Random(seed)
    image = Image.new("RGB", (size, size), _background(rng))
    draw = ImageDraw.Draw(image)
    left, bottom, top, right = size * 0.12, size * 0.9, size * 0.08, size * 0.95
    draw.line((left, top, left, bottom), fill=(40, 40, 40), width=2)
    draw.line((left, bottom, right, bottom), fill=(40, 40, 40), width=2)
    slot = (right - left) / len(values)
    width = slot * rng.uniform(0.5, 0.75)
    for i, (value, colour) in enumerate(zip(values, colours, strict=True)):
        x0 = left + i * slot + (slot - width) / 2
        draw.rectangle((x0, bottom - value * (bottom - top), x0 + width, bottom - 2), fill=COLOURS[colour])
    return image


def _plural(shape: str, count: int) -> str:
    return shape if count == 1 else f"{shape}es" if shape.endswith("x") else f"{shape}s"


def _shapes_scene(rng: random.Random, size: int, count: int | None = None) -> tuple[Any, dict[str, Any]]:
    facts = {"count": count or rng.randint(1, 5), "shape": rng.choice(SHAPES), "colour": rng.choice(list(COLOURS))}
    return draw_shapes(facts["count"], facts["shape"], facts["colour"], size, rng.randrange(2**31)), facts


def make_sample(kind: str, rng: random.Random, size: int = 128) -> Sample:
    """One random picture (or two) with a question of type ``kind`` and its answer.

    Args:
        kind: A key of :data:`QUESTION_TYPES`.
        rng: The random generator; the same seed gives the same sample.
        size: Side of the square pictures in pixels (the processor resizes them anyway).

    """
    if kind not in QUESTION_TYPES:
        raise CourseError(f"Unknown question type {kind!r}: use one of {', '.join(QUESTION_TYPES)}.")
    question = rng.choice(PHRASINGS[kind])
    if kind in {"shape", "colour", "count", "describe"}:
        image, facts = _shapes_scene(rng, size)
        answer = {
            "shape": facts["shape"],
            "colour": facts["colour"],
            "count": str(facts["count"]),
            "describe": f"{facts['count']} {facts['colour']} {_plural(facts['shape'], facts['count'])}",
        }[kind]
        return Sample([image], question, answer, kind, facts)
    if kind == "read":
        text = rng.choice(WORDS)
        return Sample([draw_text(text, size, rng.randrange(2**31))], question, text, kind, {"text": text})
    if kind in {"chart_tallest", "chart_bars"}:
        n_bars = rng.randint(2, 5)
        colours = rng.sample(list(COLOURS), n_bars)
        while True:
            values = [rng.uniform(0.15, 1.0) for _ in range(n_bars)]
            ranked = sorted(values, reverse=True)
            if ranked[0] - ranked[1] >= 0.2:
                break
        image = draw_bar_chart(values, colours, size, rng.randrange(2**31))
        tallest = colours[values.index(ranked[0])]
        answer = tallest if kind == "chart_tallest" else str(n_bars)
        return Sample([image], question, answer, kind, {"values": values, "colours": colours})
    # Two pictures.
    first, second = rng.sample(range(1, 6), 2) if kind == "compare_count" else (None, None)
    (image1, facts1), (image2, facts2) = _shapes_scene(rng, size, first), _shapes_scene(rng, size, second)
    if kind == "compare_count":
        answer = "image 1" if facts1["count"] > facts2["count"] else "image 2"
    else:
        n = rng.choice([1, 2])
        question = question.format(n=n)
        answer = (facts1, facts2)[n - 1]["colour"]
    return Sample([image1, image2], question, answer, kind, {"image_1": facts1, "image_2": facts2})


def make_samples(n: int, seed: int = 0, kinds: Sequence[str] | None = None, size: int = 128) -> list[Sample]:
    """``n`` samples cycling through the question types, reproducible from ``seed``.

    Training draws its pictures from the streams seeded 0 and 500 (``scripts/train_tiny_vlm.py``);
    any other seed gives new pictures. The benchmark and the tests use seeds above 1,000,000.

    Example:
        >>> [s.kind for s in make_samples(3, kinds=["count", "read"])]
        ['count', 'read', 'count']

    """
    kinds = list(kinds or QUESTION_TYPES)
    rng = random.Random(seed)
    return [make_sample(kinds[i % len(kinds)], rng, size) for i in range(n)]


# --------------------------------------------------------------------------- the tiny VLM


def load_tiny_vlm(path: str | Path | None = None) -> tuple[Any, Any]:
    """Load the course's tiny vision-language model and its processor (CPU, eval mode).

    Returns:
        ``(model, processor)``: a ``LlavaForConditionalGeneration`` and a ``LlavaProcessor``.

    """
    folder = Path(path or TINY_VLM_DIR)
    if not (folder / "config.json").is_file():
        raise CourseError(f"No tiny VLM in {folder}: train one with `python scripts/train_tiny_vlm.py`, then rerun.")
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
    """Exact match after lower-casing and trimming spaces and a final full stop."""
    return answer.strip().rstrip(".").lower() == expected.strip().rstrip(".").lower()


def evaluate(model: Any, processor: Any, samples: Sequence[Sample], batch_size: int = 32) -> dict[str, float]:
    """Accuracy per question type (exact match) on ``samples``; key ``"all"`` holds the overall figure."""
    import torch

    right: Counter[str] = Counter()
    total: Counter[str] = Counter()
    processor.tokenizer.padding_side = "left"
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
    scores = {kind: right[kind] / total[kind] for kind in total}
    scores["all"] = sum(right.values()) / max(1, sum(total.values()))
    return scores


def main(argv: Sequence[str] | None = None) -> dict[str, float]:
    """``python -m helpers.vision``: the tiny VLM's held-out accuracy per question type (the benchmark)."""
    import argparse
    import time

    parser = argparse.ArgumentParser(description="Held-out accuracy of the course's tiny vision-language model.")
    parser.add_argument("--samples", type=int, default=900, help="held-out questions, spread over the types")
    parser.add_argument("--seed", type=int, default=2_000_003, help="picture seed (training used seed 0)")
    parser.add_argument("--model", type=Path, default=TINY_VLM_DIR)
    args = parser.parse_args(argv)
    model, processor = load_tiny_vlm(args.model)
    start = time.perf_counter()
    scores = evaluate(model, processor, make_samples(args.samples, seed=args.seed))
    elapsed = time.perf_counter() - start
    n_params = sum(p.numel() for p in model.parameters())
    print(f"tiny VLM ({n_params / 1e6:.2f} M parameters) on {args.samples} held-out questions, seed {args.seed}:")
    for kind, score in scores.items():
        example = QUESTION_TYPES[kind][1] if kind in QUESTION_TYPES else "all question types together"
        print(f"  {kind:16s} {score:6.1%}   {example}")
    print(f"({elapsed:.1f} s, {args.samples / elapsed:.0f} questions/s on CPU)")
    return scores


if __name__ == "__main__":
    main()
