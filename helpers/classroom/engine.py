"""The engine behind the class gateway: llama.cpp's server (``xllamacpp``) or ``transformers serve``.

The engine listens only on ``127.0.0.1`` at a private port. llama.cpp is started with its own random key
(``SLM_LAB_ENGINE_KEY``, passed through the environment, never on the command line), so other users of a
shared machine cannot go around the gateway; learners never see that key. ``transformers serve`` has no key
option: use it only on a machine where learners have no shell (a hub with one container per learner).

Run by :mod:`helpers.classroom.server`; by hand:
``SLM_LAB_ENGINE_KEY=... python -m helpers.classroom.engine --gguf FILE --port 9000``.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from helpers.errors import CourseError
from helpers.i18n import _
from helpers.local_server import LOCAL_MODEL_ID, LocalServer

__all__ = ["ENGINES", "EngineProcess", "default_threads", "engine_process", "main"]

#: The engines ``serve`` can start, by name.
ENGINES = ("llamacpp", "transformers")
KEY_ENV = "SLM_LAB_ENGINE_KEY"


def default_threads() -> int:
    """Engine threads: half the logical cores (at least 1), i.e. one per physical core on most machines.

    Measured on the course's 2-core build machine shared with other work (load average about 20): llama.cpp with
    1 thread decoded about 8 tokens/s, with 2 threads under 0.5 (its threads wait for each other while the
    other programs hold the cores). On a dedicated server, ``--threads`` can be raised to the physical cores.
    """
    return max(1, (os.cpu_count() or 2) // 2)


class EngineProcess(LocalServer):
    """A :class:`~helpers.local_server.LocalServer` whose readiness check sends the engine's own key."""

    def __init__(self, *args, key: str | None = None, log_dir: Path | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.key = key
        if log_dir is not None:
            log_dir.mkdir(parents=True, exist_ok=True)
            self.log_path = log_dir / f"engine-pid{os.getpid()}-{self.port}.log"

    def headers(self) -> dict[str, str]:
        """Headers for a request to the engine."""
        return {"Content-Type": "application/json", **({"Authorization": f"Bearer {self.key}"} if self.key else {})}

    def wait_until_ready(self, timeout_s: float = 180.0) -> EngineProcess:
        """Poll with a one-token chat request until the engine answers 200.

        Raises:
            CourseError: The engine exited, answered an error, or was silent for ``timeout_s``.

        """
        body = json.dumps({"model": self.model, "messages": [{"role": "user", "content": "Hi"}],
                           "max_tokens": 1}).encode()
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if not self.alive:
                code = self.process.returncode if self.process else None
                self.stop(keep_log=True)
                raise CourseError(_(
                    "The {name} engine exited (code {code}) before answering: "
                    "{log_tail}; see {log_path}."
                ).format(
                    name=self.name, code=code, log_tail=self._log_tail() or _("no output"), log_path=self.log_path
                ))
            request = urllib.request.Request(f"{self.base_url}/chat/completions", data=body, headers=self.headers())
            try:
                with urllib.request.urlopen(request, timeout=max(1.0, deadline - time.monotonic())):
                    self.ready = True
                    return self
            except urllib.error.HTTPError as exc:
                if exc.code != 503:  # llama.cpp answers 503 while it loads the model
                    self.stop(keep_log=True)
                    raise CourseError(_(
                        "The {name} engine answered HTTP {code} to a test request: "
                        "see {log_path}."
                    ).format(name=self.name, code=exc.code, log_path=self.log_path)) from None
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.25)
        self.stop(keep_log=True)
        raise CourseError(_(
            "The {name} engine did not answer within {timeout_s:.0f} s: the machine may be busy, "
            "so rerun (log: {log_path})."
        ).format(name=self.name, timeout_s=timeout_s, log_path=self.log_path))


