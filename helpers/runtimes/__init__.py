"""Run a model, streamed token by token, on any runtime through one interface.

Every runtime is a :class:`Backend`: notebooks chat with it (``chat``, ``stream``, ``measure``) and
the benchmark times it through the very same methods, so comparisons are fair.

| module | what |
|---|---|
| ``base`` | :class:`GenerationSettings`, the :class:`Backend` base class, stream helpers |
| ``transformers`` | :class:`TransformersChat` (a loaded model), :class:`TransformersBackend` (lazy) |
| ``onnx`` | :class:`OnnxChat`, :class:`OnnxBackend` (ONNX Runtime GenAI) |
| ``llamacpp`` | :class:`LlamaCppBackend` (llama.cpp in-process and on 127.0.0.1, via xllamacpp) |
| ``endpoint`` | :class:`EndpointBackend` (an OpenAI-compatible server) |
| ``factory`` | :func:`make_backend` (by short name) |

Example:
    >>> chat = TransformersChat.load()                              # doctest: +SKIP
    >>> text, stats = chat.measure(messages("Capital of Norway?"))  # doctest: +SKIP
    >>> print(stats)                                                # doctest: +SKIP
    12 tokens | first token 0.05 s | decode 14.0 tokens/s | ...

"""

from helpers.runtimes.base import Backend, GenerationSettings, rss_mb, stream_until
from helpers.runtimes.endpoint import EndpointBackend
from helpers.runtimes.factory import make_backend
from helpers.runtimes.llamacpp import LlamaCppBackend, llamacpp_available
from helpers.runtimes.onnx import OnnxBackend, OnnxChat
from helpers.runtimes.transformers import TransformersBackend, TransformersChat

__all__ = [
    "Backend",
    "EndpointBackend",
    "GenerationSettings",
    "LlamaCppBackend",
    "OnnxBackend",
    "OnnxChat",
    "TransformersBackend",
    "TransformersChat",
    "llamacpp_available",
    "make_backend",
    "rss_mb",
    "stream_until",
]
