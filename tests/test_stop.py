"""Stop stops: closing a stream early ends decoding within a token or two, for every local runtime.

The playground's Stop button and the benchmark's time limit close the runtime's stream. The Transformers and
ONNX Runtime GenAI tests count the runtime's own decoding steps (a forward pass, ``generate_next_token``) while the
stream is read, closed, and then left alone: no step may run after ``close()`` returns, and no thread may be left
behind. llama.cpp decodes inside its own native threads, where no step can be counted from Python, so its test
measures this process's CPU time once the stream is closed: a decoder still running would use it.
"""

from __future__ import annotations

import threading
import time

import pytest

from helpers.prompts import messages
from helpers.runtimes import GenerationSettings, OnnxChat, TransformersChat, make_backend

LONG = messages("Write a long story about a dragon who collects lighthouses.")
SETTINGS = GenerationSettings(max_new_tokens=200)
READ_BEFORE_STOP = 5


def stop_after_a_few_tokens(stream, steps: list) -> dict:
    """Read a few pieces, close the stream, wait; return the decoding steps counted at each moment."""
    threads_before = threading.active_count()
    for _ in range(READ_BEFORE_STOP):
        next(stream)
    at_stop = len(steps)
    started = time.perf_counter()
    stream.close()
    close_s = time.perf_counter() - started
    after_close = len(steps)
    time.sleep(1.0)  # room for several more tokens, had decoding gone on
    figures = {"steps before Stop": at_stop, "steps after Stop": after_close - at_stop,
               "steps once closed": len(steps) - after_close, "close took s": round(close_s, 3),
               "threads left": threading.active_count() - threads_before}
    print(figures)
    return figures


def check(figures: dict) -> None:
    assert figures["steps once closed"] == 0, "nothing decodes after close() returns"
    assert figures["steps after Stop"] <= 2, "decoding ends within a token or two of Stop"
    assert figures["threads left"] == 0, "no generation thread outlives the stream"
    assert figures["steps before Stop"] < SETTINGS.max_new_tokens


def test_transformers_stops_generating_when_the_stream_is_closed():
    chat = TransformersChat.load(device="cpu", verbose=False)
    steps: list[int] = []
    hook = chat.model.register_forward_hook(lambda *_: steps.append(1))
    try:
        check(stop_after_a_few_tokens(chat.stream(LONG, SETTINGS), steps))
    finally:
        hook.remove()


def test_onnx_runtime_genai_stops_between_tokens(monkeypatch):
    import onnxruntime_genai as og

    steps: list[int] = []
    real = og.Generator

    class CountingGenerator:
        def __init__(self, *args):
            self._generator = real(*args)

        def generate_next_token(self):
            steps.append(1)
            return self._generator.generate_next_token()

        def __getattr__(self, name):
            return getattr(self._generator, name)

    monkeypatch.setattr(og, "Generator", CountingGenerator)
    chat = OnnxChat.load(verbose=False)
    check(stop_after_a_few_tokens(chat.stream(LONG, SETTINGS), steps))


def test_llamacpp_stops_when_the_stream_is_closed():
    from helpers.runtimes.llamacpp import llamacpp_available

    if not llamacpp_available():  # the only reason to skip: the binding the backend imports is not installed
        pytest.skip("the llama.cpp Python binding is not installed (course.py setup installs it)")
    import psutil

    me = psutil.Process()
    backend = make_backend("llamacpp", threads=1).load()
    try:
        stream = iter(backend.stream(LONG, SETTINGS))
        pieces = [next(stream) for _ in range(READ_BEFORE_STOP)]
        stream.close()
        time.sleep(0.2)  # the request's last token, if one was under way
        cpu_before = sum(me.cpu_times()[:2])
        time.sleep(1.5)  # a decoder still running would use most of a core here
        idle_cpu_s = sum(me.cpu_times()[:2]) - cpu_before
        after = backend.chat(messages("Say hi."), GenerationSettings(max_new_tokens=4))
    finally:
        backend.close()
    print({"pieces before Stop": len(pieces), "CPU s once closed": round(idle_cpu_s, 3), "next answer": after})
    assert idle_cpu_s < 0.15, f"llama.cpp used {idle_cpu_s:.2f} s of CPU after the stream was closed"
    assert after, "the backend answers the next request after a Stop"
