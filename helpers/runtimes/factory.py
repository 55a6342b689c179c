"""Make any backend from its short name, as the benchmark's command line and the playground's picker do."""

from __future__ import annotations

from helpers.errors import CourseError
from helpers.i18n import _
from helpers.runtimes.base import Backend

__all__ = ["make_backend"]


def make_backend(name: str, model: str | None = None, threads: int | None = None) -> Backend:
    """Make a backend by name: ``transformers-fp32``, ``onnx-int4``/``int8``/``fp32``, ``llama.cpp``, ``endpoint:<x>``.

    The edge routes of notebook 12 (``openvino-int4``, ``olive-int4``, ``foundry-local``) are lazy
    :class:`~helpers.runtimes.edge.EdgeBackend` objects: they load only what ``course.py setup --edge`` prepared.

    Introduced in notebook 10.

    Example:
        >>> make_backend("onnx-int8")
        OnnxBackend('onnx-int8')

    """
    from helpers.runtimes.endpoint import EndpointBackend
    from helpers.runtimes.llamacpp import LlamaCppBackend
    from helpers.runtimes.onnx import OnnxBackend
    from helpers.runtimes.transformers import TransformersBackend

    key = name.strip().lower()
    if key in ("transformers", "transformers-fp32", "pytorch"):
        return TransformersBackend(model, threads=threads)
    if key.startswith("onnx"):
        precision = key.split("-", 1)[1] if "-" in key else "int4"
        from helpers.models import ONNX_PRECISIONS

        if precision not in ONNX_PRECISIONS:
            raise CourseError(_(
                "Unknown ONNX precision in {name!r}: use onnx-{choices}."
            ).format(name=name, choices=', onnx-'.join(ONNX_PRECISIONS)))
        return OnnxBackend(precision, model, threads=threads)
    if key.startswith(("llama.cpp", "llamacpp", "llama-cpp")):
        return LlamaCppBackend(threads=threads)
    from helpers.runtimes.edge import EDGE_BACKENDS, EdgeBackend

    if key in EDGE_BACKENDS:
        return EdgeBackend(key, threads=threads)
    if key.startswith(("endpoint:", "cloud:")):
        return EndpointBackend(name.split(":", 1)[1])
    raise CourseError(_(
        "Unknown backend {name!r}: use transformers-fp32, onnx-int4, onnx-int8, onnx-fp32, llama.cpp, "
        "openvino-int4, olive-int4, foundry-local or endpoint:<provider>."
    ).format(name=name))
