"""helpers.classroom: the class server's gateway over a real llama.cpp engine, through real HTTP.

One class server (2 slots, no queue, a token set as an instructor would) serves most tests; two more start for
the Ctrl-C and generated-token checks. No timing asserts: the load test here checks correctness at a small N.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import psutil
import pytest

from helpers.classroom import KEY_VAR, TOKEN_VAR
from helpers.classroom.engine import engine_process
from helpers.classroom.loadtest import run_levels, start_class_server, stop_class_server
from helpers.classroom.server import check_bind
from helpers.classroom.token import ClassToken, RedactFilter
from helpers.errors import CourseError
from helpers.local_server import LOCAL_MODEL_ID, free_port

ROOT = Path(__file__).resolve().parents[1]
HELLO = {"model": LOCAL_MODEL_ID, "messages": [{"role": "user", "content": "What is the capital of Norway?"}],
         "max_tokens": 8, "temperature": 0}


@pytest.fixture(scope="module")
def class_server(tmp_path_factory):
    """A class server with 2 slots and no queue; yields (base URL, token, log folder, process)."""
    logs = tmp_path_factory.mktemp("classroom-logs")
    process, url, token = start_class_server(["--parallel", "2", "--queue", "0"], logs)
    try:
        yield url, token, logs, process
    finally:
        stop_class_server(process)


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# --------------------------------------------------------------------------- token and bind rules (no server)


def test_token_checks_bearer_header_and_hides_itself():
    token = ClassToken("class-token-for-a-test-123")
    assert token.matches("Bearer class-token-for-a-test-123")
    assert token.matches("bearer class-token-for-a-test-123")
    assert not token.matches("Bearer class-token-for-a-test-12")
    assert not token.matches("Basic class-token-for-a-test-123")
    assert not token.matches("class-token-for-a-test-123")
    assert not token.matches(None)
    assert "class-token" not in repr(token) and "class-token" not in f"{token}"
    generated = ClassToken()
    assert generated.generated and len(generated.reveal()) >= 32 and generated.reveal() != ClassToken().reveal()


def test_weak_token_is_refused_in_one_sentence():
    with pytest.raises(CourseError, match="at least 16 characters"):
        ClassToken("short")


def test_redact_filter_scrubs_a_secret_from_log_records():
    import logging

    record = logging.LogRecord("x", logging.INFO, __file__, 1, "got %s here", ("SECRET-VALUE-1234567",), None)
    assert RedactFilter("SECRET-VALUE-1234567").filter(record)
    assert record.getMessage() == "got *** here"


@pytest.mark.parametrize("host", ["0.0.0.0", "10.0.0.5", "::", "classroom.example.org"])
def test_no_auth_on_a_reachable_address_is_refused(host):
    with pytest.raises(CourseError, match=f"Refusing to serve on {host} without a token"):
        check_bind(host, no_auth=True)
    check_bind(host, no_auth=False)  # with a token, any address is allowed
    check_bind("127.0.0.1", no_auth=True)


def test_serve_command_refuses_non_local_no_auth_before_starting_anything():
    result = subprocess.run([sys.executable, "-m", "helpers.classroom.server", "--host", "0.0.0.0", "--no-auth"],
                            capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert result.returncode != 0
    assert result.stderr.strip().startswith("CourseError: Refusing to serve on 0.0.0.0 without a token")
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("extra, other", [(["--engine", "transformers", "--weights", "q8_0"], "--engine transformers"),
                                          (["--upstream", "http://127.0.0.1:9/v1", "--gguf", "x.gguf"], "--upstream")])
def test_weights_with_another_engine_are_refused_before_starting_anything(extra, other):
    from helpers.classroom.server import serve

    with pytest.raises(CourseError, match=f"^--weights and --gguf .* do not apply to {other}: drop them, or drop"):
        serve(["--port", "0", *extra])


def test_a_missing_gguf_is_refused_in_one_sentence(tmp_path):
    with pytest.raises(CourseError, match=r"^No GGUF file at .*missing\.gguf: check the path given to --gguf"):
        engine_process("llamacpp", gguf=tmp_path / "missing.gguf")


@pytest.mark.parametrize("weights, kind, tolerance", [("q8_0", "Q8_0", 0.005), ("q4_0", "Q4_0", 0.126),
                                                     ("f16", "F16", 1e-3)])
def test_converted_weights_are_the_course_model_in_another_format(weights, kind, tolerance, tmp_path):
    """Every weight within its format's rounding of the shipped value (relative to the largest in its block: about
    1/254 for Q8_0, half a step of 127 plus the rounding of the 16-bit scale; up to 1/8 for Q4_0, whose 16 levels
    run from -8 to +7 steps, so a value at the far end from the block's largest clips), the same tensors, and
    every metadata field but the file type unchanged: tokenizer, chat template, architecture."""
    import gguf
    import numpy as np

    from helpers.classroom.formats import converted_gguf
    from helpers.models import default_gguf_path

    path = converted_gguf(weights, folder=tmp_path)
    assert path.name == f"SmolLM2-135M-Instruct.{kind}.gguf" and converted_gguf(weights, folder=tmp_path) == path
    assert not list(tmp_path.glob("*partial*"))
    old, new = gguf.GGUFReader(default_gguf_path()), gguf.GGUFReader(path)
    skip = {gguf.Keys.General.FILE_TYPE}
    assert {k for k in old.fields if k not in skip} == {k for k in new.fields if k not in skip}
    for name in (gguf.Keys.Tokenizer.CHAT_TEMPLATE, gguf.Keys.Tokenizer.LIST, gguf.Keys.General.ARCHITECTURE):
        assert old.get_field(name).contents() == new.get_field(name).contents(), name
    assert [t.name for t in old.tensors] == [t.name for t in new.tensors]
    worst = 0.0
    for before, after in zip(old.tensors, new.tensors, strict=True):
        a = gguf.quants.dequantize(before.data, before.tensor_type).astype(np.float32)
        b = gguf.quants.dequantize(after.data, after.tensor_type).astype(np.float32)
        assert a.shape == b.shape, before.name
        if len(before.shape) >= 2:
            assert after.tensor_type.name == kind, after.name
        worst = max(worst, float(np.abs(a - b).max() / np.abs(a).max()))
    assert worst <= tolerance, worst
    assert path.stat().st_size != default_gguf_path().stat().st_size  # really converted, not copied


def test_an_unknown_weight_format_is_refused_in_one_sentence():
    from helpers.classroom.formats import converted_gguf

    with pytest.raises(CourseError, match=r"^Unknown weight format 'q3_k': use one of q4_1, q8_0, q4_0, f16\.$"):
        converted_gguf("q3_k")


# --------------------------------------------------------------------------- the running gateway


def test_requests_without_or_with_a_wrong_token_get_401(class_server):
    url, token, _, _ = class_server
    for headers in ({}, auth("wrong-token-wrong-token"), {"Authorization": token}):
        response = httpx.post(f"{url}/chat/completions", json=HELLO, headers=headers, timeout=30)
        assert response.status_code == 401, headers
        assert response.headers["www-authenticate"] == "Bearer"
        assert KEY_VAR in response.json()["error"]["message"]
    assert httpx.get(f"{url}/models", timeout=30).status_code == 401


def test_models_and_chat_work_with_the_token(class_server):
    url, token, _, _ = class_server
    models = httpx.get(f"{url}/models", headers=auth(token), timeout=30).json()
    assert [m["id"] for m in models["data"]] == [LOCAL_MODEL_ID]
    response = httpx.post(f"{url}/chat/completions", json=HELLO, headers=auth(token), timeout=120)
    assert response.status_code == 200, response.text
    assert "oslo" in response.json()["choices"][0]["message"]["content"].lower()


def test_unknown_model_is_404_like_a_cloud_catalog(class_server):
    url, token, _, _ = class_server
    response = httpx.post(f"{url}/chat/completions", json={**HELLO, "model": "no-such/model"}, headers=auth(token),
                          timeout=30)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "model_not_found"


def test_streaming_passes_through_to_done(class_server):
    url, token, _, _ = class_server
    with httpx.stream("POST", f"{url}/chat/completions", json={**HELLO, "stream": True}, headers=auth(token),
                      timeout=120) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = [line for line in response.iter_lines() if line.startswith("data:")]
    assert lines[-1] == "data: [DONE]"
    text = "".join((json.loads(line[5:])["choices"] or [{}])[0].get("delta", {}).get("content") or ""
                   for line in lines[:-1])
    assert "oslo" in text.lower()


def test_full_server_answers_429_with_retry_after_and_a_disconnect_frees_the_slot(class_server):
    """Two slots, no queue: while two streams hold the slots, a third request gets 429 + Retry-After.

    Then the two learners hang up mid-answer: the gateway must free both slots, and the next request succeeds.
    """
    url, token, _, _ = class_server
    root = url.removesuffix("/v1")
    long = {**HELLO, "stream": True, "max_tokens": 400, "messages": [{"role": "user", "content": "Tell a long story."}]}
    holding, checked, first = threading.Barrier(3), threading.Event(), []

    def hold():
        with httpx.stream("POST", f"{url}/chat/completions", json=long, headers=auth(token), timeout=300) as resp:
            lines = resp.iter_lines()  # keep it: a closed line iterator closes the response (a hang-up)
            first.append((resp.status_code, next(line for line in lines if line.startswith("data:"))))
            holding.wait(timeout=120)  # both slots are taken: a token arrived on each
            checked.wait(timeout=120)
        # leaving the block closes the connection mid-answer

    holders = [threading.Thread(target=hold) for _ in range(2)]
    for thread in holders:
        thread.start()
    try:
        holding.wait(timeout=120)
        busy = httpx.post(f"{url}/chat/completions", json=HELLO, headers=auth(token), timeout=30)
        during = httpx.get(f"{root}/health", timeout=10).json()
    finally:
        checked.set()
        for thread in holders:
            thread.join(timeout=120)
    assert [status for status, _ in first] == [200, 200]
    assert during["active"] == 2
    assert busy.status_code == 429
    assert int(busy.headers["retry-after"]) >= 1
    assert busy.json()["error"]["type"] == "rate_limit_error"
    deadline = time.monotonic() + 60
    while httpx.get(f"{root}/health", timeout=10).json()["active"] and time.monotonic() < deadline:
        time.sleep(0.2)
    health = httpx.get(f"{root}/health", timeout=10).json()
    assert health["active"] == 0 and health["rejected"] >= 1, health
    assert httpx.post(f"{url}/chat/completions", json=HELLO, headers=auth(token), timeout=120).status_code == 200


def test_small_load_test_loses_nothing(class_server):
    url, token, _, _ = class_server
    results = run_levels(url, token, LOCAL_MODEL_ID, [1, 2], rounds=1, max_tokens=12, progress=False)
    for level in results:
        assert level.ok == len(level.requests) == level.learners, [r.error for r in level.requests]
        assert level.lost == level.failed == 0
        assert level.tokens > 0 and level.ttft(50) is not None


def test_notebook_06_runs_through_the_gateway_with_two_variables(class_server, monkeypatch):
    import nbformat
    from nbclient import NotebookClient

    url, token, _, _ = class_server
    for name in ("SLM_LAB_PROVIDER", "AZURE_OPENAI_API_KEY", "NVIDIA_API_KEY", "GITHUB_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SLM_LAB_LOCAL_BASE_URL", url)
    monkeypatch.setenv(KEY_VAR, token)
    nb = nbformat.read(ROOT / "notebooks" / "06-cloud-endpoints.ipynb", as_version=4)
    NotebookClient(nb, timeout=240, kernel_name="python3", resources={"metadata": {"path": str(ROOT / "notebooks")}}
                   ).execute()
    outputs = json.dumps([cell.get("outputs", []) for cell in nb.cells])
    assert f"base URL : {url}" in outputs, "the notebook used the class server"
    assert token not in outputs, "the class token appears in a notebook output"


def test_token_never_in_the_logs(class_server):
    url, token, logs, _ = class_server
    assert httpx.get(f"{url}/models", headers=auth(token), timeout=30).status_code == 200
    assert httpx.get(f"{url}/models", headers=auth(token[:-1]), timeout=30).status_code == 401
    files = list(logs.glob("*.log"))
    names = [f.name for f in files]
    assert any(n.startswith("classroom-gateway") for n in names) and any(n.startswith("engine") for n in names)
    text = "".join(f.read_text(encoding="utf-8", errors="replace") for f in files)
    assert "GET /v1/models 401" in text and "GET /v1/models 200" in text, "requests were logged"
    assert token not in text and token[:-1] not in text


# --------------------------------------------------------------------------- lifecycle


def test_generated_token_printed_once_and_ctrl_c_leaves_no_process(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != TOKEN_VAR}
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "helpers.classroom.server", "--port", str(port), "--parallel", "1",
         "--log-dir", str(tmp_path)], env={**env, "PYTHONUNBUFFERED": "1"}, cwd=ROOT,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        token = None
        deadline = time.monotonic() + 240
        while token is None and time.monotonic() < deadline:
            line = process.stdout.readline()
            assert line or process.poll() is None, process.stderr.read()
            if line.strip().startswith(f"export {KEY_VAR}="):
                token = line.split("=", 1)[1].split()[0]
        assert token, "the generated token was printed"
        while True:
            try:
                ok = httpx.post(f"http://127.0.0.1:{port}/v1/chat/completions", json=HELLO, headers=auth(token),
                                timeout=120)
                break
            except httpx.ConnectError:
                assert time.monotonic() < deadline
                time.sleep(0.3)
        assert ok.status_code == 200
        family = [process.pid, *(child.pid for child in psutil.Process(process.pid).children(recursive=True))]
        assert len(family) >= 2, "the engine runs as a child process"
        process.send_signal(signal.SIGINT)  # what Ctrl-C sends
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    assert process.returncode == 0, err[-2000:]
    time.sleep(0.5)
    alive = [pid for pid in family if psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE]
    assert alive == [], "processes left after Ctrl-C"
    assert "class server stopped" in err
    assert (out + err).count(token) == 0, "printed once (read above), never again"
    assert all(token not in f.read_text(errors="replace") for f in tmp_path.glob("*.log"))


def _sse(*chunks: dict, done: bool) -> bytes:
    lines = [f"data: {json.dumps(chunk)}\n\n" for chunk in chunks] + (["data: [DONE]\n\n"] if done else [])
    return "".join(lines).encode()


_WORD = {"choices": [{"index": 0, "delta": {"content": "Oslo"}}]}
_END = {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}


@pytest.mark.parametrize(("body", "complete"), [
    (_sse(_WORD, _END, done=True), True),  # llama.cpp, OpenAI
    (_sse(_WORD, _END, done=False), True),  # transformers serve: finish_reason, no [DONE] (the SDK accepts it)
    (_sse(_WORD, done=True), False),  # [DONE] without a finish_reason: the answer was cut
    (_sse(_WORD, done=False), False),  # cut mid-answer
])
def test_the_load_test_counts_a_stream_complete_by_its_finish_reason(body, complete):
    import asyncio

    from helpers.classroom.loadtest import run_level
    from tests.test_providers import Stub

    stub = Stub([(200, body, {"Content-Type": "text/event-stream"})])
    try:
        level = asyncio.run(run_level(f"{stub.url}/v1", "k", "m", learners=1, rounds=1, max_tokens=4, timeout_s=10))
    finally:
        stub.server.shutdown()
    (request,) = level.requests
    assert request.status == 200 and request.tokens == 1 and request.complete is complete
    assert request.error == ("" if complete else "stream ended early")


def test_the_instructors_guide_quotes_the_load_test_data():
    """Every figure of the guide's load-test tables is the one in data/classroom/ (none retyped by hand)."""
    import re

    root = Path(__file__).resolve().parents[1]
    guide = (root / "docs" / "instructors.md").read_text(encoding="utf-8")
    levels = json.loads((root / "data/classroom/loadtest-2026-12-01.json").read_text(encoding="utf-8"))["levels"]
    for level in levels:
        row = f"| {level['learners']} | {level['requests']} | {level['ok']} | {level['failed']} | {level['lost']} | "
        assert row in guide, row
        line = guide[guide.index(row):].splitlines()[0]
        assert f"| {level['aggregate_tok_s']} |" in line and f"| {level['ttft_p95_s']:.2f} s |" in line, line
    for suffix, label in (("threads2", "--threads 2"), ("transformers", "--engine transformers")):
        other = json.loads((root / f"data/classroom/loadtest-2026-12-01-{suffix}.json").read_text(encoding="utf-8"))
        line = next(line for line in guide.splitlines() if f"(`{label}`) |" in line)
        by_size = {level["learners"]: level for level in other["levels"]}
        figures = re.findall(r"([\d.]+) tok/s", line)
        assert figures == [f"{by_size[n]['aggregate_tok_s']}" for n in (1, 8, 16)], (line, figures)


