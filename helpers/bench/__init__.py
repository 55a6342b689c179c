"""Benchmark any backend on the same prompts, and compare it with this machine's memory roofline.

Every backend (:mod:`helpers.runtimes`: Transformers, ONNX Runtime GenAI, llama.cpp, a local or cloud
OpenAI-compatible endpoint) answers the same prompts from ``data/bench_prompts.json`` with the same
settings, through one harness (:func:`run_benchmark`). Introduced in notebook 10.

| module | what |
|---|---|
| ``prompts`` | the fixed prompt set |
| ``weights`` | bytes of weights (PyTorch, ONNX, GGUF) and bytes read per token |
| ``roofline`` | memory bandwidth and the decode ceiling |
| ``threads`` | the fastest thread count for a backend |
| ``harness`` | :func:`run_benchmark` and the backend lists |
| ``stats`` / ``results`` | summaries, tables, saved result files |
| ``quantization`` | one model at several precisions: size, speed, agreement |
| ``cli`` | ``python -m helpers.bench`` (or ``python course.py bench``) |

Example:
    >>> from helpers.bench import local_backends, run_benchmark   # doctest: +SKIP
    >>> result = run_benchmark(local_backends(), repeats=3)       # doctest: +SKIP
    >>> print(result.table())                                     # doctest: +SKIP

"""

from helpers.bench.cli import main, report
from helpers.bench.harness import DEFAULT_BACKENDS, DEFAULT_SETTINGS, endpoint_backends, local_backends, run_benchmark
from helpers.bench.prompts import PROMPTS_FILE, BenchPrompt, load_prompts, prompts_from_texts
from helpers.bench.quantization import QuantizationTradeoff, answer_agreement, quantization_tradeoff
from helpers.bench.results import RESULTS_DIR, BenchmarkResult, results_dir
from helpers.bench.roofline import Bandwidth, measure_bandwidth
from helpers.bench.stats import summarize
from helpers.bench.threads import tune_threads
from helpers.bench.weights import WeightBytes, gguf_weight_bytes, onnx_weight_bytes, torch_weight_bytes

__all__ = [
    "DEFAULT_BACKENDS",
    "DEFAULT_SETTINGS",
    "PROMPTS_FILE",
    "RESULTS_DIR",
    "Bandwidth",
    "BenchPrompt",
    "BenchmarkResult",
    "QuantizationTradeoff",
    "WeightBytes",
    "answer_agreement",
    "endpoint_backends",
    "gguf_weight_bytes",
    "load_prompts",
    "local_backends",
    "main",
    "measure_bandwidth",
    "onnx_weight_bytes",
    "prompts_from_texts",
    "quantization_tradeoff",
    "report",
    "results_dir",
    "run_benchmark",
    "summarize",
    "torch_weight_bytes",
    "tune_threads",
]
