"""``python course.py serve``: one token-protected, OpenAI-compatible model server for a whole class.

Starts the engine (llama.cpp through ``xllamacpp`` by default: parallel slots and continuous batching on CPU)
on a private loopback port, puts the :class:`~helpers.classroom.gateway.Gateway` in front of it, prints the two
lines learners need, and serves until Ctrl-C (SIGINT) or SIGTERM, then stops the engine: no process is left.

    python course.py serve                              # 127.0.0.1:8765, a generated class token
    SLM_LAB_CLASS_TOKEN=... python course.py serve --host 0.0.0.0 --parallel 8 --queue 32
    python course.py serve --upstream http://127.0.0.1:8000/v1   # gateway only, in front of vLLM or any engine

Rules: it binds 127.0.0.1 unless an address is named; a token is always required, and ``--no-auth`` is refused
on any address other machines can reach. The generated token is printed once, on the terminal, never logged.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
from pathlib import Path

from helpers.classroom import BASE_URL_VAR, DEFAULT_PORT, KEY_VAR, TOKEN_VAR
from helpers.classroom.formats import WEIGHTS, converted_gguf
from helpers.classroom.gateway import LOGGER_NAME, Gateway
from helpers.classroom.token import ClassToken, RedactFilter, is_loopback
from helpers.errors import CourseError
from helpers.i18n import _

__all__ = ["build_parser", "check_bind", "check_engine_options", "main", "serve"]

UPSTREAM_KEY_VAR = "SLM_LAB_UPSTREAM_API_KEY"


def build_parser() -> argparse.ArgumentParser:
    """The ``serve`` command line."""
    parser = argparse.ArgumentParser(prog="course.py serve", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT}; 0 = any free)")
    parser.add_argument("--engine", default="llamacpp", choices=("llamacpp", "transformers"),
                        help="serving engine started here (default llamacpp: measured fastest on CPU)")
    parser.add_argument("--upstream", help="an OpenAI-compatible engine already running (e.g. vLLM), base URL; "
                        f"its key, if any, in {UPSTREAM_KEY_VAR}")
    parser.add_argument("--model", action="append", help="model name(s) learners may send (default: the course model)")
    parser.add_argument("--parallel", type=int, default=8, help="requests decoded together (default 8)")
    parser.add_argument("--queue", type=int, default=32, help="requests that may wait for a slot (default 32)")
    parser.add_argument("--queue-timeout", type=float, default=120.0, help="seconds in the queue before 429")
    parser.add_argument("--ctx-per-slot", type=int, default=2048, help="context tokens per slot (default 2048)")
    parser.add_argument("--threads", type=int, help="engine CPU threads (default: half the cores)")
    parser.add_argument("--weights", default="q4_1", choices=WEIGHTS,
                        help="the course model's weight format for llama.cpp (default q4_1, the shipped file; the "
                        "others are converted once, in seconds; q8_0 decodes a class faster here)")
    parser.add_argument("--gguf", type=Path, help="another GGUF file for llama.cpp to serve (e.g. a Phi model's); "
                        "with --model, the name learners send")
    parser.add_argument("--log-dir", type=Path, help="where the gateway and engine logs go (default .cache/logs)")
    parser.add_argument("--no-auth", action="store_true", help="no token (refused unless the address is loopback)")
    return parser


def check_bind(host: str, no_auth: bool) -> None:
    """Refuse to serve without a token on an address other machines can reach.

    Raises:
        CourseError: ``no_auth`` with a non-loopback ``host``.

    """
    if no_auth and not is_loopback(host):
        raise CourseError(_(
            "Refusing to serve on {host} without a token: anyone who can reach this machine could use it; "
            "drop --no-auth (a class token is generated, or set {token_var}), or bind 127.0.0.1."
        ).format(host=host, token_var=TOKEN_VAR))


def _logging(log_dir: Path, token: ClassToken | None, extra_secrets: list[str]) -> Path:
    log_dir.mkdir(parents=True, exist_ok=True)
    path = log_dir / f"classroom-gateway-pid{os.getpid()}.log"
    redact = RedactFilter(*([token.reveal()] if token else []), *extra_secrets)
    formatter = logging.Formatter("%(asctime)s %(levelname)s %(message)s")
    handlers: list[logging.Handler] = [logging.FileHandler(path, encoding="utf-8"), logging.StreamHandler(sys.stderr)]
    for handler in handlers:
        handler.setFormatter(formatter)
        handler.addFilter(redact)
    for name in (LOGGER_NAME, "uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers[:] = handlers
        logger.setLevel(logging.INFO)
        logger.propagate = False
    return path


def check_engine_options(args: argparse.Namespace) -> None:
    """Refuse ``--weights``/``--gguf`` with an engine they do not apply to, rather than ignore them.

    Raises:
        CourseError: ``--weights`` or ``--gguf`` with ``--upstream`` or ``--engine transformers``.

    """
    if (args.gguf or args.weights != "q4_1") and (args.upstream or args.engine != "llamacpp"):
        raise CourseError(_(
            "--weights and --gguf choose what llama.cpp serves, so they do not apply to {other}: "
            "drop them, or drop {other}."
        ).format(other="--upstream" if args.upstream else "--engine transformers"))


def serve(argv: list[str] | None = None) -> int:
    """Run the class server until Ctrl-C; return the exit code.

    Raises:
        CourseError: A refused bind, a weak token, a missing engine package, an engine that does not start.

    """
    args = build_parser().parse_args(argv)
    check_bind(args.host, args.no_auth)
    check_engine_options(args)
    token = None if args.no_auth else ClassToken(os.environ.get(TOKEN_VAR) or None)
    upstream_key = os.environ.get(UPSTREAM_KEY_VAR) or None
    if args.log_dir is None:
        from helpers.models import cache_dir

        args.log_dir = cache_dir() / "logs"
    log_path = _logging(args.log_dir, token, [upstream_key] if upstream_key else [])
    say = logging.getLogger(LOGGER_NAME).info

    import uvicorn

    from helpers.local_server import LOCAL_MODEL_ID, free_port

    engine = None
    try:
        if args.upstream:
            upstream, key, what = args.upstream.rstrip("/").removesuffix("/v1"), upstream_key, args.upstream
            models = args.model or [LOCAL_MODEL_ID]
        else:
            from helpers.classroom.engine import engine_process

            gguf = args.gguf or (converted_gguf(args.weights) if args.engine == "llamacpp" else None)
            engine = engine_process(args.engine, parallel=args.parallel, ctx_per_slot=args.ctx_per_slot,
                                    threads=args.threads, model_id=(args.model or [LOCAL_MODEL_ID])[0],
                                    log_dir=args.log_dir, gguf=gguf)
            say("starting %s with %s: %d parallel slots (log %s)", engine.name, engine.model, args.parallel,
                engine.log_path)
            engine.start(wait=False)
            engine.wait_until_ready()
            upstream, key, what, models = f"http://127.0.0.1:{engine.port}", engine.key, engine.name, [engine.model]
        port = args.port or free_port()
        app = Gateway(upstream, token, models, slots=args.parallel, queue=args.queue,
                      queue_timeout_s=args.queue_timeout, upstream_key=key)
        shown_host = args.host if is_loopback(args.host) or args.host not in ("0.0.0.0", "::") else _public_name()
        url = f"http://{shown_host}:{port}/v1"
        say("class server on %s:%d -> %s; %d slots, queue %d; gateway log %s", args.host, port, what,
            args.parallel, args.queue, log_path)
        lines = [_("Learners set these two variables (or the hub sets them for every user):"),
                 f"  export {BASE_URL_VAR}={url}"]
        if token is None:
            lines.append("  " + _("(no token: --no-auth on {host})").format(host=args.host))
        elif token.generated:
            lines.append(f"  export {KEY_VAR}={token.reveal()}   # "
                         + _("the class token: shown only here, never logged"))
        else:
            lines.append(f"  export {KEY_VAR}=" + _("<the value of {token_var}>").format(token_var=TOKEN_VAR))
        print("\n".join([*lines, _("Press Ctrl-C to stop.")]), flush=True)
        config = uvicorn.Config(app, host=args.host, port=port, log_config=None, access_log=False,
                                timeout_graceful_shutdown=5, lifespan="on")
        with contextlib.suppress(KeyboardInterrupt):  # uvicorn re-raises the Ctrl-C it handled, after shutdown
            uvicorn.Server(config).run()
    finally:
        if engine is not None:
            engine.stop(keep_log=True)
        logging.getLogger(LOGGER_NAME).info("class server stopped")
    return 0


def _public_name() -> str:
    import socket

    return socket.getfqdn() or "THIS-MACHINE"


def main(argv: list[str] | None = None) -> None:
    """Entry point: errors a learner can fix end in one sentence, not a traceback."""
    try:
        sys.exit(serve(argv))
    except CourseError as err:
        sys.exit(f"CourseError: {err}")
    except KeyboardInterrupt:  # Ctrl-C while the engine was still loading
        sys.exit(130)


if __name__ == "__main__":
    main()
