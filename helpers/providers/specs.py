"""The providers the course can call, where each one's URL, model and key come from, and which are usable now."""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from helpers.env import REPO_ROOT, get_env
from helpers.errors import CourseError

__all__ = [
    "CLOUD_TIMEOUT_S",
    "DEFAULT_MAX_TOKENS",
    "GITHUB_RETIRED",
    "LOCAL_TIMEOUT_S",
    "MAX_RETRIES",
    "MODELFILE",
    "PROVIDERS",
    "ProviderSpec",
    "available_providers",
    "provider_table",
]


#: Cloud calls time out after this many seconds, local ones (a CPU generating) after ``LOCAL_TIMEOUT_S``.
CLOUD_TIMEOUT_S = 60.0


LOCAL_TIMEOUT_S = 300.0


#: Retries for 429 and 5xx answers, connection errors and timeouts (``SLM_LAB_MAX_RETRIES`` overrides).
MAX_RETRIES = 3


#: ``max_tokens`` when a call does not say.
DEFAULT_MAX_TOKENS = 256


GITHUB_RETIRED = "GitHub Models was retired on 30 July 2026"


MODELFILE = REPO_ROOT / "data" / "ollama" / "Modelfile"


_MISSING = "The {package} package is not installed: run `pip install -r requirements.txt`, then rerun."


@dataclass(frozen=True)
class ProviderSpec:
    """Where a provider lives and which environment variables configure it.

    Introduced in notebook 06.
    """

    name: str
    title: str
    kind: str  # "local", "cloud" or "ollama"
    url_var: str
    default_url: str | None
    model_var: str
    default_model: str
    key_var: str | None
    key_help: str = ""
    about: str = ""

    def url(self) -> str | None:
        return get_env(self.url_var, self.default_url)

    def model(self) -> str:
        return get_env(self.model_var, self.default_model) or self.default_model

    def has_key(self) -> bool:
        return self.key_var is not None and get_env(self.key_var) is not None


PROVIDERS: dict[str, ProviderSpec] = {
    spec.name: spec
    for spec in [
        ProviderSpec(
            "local", "the local endpoint", "local", "SLM_LAB_LOCAL_BASE_URL", None, "SLM_LAB_LOCAL_MODEL",
            "HuggingFaceTB/SmolLM2-135M-Instruct", "SLM_LAB_LOCAL_API_KEY", "any value; only if your own server asks",
            "transformers serve on 127.0.0.1 with the course's default model, started on demand",
        ),
        ProviderSpec(
            "foundry", "Azure AI Foundry", "cloud", "AZURE_OPENAI_ENDPOINT", None, "AZURE_OPENAI_DEPLOYMENT",
            "Phi-4-mini-instruct", "AZURE_OPENAI_API_KEY", "the key of your Azure AI Foundry resource",
            "your own deployment, through the OpenAI-compatible v1 endpoint",
        ),
        ProviderSpec(
            "nim", "NVIDIA NIM", "cloud", "NIM_BASE_URL", "https://integrate.api.nvidia.com/v1", "NIM_MODEL",
            "microsoft/phi-4-mini-instruct", "NVIDIA_API_KEY", "an API key from build.nvidia.com",
            "NVIDIA's hosted API catalog (or a NIM container you run yourself)",
        ),
        ProviderSpec(
            "github", "GitHub Models", "cloud", "GITHUB_MODELS_BASE_URL", "https://models.github.ai/inference",
            "GITHUB_MODELS_MODEL", "microsoft/Phi-4-mini-instruct", "GITHUB_TOKEN", "a GitHub personal access token",
            "retired in July 2026; kept to show the token + publisher/model pattern",
        ),
        ProviderSpec(
            "ollama", "Ollama", "ollama", "OLLAMA_HOST", "http://127.0.0.1:11434", "OLLAMA_MODEL", "phi4-mini", None,
            "", "a local Ollama server: native API on /api, OpenAI-compatible API on /v1",
        ),
    ]
}


def _foundry_url(endpoint: str) -> str:
    """The v1 base URL from a Foundry endpoint: a bare resource URL gets ``/openai/v1/`` appended."""
    endpoint = endpoint.strip()
    if urllib.parse.urlsplit(endpoint).path.strip("/") == "":
        return endpoint.rstrip("/") + "/openai/v1/"
    return endpoint


def _base_url(spec: ProviderSpec) -> str | None:
    if spec.name == "ollama":
        from helpers.providers.ollama import _ollama_root

        return _ollama_root() + "/v1"
    url = spec.url()
    if spec.name == "foundry" and url:
        return _foundry_url(url)
    return url


def _configured(spec: ProviderSpec) -> bool:
    """Usable now: local always; clouds with their key (Foundry and GitHub also their URL); Ollama when it answers."""
    if spec.kind == "local":
        return True
    if spec.kind == "ollama":
        from helpers.providers.ollama import ollama_status

        return ollama_status() is not None
    if spec.name in ("foundry", "github"):  # GitHub Models is retired: usable only through a gateway you name
        return spec.has_key() and get_env(spec.url_var) is not None
    return spec.has_key()


def available_providers() -> list[str]:
    """Names of the providers usable right now, ``"local"`` first and always.

    Introduced in notebook 06.

    Example:
        >>> "local" in available_providers()
        True

    """
    return [name for name, spec in PROVIDERS.items() if _configured(spec)]


def provider_table() -> list[dict[str, str]]:
    """One row per provider: whether it is usable here, its model, and what to set to use it (never a key).

    Introduced in notebook 00.
    """
    rows = []
    for spec in PROVIDERS.values():
        usable = _configured(spec)
        if spec.kind == "local":
            todo = "nothing: started on demand"
        elif spec.kind == "ollama":
            todo = "nothing" if usable else f"install Ollama and run `ollama serve` (or set {spec.url_var})"
        elif usable:
            todo = "nothing"
        elif spec.name == "github" and spec.has_key():
            todo = f"retired (410 Gone): set {spec.url_var} to a gateway that still serves it"
        else:
            needed = (spec.key_var, spec.url_var if spec.name == "foundry" else None)
            missing = [v for v in needed if v and not get_env(v)]
            todo = "set " + " and ".join(missing)
        rows.append({"provider": spec.name, "service": spec.title, "usable": "yes" if usable else "no",
                     "model": spec.model(), "to use it": todo})
    return rows


def _choose(name: str | None) -> tuple[str, str]:
    """Pick a provider and say why."""
    if name:
        reason = "requested"
    else:
        name = get_env("SLM_LAB_PROVIDER")
        reason = "set by SLM_LAB_PROVIDER"
    if name:
        key = name.strip().lower()
        if key not in PROVIDERS:
            raise CourseError(f"Unknown provider {name!r}: use one of {', '.join(PROVIDERS)}.")
        return key, reason
    for spec in PROVIDERS.values():
        if spec.kind == "cloud" and _configured(spec):
            return spec.name, f"{spec.key_var} is set"
    keys = [s.key_var for s in PROVIDERS.values() if s.kind == "cloud" and s.name != "github" and s.key_var]
    return "local", f"{' and '.join(keys)} are not set: using the local endpoint"
