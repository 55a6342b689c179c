"""Load a model for a runtime: Transformers (PyTorch) or ONNX Runtime GenAI, the default prepared on first use."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from helpers.errors import CourseError
from helpers.i18n import _
from helpers.models.prepare import prepare_default_model
from helpers.models.registry import ModelChoice, resolve_model

__all__ = ["load_onnx", "load_transformers", "onnx_model_dir"]


def load_transformers(
    name: str | None = None, device: str | None = None, dtype: Any = None, verbose: bool = True
) -> tuple[Any, Any, ModelChoice]:
    """Load a causal LM and its tokenizer with Transformers.

    Introduced in notebook 02.

    Args:
        name: Registry key or hub id; ``None`` reads ``SLM_LAB_MODEL`` or uses the default.
        device: ``"cuda"``, ``"mps"``, ``"cpu"`` or ``None`` (fastest available, see :func:`helpers.pick_device`).
        dtype: A ``torch.dtype``; ``None`` means fp32 on CPU and bf16 on a GPU for hub models.
        verbose: Print which model and device are used, and why.

    Returns:
        ``(model, tokenizer, choice)``, the model in eval mode on the chosen device.

    """
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from helpers.device import pick_device

    choice = resolve_model(name, verbose=verbose)
    dev = pick_device(device)
    if verbose:
        print(_("Device: {device}").format(device=dev), flush=True)
    if choice.is_default:
        source = str(prepare_default_model(onnx=())["hf"])
        dtype = dtype or torch.float32
    else:
        source = choice.spec.hf_id
        dtype = dtype or (torch.bfloat16 if dev.name != "cpu" else torch.float32)
    try:
        tokenizer = AutoTokenizer.from_pretrained(source)
        model = AutoModelForCausalLM.from_pretrained(source, dtype=dtype)
    except OSError as exc:
        raise CourseError(_(
            "Could not load {source} ({kind}): check the model id and your connection."
        ).format(source=source, kind=exc.__class__.__name__)) from None
    return model.to(dev.name).eval(), tokenizer, choice


def onnx_model_dir(name: str | None = None, precision: str = "int4", verbose: bool = True) -> tuple[Path, ModelChoice]:
    """Folder of an ONNX Runtime GenAI model: built locally for the default, downloaded for Phi.

    Introduced in notebook 04.

    Returns:
        ``(folder, choice)``; the folder holds ``genai_config.json`` and the ``.onnx`` weights.

    """
    choice = resolve_model(name, verbose=verbose)
    if choice.is_default:
        return prepare_default_model(onnx=(precision,))[f"onnx-{precision}"], choice
    spec = choice.spec
    if not spec.onnx_repo:
        raise CourseError(_(
            "{hf_id} has no prebuilt ONNX Runtime GenAI model in the registry: pick phi-3.5-mini or phi-4-mini, "
            "or build one with `python -m onnxruntime_genai.models.builder`."
        ).format(hf_id=spec.hf_id))
    from huggingface_hub import snapshot_download

    folder = snapshot_download(spec.onnx_repo, allow_patterns=[f"{spec.onnx_subfolder}/*"])
    return Path(folder) / str(spec.onnx_subfolder), choice


def load_onnx(name: str | None = None, precision: str = "int4", verbose: bool = True) -> tuple[Any, Any, ModelChoice]:
    """Load an ONNX Runtime GenAI model and its tokenizer.

    Introduced in notebook 04.

    Returns:
        ``(og.Model, og.Tokenizer, choice)``.

    """
    import onnxruntime_genai as og

    folder, choice = onnx_model_dir(name, precision, verbose=verbose)
    if verbose:
        gpu = "CUDA available" if og.is_cuda_available() else "CPU build of onnxruntime-genai"
        print(_("Runtime: ONNX Runtime GenAI {version}, {precision} weights ({gpu})").format(
            version=og.__version__, precision=precision, gpu=gpu), flush=True)
    model = og.Model(str(folder))
    return model, og.Tokenizer(model), choice
