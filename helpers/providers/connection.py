"""One client for every provider (the OpenAI SDK): :func:`connect` and the :class:`Connection` it returns."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from helpers.env import Secret, get_env, get_secret
from helpers.errors import CourseError
from helpers.i18n import _
from helpers.providers.errors import _checked_stream, _Context, _not_json_message, explain_error
from helpers.providers.specs import (
    CLOUD_TIMEOUT_S,
    DEFAULT_MAX_TOKENS,
    LOCAL_TIMEOUT_S,
    MAX_RETRIES,
    PROVIDERS,
    ProviderSpec,
    _base_url,
    _choose,
)

__all__ = ["Connection", "connect"]


@lru_cache(maxsize=1)
def _client_class() -> type:
    """``openai.OpenAI`` whose errors arrive as one-sentence :class:`CourseError` (built on first use)."""
    import openai

    class CourseOpenAI(openai.OpenAI):
        """The OpenAI client, unchanged, except that API errors are explained in one sentence."""

        _slm_context: _Context | None = None

        def request(self, *args: Any, **kwargs: Any) -> Any:
            ctx = self._slm_context
            if ctx is None:
                return super().request(*args, **kwargs)
            try:
                result = super().request(*args, **kwargs)
            except openai.APIError as exc:
                raise explain_error(exc, ctx) from None
            except json.JSONDecodeError as exc:  # labelled JSON, but not JSON
                raise CourseError(ctx.scrub(_not_json_message(ctx, exc.doc))) from None
            cast_to = args[0] if args else kwargs.get("cast_to")
            if isinstance(result, str) and cast_to is not str:  # the SDK hands back a non-JSON body as text
                raise CourseError(ctx.scrub(_not_json_message(ctx, result)))
            if isinstance(result, openai.Stream) and hasattr(result, "_iterator"):
                content_type = result.response.headers.get("content-type", "")
                result._iterator = _checked_stream(result._iterator, ctx, content_type)
            return result

        def copy(self, *args: Any, **kwargs: Any) -> Any:
            new = super().copy(*args, **kwargs)
            new._slm_context = self._slm_context
            return new

        with_options = copy

    return CourseOpenAI


def _messages(messages: str | Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    if isinstance(messages, str):
        return [{"role": "user", "content": messages}]
    return list(messages)


@dataclass
class Connection:
    """A ready client for one provider: ``client`` (an ``openai.OpenAI``), ``model``, ``name`` and why it was chosen.

    Introduced in notebook 06.
    """

    name: str
    model: str
    client: Any = field(repr=False)
    base_url: str
    reason: str
    key: Secret | None = None
    _ctx: _Context | None = field(default=None, repr=False)
    server: Any = field(default=None, repr=False)

    @property
    def title(self) -> str:
        return _(PROVIDERS[self.name].title) if self.name in PROVIDERS else self.name

    def __str__(self) -> str:
        # TRANSLATORS: the provider line a notebook prints, e.g. "nim · microsoft/phi-4-mini-instruct at
        # https://integrate.api.nvidia.com/v1 (NVIDIA_API_KEY is set)"; {reason} says why this provider was chosen.
        return _("{name} · {model} at {base_url} ({reason})").format(
            name=self.name, model=self.model, base_url=self.base_url, reason=self.reason
        )

    def explain(self, exc: BaseException) -> CourseError:
        """The one-sentence :class:`CourseError` for an SDK error met while calling this connection.

        For code that uses an SDK directly (the upstream lesson's ``azure-ai-inference`` client, say):
        ``except AzureError as err: print(conn.explain(err))``.
        """
        if self._ctx is None:
            return CourseError(_("{title} failed with {kind}.").format(title=self.title, kind=type(exc).__name__))
        return explain_error(exc, self._ctx)

    def check(self, timeout_s: float = 15.0) -> CourseError | None:
        """Ask ``GET /models`` once (no retries); return why the endpoint cannot be used now, or ``None``.

        A refused connection, a timeout, a rejected key or a sign-in page each come back as the sentence
        a chat call would raise. An endpoint without ``/models`` (404, 405 or 501) is taken as usable.
        """
        timeout = min(timeout_s, self._ctx.timeout_s) if self._ctx else timeout_s
        try:
            raw = self.client.with_options(max_retries=0, timeout=timeout).models.with_raw_response.list()
        except CourseError as err:
            return None if getattr(err, "status", None) in (404, 405, 501) else err
        content_type = raw.headers.get("content-type", "")
        if "json" not in content_type and self._ctx is not None:  # a sign-in page or a proxy's own answer
            return CourseError(self._ctx.scrub(_not_json_message(self._ctx, raw.text, content_type)))
        return None

    def _kwargs(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        kwargs.setdefault("model", self.model)
        kwargs.setdefault("max_tokens", DEFAULT_MAX_TOKENS)
        return kwargs

    def complete(self, messages: str | Sequence[dict[str, Any]], **kwargs: Any) -> Any:
        """One chat completion, the SDK's full response object (``.choices``, ``.usage``...)."""
        return self.client.chat.completions.create(messages=_messages(messages), **self._kwargs(kwargs))

    def chat(self, messages: str | Sequence[dict[str, Any]], **kwargs: Any) -> str:
        """Send a conversation (or one user message) and return the answer's text.

        Keyword arguments go to ``chat.completions.create`` (``max_tokens``, ``temperature``...).
        """
        response = self.complete(messages, **kwargs)
        return (response.choices[0].message.content or "").strip() if response.choices else ""

    def stream(self, messages: str | Sequence[dict[str, Any]], **kwargs: Any) -> Iterator[str]:
        """Yield the answer piece by piece as the server streams it (one piece per chunk with text)."""
        chunks = self.client.chat.completions.create(messages=_messages(messages), stream=True, **self._kwargs(kwargs))
        try:
            for chunk in chunks:  # a stream broken half-way raises one CourseError (see _checked_stream)
                if chunk.choices and chunk.choices[0].delta and chunk.choices[0].delta.content:
                    yield chunk.choices[0].delta.content
        finally:
            chunks.close()


def _limits(spec: ProviderSpec, timeout_s: float | None, max_retries: int | None) -> tuple[float, int]:
    default = LOCAL_TIMEOUT_S if spec.kind in ("local", "ollama") else CLOUD_TIMEOUT_S
    timeout = timeout_s if timeout_s is not None else float(get_env("SLM_LAB_TIMEOUT_S") or default)
    retries = max_retries if max_retries is not None else int(get_env("SLM_LAB_MAX_RETRIES") or MAX_RETRIES)
    return timeout, retries


def connect(
    name: str | None = None,
    model: str | None = None,
    *,
    verbose: bool = True,
    timeout_s: float | None = None,
    max_retries: int | None = None,
    fallback: str | None = None,
) -> Connection:
    """Return a ready OpenAI client and model id for a provider, and print one line saying which and why.

    Introduced in notebook 05.

    Args:
        name: ``"local"``, ``"foundry"``, ``"nim"``, ``"github"`` or ``"ollama"``; ``None`` reads
            ``SLM_LAB_PROVIDER``, else takes the first cloud provider with a key, else ``"local"``.
        model: Model id (deployment name on Foundry); ``None`` reads the provider's model variable.
        verbose: Print the one line.
        timeout_s: Seconds per request (default 60 for clouds, 300 for local servers; ``SLM_LAB_TIMEOUT_S``).
        max_retries: Retries for 429/5xx/timeouts (default 3; ``SLM_LAB_MAX_RETRIES``).
        fallback: A provider (``"local"``) to use instead when the chosen one is a cloud or Ollama endpoint
            that cannot be used now (:meth:`Connection.check`: unreachable, key rejected, a sign-in page);
            the reason and the switch are printed. ``None``: no check, no fallback.

    Raises:
        CourseError: Unknown provider, or a missing key or endpoint (the sentence names the variable).

    """
    key_name, reason = _choose(name)
    spec = PROVIDERS[key_name]
    model_id = model or spec.model()
    timeout, retries = _limits(spec, timeout_s, max_retries)
    key: Secret | None = None
    server = None
    if spec.kind == "cloud":
        assert spec.key_var is not None
        key = get_secret(spec.key_var, _(spec.key_help))
        if spec.name == "foundry" and not spec.url():
            get_secret(spec.url_var, _("your Azure AI Foundry endpoint, e.g. https://<resource>.openai.azure.com"))
        base_url = _base_url(spec)
    elif spec.kind == "ollama":
        base_url = _base_url(spec)
    else:
        base_url = spec.url()
        if spec.key_var and get_env(spec.key_var):
            key = get_secret(spec.key_var, _(spec.key_help))
        if base_url is None:
            from helpers.local_server import default_server

            server = default_server(start=False)
            base_url = server.base_url
            model_id = model or server.model
    assert base_url is not None
    ctx = _Context(spec.name, _(spec.title), base_url, model_id, spec.url_var, spec.model_var, spec.key_var,
                   timeout, retries, key)
    import openai

    client = _client_class()(
        base_url=base_url,
        api_key=key.reveal() if key else "not-needed",
        timeout=openai.Timeout(timeout, connect=min(10.0, timeout)),
        max_retries=retries,
    )
    client._slm_context = ctx
    conn = Connection(spec.name, model_id, client, base_url, reason, key, ctx, server)
    if fallback and fallback != spec.name and spec.kind != "local" and (problem := conn.check()) is not None:
        # said, never silent: the reason, then the provider used instead
        # TRANSLATORS: {problem} is a whole sentence explaining why; {name} and {fallback} are provider names.
        print(
            _("Provider {name} cannot be used now: {problem} Using {fallback} instead.").format(
                name=spec.name, problem=problem, fallback=fallback
            ),
            flush=True,
        )
        return connect(fallback, verbose=verbose, timeout_s=timeout_s, max_retries=max_retries)
    starting = server is not None and not (server.alive and server.ready)
    if verbose:  # one line; a server being started completes it when it answers
        line = _("Provider: {connection}").format(connection=conn)
        print(line, end=" | " + _("starting the server (about 20 s)...") if starting else "\n", flush=True)
    if starting:
        started = time.perf_counter()
        try:
            server.start()
        finally:
            if verbose:
                seconds = time.perf_counter() - started
                print(" " + _("ready in {seconds:.0f} s").format(seconds=seconds) if server.ready else "", flush=True)
    return conn