def test_the_instructors_guide_quotes_the_weight_format_data():
    """The guide's weight-format table, its ratios and its answer comparison are the ones in data/classroom/."""
    import statistics

    root = Path(__file__).resolve().parents[1]
    guide = (root / "docs" / "instructors.md").read_text(encoding="utf-8")
    data = json.loads((root / "data/classroom/weights-2026-12-01.json").read_text(encoding="utf-8"))
    at8 = {}
    for run in data["runs"]:
        by_size = {level["learners"]: level for level in run["levels"]}
        at8[run["weights"], run["threads"]] = by_size[8]["aggregate_tok_s"]
        row = next(line for line in guide.splitlines()
                   if line.startswith(f"| `{run['weights']}`") and f"| {run['threads']} |" in line)
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        assert cells[1:] == [f"{run['file_mb']} MB", str(run["threads"]), f"{by_size[1]['aggregate_tok_s']} tok/s",
                             f"{by_size[8]['aggregate_tok_s']} tok/s", f"{by_size[8]['ttft_p95_s']:.2f} s",
                             f"{by_size[16]['aggregate_tok_s']} tok/s",
                             str(sum(level["failed"] + level["lost"] for level in run["levels"]))], row
    for weights, words in data["agreement"]["shared_leading_words"].items():
        assert f"`{weights}` {statistics.median(words):g}" in guide, weights
    few = sum(n <= 2 for n in data["agreement"]["shared_leading_words"]["q4_0"])
    assert f"at most two leading words with them in {few} of 8 prompts" in guide


