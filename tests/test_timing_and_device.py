import time

import pytest

from helpers import Timer, measure_stream, pick_device
from helpers.timing import PeakMemory


def slow_tokens(n, first_delay, step):
    time.sleep(first_delay)
    yield "a"
    for _ in range(n - 1):
        time.sleep(step)
        yield "b"


def test_measure_stream_separates_first_token_from_decode_speed():
    text, stats = measure_stream(slow_tokens(6, first_delay=0.2, step=0.02))
    assert text == "abbbbb"
    assert stats.new_tokens == 6
    assert stats.ttft_s >= 0.2
    # 5 tokens after the first, each ~20 ms apart: about 50 tokens/s, never the 6/total figure.
    assert 20 < stats.decode_tokens_per_s < 55
    assert stats.total_s >= stats.ttft_s
    assert len(stats.token_times_s) == 6 and "token_times_s" not in stats.as_dict()


def test_measure_stream_of_nothing():
    text, stats = measure_stream(iter([]))
    assert (text, stats.new_tokens, stats.decode_tokens_per_s) == ("", 0, 0.0)


def test_on_token_sees_every_piece_in_order():
    seen = []
    measure_stream(iter(["x", "y", "z"]), on_token=seen.append)
    assert seen == ["x", "y", "z"]


def test_peak_memory_sees_a_large_allocation():
    with PeakMemory() as baseline:
        time.sleep(0.02)
    with PeakMemory() as mem:
        block = bytearray(200 * 2**20)
        block[::4096] = b"x" * len(block[::4096])  # touch every page so it is resident
        time.sleep(0.05)
    assert mem.peak_mb - baseline.peak_mb > 150


def test_timer_requires_start():
    with pytest.raises(RuntimeError):
        Timer().stop()


def test_device_choice_falls_back_visibly():
    import torch

    assert pick_device("cpu").name == "cpu"
    if not torch.cuda.is_available():
        choice = pick_device("cuda")
        assert choice.name == "cpu" and "falling back" in choice.reason
    assert pick_device().name in {"cuda", "mps", "cpu"}
