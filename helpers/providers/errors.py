"""Failures as one sentence: HTTP statuses, timeouts, broken or non-JSON answers, with any key scrubbed out."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from helpers.env import Secret
from helpers.errors import CourseError
from helpers.i18n import _
from helpers.providers.messages import STATUS, TRANSPORT
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


def _tries(ctx: _Context) -> int:
    """How many times a request was sent: the first request plus the retries the SDK may make."""
    return ctx.max_retries + 1


def _positive(value: str | None) -> bool:
    try:
        return float(value or 0) > 0
    except ValueError:
        return False


def _status_message(ctx: _Context, status: int, detail: str, retry_after: str | None) -> str:
    fields = {
        "where": f"{ctx.title} ({ctx.base_url})", "said": f" ({detail})" if detail else "", "status": status,
        "model": ctx.model, "key_var": ctx.key_var, "model_var": ctx.model_var, "url_var": ctx.url_var,
        "tries": _tries(ctx), "seconds": retry_after, "retired": _(GITHUB_RETIRED),
        "reason": "Not Found" if status == 404 else "Bad Request",
    }
    once = "_once" if ctx.max_retries == 0 else ""
    if status == 401:
        key = "401_key" if ctx.key_var else "401"
    elif status == 403:
        key = "403"
    elif status == 404 and ctx.name == "ollama":
        key = "404_ollama"
    elif status == 404 or (status == 400 and ctx.model in detail):
        key = "404"
    elif status == 410:
        key = "410_github" if ctx.name == "github" or "github_models" in detail.lower() else "410"
    elif status == 429:
        key = ("429_seconds" if _positive(retry_after) else "429_minute") + once
    elif status >= 500:
        key = "5xx" + once
    else:
        key = "other"
    return _(STATUS[key]).format(**fields)


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
    for _step in range(8):
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


def _page_kind(text: str, content_type: str = "", ctx: _Context | None = None) -> tuple[str, str]:
    """What came back instead of JSON, as ``(kind, detail)``: titled, html, type (with the MIME type) or other."""
    import re

    text = ctx.scrub(text) if ctx is not None else text  # before cutting: a cut could leave part of the key

    content_type = content_type.split(";")[0].strip()
    if "html" in content_type or re.search(r"<!doctype html|<html", text[:2000], re.IGNORECASE):
        title = re.search(r"<title[^>]*>(.*?)</title>", text[:5000], re.IGNORECASE | re.DOTALL)
        name = " ".join(title.group(1).split())[:60].replace(". ", "; ").strip(" .") if title else ""
        return ("titled", name) if name else ("html", "")
    if not content_type:
        return "other", ""
    return "type", content_type


def _not_json_message(ctx: _Context, text: str, content_type: str = "", streaming: bool = False) -> str:
    kind, what = _page_kind(text, content_type, ctx)
    if streaming:
        message = {
            # TRANSLATORS: {where} is a service and its address; {title} is the title of the web page that came back;
            # {url_var} is an environment variable's name.
            "titled": _(
                "{where} answered with an HTML page titled {title!r} to a streaming request instead of JSON: "
                "a proxy, captive portal or sign-in page may be in the way, so open that address in a browser, "
                "or check {url_var}."
            ),
            "html": _(
                "{where} answered with an HTML page to a streaming request instead of JSON: a proxy, captive "
                "portal or sign-in page may be in the way, so open that address in a browser, or check {url_var}."
            ),
            # TRANSLATORS: {content_type} is a MIME type such as text/plain.
            "type": _(
                "{where} answered with {content_type} content to a streaming request instead of JSON: a proxy, "
                "captive portal or sign-in page may be in the way, so open that address in a browser, or check "
                "{url_var}."
            ),
            "other": _(
                "{where} answered with an answer that is not JSON to a streaming request: a proxy, captive portal "
                "or sign-in page may be in the way, so open that address in a browser, or check {url_var}."
            ),
        }[kind]
    else:
        message = {
            "titled": _(
                "{where} answered with an HTML page titled {title!r} instead of JSON: a proxy, captive portal or "
                "sign-in page may be in the way, so open that address in a browser, or check {url_var}."
            ),
            "html": _(
                "{where} answered with an HTML page instead of JSON: a proxy, captive portal or sign-in page may "
                "be in the way, so open that address in a browser, or check {url_var}."
            ),
            "type": _(
                "{where} answered with {content_type} content instead of JSON: a proxy, captive portal or sign-in "
                "page may be in the way, so open that address in a browser, or check {url_var}."
            ),
            "other": _(
                "{where} answered with an answer that is not JSON: a proxy, captive portal or sign-in page may be "
                "in the way, so open that address in a browser, or check {url_var}."
            ),
        }[kind]
    return message.format(
        where=f"{ctx.title} ({ctx.base_url})", title=what, content_type=what, url_var=ctx.url_var
    )


def _stream_error(exc: BaseException, ctx: _Context) -> BaseException:
    """What a stream that broke half-way raises: one sentence, or ``exc`` itself if it is not a transport fault."""
    if isinstance(exc, CourseError):
        return exc
    if isinstance(exc, json.JSONDecodeError):
        detail = _detail(None, exc.msg, ctx)
        # TRANSLATORS: {detail} is the JSON parser's own explanation, in English.
        message = _(
            "{where} sent a malformed event in the middle of a streamed answer "
            "({detail}): the server or a proxy broke the stream, so rerun, or call without stream=True."
        ).format(where=f"{ctx.title} ({ctx.base_url})", detail=detail)
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
            (
                _(
                    "{where} answered a streaming request with {content_type} content, not an event stream: "
                    "this endpoint may not stream, so call it without stream=True, or check {url_var}."
                )
                if content_type.split(";")[0].strip()
                else _(
                    "{where} answered a streaming request with an answer that is not JSON, not an event stream: "
                    "this endpoint may not stream, so call it without stream=True, or check {url_var}."
                )
            ).format(where=where, content_type=content_type.split(";")[0].strip(), url_var=ctx.url_var)
        ))
    if count == 1:
        message = _(
            "{where} ended a streamed answer before it was complete (no finish_reason after 1 chunk): the server "
            "stopped or a proxy cut the stream, so rerun, or call without stream=True."
        )
    else:
        # TRANSLATORS: {count} is 0 or 2 and more: how many pieces of the streamed answer arrived.
        message = _(
            "{where} ended a streamed answer before it was complete (no finish_reason after {count} chunks): the "
            "server stopped or a proxy cut the stream, so rerun, or call without stream=True."
        )
    raise CourseError(ctx.scrub(message.format(where=where, count=count)))


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
    elif cls == "DecodeError" and not _broke_mid_response(exc):  # azure-core: a 2xx answer that is not JSON
        message = _not_json_message(ctx, _response_text(response), headers.get("content-type", ""))
    else:
        if "Timeout" in cls:
            key = "timeout_once" if ctx.max_retries == 0 else "timeout"
        elif _broke_mid_response(exc):
            key = "broke_local" if ctx.name == "local" else "broke"
        elif "Connection" in cls or "ServiceRequest" in cls:
            key = {"ollama": "refused_ollama", "local": "refused_local"}.get(ctx.name, "refused")
        else:
            key = "failed"
        message = _(TRANSPORT[key]).format(
            title=ctx.title, base_url=ctx.base_url, timeout_s=ctx.timeout_s, tries=_tries(ctx), url_var=ctx.url_var,
            kind=cls, detail=_detail(None, str(exc), ctx) if key == "failed" else "",
        )
    error = CourseError(ctx.scrub(message[:1].upper() + message[1:]))
    error.status = status if isinstance(status, int) else None  # type: ignore[attr-defined]
    return error