def test_the_load_test_sends_every_learner_the_same_mix_by_default():
    """Without ``rounds``, each learner sends every benchmark prompt once, so class sizes compare like with like."""
    import asyncio
    from collections import Counter

    from helpers.classroom.loadtest import load_prompts, run_level
    from tests.test_providers import Stub

    prompts = [messages[-1]["content"] for messages in load_prompts()]
    stub = Stub([(200, _sse(_WORD, _END, done=True), {"Content-Type": "text/event-stream"})])
    try:
        alone = asyncio.run(run_level(f"{stub.url}/v1", "k", "m", learners=1, max_tokens=4, timeout_s=10))
        sent_alone = [r["json"]["messages"][-1]["content"] for r in stub.requests]
        stub.requests.clear()
        three = asyncio.run(run_level(f"{stub.url}/v1", "k", "m", learners=3, max_tokens=4, timeout_s=10))
        sent_by_three = Counter(r["json"]["messages"][-1]["content"] for r in stub.requests)
    finally:
        stub.server.shutdown()
    assert len(prompts) >= 4 and len(alone.requests) == len(prompts) and len(three.requests) == 3 * len(prompts)
    assert sent_alone == prompts, "one learner sends every prompt once, in the file's order"
    assert sent_by_three == Counter({prompt: 3 for prompt in prompts}), "and so does each of three learners"


