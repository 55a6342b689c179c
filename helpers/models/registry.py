"""The registry of models the course knows (the default and the real Phi models), the cache, and choosing one."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from pathlib import Path

from helpers.env import REPO_ROOT, env_flag, get_env
from helpers.errors import CourseError
from helpers.i18n import _

__all__ = [
    "DEFAULT_MODEL",
    "MODELS",
    "ONNX_PRECISIONS",
    "ModelChoice",
    "ModelSpec",
    "cache_dir",
    "folder_mb",
    "hub_reachable",
    "resolve_model",
]


DEFAULT_MODEL = "smollm2-135m"


ONNX_PRECISIONS = ("int4", "int8", "fp32")


_CPU_INT4_RTN = "cpu_and_mobile/cpu-int4-rtn-block-32-acc-level-4"


@dataclass(frozen=True)
class ModelSpec:
    """One model the course knows about.

    Introduced in notebook 00.

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
    """Where prepared models live: ``$SLM_LAB_CACHE`` or ``.cache/`` in the repository (git-ignored).

    Introduced in notebook 00.
    """
    return Path(get_env("SLM_LAB_CACHE") or REPO_ROOT / ".cache").expanduser().resolve()


def folder_mb(folder: Path) -> float:
    """Return the size of every file under ``folder``, in MB.

    Introduced in notebook 00.
    """
    return sum(f.stat().st_size for f in Path(folder).rglob("*") if f.is_file()) / 1e6


def hub_reachable(timeout_s: float = 3.0) -> bool:
    """True when the Hugging Face Hub answers and ``HF_HUB_OFFLINE`` is not set.

    Introduced in notebook 00.
    """
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
    """The model a notebook will use, and why (printed in one line by :func:`resolve_model`).

    Introduced in notebook 00.
    """

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
    raise CourseError(_(
        "Unknown model {name!r}: use one of {choices} "
        "or a Hugging Face id such as microsoft/Phi-4-mini-instruct."
    ).format(name=name, choices=', '.join(MODELS)))


def resolve_model(name: str | None = None, verbose: bool = True) -> ModelChoice:
    """Decide which model to use: ``name``, else ``$SLM_LAB_MODEL``, else the course default.

    Introduced in notebook 00.

    A hub model is used only when it is already in the local Hugging Face cache or the hub is
    reachable; otherwise the default is kept and the reason is printed.

    Example:
        >>> resolve_model(verbose=False).spec.key
        'smollm2-135m'

    """
    requested = name or get_env("SLM_LAB_MODEL")
    if not requested or requested == DEFAULT_MODEL:
        why = _("the course default: runs offline, shipped on the package index")
        choice = ModelChoice(MODELS[DEFAULT_MODEL], why)
    else:
        spec = _lookup(requested)
        # TRANSLATORS: why a model was chosen; completed by the messages below ("requested; found in ...").
        source = _("requested") if name else _("set by SLM_LAB_MODEL")
        if spec.offline:
            choice = ModelChoice(spec, source)
        elif _in_hub_cache(spec.hf_id):
            choice = ModelChoice(spec, _("{source}; found in your Hugging Face cache").format(source=source))
        elif hub_reachable():
            choice = ModelChoice(spec, _("{source}; will download from the Hugging Face Hub on first use").format(
                source=source))
        else:
            choice = ModelChoice(
                MODELS[DEFAULT_MODEL],
                _("{hf_id} was {source} but the Hugging Face Hub is not reachable: "
                  "FALLING BACK to the course default, which runs offline").format(hf_id=spec.hf_id, source=source),
            )
    if verbose:
        print(f"Model: {choice}", flush=True)
    return choice
