"""An OpenAI-compatible server, local or in the cloud, as a backend (through :func:`helpers.providers.connect`)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from helpers.prompts import Message
from helpers.runtimes.base import Backend, GenerationSettings

__all__ = ["EndpointBackend"]


class EndpointBackend(Backend):
    """An OpenAI-compatible server (local or cloud), connected on first use.

    The model runs in another process or on another machine, so its weights and memory are unknown
    here; each streamed chunk counts as one token (servers normally send one token per chunk).
    Introduced in notebook 10.
    """

    runtime = "openai-api"

    def __init__(self, provider: str) -> None:
        super().__init__(f"endpoint:{provider}", "?")
        self.provider = provider
        self.conn: Any = None

    def _load(self) -> None:
        from helpers.providers import connect

        self.conn = connect(self.provider, verbose=False)
        base_url = str(getattr(self.conn, "base_url", "") or getattr(self.conn.client, "base_url", ""))
        self.kind = "endpoint" if ("127.0.0.1" in base_url or "localhost" in base_url) else "cloud"
        self.name = f"{self.kind}:{self.conn.name}"
        self.model_name = str(self.conn.model)

    def stream(self, msgs: Sequence[Message], settings: GenerationSettings | None = None) -> Iterator[str]:
        settings = settings or GenerationSettings()
        kwargs: dict[str, Any] = {"max_tokens": settings.max_new_tokens, "temperature": settings.temperature}
        if not settings.greedy:
            kwargs["top_p"] = settings.top_p
        return iter(self.conn.stream(list(msgs), **kwargs))

    def close(self) -> None:
        self.conn = None
        super().close()