def test_the_instructors_guide_quotes_the_every_prompt_load_test_and_profile():
    """The guide's tables and ratios from the same-mix load tests and the perf profile are the data's."""
    root = Path(__file__).resolve().parents[1]
    guide = (root / "docs" / "instructors.md").read_text(encoding="utf-8")
    data = root / "data" / "classroom"

    def load(name):
        return json.loads((data / f"loadtest-2026-12-01-every-prompt{name}.json").read_text(encoding="utf-8"))

    default = load("-default")
    base = default["levels"][0]["aggregate_tok_s"]
    for level in default["levels"]:
        assert level["requests"] == 8 * level["learners"] and level["failed"] == level["lost"] == 0
        row = (f"| {level['learners']} | {level['requests']} | {level['ok']} | 0 | 0 | {level['429_answers']} | "
               f"{level['aggregate_tok_s']} | {level['aggregate_tok_s'] / base:.1f}x | {level['ttft_p50_s']:.2f} s | "
               f"{level['ttft_p95_s']:.2f} s | {level['server_rss_mb']:.0f} MB |")
        assert row in guide, row
    runs = [(f"`--weights {run['weights']} --threads {run['threads']}`", run) for run in load("")["runs"]]
    at8 = {}
    for label, run in [*runs, ("`--engine transformers`", load("-transformers"))]:
        by_size = {level["learners"]: level for level in run["levels"]}
        one, eight = by_size[1]["aggregate_tok_s"], by_size[8]["aggregate_tok_s"]
        at8[label] = eight
        row = next(line for line in guide.splitlines() if line.startswith(f"| {label}"))
        cells = [cell.strip() for cell in row.strip("|").split("|")][1:]
        assert cells == [f"{one} tok/s", f"{eight} tok/s", f"{eight / one:.1f}x", f"{by_size[8]['ttft_p95_s']:.2f} s",
                         str(sum(level["failed"] + level["lost"] for level in run["levels"])),
                         f"{by_size[8]['server_rss_mb'] / 1000:.1f} GB"], row
    for weights, threads, quoted in (("q4_0", 1, "1.8x (1 thread)"), ("q4_0", 2, "1.9x (2 threads)"),
                                     ("q8_0", 1, "1.1x as fast at 8 learners with 1 thread"),
                                     ("q8_0", 2, "1.3x with 2")):
        ratio = at8[f"`--weights {weights} --threads {threads}`"] / at8[f"`--weights q4_1 --threads {threads}`"]
        assert quoted in guide and quoted.startswith(f"{ratio:.1f}x"), quoted
    profile = {run["weights"]: run for run in
               json.loads((data / "profile-2026-12-01.json").read_text(encoding="utf-8"))["runs"]}
    for weights, kernel in (("q4_1", "ggml_vec_dot_q4_1_q8_1"), ("q4_0", "gemm_q4_b32_8x8_q8_0_lut_avx"),
                            ("q8_0", "tinyBLAS_Q0_AVX<block_q8_0")):
        top = profile[weights]["top_functions"][0]
        assert kernel in top["function"] and f"{top['percent']:.1f}% " in guide and kernel in guide, (weights, top)
    shares = [profile[w]["top_functions"][0]["percent"] for w in ("q4_0", "q8_0")]
    assert f"{min(shares):.1f}-{max(shares):.1f}% of the engine's time" in guide


