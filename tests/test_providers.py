"""helpers.providers: real HTTP to the local server with both SDKs, and error handling against loopback stubs.

The local server (``transformers serve`` with the default model) is started once for this file. Error
handling is tested at the transport level: tiny HTTP servers on 127.0.0.1 that answer 401, 404, 410,
429, 500 or nothing at all, reached through the same environment variables a learner sets.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from helpers import providers
from helpers.env import REPO_ROOT, load_env_file
from helpers.errors import CourseError
from helpers.local_server import default_server, free_port
from helpers.providers import PROVIDERS, available_providers, azure_inference_client, connect

# Shaped like a real NIM key (so a leak would look like one), assembled here so no credential-shaped
# string sits in the repository for secret scanners to flag.
FAKE_KEY = "nvapi-" + "FAKE-d3adb33f-not-a-real-key-0123456789"
QUESTION = "What is the capital of Norway?"
ALL_VARS = sorted(
    {v for s in PROVIDERS.values() for v in (s.url_var, s.model_var, s.key_var) if v}
    | {"SLM_LAB_PROVIDER", "SLM_LAB_TIMEOUT_S", "SLM_LAB_MAX_RETRIES"}
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    """No provider variable from the shell or .env leaks into a test."""
    load_env_file()  # read .env now, so it cannot add variables back later
    for name in ALL_VARS:
        monkeypatch.delenv(name, raising=False)


# --------------------------------------------------------------------------- the real local endpoint


@pytest.fixture(scope="module")
def local():
    server = default_server()
    yield connect("local", verbose=False)
    server.stop()


def test_openai_sdk_plain_and_streaming_agree(local):
    messages = [{"role": "system", "content": "Answer in one short sentence."}, {"role": "user", "content": QUESTION}]
    response = local.complete(messages, max_tokens=24, temperature=0)
    answer = response.choices[0].message.content
    assert "Oslo" in answer
    assert 0 < response.usage.completion_tokens <= 24
    assert response.usage.prompt_tokens > 5
    pieces = list(local.stream(messages, max_tokens=24, temperature=0))
    assert len(pieces) > 1, "a streamed answer arrives in several pieces"
    assert "".join(pieces).strip() == answer.strip(), "greedy decoding gives the same text streamed or not"


def test_a_multi_turn_conversation_reaches_the_model(local):
    history = [
        {"role": "user", "content": "My name is Ada."},
        {"role": "assistant", "content": "Nice to meet you, Ada!"},
        {"role": "user", "content": "What is my name?"},
    ]
    assert "Ada" in local.chat(history, max_tokens=16, temperature=0)


def test_azure_ai_inference_sdk_against_the_local_server(local):
    from azure.ai.inference.models import SystemMessage, UserMessage

    client = azure_inference_client(local)
    msgs = [SystemMessage("Answer in one short sentence."), UserMessage(QUESTION)]
    response = client.complete(messages=msgs, max_tokens=24, temperature=0)
    assert "Oslo" in response.choices[0].message.content
    streamed = "".join(
        update.choices[0].delta.content or ""
        for update in client.complete(messages=msgs, max_tokens=24, temperature=0, stream=True)
        if update.choices
    )
    assert streamed.strip() == response.choices[0].message.content.strip()


def test_the_local_endpoint_lists_the_model_it_answers_to(local):
    """Tools list models before they chat: ``GET /v1/models`` names the id chat completions accept."""
    from openai import OpenAI

    client = OpenAI(base_url=local.base_url, api_key="not-needed", max_retries=0, timeout=60)
    ids = [model.id for model in client.models.list()]
    assert ids == [local.model], f"the server lists {ids}, but answers to {local.model}"
    reply = client.chat.completions.create(model=ids[0], messages=[{"role": "user", "content": QUESTION}],
                                           max_tokens=12, temperature=0)
    assert "Oslo" in reply.choices[0].message.content


def test_the_local_endpoint_is_the_default_without_keys(local, capsys):
    conn = connect()
    line = capsys.readouterr().out.strip()
    assert conn.name == "local" and conn.base_url == local.base_url, "one server per process, reused"
    assert line.count("\n") == 0 and "not set: using the local endpoint" in line and conn.model in line


def test_an_unknown_model_id_on_the_local_server_is_explained(local):
    conn = connect("local", model="microsoft/no-such-model", verbose=False)
    with pytest.raises(CourseError, match=r"400|404") as err:
        conn.chat("Hi", max_tokens=2)
    assert "no-such-model" in str(err.value)


# --------------------------------------------------------------------------- loopback stubs


class Stub:
    """An HTTP server on 127.0.0.1 that plays back scripted answers and records the requests it got."""

    def __init__(self, script):
        self.script = list(script)
        self.requests: list[dict] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                sent = {k.lower(): v for k, v in self.headers.items()}
                stub.requests.append({"path": self.path, "time": time.monotonic(), "headers": sent,
                                      "json": json.loads(body) if body else None})
                step = stub.script.pop(0) if len(stub.script) > 1 else stub.script[0]
                if step == "hang":
                    time.sleep(5)
                    return
                if callable(step):  # a fault below the HTTP level: the step writes to the socket itself
                    step(self)
                    return
                status, payload, headers = step
                data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", headers.pop("Content-Type", "application/json"))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _answer  # noqa: N815 - the names http.server looks up

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def ok(text="Oslo.", model="m"):
    return (200, {"id": "x", "object": "chat.completion", "created": 0, "model": model,
                  "choices": [{"index": 0, "finish_reason": "stop",
                               "message": {"role": "assistant", "content": text}}],
                  "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}}, {})


def error(status, message, **headers):
    return (status, {"error": {"message": message, "type": "error", "code": str(status)}}, headers)


@pytest.fixture
def stub(monkeypatch):
    """``stub(script, provider="nim")`` points a provider at a new stub with the fake key set."""
    made = []

    def make(script, provider="nim", **connect_kwargs):
        server = Stub(script)
        made.append(server)
        spec = PROVIDERS[provider]
        monkeypatch.setenv(spec.url_var, server.url if provider in ("foundry", "ollama") else server.url + "/v1")
        if spec.key_var:
            monkeypatch.setenv(spec.key_var, FAKE_KEY)
        connect_kwargs = {"verbose": False, "timeout_s": 2.0, "max_retries": 2, **connect_kwargs}
        return server, connect(provider, **connect_kwargs)

    yield make
    for server in made:
        server.close()


def failure(conn, call=None, **kwargs) -> str:
    """Call the endpoint in a thread (so a hang cannot stall the suite) and return the CourseError's sentence.

    ``call(conn)`` replaces the default ``conn.chat("Hi", **kwargs)`` (to stream, or to use another SDK).
    """
    result: dict = {}
    call_it = call or (lambda c: c.chat("Hi", **kwargs))

    def run():
        try:
            result["answer"] = call_it(conn)
        except CourseError as exc:
            result["error"] = str(exc)
        except Exception as exc:  # anything else is a bug this test reports
            result["other"] = repr(exc)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(60)
    assert not worker.is_alive(), "the call hung: every request needs a timeout"
    assert "other" not in result, f"not a CourseError: {result.get('other')}"
    assert "error" in result, f"expected an error, got the answer {result.get('answer')!r}"
    message = result["error"]
    assert FAKE_KEY not in message and message.count(". ") == 0, "one sentence, no key"
    return message


def test_401_names_the_key_variable_not_the_key(stub):
    server, conn = stub([error(401, "Invalid API key " + FAKE_KEY)])
    message = failure(conn)
    assert "401" in message and "NVIDIA_API_KEY" in message
    assert len(server.requests) == 1, "401 is not retried"
    assert server.requests[0]["headers"]["authorization"] == f"Bearer {FAKE_KEY}", "the key is sent, as a header"


def test_403_says_the_key_lacks_permission(stub):
    _, conn = stub([error(403, "Forbidden")])
    message = failure(conn)
    assert "403" in message and "NIM_MODEL" in message


def test_404_names_the_model_and_the_variable(stub, monkeypatch):
    monkeypatch.setenv("NIM_MODEL", "microsoft/phi-3-mini-4k-instruct")
    server, conn = stub([error(404, "Function not found for account")])
    message = failure(conn)
    assert "404" in message and "microsoft/phi-3-mini-4k-instruct" in message and "NIM_MODEL" in message
    assert server.requests[0]["json"]["model"] == "microsoft/phi-3-mini-4k-instruct"
    assert "other/model" in failure(conn, model="other/model"), "names the model the failed call asked for"


def test_410_from_github_models_explains_the_retirement(stub):
    _, conn = stub([error(410, "github_models_retirement_brownout: this endpoint is gone")], provider="github")
    message = failure(conn)
    assert "retired" in message and "410" in message and "foundry" in message


def test_410_elsewhere_says_the_endpoint_is_retired(stub):
    _, conn = stub([error(410, "gone")])
    assert "410 Gone" in failure(conn)


def test_429_then_200_is_retried_after_retry_after(stub):
    server, conn = stub([error(429, "slow down", **{"Retry-After": "1"}), ok("Oslo.")])
    assert conn.chat("Hi") == "Oslo."
    assert len(server.requests) == 2
    gap = server.requests[1]["time"] - server.requests[0]["time"]
    assert gap >= 0.9, f"Retry-After: 1 was not honoured (retried after {gap:.2f} s)"


def test_429_every_time_gives_up_with_advice(stub):
    server, conn = stub([error(429, "slow down", **{"Retry-After": "0"})], max_retries=1)
    message = failure(conn)
    assert "429" in message and "up to 2 times" in message
    assert len(server.requests) == 2


def test_500_is_retried_then_explained(stub):
    server, conn = stub([error(500, "boom")])
    message = failure(conn)
    assert "500" in message and "try again later" in message
    assert len(server.requests) == 3, "the first try and two retries"


def test_503_then_200_recovers(stub):
    server, conn = stub([error(503, "busy"), ok("Paris.")])
    assert conn.chat("Hi") == "Paris."
    assert len(server.requests) == 2


def test_a_server_that_never_answers_times_out(stub):
    server, conn = stub(["hang"], timeout_s=0.5, max_retries=1)
    message = failure(conn)
    assert "did not answer within" in message and "SLM_LAB_TIMEOUT_S" in message
    assert len(server.requests) == 2


def test_connection_refused_is_one_sentence(monkeypatch):
    monkeypatch.setenv("NVIDIA_API_KEY", FAKE_KEY)
    monkeypatch.setenv("NIM_BASE_URL", f"http://127.0.0.1:{free_port()}/v1")
    conn = connect("nim", verbose=False, max_retries=0, timeout_s=2)
    assert "Could not connect" in failure(conn)


def test_errors_while_streaming_are_explained_too(stub):
    _, conn = stub([error(401, "nope")])
    with pytest.raises(CourseError, match="401"):
        list(conn.stream("Hi"))


# --------------------------------------------------------------------------- broken answers: one sentence each

# What a captive portal or a proxy's error page sends; a page that echoes the request could contain the key.
PORTAL = (b"<!DOCTYPE html><html><head><title>Hotel Wi-Fi. Sign in (" + FAKE_KEY.encode() + b")</title></head>"
          b"<body><form>Accept the terms to continue.</form></body></html>")


def chunk(text, finish=None):
    event = {"id": "x", "object": "chat.completion.chunk", "created": 0, "model": "m",
             "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": finish}]}
    return f"data: {json.dumps(event)}\n\n".encode()


def sse(body: bytes):
    return (200, body, {"Content-Type": "text/event-stream"})


def promise_more(body: bytes, content_type="text/event-stream"):
    """A fault step: headers that promise more bytes than are sent, then the connection closes."""

    def step(handler):
        handler.send_response(200)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(body) + 4000))
        handler.end_headers()
        handler.wfile.write(body)
        handler.wfile.flush()
        handler.close_connection = True

    return step


def hang_up(handler):
    """A fault step: close the connection without answering at all."""
    handler.close_connection = True
    handler.connection.shutdown(socket.SHUT_RDWR)


def streamed(conn):
    return "".join(conn.stream("Hi"))


def streamed_by_the_sdk(conn):
    chunks = conn.client.chat.completions.create(model=conn.model, messages=[{"role": "user", "content": "Hi"}],
                                                 stream=True)
    return "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)


def azure_answer(conn):
    from azure.ai.inference.models import UserMessage

    return azure_inference_client(conn).complete(messages=[UserMessage("Hi")]).choices[0].message.content


def azure_streamed(conn):
    from azure.ai.inference.models import UserMessage

    updates = azure_inference_client(conn).complete(messages=[UserMessage("Hi")], stream=True)
    return "".join(u.choices[0].delta.content or "" for u in updates if u.choices)


@pytest.mark.parametrize("content_type", ["text/html; charset=utf-8", "application/json"])
@pytest.mark.parametrize("call", [None, streamed, azure_answer, azure_streamed],
                         ids=["chat", "stream", "azure", "azure-stream"])
def test_an_html_page_instead_of_json_is_one_sentence(stub, content_type, call):
    """A captive portal or proxy answers 200 with its own page (labelled HTML, or mislabelled JSON)."""
    _, conn = stub([(200, PORTAL, {"Content-Type": content_type})], max_retries=0)
    message = failure(conn, call)
    assert message.startswith("NVIDIA NIM (http://127.0.0.1:") and "NIM_BASE_URL" in message
    if call in (streamed, azure_streamed) and content_type == "application/json":
        assert "not an event stream" in message, "a stream's body is not kept, so only its label can be named"
        return
    assert "instead of JSON" in message and "captive portal" in message
    if call in (None, azure_answer):
        assert "'Hotel Wi-Fi; Sign in (***)'" in message, "names the page, with the echoed key scrubbed"


def test_a_stream_answered_with_plain_json_says_the_endpoint_may_not_stream(stub):
    _, conn = stub([ok("Oslo.")], max_retries=0)
    message = failure(conn, streamed)
    assert "not an event stream" in message and "without stream=True" in message


@pytest.mark.parametrize("call", [streamed, streamed_by_the_sdk, azure_streamed], ids=["stream", "sdk", "azure"])
def test_a_malformed_event_mid_stream_is_one_sentence(stub, call):
    body = chunk("Oslo") + b'data: {"id": "x", "choices": [{"delta": {"content": "is"\n\n' + b"data: [DONE]\n\n"
    _, conn = stub([sse(body)], max_retries=0)
    message = failure(conn, call)
    assert message.startswith("NVIDIA NIM") and "malformed event in the middle of a streamed answer" in message


@pytest.mark.parametrize("call", [streamed, streamed_by_the_sdk, azure_streamed], ids=["stream", "sdk", "azure"])
@pytest.mark.parametrize("tail", [b'data: {"id": "x", "cho', b""], ids=["truncated-event", "no-finish"])
def test_a_stream_that_stops_before_its_end_is_one_sentence_not_a_short_answer(stub, call, tail):
    _, conn = stub([sse(chunk("Oslo") + chunk(" is") + tail)], max_retries=0)
    message = failure(conn, call)
    assert "ended a streamed answer before it was complete (no finish_reason after 2 chunks)" in message


@pytest.mark.parametrize(("call", "step"), [
    (None, promise_more(json.dumps(ok()[1]).encode()[:40], "application/json")),
    (None, hang_up),
    (streamed, promise_more(chunk("Oslo"))),
    (streamed_by_the_sdk, promise_more(chunk("Oslo"))),
    (azure_answer, promise_more(json.dumps(ok()[1]).encode()[:40], "application/json")),
    (azure_streamed, promise_more(chunk("Oslo"))),
], ids=["chat-cut", "chat-hang-up", "stream-cut", "sdk-stream-cut", "azure-cut", "azure-stream-cut"])
def test_a_connection_closed_mid_response_is_one_sentence(stub, call, step):
    _, conn = stub([step], max_retries=1)
    message = failure(conn, call)
    assert message.startswith("NVIDIA NIM") and "closed the connection before the answer was complete" in message
    assert "Could not connect" not in message, "it did connect: a refused connection is another fault"


def test_a_complete_stream_and_a_stream_stopped_early_are_not_errors(stub):
    body = chunk("Oslo") + chunk(" is", None) + chunk(" the capital.", "stop") + b"data: [DONE]\n\n"
    _, conn = stub([sse(body)], max_retries=0)
    assert streamed(conn) == "Oslo is the capital."
    assert azure_streamed(conn) == "Oslo is the capital."
    pieces = conn.stream("Hi")
    assert next(pieces) == "Oslo"
    pieces.close()  # what Stop does: no error for an answer the learner ended


def test_the_azure_sdk_errors_are_explained_too(stub):
    _, conn = stub([error(404, "no such model")], max_retries=0)
    from azure.ai.inference.models import UserMessage

    with pytest.raises(CourseError, match="404") as err:
        azure_inference_client(conn).complete(messages=[UserMessage("Hi")])
    assert FAKE_KEY not in str(err.value)


def test_keys_never_appear_in_reprs_prints_or_logs(stub, capsys, caplog):
    caplog.set_level(logging.DEBUG)
    server, conn = stub([error(401, "bad key " + FAKE_KEY), ok()])
    print(conn, repr(conn), conn.key, PROVIDERS["nim"])
    with pytest.raises(CourseError) as err:
        conn.chat("Hi")
    assert conn.chat("Hi") == "Oslo."
    out = capsys.readouterr()
    shown = out.out + out.err + caplog.text + str(err.value) + repr(err.value)
    assert "Secret(NVIDIA_API_KEY=***)" in shown
    assert FAKE_KEY not in shown
    assert len(server.requests) == 2


# --------------------------------------------------------------------------- choosing a provider


def test_a_cloud_key_selects_that_provider_and_says_why(stub, capsys):
    stub([ok()])
    conn = connect()
    line = capsys.readouterr().out
    assert conn.name == "nim" and "NVIDIA_API_KEY is set" in line and FAKE_KEY not in line
    assert conn.chat("Hi") == "Oslo."


def test_slm_lab_provider_wins(stub, monkeypatch):
    stub([ok()])
    monkeypatch.setenv("SLM_LAB_PROVIDER", "nim")
    assert connect(verbose=False).reason == "set by SLM_LAB_PROVIDER"
    monkeypatch.setenv("SLM_LAB_PROVIDER", "nowhere")
    with pytest.raises(CourseError, match="Unknown provider 'nowhere'"):
        connect(verbose=False)


def test_fallback_says_why_and_uses_the_other_provider_when_the_cloud_cannot_be_used(stub, monkeypatch, capsys):
    ollama, _ = stub([(200, {"object": "list", "data": []}, {})], provider="ollama")
    monkeypatch.setenv("NVIDIA_API_KEY", FAKE_KEY)
    monkeypatch.setenv("NIM_BASE_URL", f"http://127.0.0.1:{free_port()}/v1")
    conn = connect(fallback="ollama", max_retries=0)
    out = capsys.readouterr().out
    assert conn.name == "ollama" and conn.base_url == ollama.url + "/v1"
    assert "Provider nim cannot be used now: Could not connect to NVIDIA NIM" in out and "Using ollama instead." in out
    assert FAKE_KEY not in out


@pytest.mark.parametrize(("answer", "kept"), [
    ((200, {"object": "list", "data": [{"id": "m", "object": "model", "created": 0, "owned_by": "x"}]}, {}), True),
    ((404, {"error": {"message": "no such route"}}, {}), True),  # no /models here: cannot tell, so keep it
    (error(401, "bad key"), False),
    ((200, PORTAL, {"Content-Type": "text/html"}), False),
])
def test_fallback_checks_the_model_list_once(stub, answer, kept):
    server, _ = stub([answer])
    conn = connect("nim", fallback="ollama", verbose=False, max_retries=2)
    assert (conn.name == "nim") is kept
    assert [r["path"] for r in server.requests] == ["/v1/models"], "one GET /models, no retries, no chat"


def test_explain_turns_an_sdk_error_into_the_sentence(stub):
    from azure.ai.inference import ChatCompletionsClient
    from azure.ai.inference.models import UserMessage
    from azure.core.credentials import AzureKeyCredential
    from azure.core.exceptions import AzureError

    _, conn = stub([error(401, "bad key " + FAKE_KEY)], max_retries=0)
    legacy = ChatCompletionsClient(endpoint=conn.base_url, credential=AzureKeyCredential(FAKE_KEY), model=conn.model)
    with pytest.raises(AzureError) as raw:
        legacy.complete(messages=[UserMessage("Hi")])
    message = str(conn.explain(raw.value))
    assert "rejected the key in NVIDIA_API_KEY with 401" in message and FAKE_KEY not in message


def test_a_missing_key_says_which_variable_to_set():
    with pytest.raises(CourseError, match="NVIDIA_API_KEY is not set"):
        connect("nim", verbose=False)
    with pytest.raises(CourseError, match="GITHUB_TOKEN is not set"):
        connect("github", verbose=False)


def test_github_is_offered_only_through_a_gateway_you_name(stub, monkeypatch):
    monkeypatch.setenv("GITHUB_TOKEN", FAKE_KEY)
    assert providers.specs._choose(None)[0] == "local", "its retired address is never picked by itself"
    assert "github" not in available_providers()
    row = next(r for r in providers.provider_table() if r["provider"] == "github")
    assert "retired" in row["to use it"] and FAKE_KEY not in str(row)
    stub([ok()], provider="github")
    assert "github" in available_providers()
    assert connect(verbose=False).name == "github"


def test_foundry_uses_the_v1_path_and_the_deployment_name(stub, monkeypatch):
    monkeypatch.setenv("AZURE_OPENAI_DEPLOYMENT", "my-phi-deployment")
    server, conn = stub([ok()], provider="foundry")
    assert conn.base_url == server.url + "/openai/v1/"
    assert conn.chat("Hi") == "Oslo."
    assert server.requests[0]["path"] == "/openai/v1/chat/completions"
    assert server.requests[0]["json"]["model"] == "my-phi-deployment"
    assert available_providers() == ["local", "foundry"]


def test_foundry_needs_its_endpoint_too(monkeypatch):
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", FAKE_KEY)
    assert "foundry" not in available_providers()
    with pytest.raises(CourseError, match="AZURE_OPENAI_ENDPOINT is not set"):
        connect("foundry", verbose=False)


def test_ollama_is_detected_and_reached_through_v1(stub, monkeypatch):
    models = {"models": [{"name": "phi4-mini:latest"}]}
    server, conn = stub([(200, {"version": "0.12.0"}, {}), (200, models, {}), ok("Hello from Ollama.")],
                        provider="ollama")
    status = providers.ollama_status()
    assert status == {"host": server.url, "version": "0.12.0", "models": ["phi4-mini:latest"]}
    assert conn.chat("Hi") == "Hello from Ollama."
    assert [r["path"] for r in server.requests] == ["/api/version", "/api/tags", "/v1/chat/completions"]


@pytest.mark.parametrize(("value", "expected"), [
    ("0.0.0.0:11434", "http://127.0.0.1:11434"),
    ("localhost", "http://127.0.0.1:11434"),
    ("https://ollama.example.org", "https://ollama.example.org:443"),
    ("http://10.0.0.5:8080", "http://10.0.0.5:8080"),
])
def test_ollama_host_forms(monkeypatch, value, expected):
    monkeypatch.setenv("OLLAMA_HOST", value)
    assert providers.ollama._ollama_root() == expected


def test_no_ollama_means_not_available(monkeypatch):
    monkeypatch.setenv("OLLAMA_HOST", f"127.0.0.1:{free_port()}")
    assert providers.ollama_status() is None
    assert "ollama" not in available_providers()


# --------------------------------------------------------------------------- keys in a notebook's outputs


class FakeOpenAI(BaseHTTPRequestHandler):
    """A loopback chat-completions server: ``/<provider>/v1/...``; ``github`` answers 410, unknown models 404."""

    def log_message(self, *args):
        pass

    def _send(self, status, data, content_type="application/json"):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        request = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
        provider = self.path.strip("/").split("/")[0]
        if provider == "github":
            body = {"error": {"message": f"github_models_retirement_brownout (key {FAKE_KEY})"}}
            return self._send(410, json.dumps(body).encode())
        if "no-such" in request["model"]:
            return self._send(404, json.dumps({"error": {"message": "model not found"}}).encode())
        words = ["Oslo", " is", " the", " answer", "."][: max(1, request.get("max_tokens") or 5)]
        if not request.get("stream"):
            return self._send(200, json.dumps(ok("".join(words), request["model"])[1]).encode())
        events = [{"id": "x", "object": "chat.completion.chunk", "created": 0, "model": request["model"],
                   "choices": [{"index": 0, "delta": {"content": w},
                                "finish_reason": "stop" if i == len(words) - 1 else None}]}
                  for i, w in enumerate(words)]
        data = "".join(f"data: {json.dumps(e)}\n\n" for e in events) + "data: [DONE]\n\n"
        self._send(200, data.encode(), "text/event-stream")


def test_no_key_reaches_a_notebooks_outputs(monkeypatch):
    """Notebook 06 run with fake keys for every provider: the keys are used, and never shown."""
    import nbformat
    from nbclient import NotebookClient

    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeOpenAI)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    for name, value in {"NVIDIA_API_KEY": FAKE_KEY, "GITHUB_TOKEN": FAKE_KEY, "SLM_LAB_LOCAL_API_KEY": FAKE_KEY,
                        "NIM_BASE_URL": f"{url}/nim/v1", "GITHUB_MODELS_BASE_URL": f"{url}/github/v1",
                        "SLM_LAB_LOCAL_BASE_URL": f"{url}/local/v1", "OLLAMA_HOST": f"127.0.0.1:{free_port()}"}.items():
        monkeypatch.setenv(name, value)
    path = REPO_ROOT / "notebooks" / "06-cloud-endpoints.ipynb"
    nb = nbformat.read(path, as_version=4)
    try:
        where = {"metadata": {"path": str(path.parent)}}
        NotebookClient(nb, timeout=120, kernel_name="python3", resources=where).execute()
    finally:
        server.shutdown()
        server.server_close()
    outputs = json.dumps([cell.get("outputs", []) for cell in nb.cells])
    assert FAKE_KEY not in outputs
    assert "Secret(NVIDIA_API_KEY=***)" in outputs, "the notebook ran against the fake NIM"
    assert "GitHub Models was retired" in outputs, "the 410 was explained"
    assert "local \\u00b7" in outputs or "local ·" in outputs, "the benchmark reached the local endpoint too"
