"""helpers.vision: image loading and its errors, data URLs, placeholders, synthetic pictures, the tiny VLM."""

from __future__ import annotations

import base64
import io
import json
import random
import subprocess
import sys

import pytest
from PIL import Image

from helpers.env import REPO_ROOT
from helpers.errors import CourseError
from helpers.vision import (
    COLOURS,
    QUESTION_TYPES,
    TINY_VLM_DIR,
    draw_shapes,
    evaluate,
    expand_numbered_placeholders,
    image_to_data_url,
    load_image,
    load_tiny_vlm,
    make_sample,
    make_samples,
    user_turn,
    vision_messages,
)


def one_sentence(message: str) -> bool:
    """A course error is one sentence: no line breaks, one final full stop."""
    return "\n" not in message and message.endswith(".") and message.count(". ") == 0


# --------------------------------------------------------------------------- loading


def test_missing_file_names_the_path(tmp_path):
    with pytest.raises(CourseError, match=r"No image file at .*nothing\.png") as err:
        load_image(tmp_path / "nothing.png")
    assert one_sentence(str(err.value))


def test_text_file_is_not_an_image(tmp_path):
    fake = tmp_path / "notes.png"
    fake.write_text("this is not a picture", encoding="utf-8")
    with pytest.raises(CourseError, match="not a readable image") as err:
        load_image(fake)
    assert one_sentence(str(err.value))


def test_truncated_png_is_refused(tmp_path):
    buffer = io.BytesIO()
    draw_shapes(3, "circle", "red", seed=1).save(buffer, format="PNG")
    broken = tmp_path / "broken.png"
    broken.write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])
    with pytest.raises(CourseError, match="not a readable image"):
        load_image(broken)


def test_file_over_the_byte_limit_is_refused_before_reading(tmp_path):
    path = tmp_path / "big.png"
    draw_shapes(2, "star", "blue", seed=2).save(path)
    with pytest.raises(CourseError, match="MB, more than") as err:
        load_image(path, max_bytes=100)
    assert one_sentence(str(err.value))
    assert load_image(path).size == (128, 128)


def test_huge_image_is_refused_from_its_header(tmp_path):
    # 8000 x 8000 = 64 megapixels: a tiny PNG file that would need 192 MB once decoded as RGB.
    path = tmp_path / "bomb.png"
    Image.new("1", (8000, 8000)).save(path)
    assert path.stat().st_size < 1_000_000
    with pytest.raises(CourseError, match="8000 x 8000 pixels") as err:
        load_image(path)
    assert one_sentence(str(err.value))


def test_pixel_limit_applies_to_pil_images_too():
    with pytest.raises(CourseError, match="megapixels"):
        load_image(Image.new("RGB", (300, 300)), max_pixels=10_000)


def test_unsupported_source_type():
    with pytest.raises(CourseError, match="Cannot read an image from a int"):
        load_image(42)


def test_modes_are_converted_to_rgb(tmp_path):
    path = tmp_path / "grey.png"
    Image.new("LA", (10, 10), (128, 255)).save(path)
    image = load_image(path)
    assert image.mode == "RGB" and image.getpixel((0, 0)) == (128, 128, 128)


def test_bytes_and_data_urls_round_trip():
    image = draw_shapes(4, "triangle", "green", seed=3)
    url = image_to_data_url(image)
    assert url.startswith("data:image/png;base64,")
    back = load_image(url)
    assert back.size == image.size and back.tobytes() == image.tobytes()
    assert load_image(base64.b64decode(url.split(",", 1)[1])).tobytes() == image.tobytes()


def test_bad_data_url():
    with pytest.raises(CourseError, match="data URL holds no base64 image"):
        load_image("data:image/png;base64,@@not-base64@@")


def test_data_url_is_shrunk_to_fit_and_refused_when_it_cannot():
    rng = random.Random(0)
    noise = Image.frombytes("RGB", (400, 400), bytes(rng.getrandbits(8) for _ in range(400 * 400 * 3)))
    url = image_to_data_url(noise, max_chars=60_000)
    assert len(url) <= 60_000
    assert load_image(url).size[0] < 400
    with pytest.raises(CourseError, match="does not fit in 100 characters"):
        image_to_data_url(noise, max_chars=100)


def test_vision_messages_use_the_openai_image_format():
    msgs = vision_messages("Which is taller?", [draw_shapes(1, "square", "red", seed=4)] * 2, system="Be brief.")
    assert msgs[0] == {"role": "system", "content": "Be brief."}
    parts = msgs[1]["content"]
    assert parts[0] == {"type": "text", "text": "Which is taller?"}
    assert [p["type"] for p in parts[1:]] == ["image_url", "image_url"]
    assert parts[1]["image_url"]["url"].startswith("data:image/png;base64,")


# --------------------------------------------------------------------------- placeholders


def test_numbered_placeholders_reorder_images():
    prompt, images = expand_numbered_placeholders("<|image_2|>\n<|image_1|>\nSame?", ["a", "b"], "<image>")
    assert prompt == "<image>\n<image>\nSame?"
    assert images == ["b", "a"]


