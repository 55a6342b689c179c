"""``python course.py bench --class 1,2,4,8,16``: N learners send the course's prompts to the class server at once.

Each simulated learner streams ``--rounds`` chat requests, one after the other, from ``data/bench_prompts.json``
(the benchmark's own prompts, each learner starting at a different one); all learners of a level start together.
The default is one round per prompt: every learner sends every prompt once, so one learner and a class of 16 send
the same mix and their ratio compares like with like (with fewer rounds, one learner sends only the first few).
A 429 is answered as the course's client does: wait ``Retry-After``, then try again (up to 5 times).

Reported per level: aggregate decode tokens/s (all tokens received / wall time of the level), time to first token
p50 and p95, 429 answers, failed requests (an error status after the retries, or a broken stream) and lost ones
(no answer within the timeout). Figures go to a table on the terminal, a JSON file and a PNG plot.

Without ``--url`` it starts its own class server (``helpers.classroom.server``) on a free port with a fresh token,
and stops it afterwards; with ``--url`` it measures a running one (key from ``SLM_LAB_LOCAL_API_KEY``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from helpers.classroom import KEY_VAR, TOKEN_VAR
from helpers.classroom.loadreport import plot, table
from helpers.env import REPO_ROOT
from helpers.errors import CourseError
from helpers.i18n import _, ngettext

__all__ = ["LevelResult", "RequestResult", "main", "percentile", "run_level", "run_levels", "start_class_server"]

PROMPTS = REPO_ROOT / "data" / "bench_prompts.json"
MAX_429_RETRIES = 5


@dataclass
class RequestResult:
    """One learner request: its final status, when its first token came, how many tokens arrived."""

    status: int = 0  # 0: no answer (lost)
    ttft_s: float | None = None
    tokens: int = 0
    total_s: float = 0.0
    retries_429: int = 0
    complete: bool = False  # a finish_reason arrived (a stream cut short has none)
    done_marker: bool = False  # the stream also ended with ``data: [DONE]`` (transformers serve omits it)
    error: str = ""


@dataclass
class LevelResult:
    """All requests of one class size."""

    learners: int
    wall_s: float
    requests: list[RequestResult] = field(default_factory=list)
    server_rss_mb: float | None = None  # the class server and its engine, when this run started them

    @property
    def ok(self) -> int:
        return sum(r.status == 200 and r.complete for r in self.requests)

    @property
    def lost(self) -> int:
        return sum(r.status == 0 for r in self.requests)

    @property
    def failed(self) -> int:
        return len(self.requests) - self.ok - self.lost

    @property
    def answers_429(self) -> int:
        return sum(r.retries_429 + (r.status == 429) for r in self.requests)

    @property
    def tokens(self) -> int:
        return sum(r.tokens for r in self.requests)

    @property
    def aggregate_tok_s(self) -> float:
        return self.tokens / self.wall_s if self.wall_s else 0.0

    def ttft(self, q: float) -> float | None:
        values = [r.ttft_s for r in self.requests if r.ttft_s is not None]
        return percentile(values, q) if values else None

    def summary(self) -> dict[str, Any]:
        return {"learners": self.learners, "requests": len(self.requests), "ok": self.ok, "failed": self.failed,
                "lost": self.lost, "429_answers": self.answers_429, "tokens": self.tokens,
                "wall_s": round(self.wall_s, 2), "aggregate_tok_s": round(self.aggregate_tok_s, 1),
                "ttft_p50_s": _round(self.ttft(50)), "ttft_p95_s": _round(self.ttft(95)),
                "server_rss_mb": self.server_rss_mb}


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def percentile(values: list[float], q: float) -> float:
    """The ``q``-th percentile (0-100) with linear interpolation, like ``numpy.percentile``.

    Example:
        >>> percentile([1.0, 2.0, 3.0, 4.0], 50), percentile([1.0, 2.0, 3.0, 4.0], 95)
        (2.5, 3.85)

    """
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return round(ordered[low] + (ordered[high] - ordered[low]) * (rank - low), 10)


def load_prompts() -> list[list[dict[str, str]]]:
    """The benchmark's conversations (system + user) from ``data/bench_prompts.json``."""
    data = json.loads(PROMPTS.read_text(encoding="utf-8"))
    return [[{"role": "system", "content": data["system"]}, {"role": "user", "content": p["user"]}]
            for p in data["prompts"]]


