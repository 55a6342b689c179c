"""Failures as one sentence: HTTP statuses, timeouts, broken or non-JSON answers, with any key scrubbed out."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from helpers.env import Secret
from helpers.errors import CourseError
from helpers.providers.specs import GITHUB_RETIRED

__all__ = ["explain_error"]


@dataclass(frozen=True)
class _Context:
    """What an error message needs to name: the service, the variables to check, the limits in force."""

    name: str
    title: str
    base_url: str
    model: str
    url_var: str
    model_var: str
    key_var: str | None
    timeout_s: float
    max_retries: int
    key: Secret | None = field(default=None, repr=False)

    def scrub(self, text: str) -> str:
        if self.key is not None and self.key.reveal():
            text = text.replace(self.key.reveal(), "***")
        return text


def _detail(body: Any, text: str = "", ctx: _Context | None = None) -> str:
    """The server's own short explanation from an error body, if it gave one (the key scrubbed before cutting)."""
    message: Any = None
    if isinstance(body, dict):
        error = body.get("error", body)
        message = error.get("message") or error.get("detail") if isinstance(error, dict) else error
        message = message or body.get("detail")
    message = message or text
    message = " ".join(str(message or "").split()).replace(". ", "; ")  # keep the sentence one sentence
    if ctx is not None:  # before cutting: a cut could leave part of the key
        message = ctx.scrub(message)
    return message[:160].rstrip(".")


def _tries(ctx: _Context) -> str:
    """``"up to 4 times"``: the first request plus the retries the SDK may make."""
    return "once" if ctx.max_retries == 0 else f"up to {ctx.max_retries + 1} times"


def _positive(value: str | None) -> bool:
    try:
        return float(value or 0) > 0
    except ValueError:
        return False


def _status_message(ctx: _Context, status: int, detail: str, retry_after: str | None) -> str:
    where = f"{ctx.title} ({ctx.base_url})"
    said = f" ({detail})" if detail else ""
    if status == 401:
        if ctx.key_var:
            return (f"{where} rejected the key in {ctx.key_var} with 401 Unauthorized: check that the value in .env "
                    "is complete and not expired, then rerun.")
        return f"{where} answered 401 Unauthorized: it needs a key, so set one and rerun."
    if status == 403:
        return (f"{where} answered 403 Forbidden for model {ctx.model!r}{said}: your key works but may not use this "
                f"model, so check its permissions or choose another model with {ctx.model_var}.")
    if status == 404 and ctx.name == "ollama":
        return (f"{where} has no model {ctx.model!r}{said}: run `ollama pull {ctx.model}`, or set {ctx.model_var} "
                "to a model `ollama list` shows.")
    if status == 404 or (status == 400 and ctx.model in detail):
        reason = "Not Found" if status == 404 else "Bad Request"
        return (f"{where} answered {status} {reason} for model {ctx.model!r}{said}: set {ctx.model_var} to a model id "
                f"(or deployment name) this endpoint serves, or check {ctx.url_var}.")
    if status == 410:
        if ctx.name == "github" or "github_models" in detail.lower():
            return (f"{GITHUB_RETIRED} and its endpoint now answers 410 Gone: use the same code with the foundry "
                    "provider (Azure AI Foundry) or nim, or the local endpoint (connect('local')).")
        return (f"{where} answered 410 Gone{said}: this endpoint has been retired, so point {ctx.url_var} at its "
                "successor or use another provider.")
    if status == 429:
        wait = f"wait {retry_after} s" if _positive(retry_after) else "wait a minute"
        return (f"{where} is still rate-limiting (429 Too Many Requests, tried {_tries(ctx)}): "
                f"{wait} and rerun, or send fewer requests.")
    if status >= 500:
        return (f"{where} answered {status}{said}, tried {_tries(ctx)}: the service is having trouble, "
                "so try again later or use another provider.")
    return f"{where} rejected the request with HTTP {status}{said}: check the arguments of this call."


def _requested_model(exc: BaseException) -> str | None:
    """The ``model`` the failed request named (a call may override the connection's model)."""
    request = getattr(exc, "request", None) or getattr(getattr(exc, "response", None), "request", None)
    for attr in ("content", "body", "data"):
        try:
            raw = getattr(request, attr, None)
        except Exception:  # some request types raise until their body is read
            continue
        if isinstance(raw, bytes | str) and raw:
            try:
                model = json.loads(raw).get("model")
            except (ValueError, AttributeError):
                return None
            return model if isinstance(model, str) else None
    return None


#: Exceptions (by class name, anywhere in the chain) of a server that accepted the request, then broke off.
_BROKEN = ("RemoteProtocolError", "ReadError", "IncompleteRead", "ServiceResponseError", "RemoteDisconnected",
           "ChunkedEncodingError", "ProtocolError")


def _broke_mid_response(exc: BaseException) -> bool:
    """True when the connection was made but closed before a complete answer (not refused, not a timeout)."""
    seen: BaseException | None = exc
    for _ in range(8):
        if seen is None:
            return False
        if any(name in type(seen).__name__ for name in _BROKEN):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _response_text(response: Any) -> str:
    try:
        text = response.text() if callable(response.text) else response.text
    except Exception:  # a response that cannot be read says nothing more
        return ""
    return text if isinstance(text, str) else ""


