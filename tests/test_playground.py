"""The playground's handlers, called directly (no browser): send, stream, stop, readout, errors."""

import pytest

from helpers.errors import CourseError
from helpers.playground import Choice, Playground, available_choices
from helpers.runtimes import llamacpp_available


@pytest.fixture(scope="module")
def app():
    # one thread: quick, and immune to other programs holding the second core
    app = Playground(choices=[Choice("int4", "onnx-int4"), Choice("int8", "onnx-int8")], threads=1)
    yield app
    app.close()


def test_picker_offers_local_runtimes_and_only_available_providers():
    backends = [c.backend for c in available_choices()]
    assert backends[:2] == ["onnx-int4", "transformers-fp32"]
    assert ("llama.cpp" in backends) == llamacpp_available()
    try:
        from helpers.providers import available_providers
    except ImportError:
        assert all(c.kind == "local" for c in available_choices())
    else:
        names = {str(getattr(p, "name", p)) for p in available_providers()}
        assert {b.split(":", 1)[1] for b in backends if b.startswith("endpoint:")} == names


def test_ask_streams_a_greedy_answer_with_a_readout(app):
    text, stats = app.ask("What is the capital of Norway?", choice="onnx-int4", temperature=0.0, max_new_tokens=24)
    assert "Oslo" in text and "Oslo" in app.output.value
    assert app.settings().greedy and stats.new_tokens <= 24
    assert "first token" in app.readout.value and "tokens/s" in app.readout.value
    assert not app.send_button.disabled and app.stop_button.disabled  # idle again


def test_send_button_runs_in_the_background_and_stop_cuts_it_short(app):
    stops_after = 3
    app.listeners.append(lambda n: app.on_stop() if n == stops_after else None)
    try:
        app.prompt.value = "Write a long story about a dragon."
        app.max_new_tokens.value = 200
        app.send_button.click()  # what a click does: starts the answer in a thread
        app.wait(timeout=60)
    finally:
        app.listeners.clear()
    assert app.last["stopped"] and app.last["stats"].new_tokens == stops_after
    assert "(stopped)" in app.readout.value and "stopped by you" in app.status.value


def test_a_second_send_while_answering_is_refused(app):
    seen = []

    def press_send_again(n):
        if n == 1:
            app.on_send()
            seen.append(app.status.value)
            app.on_stop()

    app.listeners.append(press_send_again)
    try:
        app.ask("Count from one to twenty.", max_new_tokens=50)
    finally:
        app.listeners.clear()
    assert "Still answering" in seen[0]
    assert app.last["stopped"] and app.last["stats"].new_tokens == 1


def test_switching_models_frees_the_previous_one(app):
    app.ask("Say hi.", choice="onnx-int4", max_new_tokens=4)
    first = app._backend
    app.ask("Say hi.", choice="onnx-int8", max_new_tokens=4)
    assert not first.loaded and app._backend.name == "onnx-int8"
    assert app._backend.threads == 1 and app._backend.session_options["intra_op_num_threads"] == 1  # as asked


def test_errors_show_as_one_sentence_not_a_traceback(app):
    app.prompt.value = "   "
    app.on_send(wait=True)
    assert "prompt box is empty" in app.status.value and app.last["error"]
    with pytest.raises(CourseError, match="prompt box is empty"):
        app.ask("")
    with pytest.raises(CourseError, match="not in the picker"):
        app.ask("Hi", choice="gpt-17")
    with pytest.raises(CourseError, match="threads=0"):
        Playground(choices=[Choice("int4", "onnx-int4")], threads=0)


def test_sampling_draws_a_new_seed_per_request_unless_one_is_fixed(app):
    app.temperature.value = 1.0
    assert len({app.settings().seed for _ in range(3)}) > 1  # a fresh random seed each time
    app.seed = 5
    try:
        first = app.ask("Invent a name for a cat.", choice="onnx-int4", max_new_tokens=8)[0]
        assert app.ask("Invent a name for a cat.", max_new_tokens=8)[0] == first  # same seed, same sample
    finally:
        app.seed = None


def test_building_a_playground_again_closes_the_previous_one():
    """Running the playground's cell again leaves one set of widgets in the kernel, not two."""
    first = Playground(choices=[Choice("int4", "onnx-int4")], threads=1)
    second = Playground(choices=[Choice("int4", "onnx-int4")], threads=1)
    parts = [first.ui, first.send_button, first.temperature, first.temperature.layout, first.temperature.style]
    assert all(part.comm is None for part in parts), "the first playground's widgets are closed"
    assert second.ui.comm is not None and second.send_button.comm is not None
