"""One way to call any chat endpoint: the local server, Azure AI Foundry, NVIDIA NIM, GitHub Models, Ollama.

Every provider speaks the OpenAI chat-completions API, so one client class serves them all; only the
base URL, the key and the model id change. Each comes from an environment variable (or the
git-ignored ``.env``), so an instructor can point the course at a gateway and tests at loopback servers.

| provider | base URL variable (default) | model variable (default) | key variable |
|---|---|---|---|
| ``local`` | ``SLM_LAB_LOCAL_BASE_URL`` (started here) | ``SLM_LAB_LOCAL_MODEL`` | ``SLM_LAB_LOCAL_API_KEY`` (if any) |
| ``foundry`` | ``AZURE_OPENAI_ENDPOINT`` (required) | ``AZURE_OPENAI_DEPLOYMENT`` | ``AZURE_OPENAI_API_KEY`` |
| ``nim`` | ``NIM_BASE_URL`` | ``NIM_MODEL`` | ``NVIDIA_API_KEY`` |
| ``github`` | ``GITHUB_MODELS_BASE_URL`` (retired endpoint) | ``GITHUB_MODELS_MODEL`` | ``GITHUB_TOKEN`` |
| ``ollama`` | ``OLLAMA_HOST`` | ``OLLAMA_MODEL`` | none |

``connect()`` with no name takes ``SLM_LAB_PROVIDER`` if set, else the first cloud provider with a key,
else the local endpoint, and prints one line saying which and why. Calls time out, 429 and 5xx answers
are retried with backoff (honouring ``Retry-After``), and every failure a learner can fix is raised as
one-sentence :class:`~helpers.errors.CourseError`. Keys are :class:`~helpers.env.Secret` and never shown.

Example:
    >>> conn = connect()                                   # doctest: +SKIP
    Provider: local · HuggingFaceTB/SmolLM2-135M-Instruct at http://127.0.0.1:38517/v1 (no cloud key is set ...)
    >>> conn.chat("What is the capital of Norway?", max_tokens=20)   # doctest: +SKIP
    'The capital of Norway is Oslo.'

"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from helpers.env import REPO_ROOT, Secret, get_env, get_secret
from helpers.errors import CourseError

__all__ = [
    "PROVIDERS",
    "Connection",
    "ProviderSpec",
    "available_providers",
    "azure_inference_client",
    "connect",
    "explain_error",
    "ollama_client",
    "ollama_modelfile",
    "ollama_status",
    "provider_table",
]

#: Cloud calls time out after this many seconds, local ones (a CPU generating) after ``LOCAL_TIMEOUT_S``.
CLOUD_TIMEOUT_S = 60.0
LOCAL_TIMEOUT_S = 300.0
#: Retries for 429 and 5xx answers, connection errors and timeouts (``SLM_LAB_MAX_RETRIES`` overrides).
MAX_RETRIES = 3
#: ``max_tokens`` when a call does not say.
DEFAULT_MAX_TOKENS = 256
GITHUB_RETIRED = "GitHub Models was retired on 30 July 2026"
MODELFILE = REPO_ROOT / "data" / "ollama" / "Modelfile"
_MISSING = "The {package} package is not installed: run `pip install -r requirements.txt`, then rerun."


@dataclass(frozen=True)
class ProviderSpec:
    """Where a provider lives and which environment variables configure it."""

    name: str
    title: str
    kind: str  # "local", "cloud" or "ollama"
    url_var: str
    default_url: str | None
    model_var: str
    default_model: str
    key_var: str | None
    key_help: str = ""
    about: str = ""

    def url(self) -> str | None:
        return get_env(self.url_var, self.default_url)

    def model(self) -> str:
        return get_env(self.model_var, self.default_model) or self.default_model

    def has_key(self) -> bool:
        return self.key_var is not None and get_env(self.key_var) is not None


PROVIDERS: dict[str, ProviderSpec] = {
    spec.name: spec
    for spec in [
        ProviderSpec(
            "local", "the local endpoint", "local", "SLM_LAB_LOCAL_BASE_URL", None, "SLM_LAB_LOCAL_MODEL",
            "HuggingFaceTB/SmolLM2-135M-Instruct", "SLM_LAB_LOCAL_API_KEY", "any value; only if your own server asks",
            "transformers serve on 127.0.0.1 with the course's default model, started on demand",
        ),
        ProviderSpec(
            "foundry", "Azure AI Foundry", "cloud", "AZURE_OPENAI_ENDPOINT", None, "AZURE_OPENAI_DEPLOYMENT",
            "Phi-4-mini-instruct", "AZURE_OPENAI_API_KEY", "the key of your Azure AI Foundry resource",
            "your own deployment, through the OpenAI-compatible v1 endpoint",
        ),
        ProviderSpec(
            "nim", "NVIDIA NIM", "cloud", "NIM_BASE_URL", "https://integrate.api.nvidia.com/v1", "NIM_MODEL",
            "microsoft/phi-4-mini-instruct", "NVIDIA_API_KEY", "an API key from build.nvidia.com",
            "NVIDIA's hosted API catalog (or a NIM container you run yourself)",
        ),
        ProviderSpec(
            "github", "GitHub Models", "cloud", "GITHUB_MODELS_BASE_URL", "https://models.github.ai/inference",
            "GITHUB_MODELS_MODEL", "microsoft/Phi-4-mini-instruct", "GITHUB_TOKEN", "a GitHub personal access token",
            "retired in July 2026; kept to show the token + publisher/model pattern",
        ),
        ProviderSpec(
            "ollama", "Ollama", "ollama", "OLLAMA_HOST", "http://127.0.0.1:11434", "OLLAMA_MODEL", "phi4-mini", None,
            "", "a local Ollama server: native API on /api, OpenAI-compatible API on /v1",
        ),
    ]
}


# --------------------------------------------------------------------------- URLs and reachability


def _ollama_root() -> str:
    """``OLLAMA_HOST`` as a URL: Ollama accepts ``host``, ``host:port`` or a full URL there."""
    raw = get_env("OLLAMA_HOST", PROVIDERS["ollama"].default_url) or ""
    if "://" not in raw:
        raw = f"http://{raw}"
    parts = urllib.parse.urlsplit(raw)
    host = parts.hostname or "127.0.0.1"
    host = "127.0.0.1" if host in ("0.0.0.0", "localhost") else host
    port = parts.port or (443 if parts.scheme == "https" else 11434)
    return f"{parts.scheme}://{host}:{port}{parts.path.rstrip('/')}"


def _foundry_url(endpoint: str) -> str:
    """The v1 base URL from a Foundry endpoint: a bare resource URL gets ``/openai/v1/`` appended."""
    endpoint = endpoint.strip()
    if urllib.parse.urlsplit(endpoint).path.strip("/") == "":
        return endpoint.rstrip("/") + "/openai/v1/"
    return endpoint


def _base_url(spec: ProviderSpec) -> str | None:
    if spec.name == "ollama":
        return _ollama_root() + "/v1"
    url = spec.url()
    if spec.name == "foundry" and url:
        return _foundry_url(url)
    return url


def ollama_status(timeout_s: float = 0.5) -> dict[str, Any] | None:
    """Ask the Ollama server at ``OLLAMA_HOST`` for its version and models; ``None`` when nothing answers.

    Returns:
        ``{"host": url, "version": "0.x", "models": ["phi4-mini:latest", ...]}``.

    """
    root = _ollama_root()
    try:
        with urllib.request.urlopen(f"{root}/api/version", timeout=timeout_s) as response:
            version = json.loads(response.read()).get("version", "?")
        with urllib.request.urlopen(f"{root}/api/tags", timeout=max(timeout_s, 2.0)) as response:
            models = [m.get("name", "?") for m in json.loads(response.read()).get("models", [])]
    except (urllib.error.URLError, OSError, ValueError):
        return None
    return {"host": root, "version": version, "models": models}


def ollama_client(timeout_s: float = CLOUD_TIMEOUT_S) -> Any:
    """Ollama's own Python client (native API) for ``OLLAMA_HOST``."""
    try:
        import ollama
    except ImportError:
        raise CourseError(_MISSING.format(package="ollama")) from None
    return ollama.Client(host=_ollama_root(), timeout=timeout_s)