def _page_kind(text: str, content_type: str = "", ctx: _Context | None = None) -> str:
    """``"an HTML page titled 'Hotel Wi-Fi'"``, ``"a text/plain answer"``: what came back instead of JSON."""
    import re

    text = ctx.scrub(text) if ctx is not None else text  # before cutting: a cut could leave part of the key

    content_type = content_type.split(";")[0].strip()
    if "html" in content_type or re.search(r"<!doctype html|<html", text[:2000], re.IGNORECASE):
        title = re.search(r"<title[^>]*>(.*?)</title>", text[:5000], re.IGNORECASE | re.DOTALL)
        name = " ".join(title.group(1).split())[:60].replace(". ", "; ").strip(" .") if title else ""
        return f"an HTML page titled {name!r}" if name else "an HTML page"
    if not content_type:
        return "an answer that is not JSON"
    return f"{'an' if content_type[0] in 'aeiou' else 'a'} {content_type} answer"


def _not_json_message(ctx: _Context, text: str, content_type: str = "", streaming: bool = False) -> str:
    kind = _page_kind(text, content_type, ctx)
    asked = " to a streaming request" if streaming else ""
    return (f"{ctx.title} ({ctx.base_url}) answered with {kind}{asked} instead of JSON: a proxy, captive portal or "
            f"sign-in page may be in the way, so open that address in a browser, or check {ctx.url_var}.")


def _stream_error(exc: BaseException, ctx: _Context) -> BaseException:
    """What a stream that broke half-way raises: one sentence, or ``exc`` itself if it is not a transport fault."""
    if isinstance(exc, CourseError):
        return exc
    if isinstance(exc, json.JSONDecodeError):
        detail = _detail(None, exc.msg, ctx)
        message = (f"{ctx.title} ({ctx.base_url}) sent a malformed event in the middle of a streamed answer "
                   f"({detail}): the server or a proxy broke the stream, so rerun, or call without stream=True.")
        return CourseError(ctx.scrub(message))
    module = type(exc).__module__.split(".")[0]
    if module in ("openai", "azure", "httpx", "httpx2", "httpcore", "httpcore2", "h11", "urllib3", "requests"):
        return explain_error(exc, ctx)
    return exc


def _checked_stream(updates: Iterator[Any], ctx: _Context, content_type: str) -> Iterator[Any]:
    """Yield a stream's chunks; a broken, malformed or cut-short stream ends in one :class:`CourseError`.

    A chat stream is complete when a chunk carries a ``finish_reason``; one that simply stops before
    (a truncated last event, a proxy that closed it cleanly) would otherwise look like a short answer.
    Closing the stream early (Stop) is not an error.
    """
    count, chats, finished = 0, 0, False
    try:
        for update in updates:
            count += 1
            choices = getattr(update, "choices", None)
            if choices is not None:
                chats += 1
                finished = finished or any(getattr(choice, "finish_reason", None) for choice in choices)
            yield update
    except Exception as exc:
        raise _stream_error(exc, ctx) from None
    if finished or (count and not chats):  # done, or not a chat stream (the Responses API's events)
        return
    where = f"{ctx.title} ({ctx.base_url})"
    if count == 0 and "event-stream" not in content_type:
        if "html" in content_type:
            raise CourseError(ctx.scrub(_not_json_message(ctx, "", content_type, streaming=True)))
        raise CourseError(ctx.scrub(
            f"{where} answered a streaming request with {_page_kind('', content_type)}, not an event stream: "
            f"this endpoint may not stream, so call it without stream=True, or check {ctx.url_var}."
        ))
    chunks = "1 chunk" if count == 1 else f"{count} chunks"
    raise CourseError(ctx.scrub(
        f"{where} ended a streamed answer before it was complete (no finish_reason after {chunks}): the server "
        "stopped or a proxy cut the stream, so rerun, or call without stream=True."
    ))


def explain_error(exc: BaseException, ctx: _Context) -> CourseError:
    """Turn an ``openai`` or ``azure-core`` exception into one :class:`CourseError` sentence (key scrubbed).

    Introduced in notebook 06.
    """
    model = _requested_model(exc)
    if model and model != ctx.model:
        ctx = replace(ctx, model=model)
    status = getattr(exc, "status_code", None)
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None) or {}
    cls = exc.__class__.__name__
    if isinstance(status, int) and status >= 400:
        body = getattr(exc, "body", None)
        text = ""
        if body is None and response is not None:
            text = _response_text(response)
            try:
                body = json.loads(text)
            except ValueError:
                body = None
        message = _status_message(ctx, status, _detail(body, text, ctx), headers.get("retry-after"))
    elif "Timeout" in cls:
        message = (f"{ctx.title} ({ctx.base_url}) did not answer within {ctx.timeout_s:g} s (tried {_tries(ctx)}): "
                   "try again, ask for fewer tokens, or raise SLM_LAB_TIMEOUT_S.")
    elif _broke_mid_response(exc):
        hint = "rerun connect('local'), which starts a new server" if ctx.name == "local" else "rerun"
        message = (f"{ctx.title} ({ctx.base_url}) closed the connection before the answer was complete: the server "
                   f"stopped or a proxy cut the connection, so {hint}, or try another provider if it keeps happening.")
    elif "Connection" in cls or "ServiceRequest" in cls:
        hints = {"ollama": "start it with `ollama serve`", "local": "rerun connect('local'), which starts a new one"}
        hint = hints.get(ctx.name, f"check {ctx.url_var} and your network")
        message = f"Could not connect to {ctx.title} at {ctx.base_url} (connection refused or unreachable): {hint}."
    elif cls == "DecodeError":  # azure-core: a 2xx answer that is not JSON
        message = _not_json_message(ctx, _response_text(response), headers.get("content-type", ""))
    else:
        message = f"{ctx.title} failed with {cls}: {_detail(None, str(exc), ctx)}."
    error = CourseError(ctx.scrub(message[:1].upper() + message[1:]))
    error.status = status if isinstance(status, int) else None  # type: ignore[attr-defined]
    return error
