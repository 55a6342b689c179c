"""An ipywidgets playground: pick a model, set the sampling knobs, watch the answer stream in.

All the logic lives in :class:`Playground`, so it runs (and is tested) without a browser: the
buttons call ``on_send`` and ``on_stop``, which code can call too, and :meth:`Playground.ask` runs
one request synchronously.

Example:
    >>> app = Playground()                          # doctest: +SKIP
    >>> app                                         # doctest: +SKIP  (in a notebook: shows the app)
    >>> text, stats = app.ask("Name three planets.", max_new_tokens=40)   # doctest: +SKIP

"""

from __future__ import annotations

import html
import random
import threading
import time
import weakref
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from helpers.errors import CourseError
from helpers.i18n import _
from helpers.prompts import Message, messages
from helpers.runtimes import Backend, GenerationSettings, llamacpp_available, make_backend, stream_until
from helpers.timing import GenerationStats, measure_stream

__all__ = ["DEFAULT_SYSTEM", "Choice", "Playground", "available_choices"]

DEFAULT_SYSTEM = "You are a helpful assistant. Answer briefly."
#: The playground built last in this kernel (a new one closes it: one model and one UI at a time).
_LATEST: weakref.ref[Playground] | None = None


@dataclass(frozen=True)
class Choice:
    """One entry of the model picker: what the learner sees, and the backend it runs.

    Introduced in notebook 11.
    """

    label: str
    backend: str
    kind: str = "local"


def available_choices(verbose: bool = False) -> list[Choice]:
    """List what the picker offers: the local runtimes (always), llama.cpp where installed, and usable providers.

    Introduced in notebook 11.

    Providers come from :func:`helpers.providers.available_providers`: a provider appears only when
    its server answers or its key is set, so nothing in the list is a dead end.

    Example:
        >>> [c.backend for c in available_choices()][:2]
        ['onnx-int4', 'transformers-fp32']

    """
    # TRANSLATORS: a choice in the model picker: "SmolLM2-135M - llama.cpp Q4_1 (local)"; also "{service} ({model})
    # - cloud" and "- endpoint" below (a service such as NVIDIA NIM and its model id).
    local = _("{model} - {runtime} (local)")
    choices = [
        Choice(local.format(model="SmolLM2-135M", runtime="ONNX Runtime GenAI int4"), "onnx-int4"),
        Choice(local.format(model="SmolLM2-135M", runtime="Transformers fp32"), "transformers-fp32"),
    ]
    if llamacpp_available():
        choices.append(Choice(local.format(model="SmolLM2-135M", runtime="llama.cpp Q4_1"), "llama.cpp"))
    from helpers.providers import PROVIDERS, available_providers

    for name in available_providers():
        spec = PROVIDERS.get(name)
        kind = "cloud" if spec is not None and spec.kind == "cloud" else "endpoint"
        label = _("{service} ({model}) - cloud") if kind == "cloud" else _("{service} ({model}) - endpoint")
        title = _(spec.title) if spec is not None else name
        label = label.format(service=title[:1].upper() + title[1:], model=spec.model()) if spec is not None else name
        choices.append(Choice(label, f"endpoint:{name}", kind))
    if verbose:
        backends = ", ".join(c.backend for c in choices)
        print(_("Picker: {count} choices ({backends}).").format(count=len(choices), backends=backends))
    return choices


def _close_tree(widget: Any) -> None:
    """Close a widget, its children, and their layouts and styles (each is a widget with a comm of its own)."""
    for child in getattr(widget, "children", ()):
        _close_tree(child)
    for part in (getattr(widget, "layout", None), getattr(widget, "style", None)):
        if hasattr(part, "close"):
            part.close()
    widget.close()


def _replace_latest(playground: Playground) -> None:
    """Close the playground built before this one (a cell run again): its answer, its model and its widgets."""
    global _LATEST
    previous = _LATEST() if _LATEST is not None else None
    if previous is not None and previous is not playground:
        previous.close(widgets=True)
    _LATEST = weakref.ref(playground)


