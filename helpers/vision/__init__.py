"""Images for vision-language models: safe loading, data URLs, placeholders, and the course's tiny VLM.

Introduced in notebook 08.

| module | what |
|---|---|
| ``images`` | :func:`load_image`, :func:`image_to_data_url`, :func:`vision_messages`, numbered placeholders |
| ``synthetic`` | pictures drawn with Pillow (:func:`make_samples`, :func:`draw_shapes`...) |
| ``tiny_vlm`` | the course's tiny VLM: :func:`load_tiny_vlm`, :func:`ask`, :func:`evaluate`; the command |
"""

from helpers.vision.images import (
    MAX_IMAGE_BYTES,
    MAX_IMAGE_PIXELS,
    NIM_MAX_DATA_URL_CHARS,
    expand_numbered_placeholders,
    image_to_data_url,
    load_image,
    vision_messages,
)
from helpers.vision.synthetic import (
    COLOURS,
    NUMBER_WORDS,
    PHRASINGS,
    QUESTION_TYPES,
    SHAPES,
    WORDS,
    Sample,
    draw_bar_chart,
    draw_shapes,
    draw_text,
    make_sample,
    make_samples,
)
from helpers.vision.tiny_vlm import TINY_VLM_DIR, answers_match, ask, evaluate, load_tiny_vlm, main, user_turn

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
    "answers_match",
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