def ollama_modelfile(gguf: Path | None = None, out: Path | None = None) -> Path:
    """Write the course's Modelfile (``data/ollama/Modelfile``) with ``FROM`` pointing at a GGUF file.

    Args:
        gguf: The GGUF to import; ``None`` is the course's default model.
        out: Where to write it; ``None`` is ``.cache/ollama/Modelfile``.

    Returns:
        The file written; import it with ``ollama create slm-lab-smollm2 -f <that file>``.

    """
    from helpers.models import cache_dir, default_gguf_path

    gguf = Path(gguf or default_gguf_path()).resolve()
    out = Path(out or cache_dir() / "ollama" / "Modelfile")
    lines = MODELFILE.read_text(encoding="utf-8").splitlines()
    lines = [f"FROM {gguf.as_posix()}" if line.startswith("FROM ") else line for line in lines]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out


def _configured(spec: ProviderSpec) -> bool:
    """Usable now: local always; clouds with their key (Foundry and GitHub also their URL); Ollama when it answers."""
    if spec.kind == "local":
        return True
    if spec.kind == "ollama":
        return ollama_status() is not None
    if spec.name in ("foundry", "github"):  # GitHub Models is retired: usable only through a gateway you name
        return spec.has_key() and get_env(spec.url_var) is not None
    return spec.has_key()