@pytest.mark.parametrize(
    ("prompt", "n_images", "message"),
    [
        ("No picture here.", 1, "no <\\|image_N\\|> placeholder"),
        ("<|image_1|> <|image_3|>", 2, "refers to <\\|image_3\\|> but 2 image"),
        ("<|image_1|>", 2, "1 of the 2 images are never named"),
        ("<|image_0|>", 1, "refers to <\\|image_0\\|>"),
    ],
)
def test_placeholder_mistakes(prompt, n_images, message):
    with pytest.raises(CourseError, match=message) as err:
        expand_numbered_placeholders(prompt, ["x"] * n_images, "<image>")
    assert one_sentence(str(err.value))


# --------------------------------------------------------------------------- synthetic pictures


def test_samples_are_reproducible_and_cover_every_type():
    first, again = make_samples(18, seed=5), make_samples(18, seed=5)
    assert [s.kind for s in first] == list(QUESTION_TYPES) * 2
    assert [(s.question, s.answer) for s in first] == [(s.question, s.answer) for s in again]
    pairs = [(a, b) for s, t in zip(first, again, strict=True) for a, b in zip(s.images, t.images, strict=True)]
    assert all(a.tobytes() == b.tobytes() for a, b in pairs)
    assert [s.answer for s in make_samples(18, seed=6)] != [s.answer for s in first]


def _has_colour(image: Image.Image, colour: str, tolerance: int = 20) -> bool:
    target = COLOURS[colour]
    colours = image.getcolors(1 << 16)
    return any(all(abs(a - b) <= tolerance for a, b in zip(pixel, target, strict=True)) for _, pixel in colours)


def test_answers_match_what_is_drawn():
    rng = random.Random(7)
    for _ in range(20):
        sample = make_sample("colour", rng)
        assert _has_colour(sample.images[0], sample.answer)
        other = [c for c in COLOURS if c != sample.answer]
        assert not any(_has_colour(sample.images[0], c, tolerance=5) for c in other)
        compare = make_sample("compare_count", rng)
        counts = [compare.facts["image_1"]["count"], compare.facts["image_2"]["count"]]
        assert counts[0] != counts[1]
        assert compare.answer == f"image {1 + counts.index(max(counts))}"
        chart = make_sample("chart_tallest", rng)
        values = chart.facts["values"]
        assert chart.answer == chart.facts["colours"][values.index(max(values))]
        assert _has_colour(chart.images[0], chart.answer, tolerance=0)


def test_unknown_question_type():
    with pytest.raises(CourseError, match="Unknown question type 'poem'"):
        make_sample("poem", random.Random(0))


def test_shape_count_must_fit_the_grid():
    with pytest.raises(CourseError, match="count must be between 1 and 16") as err:
        draw_shapes(17, "circle", "red")
    assert one_sentence(str(err.value))


# --------------------------------------------------------------------------- the tiny VLM


def test_shipped_model_uses_the_standard_processor_pattern():
    model, processor = load_tiny_vlm()
    assert type(model).__name__ == "LlavaForConditionalGeneration"
    assert type(processor).__name__ == "LlavaProcessor"
    weights = sum(f.stat().st_size for f in TINY_VLM_DIR.glob("*.safetensors"))
    assert weights <= 20_000_000
    prompt = processor.apply_chat_template(user_turn("Which image has more shapes?", 2), add_generation_prompt=True)
    assert prompt.count(processor.image_token) == 2
    images = [draw_shapes(1, "circle", "red", seed=8), draw_shapes(4, "circle", "red", seed=9)]
    inputs = processor(images=images, text=prompt, return_tensors="pt")
    per_image = model.config.image_seq_length
    assert int((inputs["input_ids"] == model.config.image_token_id).sum()) == 2 * per_image
    assert tuple(inputs["pixel_values"].shape[:2]) == (2, 3)
    with pytest.raises(ValueError, match="same as the number of images"):
        processor(images=images[:1], text=prompt, return_tensors="pt")


def test_shipped_model_is_accurate_on_pictures_it_has_never_seen():
    model, processor = load_tiny_vlm()
    samples = make_samples(len(QUESTION_TYPES) * 16, seed=3_000_017)  # training used the streams 0 and 500
    scores = evaluate(model, processor, samples)
    assert scores["all"] >= 0.9, scores
    assert min(scores[kind] for kind in QUESTION_TYPES) >= 0.75, scores  # no question type left behind


def test_missing_model_folder_says_how_to_train(tmp_path):
    with pytest.raises(CourseError, match=r"train_tiny_vlm\.py"):
        load_tiny_vlm(tmp_path)


def test_training_script_runs_end_to_end(tmp_path):
    out = tmp_path / "vlm"
    script = REPO_ROOT / "scripts" / "train_tiny_vlm.py"
    cmd = [sys.executable, str(script), "--tiny", "--steps", "12", "--out", str(out)]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False, cwd=REPO_ROOT)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "held-out accuracy" in result.stdout
    info = json.loads((out / "training.json").read_text(encoding="utf-8"))
    assert info["steps"] == 12
    assert info["final_loss"] < info["first_loss"]
    model, processor = load_tiny_vlm(out)
    from helpers.vision import ask

    answer = ask(model, processor, [draw_shapes(2, "square", "blue", seed=10)], "How many shapes are there?")
    assert isinstance(answer, str)
