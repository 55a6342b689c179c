"""The class gateway: a small ASGI app in front of an OpenAI-compatible engine.

What it adds to the engine, and nothing else:

- **A bearer token** on every route but ``/health``: ``401`` (with ``WWW-Authenticate: Bearer``) without it.
  The engine gets its own key instead; the class token never reaches it or any log line.
- **Admission control**: at most ``slots`` requests at the engine, at most ``queue`` more waiting in arrival
  order; beyond that, or after ``queue_timeout_s`` in the queue, ``429 Too Many Requests`` with ``Retry-After``
  (which the course's client honours). Every request ends in exactly one log line with its status.
- **The model name**: requests naming a model the class server does not serve get ``404 model_not_found``,
  as a cloud endpoint answers; requests without one get the served model.
- **Streaming passthrough**: server-sent events are forwarded chunk by chunk; a learner who disconnects frees
  the slot at once (the engine request is closed, so llama.cpp stops decoding it).

Example:
    >>> from helpers.classroom.token import ClassToken
    >>> app = Gateway("http://127.0.0.1:9", ClassToken("x" * 20), models=["m"], slots=2, queue=4)
    >>> app.stats()
    {'active': 0, 'queued': 0, 'slots': 2, 'queue': 4, 'served': 0, 'rejected': 0, 'failed': 0}

"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from helpers.classroom.token import ClassToken

__all__ = ["LOGGER_NAME", "Gateway"]

LOGGER_NAME = "slm_lab.classroom"
log = logging.getLogger(LOGGER_NAME)

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
_PROXIED = {"/v1/chat/completions", "/v1/completions", "/v1/embeddings"}


def _error(message: str, kind: str, code: str | None = None) -> dict[str, Any]:
    """An OpenAI-style error body."""
    return {"error": {"message": message, "type": kind, "code": code}}


class _FullError(Exception):
    """No slot and no room in the queue (or waited too long)."""


class Gateway:
    """The ASGI application (run it with uvicorn).

    Args:
        upstream: The engine's base URL, e.g. ``http://127.0.0.1:40123`` (no ``/v1``).
        token: The class token learners send; ``None`` turns authentication off (loopback only: ``serve`` checks).
        models: Model names the engine serves; the first is the default.
        slots: Requests at the engine at once (match the engine's parallel slots).
        queue: Requests allowed to wait for a slot; more get 429 at once.
        queue_timeout_s: Longest wait in the queue before a 429.
        upstream_key: The engine's own key, if it has one.
        timeout_s: Longest an engine request may take.

    """

    def __init__(
        self,
        upstream: str,
        token: ClassToken | None,
        models: Sequence[str],
        slots: int = 8,
        queue: int = 32,
        queue_timeout_s: float = 120.0,
        upstream_key: str | None = None,
        timeout_s: float = 600.0,
    ) -> None:
        self.upstream = upstream.rstrip("/")
        self.token = token
        self.models = list(models)
        self.slots, self.queue, self.queue_timeout_s = max(1, slots), max(0, queue), queue_timeout_s
        self.upstream_key = upstream_key
        self.timeout_s = timeout_s
        self.active = self.waiting = 0
        self.served = self.rejected = self.failed = 0
        self.mean_request_s = 5.0  # running estimate, for Retry-After
        self._semaphore: asyncio.Semaphore | None = None
        self._client: Any = None

    # ------------------------------------------------------------------ bookkeeping

    def stats(self) -> dict[str, int]:
        """Requests active and queued now, and counts since start (for ``/health`` and tests)."""
        return {"active": self.active, "queued": self.waiting, "slots": self.slots, "queue": self.queue,
                "served": self.served, "rejected": self.rejected, "failed": self.failed}

    def retry_after_s(self) -> int:
        """Seconds a rejected learner should wait: the queue ahead of them, drained by all slots."""
        ahead = self.active + self.waiting
        return max(1, min(120, math.ceil(ahead / self.slots * self.mean_request_s)))

    async def _acquire(self) -> None:
        assert self._semaphore is not None
        if self._semaphore.locked() or self.waiting:
            if self.waiting >= self.queue:
                raise _FullError
            self.waiting += 1
            try:
                await asyncio.wait_for(self._semaphore.acquire(), self.queue_timeout_s)
            except TimeoutError:
                raise _FullError from None
            finally:
                self.waiting -= 1
        else:
            await self._semaphore.acquire()
        self.active += 1

    def _release(self, started: float) -> None:
        assert self._semaphore is not None
        self.active -= 1
        self._semaphore.release()
        self.mean_request_s = 0.8 * self.mean_request_s + 0.2 * (time.perf_counter() - started)

    def _upstream_headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/json"}
        if self.upstream_key:
            headers["Authorization"] = f"Bearer {self.upstream_key}"
        return headers

    # ------------------------------------------------------------------ ASGI

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":  # websockets: not served
            return
        started = time.perf_counter()
        path, method = scope["path"], scope["method"]
        client = (scope.get("client") or ("?", 0))[0]
        status, note = 500, ""
        try:
            status, note = await self._route(scope, receive, send, path, method)
        except Exception as exc:  # never lose a request silently: answer 500 and log the kind of failure
            self.failed += 1
            note = f"gateway error {type(exc).__name__}"
            with contextlib.suppress(Exception):
                await self._json(send, 500, _error("The class server failed on this request; try again.",
                                                   "server_error"))
        finally:
            if path != "/health":
                log.info("%s %s %s %d %.2fs %s active=%d queued=%d", client, method, path, status,
                         time.perf_counter() - started, note, self.active, self.waiting)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        import httpx

        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self._semaphore = asyncio.Semaphore(self.slots)
                # No keep-alive to the engine: llama.cpp's HTTP threads would sit on idle pooled connections, and a
                # connection the engine closed while idle fails the next request (measured: 2 of 32 at 16 learners).
                limits = httpx.Limits(max_connections=self.slots + 8, max_keepalive_connections=0)
                self._client = httpx.AsyncClient(timeout=httpx.Timeout(self.timeout_s, connect=10.0), limits=limits)
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self._client is not None:
                    await self._client.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _route(self, scope: Scope, receive: Receive, send: Send, path: str, method: str) -> tuple[int, str]:
        if path == "/health" and method == "GET":
            await self._json(send, 200, {"status": "ok", **self.stats()})
            return 200, ""
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        if self.token is not None and not self.token.matches(headers.get("authorization")):
            await self._json(send, 401, _error(
                "Missing or wrong class token: set SLM_LAB_LOCAL_API_KEY to the token your instructor gave you.",
                "invalid_request_error", "invalid_api_key"), extra=[(b"www-authenticate", b"Bearer")])
            return 401, "no or wrong token"
        if path == "/v1/models" and method == "GET":
            now = int(time.time())
            await self._json(send, 200, {"object": "list", "data": [
                {"id": m, "object": "model", "created": now, "owned_by": "slm-lab"} for m in self.models]})
            return 200, ""
        if path not in _PROXIED:
            await self._json(send, 404, _error(f"No route {path}: this server offers /v1/models and "
                                               "/v1/chat/completions.", "invalid_request_error", "not_found"))
            return 404, ""
        if method != "POST":
            await self._json(send, 405, _error(f"Use POST for {path}.", "invalid_request_error"))
            return 405, ""
        raw = await self._body(receive)
        try:
            body = json.loads(raw or b"{}")
            assert isinstance(body, dict)
        except (ValueError, AssertionError):
            await self._json(send, 400, _error("The request body is not a JSON object.", "invalid_request_error"))
            return 400, "bad json"
        model = body.get("model") or self.models[0]
        if model not in self.models:
            await self._json(send, 404, _error(
                f"The model {model!r} does not exist here; this class server serves {', '.join(self.models)}.",
                "invalid_request_error", "model_not_found"))
            return 404, "unknown model"
        body["model"] = model
        return await self._forward(path, body, receive, send)

    async def _forward(self, path: str, body: dict[str, Any], receive: Receive, send: Send) -> tuple[int, str]:
        import httpx

        try:
            await self._acquire()
        except _FullError:
            self.rejected += 1
            wait = self.retry_after_s()
            await self._json(send, 429, _error(
                f"The class server is busy ({self.active} answering, {self.waiting} waiting): retry in {wait} s.",
                "rate_limit_error", "server_busy"), extra=[(b"retry-after", str(wait).encode())])
            return 429, f"full, retry-after={wait}"
        started = time.perf_counter()
        stream = bool(body.get("stream"))
        try:
            request = self._client.build_request("POST", f"{self.upstream}{path}", json=body,
                                                 headers=self._upstream_headers())
            try:
                try:
                    response = await self._client.send(request, stream=True)
                except (httpx.ConnectError, httpx.RemoteProtocolError):  # nothing reached the learner: try once more
                    await asyncio.sleep(0.2)
                    response = await self._client.send(request, stream=True)
            except httpx.HTTPError as exc:
                self.failed += 1
                await self._json(send, 502, _error("The model engine behind the class server is not answering "
                                                   "(tell your instructor).", "server_error", "engine_unavailable"))
                return 502, f"engine {type(exc).__name__}"
            try:
                kind = response.headers.get("content-type", "application/json")
                await send({"type": "http.response.start", "status": response.status_code,
                            "headers": [(b"content-type", kind.encode()), (b"cache-control", b"no-cache")]})
                disconnected = asyncio.ensure_future(self._wait_disconnect(receive))
                try:
                    async for chunk in response.aiter_raw():
                        if disconnected.done():
                            self.failed += 1
                            return 499, "learner disconnected"
                        await send({"type": "http.response.body", "body": chunk, "more_body": True})
                finally:
                    disconnected.cancel()
                await send({"type": "http.response.body", "body": b"", "more_body": False})
            except httpx.HTTPError as exc:  # headers already sent: end the body; the client sees a cut stream
                self.failed += 1
                with contextlib.suppress(Exception):
                    await send({"type": "http.response.body", "body": b"", "more_body": False})
                return response.status_code, f"engine broke off {type(exc).__name__}"
            finally:
                await response.aclose()
            if response.status_code == 200:
                self.served += 1
            return response.status_code, "stream" if stream else ""
        finally:
            self._release(started)

    # ------------------------------------------------------------------ small ASGI helpers

    @staticmethod
    async def _body(receive: Receive) -> bytes:
        chunks = []
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        return b"".join(chunks)

    @staticmethod
    async def _wait_disconnect(receive: Receive) -> None:
        while (await receive())["type"] != "http.disconnect":
            pass

    @staticmethod
    async def _json(send: Send, status: int, obj: Any, extra: Sequence[tuple[bytes, bytes]] = ()) -> None:
        data = json.dumps(obj).encode()
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode()),
                                *extra]})
        await send({"type": "http.response.body", "body": data})