def available_providers() -> list[str]:
    """Names of the providers usable right now, ``"local"`` first and always.

    Example:
        >>> "local" in available_providers()
        True

    """
    return [name for name, spec in PROVIDERS.items() if _configured(spec)]


def provider_table() -> list[dict[str, str]]:
    """One row per provider: whether it is usable here, its model, and what to set to use it (never a key)."""
    rows = []
    for spec in PROVIDERS.values():
        usable = _configured(spec)
        if spec.kind == "local":
            todo = "nothing: started on demand"
        elif spec.kind == "ollama":
            todo = "nothing" if usable else f"install Ollama and run `ollama serve` (or set {spec.url_var})"
        elif usable:
            todo = "nothing"
        elif spec.name == "github" and spec.has_key():
            todo = f"retired (410 Gone): set {spec.url_var} to a gateway that still serves it"
        else:
            needed = (spec.key_var, spec.url_var if spec.name == "foundry" else None)
            missing = [v for v in needed if v and not get_env(v)]
            todo = "set " + " and ".join(missing)
        rows.append({"provider": spec.name, "service": spec.title, "usable": "yes" if usable else "no",
                     "model": spec.model(), "to use it": todo})
    return rows


def _choose(name: str | None) -> tuple[str, str]:
    """Pick a provider and say why."""
    if name:
        reason = "requested"
    else:
        name = get_env("SLM_LAB_PROVIDER")
        reason = "set by SLM_LAB_PROVIDER"
    if name:
        key = name.strip().lower()
        if key not in PROVIDERS:
            raise CourseError(f"Unknown provider {name!r}: use one of {', '.join(PROVIDERS)}.")
        return key, reason
    for spec in PROVIDERS.values():
        if spec.kind == "cloud" and _configured(spec):
            return spec.name, f"{spec.key_var} is set"
    keys = [s.key_var for s in PROVIDERS.values() if s.kind == "cloud" and s.name != "github" and s.key_var]
    return "local", f"{' and '.join(keys)} are not set: using the local endpoint"


# --------------------------------------------------------------------------- errors


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
    """Turn an ``openai`` or ``azure-core`` exception into one :class:`CourseError` sentence (key scrubbed)."""
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
    return CourseError(ctx.scrub(message[:1].upper() + message[1:]))


# --------------------------------------------------------------------------- clients


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
    """A ready client for one provider: ``client`` (an ``openai.OpenAI``), ``model``, ``name`` and why it was chosen."""

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
        return PROVIDERS[self.name].title if self.name in PROVIDERS else self.name

    def __str__(self) -> str:
        return f"{self.name} · {self.model} at {self.base_url} ({self.reason})"

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
) -> Connection:
    """Return a ready OpenAI client and model id for a provider, and print one line saying which and why.

    Args:
        name: ``"local"``, ``"foundry"``, ``"nim"``, ``"github"`` or ``"ollama"``; ``None`` reads
            ``SLM_LAB_PROVIDER``, else takes the first cloud provider with a key, else ``"local"``.
        model: Model id (deployment name on Foundry); ``None`` reads the provider's model variable.
        verbose: Print the one line.
        timeout_s: Seconds per request (default 60 for clouds, 300 for local servers; ``SLM_LAB_TIMEOUT_S``).
        max_retries: Retries for 429/5xx/timeouts (default 3; ``SLM_LAB_MAX_RETRIES``).

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
        key = get_secret(spec.key_var, spec.key_help)
        if spec.name == "foundry" and not spec.url():
            get_secret(spec.url_var, "your Azure AI Foundry endpoint, e.g. https://<resource>.openai.azure.com")
        base_url = _base_url(spec)
    elif spec.kind == "ollama":
        base_url = _base_url(spec)
    else:
        base_url = spec.url()
        if spec.key_var and get_env(spec.key_var):
            key = get_secret(spec.key_var, spec.key_help)
        if base_url is None:
            from helpers.local_server import default_server

            server = default_server(start=False)
            base_url = server.base_url
            model_id = model or server.model
    assert base_url is not None
    ctx = _Context(spec.name, spec.title, base_url, model_id, spec.url_var, spec.model_var, spec.key_var,
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
    starting = server is not None and not (server.alive and server.ready)
    if verbose:  # one line; a server being started completes it when it answers
        print(f"Provider: {conn}", end=" | starting the server (about 20 s)..." if starting else "\n", flush=True)
    if starting:
        started = time.perf_counter()
        try:
            server.start()
        finally:
            if verbose:
                print(f" ready in {time.perf_counter() - started:.0f} s" if server.ready else "", flush=True)
    return conn


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

    Kept to run the upstream lesson's code as written; new code should use ``conn.client`` (the ``openai`` SDK).
    """
    try:
        from azure.ai.inference import ChatCompletionsClient
        from azure.core.credentials import AzureKeyCredential
        from azure.core.exceptions import AzureError
    except ImportError:
        raise CourseError(_MISSING.format(package="azure-ai-inference")) from None
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