def engine_process(
    engine: str = "llamacpp",
    parallel: int = 8,
    ctx_per_slot: int = 2048,
    threads: int | None = None,
    model_id: str = LOCAL_MODEL_ID,
    log_dir: Path | None = None,
    gguf: Path | None = None,
) -> EngineProcess:
    """The engine process (not started yet) on a free loopback port.

    Args:
        engine: ``"llamacpp"`` (the course's GGUF through xllamacpp) or ``"transformers"`` (``transformers serve
            --continuous-batching`` on the course's Transformers folder).
        parallel: Requests decoded together (llama.cpp's slots).
        ctx_per_slot: Context tokens per slot (prompt plus answer).
        threads: CPU threads; ``None`` is :func:`default_threads`.
        model_id: The model name learners send.
        log_dir: Where the engine's log goes (default: the course's log folder).
        gguf: The GGUF file llama.cpp serves (default: the course model's 4-bit file).

    Raises:
        CourseError: Unknown engine, or its package is missing.

    """
    if engine == "llamacpp":
        from importlib.util import find_spec

        if find_spec("xllamacpp") is None:
            raise CourseError(_(
                "The xllamacpp package is not installed: run `pip install -r requirements.txt`, "
                "then rerun `python course.py serve`."
            ))
        from helpers.models import default_gguf_path

        gguf = Path(gguf) if gguf else default_gguf_path()
        if not gguf.is_file():
            raise CourseError(_(
                "No GGUF file at {path}: check the path given to --gguf, or leave it out to serve the course model."
            ).format(path=gguf))
        key = secrets.token_urlsafe(24)
        command = [sys.executable, "-m", "helpers.classroom.engine", "--gguf", str(gguf),
                   "--alias", model_id, "--port", "{port}", "--parallel", str(parallel),
                   "--ctx-per-slot", str(ctx_per_slot), "--threads", str(threads or default_threads())]
        return EngineProcess("llama.cpp (xllamacpp)", command, model=model_id, key=key, log_dir=log_dir,
                             env={KEY_ENV: key, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)})
    if engine == "transformers":
        from helpers.local_server.servers import _hub_cache
        from helpers.models import prepare_default_model

        folder = Path(prepare_default_model(onnx=(), verbose=False)["hf"]).resolve()
        hub = _hub_cache(folder, model_id)  # served by id from a one-model cache, so /v1/models lists it
        served, cwd = (model_id, hub) if hub else (str(folder), None)
        command = [sys.executable, "-m", "transformers.cli.transformers", "serve", "--host", "127.0.0.1",
                   "--port", "{port}", "--continuous-batching", "--log-level", "warning", served]
        env = {"OMP_NUM_THREADS": str(threads or default_threads())}
        if hub:
            env["HF_HUB_CACHE"] = str(hub)
        return EngineProcess("transformers serve", command, model=served, cwd=cwd, log_dir=log_dir, env=env)
    raise CourseError(_(
        "Unknown engine {engine!r}: use one of {choices}, or --upstream URL for one running."
    ).format(engine=engine, choices=', '.join(ENGINES)))


def main(argv: list[str] | None = None) -> None:
    """Run llama.cpp's HTTP server on 127.0.0.1 until SIGTERM or SIGINT (the engine process itself)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gguf", required=True)
    parser.add_argument("--alias", default=LOCAL_MODEL_ID)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--parallel", type=int, default=8)
    parser.add_argument("--ctx-per-slot", type=int, default=2048)
    parser.add_argument("--threads", type=int, default=default_threads())
    parser.add_argument("--poll", type=int, default=50, help="llama.cpp busy-wait level 0-100 (its default 50)")
    args = parser.parse_args(argv)
    import xllamacpp

    from helpers.runtimes.llamacpp import llamacpp_params

    params = llamacpp_params(args.gguf, args.threads, args.ctx_per_slot, port=args.port, parallel=args.parallel,
                             alias=args.alias, quiet=False)
    params.cont_batching = True
    params.n_threads_http = args.parallel + 4  # one HTTP thread per slot, and a few for health checks and queueing
    params.cpuparams.poll = params.cpuparams_batch.poll = args.poll
    key = os.environ.pop(KEY_ENV, "")
    if key:
        params.api_keys = [key]
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    server = xllamacpp.Server(params)
    print(_("engine ready: {alias} on 127.0.0.1:{port}, {parallel} slots, {threads} threads").format(
        alias=args.alias, port=args.port, parallel=args.parallel, threads=args.threads), flush=True)
    while not stop.wait(0.5):
        pass
    del server  # ~Server stops the HTTP server and the decoding loop
    print(_("engine stopped"), flush=True)


if __name__ == "__main__":
    main()
