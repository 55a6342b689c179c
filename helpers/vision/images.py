"""Getting pictures into a model: safe loading, base64 data URLs, chat messages and numbered placeholders.

* **Loading** (:func:`load_image`): a path, bytes, a data URL or a Pillow image becomes an RGB image, or
  a :class:`~helpers.errors.CourseError` that says in one sentence why not (missing, unreadable, too big).
* **Sending** (:func:`image_to_data_url`, :func:`vision_messages`): an image as a base64 ``data:`` URL inside an
  OpenAI-style chat message, the format NVIDIA NIM and Azure AI Foundry accept for Phi-4-multimodal.
* **Placeholders** (:func:`expand_numbered_placeholders`): Phi-3.5-vision numbers its images
  (``<|image_1|>``, ``<|image_2|>``); most Transformers processors use one repeated token instead.

Introduced in notebook 08.
"""

from __future__ import annotations

import base64
import binascii
import io
import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from helpers.errors import CourseError
from helpers.i18n import _

__all__ = [
    "MAX_IMAGE_BYTES",
    "MAX_IMAGE_PIXELS",
    "NIM_MAX_DATA_URL_CHARS",
    "expand_numbered_placeholders",
    "image_to_data_url",
    "load_image",
    "vision_messages",
]


#: Files larger than this are refused before Pillow even opens them (20 MB).
MAX_IMAGE_BYTES = 20_000_000


#: Images with more pixels than this are refused (about 36 megapixels, e.g. 6000 x 6000).
MAX_IMAGE_PIXELS = 36_000_000


#: NVIDIA's API catalog takes inline (base64) images up to about this many characters; larger ones need its assets API.
NIM_MAX_DATA_URL_CHARS = 180_000


_DATA_URL = re.compile(r"^data:image/[\w.+-]+;base64,(?P<data>.*)$", re.DOTALL)


def _describe(source: object) -> str:
    """How an error message names the image: its file name, or what kind of data it came as."""
    # TRANSLATORS: the subject of "{image} is not a readable image" and "{what} has no pixels".
    if isinstance(source, (bytes, bytearray)):
        return _("The image data")
    if isinstance(source, str) and source.startswith("data:"):
        return _("The data URL's image")
    if isinstance(source, (str, Path)):
        return Path(source).name
    return _("The image")


def load_image(
    source: Any,
    max_bytes: int = MAX_IMAGE_BYTES,
    max_pixels: int = MAX_IMAGE_PIXELS,
) -> Any:
    """Open an image as RGB, or raise a :class:`CourseError` that says what is wrong and what to do.

    Introduced in notebook 08.

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
                raise CourseError(_(
                    "That data URL holds no base64 image: it must look like data:image/png;base64,iVBOR..., "
                    "so build it with image_to_data_url()."
                ))
        elif isinstance(source, (str, Path)):
            path = Path(source).expanduser()
            if not path.is_file():
                raise CourseError(_(
                    "No image file at {source}: check the path (relative paths start at the notebook's folder)."
                ).format(source=source))
            size = path.stat().st_size
            if size > max_bytes:
                raise CourseError(_(
                    "{name} is {size_mb:.1f} MB, more than the {max_bytes_mb:.0f} MB this course accepts: "
                    "shrink or re-save it (for example as JPEG), or raise max_bytes."
                ).format(name=path.name, size_mb=size / 1e6, max_bytes_mb=max_bytes / 1e6))
            data = path.read_bytes()
        else:
            raise CourseError(_(
                "Cannot read an image from a {kind}: "
                "pass a file path, bytes, a data URL or a PIL image."
            ).format(kind=type(source).__name__))
        if len(data) > max_bytes:
            raise CourseError(_(
                "The image data is {size_mb:.1f} MB, more than the {max_bytes_mb:.0f} MB "
                "this course accepts: shrink it or raise max_bytes."
            ).format(size_mb=len(data) / 1e6, max_bytes_mb=max_bytes / 1e6))
        try:
            image = Image.open(io.BytesIO(data))
            # Check the size from the header, before decoding a possible decompression bomb.
            _check_pixels(image, max_pixels, _describe(source))
            image.load()
        except CourseError:
            raise
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
            raise CourseError(_(
                "{image} is not a readable image ({kind}): "
                "use a PNG, JPEG, GIF, BMP or WebP file that opens in an image viewer."
            ).format(image=_describe(source), kind=exc.__class__.__name__)) from None
    _check_pixels(image, max_pixels, _describe(source))
    return image.convert("RGB") if image.mode != "RGB" else image


def _check_pixels(image: Any, max_pixels: int, what: str) -> None:
    width, height = image.size
    if width * height > max_pixels:
        raise CourseError(_(
            "{what} is {width} x {height} pixels, more than the {max_pixels_mb:.0f} megapixels "
            "this course accepts: resize it first (image.thumbnail((2048, 2048))) or raise max_pixels."
        ).format(what=what, width=width, height=height, max_pixels_mb=max_pixels / 1e6))
    if width < 1 or height < 1:
        raise CourseError(_(
            "{what} has no pixels ({width} x {height}): use a real picture."
        ).format(what=what, width=width, height=height))


def image_to_data_url(image: Any, max_chars: int = NIM_MAX_DATA_URL_CHARS, image_format: str = "PNG") -> str:
    """Encode an image as a base64 ``data:`` URL no longer than ``max_chars``, shrinking it if needed.

    Introduced in notebook 08.

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
        raise CourseError(_(
            "Unsupported image_format {image_format!r}: use 'PNG' or 'JPEG'."
        ).format(image_format=image_format))
    current = image
    for _step in range(12):
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
    raise CourseError(_(
        "The image does not fit in {max_chars} characters even when shrunk: crop it, use image_format='JPEG', "
        "or upload it through the provider's file API."
    ).format(max_chars=max_chars))


def vision_messages(question: str, images: Sequence[Any], system: str | None = None) -> list[dict[str, Any]]:
    """OpenAI-style chat messages with images as data URLs, for NIM, Foundry or any compatible endpoint.

    Introduced in notebook 08.

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

    Introduced in notebook 08.

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
        raise CourseError(_(
            "The prompt has no <|image_N|> placeholder: put <|image_1|> where the first image belongs."
        ))
    bad = sorted({n for n in numbers if not 1 <= n <= len(images)})
    if bad:
        raise CourseError(_(
            "The prompt refers to <|image_{bad}|> but {n_images} image(s) were given: "
            "number the placeholders from 1 to the number of images."
        ).format(bad=bad[0], n_images=len(images)))
    unused = len(images) - len(set(numbers))
    if unused:
        raise CourseError(_(
            "{unused} of the {n_images} images are never named in the prompt: add a <|image_N|> for each."
        ).format(unused=unused, n_images=len(images)))
    return _NUMBERED.sub(image_token, prompt), [images[n - 1] for n in numbers]