class Playground:
    """The playground app. Display it in a notebook; drive it from code with :meth:`ask`.

    Introduced in notebook 11.

    Args:
        choices: What the picker offers (default: :func:`available_choices`).
        system: The initial system prompt.
        temperature: Initial temperature (0 means greedy).
        top_p: Initial nucleus-sampling threshold.
        max_new_tokens: Initial answer budget.
        threads: Threads for the local runtimes (``None``: each runtime's default, about one per core). On a
            machine where other programs keep the cores busy, ``1`` is often faster: see notebook 10.
        backend_factory: Turns a :class:`Choice`'s backend name into a :class:`helpers.runtimes.Backend`
            (default: :func:`helpers.runtimes.make_backend` with ``threads``).
        seed: Sampling seed; ``None`` draws a new one for every request, so Send twice gives two samples.

    Attributes:
        answer: The answer so far (also shown in the app).
        last: What the last request gave: ``text``, ``stats``, ``stopped``, ``error``.
        listeners: Called with the token count after every streamed token (e.g. to log progress).

    """

    def __init__(
        self,
        choices: Sequence[Choice] | None = None,
        system: str = DEFAULT_SYSTEM,
        temperature: float = 0.7,
        top_p: float = 0.9,
        max_new_tokens: int = 128,
        threads: int | None = None,
        backend_factory: Callable[[str], Backend] | None = None,
        seed: int | None = None,
    ) -> None:
        self.choices = list(choices) if choices is not None else available_choices()
        if not self.choices:
            raise CourseError(_("The playground has nothing to offer: pass at least one Choice."))
        if threads is not None and threads < 1:
            raise CourseError(_("threads={threads}: use 1 or more, or None for each runtime's default.").format(
                threads=threads))
        self.threads = threads
        self.backend_factory = backend_factory or self._make_backend
        self.seed = seed
        self.answer = ""
        self.last: dict[str, Any] = {}
        self.listeners: list[Callable[[int], None]] = []
        self._backend: Backend | None = None
        self._backend_key = ""
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._build_widgets(system, temperature, top_p, max_new_tokens)

    def _build_widgets(self, system: str, temperature: float, top_p: float, max_new_tokens: int) -> None:
        """Make the picker, text boxes, sliders, buttons and output area, laid out to wrap in a narrow cell."""
        import ipywidgets as w

        # "auto", not "100%": a widget's margin comes on top of a 100 % width, so it would stick out of the cell.
        # Each widget gets a Layout of its own (a shared one would make them all change together).
        def wide(height: str | None = None) -> Any:
            return w.Layout(width="auto", height=height)

        def knob(widget: Any) -> Any:  # sliders share a row, and wrap onto the next one in a narrow cell
            widget.layout = w.Layout(flex="1 1 250px", min_width="250px", max_width="360px")
            widget.style.description_width = "90px"
            return widget

        self.picker = w.Dropdown(options=[(c.label, c.backend) for c in self.choices], description=_("Model"),
                                 layout=wide())
        self.system = w.Textarea(value=system, description=_("System"), layout=wide("3.5em"))
        self.prompt = w.Textarea(value="", placeholder=_("Ask something, then press Send"),
                                 description=_("Prompt"), layout=wide("4.5em"))
        self.temperature = knob(w.FloatSlider(value=temperature, min=0.0, max=2.0, step=0.05, description="temperature",
                                              readout_format=".2f"))
        self.top_p = knob(w.FloatSlider(value=top_p, min=0.05, max=1.0, step=0.05, description="top-p",
                                        readout_format=".2f"))
        self.max_new_tokens = knob(w.IntSlider(value=max_new_tokens, min=1, max=1024, description=_("max tokens")))
        self.send_button = w.Button(description=_("Send"), button_style="primary", icon="paper-plane",
                                    layout=w.Layout(width="110px"))
        self.stop_button = w.Button(description=_("Stop"), button_style="warning", icon="stop", disabled=True,
                                    layout=w.Layout(width="110px"))
        self.output = w.HTML(value=self._render(""), layout=wide())
        self.readout = w.HTML(value="", layout=w.Layout(flex="1 1 300px", min_width="0"))
        self.status = w.HTML(value="", layout=wide())
        self.send_button.on_click(self.on_send)
        self.stop_button.on_click(self.on_stop)

        def row(*children: Any) -> Any:  # a row that wraps in a narrow cell instead of sticking out
            return w.HBox(list(children), layout=w.Layout(flex_flow="row wrap", width="auto", align_items="center"))

        self.ui = w.VBox(
            [
                self.picker,
                self.system,
                self.prompt,
                row(self.temperature, self.top_p, self.max_new_tokens),
                row(self.send_button, self.stop_button, self.readout),
                self.output,
                self.status,
            ],
            layout=w.Layout(width="auto", max_width="1000px"),
        )
        _replace_latest(self)

    def _make_backend(self, name: str) -> Backend:
        return make_backend(name, threads=self.threads)

    # ------------------------------------------------------------------ display

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.ui._repr_mimebundle_(**kwargs)

    @staticmethod
    def _render(text: str) -> str:
        body = html.escape(text) or "<i style='color:#888'>The answer appears here, token by token.</i>"
        return (
            "<div style='white-space:pre-wrap;border:1px solid #ccc;border-radius:4px;padding:8px;min-height:4em;"
            f"font-family:var(--jp-content-font-family, sans-serif)'>{body}</div>"
        )

    def _say(self, message: str, warn: bool = False) -> None:
        color = "#b00020" if warn else "#555"
        self.status.value = f"<span style='color:{color}'>{html.escape(message)}</span>"

    # ------------------------------------------------------------------ what the widgets hold

    def settings(self) -> GenerationSettings:
        """Turn the sliders into decoding settings (temperature 0 means greedy)."""
        return GenerationSettings(
            max_new_tokens=int(self.max_new_tokens.value),
            temperature=float(self.temperature.value),
            top_p=float(self.top_p.value),
            seed=self.seed if self.seed is not None else random.randrange(2**31),
        )

    def messages(self) -> list[Message]:
        """Build the conversation from the system and prompt boxes."""
        question = self.prompt.value.strip()
        if not question:
            raise CourseError(_("The prompt box is empty: type a question, then press Send."))
        return messages(question, system=self.system.value.strip() or None)

    @property
    def busy(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def backend(self) -> Backend:
        """Return the picked backend, loaded (switching models frees the previous one)."""
        key = str(self.picker.value)
        if self._backend is None or key != self._backend_key:
            if self._backend is not None:
                self._backend.close()
                self._backend = None
            label = next((c.label for c in self.choices if c.backend == key), key)
            self._say(_("Loading {label}...").format(label=label))
            backend = self.backend_factory(key)
            backend.load()
            self._backend, self._backend_key = backend, key
        return self._backend

    # ------------------------------------------------------------------ handlers

    def on_send(self, _button: Any = None, wait: bool = False) -> None:
        """Send the prompt (the Send button calls this). Generation runs in a thread unless ``wait``."""
        with self._lock:
            if self.busy:
                self._say(_("Still answering: press Stop first."), warn=True)
                return
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, daemon=True)
            self.send_button.disabled, self.stop_button.disabled = True, False
            self._thread.start()
        if wait:
            self.wait()

    def on_stop(self, _button: Any = None) -> None:
        """Stop the answer after the current token (the Stop button calls this)."""
        self._stop.set()

    def wait(self, timeout: float | None = None) -> None:
        """Block until the current request has finished."""
        if self._thread is not None:
            self._thread.join(timeout)

    def _stream(self, backend: Backend, msgs: list[Message], settings: GenerationSettings) -> Iterator[str]:
        """Stream the backend's tokens, cut short when Stop is pressed."""
        return stream_until(backend.stream(msgs, settings), self._stop.is_set)

    def _run(self) -> None:
        self.answer = ""
        self.output.value = self._render("")
        self.readout.value = ""
        self.last = {"text": "", "stats": None, "stopped": False, "error": None}
        count = 0
        first: list[float] = []
        started = time.perf_counter()

        def on_token(piece: str) -> None:
            nonlocal count
            count += 1
            if not first:
                first.append(time.perf_counter() - started)
            self.answer += piece
            self.output.value = self._render(self.answer)
            so_far = _("first token {seconds:.2f} s | {count} tokens so far")
            self.readout.value = so_far.format(seconds=first[0], count=count)
            for listener in self.listeners:
                listener(count)

        try:
            msgs, settings = self.messages(), self.settings()
            backend = self.backend()
            self._say(_("Answering with {backend}...").format(backend=backend.name))
            started = time.perf_counter()
            text, stats = measure_stream(self._stream(backend, msgs, settings), on_token=on_token)
            stopped = self._stop.is_set()
            self.last.update(text=text.strip(), stats=stats, stopped=stopped)
            self.readout.value = self.describe(stats, stopped)
            done = _("{backend}: stopped by you.") if stopped else _("{backend}: done.")
            self._say(done.format(backend=backend.name))
        except CourseError as exc:
            self.last["error"] = str(exc)
            self._say(f"\u26a0\ufe0f {exc}", warn=True)
        except Exception as exc:  # an SDK error: one line, never a stack trace in the app
            first_line = str(exc).splitlines()[0] if str(exc) else _("no details")
            self.last["error"] = f"{exc.__class__.__name__}: {first_line}"
            self._say(f"\u26a0\ufe0f {self.last['error']}", warn=True)
        finally:
            self.send_button.disabled, self.stop_button.disabled = False, True

    @staticmethod
    def describe(stats: GenerationStats, stopped: bool = False) -> str:
        """Format the readout line: time to first token, decode speed, tokens, total time."""
        speed = _("{speed:.1f} tokens/s") if stats.new_tokens >= 2 else "- tokens/s"
        speed = speed.format(speed=stats.decode_tokens_per_s)
        # TRANSLATORS: the playground's readout (HTML: keep the <b> tags); {speed} is "12.3 tokens/s".
        line = _("<b>first token {ttft:.2f} s</b> | <b>{speed}</b> | {tokens} tokens | total {total:.2f} s (stopped)")
        if not stopped:
            line = _("<b>first token {ttft:.2f} s</b> | <b>{speed}</b> | {tokens} tokens | total {total:.2f} s")
        return line.format(ttft=stats.ttft_s, speed=speed, tokens=stats.new_tokens, total=stats.total_s)

    # ------------------------------------------------------------------ from code

    def ask(
        self,
        question: str,
        choice: str | None = None,
        system: str | None = None,
        temperature: float | None = None,
        top_p: float | None = None,
        max_new_tokens: int | None = None,
    ) -> tuple[str, GenerationStats]:
        """Fill in the widgets, press Send and wait: the same path as a click, run synchronously.

        Returns:
            The answer and its :class:`helpers.timing.GenerationStats`.

        Raises:
            CourseError: With the sentence the app showed, when the request failed.

        """
        if choice is not None:
            backends = [c.backend for c in self.choices]
            if choice not in backends:
                raise CourseError(_("{choice!r} is not in the picker here: use one of {choices}.").format(
                    choice=choice, choices=", ".join(backends)))
            self.picker.value = choice
        self.prompt.value = question
        if system is not None:
            self.system.value = system
        if temperature is not None:
            self.temperature.value = temperature
        if top_p is not None:
            self.top_p.value = top_p
        if max_new_tokens is not None:
            self.max_new_tokens.value = max_new_tokens
        self.on_send(wait=True)
        if self.last.get("error"):
            raise CourseError(self.last["error"])
        return self.last["text"], self.last["stats"]

    def close(self, widgets: bool = False) -> None:
        """Stop any answer and free the loaded model; ``widgets=True`` also closes the widgets (the UI goes).

        A new ``Playground`` does this to the previous one, so running its cell again (or Run All twice)
        leaves one playground, one model and one set of widgets in the kernel.
        """
        self.on_stop()
        self.wait()
        if self._backend is not None:
            self._backend.close()
        self._backend = None
        if widgets and getattr(self, "ui", None) is not None:
            _close_tree(self.ui)