async def _one_request(client: Any, url: str, key: str | None, model: str, messages: list[dict[str, str]],
                       max_tokens: int, timeout_s: float) -> RequestResult:
    import httpx

    result = RequestResult()
    body = {"model": model, "messages": messages, "max_tokens": max_tokens, "temperature": 0, "stream": True,
            "stream_options": {"include_usage": True}}
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    started = time.perf_counter()
    for attempt in range(MAX_429_RETRIES + 1):
        started = time.perf_counter()
        try:
            async with asyncio.timeout(timeout_s), client.stream("POST", f"{url}/chat/completions", json=body,
                                                                 headers=headers) as response:
                result.status = response.status_code
                if response.status_code == 429 and attempt < MAX_429_RETRIES:
                    result.retries_429 += 1
                    await response.aread()
                    await asyncio.sleep(float(response.headers.get("retry-after") or 1))
                    continue
                if response.status_code != 200:
                    result.error = (await response.aread()).decode("utf-8", "replace")[:200]
                    break
                finished = done = False
                usage_tokens = None
                async for line in response.aiter_lines():
                    if not line.startswith("data:"):
                        continue
                    payload = line[5:].strip()
                    if payload == "[DONE]":
                        done = True
                        break
                    chunk = json.loads(payload)
                    if chunk.get("usage"):
                        usage_tokens = chunk["usage"].get("completion_tokens")
                    for choice in chunk.get("choices") or []:
                        if (choice.get("delta") or {}).get("content"):
                            if result.ttft_s is None:
                                result.ttft_s = time.perf_counter() - started
                            result.tokens += 1
                        finished = finished or bool(choice.get("finish_reason"))
                if usage_tokens is not None:
                    result.tokens = usage_tokens
                # What a client sees: the OpenAI SDK ends a stream at its last chunk with or without [DONE].
                result.complete, result.done_marker = finished, done
                if not result.complete:
                    result.error = "stream ended early"
        except TimeoutError:
            result.status, result.error = 0, f"no complete answer within {timeout_s:.0f} s"
        except (httpx.HTTPError, OSError, ValueError) as exc:
            result.status = result.status or 0
            result.error = f"{type(exc).__name__}: {exc}"[:200]
        break
    result.total_s = time.perf_counter() - started
    return result


async def run_level(url: str, key: str | None, model: str, learners: int, rounds: int | None = None,
                    max_tokens: int = 64, timeout_s: float = 300.0) -> LevelResult:
    """Run one class size: ``learners`` concurrent learners, ``rounds`` requests each (default: every prompt once)."""
    import httpx

    prompts = load_prompts()
    rounds = rounds or len(prompts)
    limits = httpx.Limits(max_connections=learners + 4)

    async with httpx.AsyncClient(timeout=httpx.Timeout(timeout_s, connect=10.0), limits=limits) as client:

        async def learner(index: int) -> list[RequestResult]:
            return [await _one_request(client, url, key, model, prompts[(index + r) % len(prompts)], max_tokens,
                                       timeout_s) for r in range(rounds)]

        started = time.perf_counter()
        per_learner = await asyncio.gather(*(learner(i) for i in range(learners)))
        wall = time.perf_counter() - started
    return LevelResult(learners, wall, [r for results in per_learner for r in results])


def run_levels(url: str, key: str | None, model: str, levels: list[int], rounds: int | None = None,
               max_tokens: int = 64, timeout_s: float = 300.0, progress: bool = True,
               server_pid: int | None = None) -> list[LevelResult]:
    """Run every class size in turn (a tqdm bar per level) and return the results.

    ``server_pid``: the class server's process, to record its memory (with its engine) after each level.
    """
    from tqdm.auto import tqdm

    results = []
    for n in tqdm(levels, desc=_("class sizes"), disable=not progress):
        results.append(asyncio.run(run_level(url, key, model, n, rounds, max_tokens, timeout_s)))
        if server_pid is not None:
            results[-1].server_rss_mb = round(_tree_rss(server_pid) / 1e6, 1)
    return results


def _tree_rss(pid: int) -> int:
    import psutil

    try:
        root = psutil.Process(pid)
        return sum(p.memory_info().rss for p in [root, *root.children(recursive=True)])
    except psutil.Error:
        return 0


def start_class_server(
    extra_args: list[str], log_dir: Path, timeout_s: float = 240.0
) -> tuple[subprocess.Popen, str, str]:
    """Start ``helpers.classroom.server`` on a free port with a fresh token; return (process, base URL, token).

    Raises:
        CourseError: It exited or did not answer ``/health`` within ``timeout_s``.

    """
    import secrets
    import urllib.request

    from helpers.local_server import free_port

    port, token = free_port(), secrets.token_urlsafe(24)
    env = {**os.environ, TOKEN_VAR: token, "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "helpers.classroom.server", "--port", str(port), "--log-dir", str(log_dir),
               *extra_args]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise CourseError(_(
                "The class server exited (code {returncode}) before answering; "
                "see the logs in {log_dir}."
            ).format(returncode=process.returncode, log_dir=log_dir))
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2):
                return process, f"http://127.0.0.1:{port}/v1", token
        except OSError:
            time.sleep(0.5)
    stop_class_server(process)
    raise CourseError(_(
        "The class server did not answer within {timeout_s:.0f} s; see the logs in {log_dir}."
    ).format(timeout_s=timeout_s, log_dir=log_dir))


