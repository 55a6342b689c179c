"""Synthetic pictures drawn with Pillow: shapes, colours, counts, words and bar charts, with questions and answers.

The course's tiny VLM is trained and evaluated on these (:func:`make_samples`). Introduced in notebook 08.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from helpers.errors import CourseError
from helpers.i18n import _

__all__ = [
    "COLOURS",
    "NUMBER_WORDS",
    "PHRASINGS",
    "QUESTION_TYPES",
    "SHAPES",
    "WORDS",
    "Sample",
    "draw_bar_chart",
    "draw_shapes",
    "draw_text",
    "make_sample",
    "make_samples",
]


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
    """One synthetic question: its pictures, the question, the expected answer and its type.

    Introduced in notebook 08.
    """

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

    Introduced in notebook 08.

    Example:
        >>> draw_shapes(3, "star", "blue").size
        (128, 128)

    """
    from PIL import Image, ImageDraw

    if not 1 <= count <= GRID * GRID:
        raise CourseError(_("count must be between 1 and {grid}, not {count}.").format(grid=GRID * GRID, count=count))
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

    Introduced in notebook 08.

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

    Introduced in notebook 08.

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

    Introduced in notebook 08.

    Args:
        kind: A key of :data:`QUESTION_TYPES`.
        rng: The random generator; the same seed gives the same sample.
        size: Side of the square pictures in pixels (the processor resizes them anyway).

    """
    if kind not in QUESTION_TYPES:
        raise CourseError(_(
            "Unknown question type {kind!r}: use one of {choices}."
        ).format(kind=kind, choices=', '.join(QUESTION_TYPES)))
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

    Introduced in notebook 08.

    Training draws its pictures from the streams seeded 0 and 500 (``scripts/train_tiny_vlm.py``);
    any other seed gives new pictures. The benchmark and the tests use seeds above 1,000,000.

    Example:
        >>> [s.kind for s in make_samples(3, kinds=["count", "read"])]
        ['count', 'read', 'count']

    """
    kinds = list(kinds or QUESTION_TYPES)
    rng = random.Random(seed)
    return [make_sample(kinds[i % len(kinds)], rng, size) for i in range(n)]
