"""The legacy ``azure-ai-inference`` SDK on the same endpoint (notebook 07), with the same one-sentence errors."""

from __future__ import annotations

import json
from typing import Any

from helpers.errors import CourseError
from helpers.i18n import _
from helpers.providers.connection import Connection
from helpers.providers.errors import _checked_stream, _Context, _not_json_message, explain_error
from helpers.providers.specs import _MISSING, LOCAL_TIMEOUT_S, MAX_RETRIES

__all__ = ["azure_inference_client"]


class _CheckedAzureStream:
    """``azure-ai-inference``'s streaming answer, whose faults half-way end in one :class:`CourseError`."""

    def __init__(self, inner: Any, ctx: _Context) -> None:
        self._inner = inner
        response = getattr(inner, "_response", None)
        content_type = str(getattr(response, "headers", {}).get("content-type", "")) if response is not None else ""
        self._updates = _checked_stream(iter(inner), ctx, content_type or "text/event-stream")

    def __iter__(self) -> _CheckedAzureStream:
        return self

    def __next__(self) -> Any:
        return next(self._updates)

    def __enter__(self) -> _CheckedAzureStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._updates.close()
        self._inner.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def azure_inference_client(conn: Connection) -> Any:
    """The retired ``azure-ai-inference`` SDK's ``ChatCompletionsClient`` for the same endpoint, errors explained.

    Introduced in notebook 07.

    Kept to run the upstream lesson's code as written; new code should use ``conn.client`` (the ``openai`` SDK).
    """
    try:
        from azure.ai.inference import ChatCompletionsClient
        from azure.core.credentials import AzureKeyCredential
        from azure.core.exceptions import AzureError
    except ImportError:
        raise CourseError(_(_MISSING).format(package="azure-ai-inference")) from None
    ctx = conn._ctx

    class CourseChatCompletionsClient(ChatCompletionsClient):
        """``ChatCompletionsClient`` whose errors arrive as one-sentence :class:`CourseError`."""

        def complete(self, *args: Any, **kwargs: Any) -> Any:
            if ctx is None:
                return super().complete(*args, **kwargs)
            try:
                result = super().complete(*args, **kwargs)
            except AzureError as exc:
                raise explain_error(exc, ctx) from None
            except json.JSONDecodeError as exc:
                raise CourseError(ctx.scrub(_not_json_message(ctx, exc.doc))) from None
            return _CheckedAzureStream(result, ctx) if kwargs.get("stream") else result

    timeout = ctx.timeout_s if ctx else LOCAL_TIMEOUT_S
    return CourseChatCompletionsClient(
        endpoint=conn.base_url.rstrip("/"),
        credential=AzureKeyCredential(conn.key.reveal() if conn.key else "not-needed"),
        model=conn.model,
        connection_timeout=min(10.0, timeout),
        read_timeout=timeout,
        retry_total=ctx.max_retries if ctx else MAX_RETRIES,
    )