def stop_class_server(process: subprocess.Popen, timeout_s: float = 30.0) -> int:
    """Ctrl-C (SIGINT) the server, as an instructor would; SIGKILL its group if it does not stop in time."""
    import signal

    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            return process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
    return process.wait()


def _announce(args: argparse.Namespace, levels: list[int], load: float) -> None:
    """Say what the load test is about to do, in the learner's language."""
    where = args.url or _("a class server started here ({server_args})").format(
        server_args=args.server_args or _("defaults"))
    # TRANSLATORS: {where} is a URL or "a class server started here (...)"; {levels} is a list of class sizes.
    print(ngettext("Load test against {where}: classes of {levels}, {rounds} request each, {max_tokens} tokens; "
                   "{cores} cores, load average {load:.1f} before",
                   "Load test against {where}: classes of {levels}, {rounds} requests each, {max_tokens} tokens; "
                   "{cores} cores, load average {load:.1f} before", args.rounds).format(
        where=where, levels=levels, rounds=args.rounds, max_tokens=args.max_tokens, cores=os.cpu_count(),
        load=load), flush=True)


def main(argv: list[str] | None = None) -> None:
    """The command line (see the module docstring)."""
    parser = argparse.ArgumentParser(prog="course.py bench --class", description=__doc__.splitlines()[0])
    parser.add_argument("--class", dest="levels", default="1,2,4,8,16", help="class sizes, e.g. 1,2,4,8,16")
    parser.add_argument("--url", help="a running class server's /v1 URL (default: start one here)")
    parser.add_argument("--model", default=None, help="model name to send (default: the course model)")
    parser.add_argument("--rounds", type=int, default=len(load_prompts()),
                        help="requests per learner (default: each of the benchmark's prompts once)")
    parser.add_argument("--max-tokens", type=int, default=64, help="tokens per answer (default 64)")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds before a request counts as lost")
    parser.add_argument("--out", type=Path, default=None, help="folder for the JSON and PNG (default .cache/bench)")
    parser.add_argument("--server-args", default="", help="extra arguments for the server it starts, quoted")
    args = parser.parse_args(argv)
    from helpers.local_server import LOCAL_MODEL_ID
    from helpers.models import cache_dir

    try:
        levels = [int(n) for n in args.levels.split(",") if n.strip()]
        assert levels and all(n > 0 for n in levels)
    except (ValueError, AssertionError):
        sys.exit("CourseError: " + _("--class takes class sizes separated by commas, e.g. --class 1,2,4,8,16."))
    if args.rounds < 1:
        sys.exit("CourseError: " + _("--rounds takes the number of requests per learner, 1 or more, e.g. --rounds 8."))
    out = args.out or cache_dir() / "bench"
    process = None
    try:
        if args.url:
            url, key = args.url.rstrip("/"), os.environ.get(KEY_VAR)
            where = args.url
        else:
            print(_("Starting a class server for the load test (about 15 s)..."), flush=True)
            process, url, key = start_class_server(args.server_args.split(), out / "logs")
            where = f"a class server started here ({args.server_args or 'defaults'})"  # the report's record (English)
        load = os.getloadavg() if hasattr(os, "getloadavg") else (0, 0, 0)
        _announce(args, levels, load[0])
        results = run_levels(url, key, args.model or LOCAL_MODEL_ID, levels, args.rounds, args.max_tokens,
                             args.timeout, server_pid=process.pid if process else None)
    except CourseError as err:
        sys.exit(f"CourseError: {err}")
    finally:
        if process is not None:
            stop_class_server(process)
    load_after = os.getloadavg() if hasattr(os, "getloadavg") else (0, 0, 0)
    print(table(results))
    print(_("load average after: {load_1:.1f} (1 min), {load_5:.1f} (5 min)").format(
        load_1=load_after[0], load_5=load_after[1]))
    out.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    report = {"where": where, "levels": [r.summary() for r in results], "cores": os.cpu_count(),
              "load_before": load[:3], "load_after": load_after[:3], "rounds": args.rounds,
              "max_tokens": args.max_tokens,
              "errors": sorted({r.error for level in results for r in level.requests if r.error})[:10],
              "requests": {str(r.learners): [asdict(q) for q in r.requests] for r in results}}
    json_path = out / f"class-{stamp}.json"
    json_path.write_text(json.dumps(report, indent=1), encoding="utf-8")
    png = plot(results, out / f"class-{stamp}.png",
               f"Class server load test: {os.cpu_count()} cores, load average {load[0]:.1f} before")
    print(_("Saved {json_path} and {png}").format(json_path=json_path, png=png))
    if any(r.failed or r.lost for r in results):
        print(_("Some requests failed or were lost: see 'errors' in the JSON."))
        sys.exit(1)


if __name__ == "__main__":
    main()
