"""The providers the course can call, where each one's URL, model and key come from, and which are usable now."""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from helpers.env import REPO_ROOT, get_env
from helpers.errors import CourseError
from helpers.i18n import N_, _

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


GITHUB_RETIRED = N_("GitHub Models was retired on 30 July 2026")


MODELFILE = REPO_ROOT / "data" / "ollama" / "Modelfile"


_MISSING = N_("The {package} package is not installed: run `pip install -r requirements.txt`, then rerun.")


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
            "local", N_("the local endpoint"), "local", "SLM_LAB_LOCAL_BASE_URL", None, "SLM_LAB_LOCAL_MODEL",
            "HuggingFaceTB/SmolLM2-135M-Instruct", "SLM_LAB_LOCAL_API_KEY",
            N_("any value; only if your own server asks"),
            N_("transformers serve on 127.0.0.1 with the course's default model, started on demand"),
        ),
        ProviderSpec(
            "foundry", "Azure AI Foundry", "cloud", "AZURE_OPENAI_ENDPOINT", None, "AZURE_OPENAI_DEPLOYMENT",
            "Phi-4-mini-instruct", "AZURE_OPENAI_API_KEY", N_("the key of your Azure AI Foundry resource"),
            N_("your own deployment, through the OpenAI-compatible v1 endpoint"),
        ),
        ProviderSpec(
            "nim", "NVIDIA NIM", "cloud", "NIM_BASE_URL", "https://integrate.api.nvidia.com/v1", "NIM_MODEL",
            "microsoft/phi-4-mini-instruct", "NVIDIA_API_KEY", N_("an API key from build.nvidia.com"),
            N_("NVIDIA's hosted API catalog (or a NIM container you run yourself)"),
        ),
        ProviderSpec(
            "github", "GitHub Models", "cloud", "GITHUB_MODELS_BASE_URL", "https://models.github.ai/inference",
            "GITHUB_MODELS_MODEL", "microsoft/Phi-4-mini-instruct", "GITHUB_TOKEN",
            N_("a GitHub personal access token"),
            N_("retired in July 2026; kept to show the token + publisher/model pattern"),
        ),
        ProviderSpec(
            "ollama", "Ollama", "ollama", "OLLAMA_HOST", "http://127.0.0.1:11434", "OLLAMA_MODEL", "phi4-mini", None,
            "", N_("a local Ollama server: native API on /api, OpenAI-compatible API on /v1"),
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
            todo = _("nothing: started on demand")
        elif spec.kind == "ollama":
            todo = _("nothing") if usable else _("install Ollama and run `ollama serve` (or set {url_var})").format(
                url_var=spec.url_var
            )
        elif usable:
            todo = _("nothing")
        elif spec.name == "github" and spec.has_key():
            todo = _("retired (410 Gone): set {url_var} to a gateway that still serves it").format(url_var=spec.url_var)
        else:
            needed = (spec.key_var, spec.url_var if spec.name == "foundry" else None)
            missing = [v for v in needed if v and not get_env(v)]
            # TRANSLATORS: {first} and {second} are environment variable names, such as AZURE_OPENAI_API_KEY.
            todo = (
                _("set {first} and {second}").format(first=missing[0], second=missing[1])
                if len(missing) == 2
                else _("set {names}").format(names=", ".join(missing))
            )
        rows.append({"provider": spec.name, "service": _(spec.title), "usable": _("yes") if usable else _("no"),
                     "model": spec.model(), "to use it": todo})
    return rows


def _choose(name: str | None) -> tuple[str, str]:
    """Pick a provider and say why."""
    if name:
        reason = _("requested")
    else:
        name = get_env("SLM_LAB_PROVIDER")
        reason = _("set by SLM_LAB_PROVIDER")
    if name:
        key = name.strip().lower()
        if key not in PROVIDERS:
            raise CourseError(_(
                "Unknown provider {name!r}: use one of {choices}."
            ).format(name=name, choices=', '.join(PROVIDERS)))
        return key, reason
    for spec in PROVIDERS.values():
        if spec.kind == "cloud" and _configured(spec):
            # TRANSLATORS: {key_var} is an environment variable's name, such as NVIDIA_API_KEY.
            return spec.name, _("{key_var} is set").format(key_var=spec.key_var)
    keys = [s.key_var for s in PROVIDERS.values() if s.kind == "cloud" and s.name != "github" and s.key_var]
    if len(keys) == 2:
        # TRANSLATORS: {first} and {second} are environment variable names, such as NVIDIA_API_KEY.
        return "local", _("{first} and {second} are not set: using the local endpoint").format(
            first=keys[0], second=keys[1]
        )
    return "local", _("{names} are not set: using the local endpoint").format(names=", ".join(keys))