def test_the_profile_script_reads_perf_report():
    """Functions come out with their share, perf's padding dropped, and an address named by its library."""
    from scripts.profile_class_engine import top_functions

    report = """# Overhead  Shared Object  Symbol
#
    65.50%  xllamacpp.abi3.so  [.] ggml_vec_dot_q4_1_q8_1              -      -
    10.57%  xllamacpp.abi3.so  [.] (anonymous namespace)::tinyBLAS_Q0_AVX<block_q8_0, block_q8_0, float>::gemm4xN<2>  -
     4.92%  libgomp.so.1.0.0   [.] 0x000000000001f7da                  -      -
     0.11%  [kernel.kallsyms]  [k] do_syscall_64
"""
    assert top_functions(report) == [
        {"percent": 65.5, "library": "xllamacpp.abi3.so", "function": "ggml_vec_dot_q4_1_q8_1"},
        {"percent": 10.57, "library": "xllamacpp.abi3.so",
         "function": "(anonymous namespace)::tinyBLAS_Q0_AVX<block_q8_0, block_q8_0, float>::gemm4xN<2>"},
        {"percent": 4.92, "library": "libgomp.so.1.0.0", "function": "(libgomp.so.1.0.0)"}]
    assert top_functions(report, limit=1)[0]["function"] == "ggml_vec_dot_q4_1_q8_1"


@pytest.mark.parametrize(("argv", "named"), [
    (["--class", "1,two"], "--class"), (["--class", "0,8"], "--class"), (["--class", ","], "--class"),
    (["--rounds", "0"], "--rounds"), (["--rounds", "-2"], "--rounds"),
])
def test_the_load_test_refuses_a_bad_class_size_or_round_count_in_one_sentence(argv, named):
    from helpers.classroom.loadtest import main

    with pytest.raises(SystemExit) as stop:
        main(argv)  # refused before any server starts
    message = str(stop.value.code)
    assert message.startswith("CourseError: " + named) and message.count(".") >= 1 and "\n" not in message
