"""One way to call any chat endpoint: the local server, Azure AI Foundry, NVIDIA NIM, GitHub Models, Ollama.

Every provider speaks the OpenAI chat-completions API, so one client class serves them all; only the
base URL, the key and the model id change. Each comes from an environment variable (or the
git-ignored ``.env``), so an instructor can point the course at a gateway and tests at loopback servers.

| provider | base URL variable (default) | model variable (default) | key variable |
|---|---|---|---|
| ``local`` | ``SLM_LAB_LOCAL_BASE_URL`` (started here) | ``SLM_LAB_LOCAL_MODEL`` | ``SLM_LAB_LOCAL_API_KEY`` (if any) |
| ``foundry`` | ``AZURE_OPENAI_ENDPOINT`` (required) | ``AZURE_OPENAI_DEPLOYMENT`` | ``AZURE_OPENAI_API_KEY`` |
| ``nim`` | ``NIM_BASE_URL`` | ``NIM_MODEL`` | ``NVIDIA_API_KEY`` |
| ``github`` | ``GITHUB_MODELS_BASE_URL`` (retired endpoint) | ``GITHUB_MODELS_MODEL`` | ``GITHUB_TOKEN`` |
| ``ollama`` | ``OLLAMA_HOST`` | ``OLLAMA_MODEL`` | none |

``connect()`` with no name takes ``SLM_LAB_PROVIDER`` if set, else the first cloud provider with a key,
else the local endpoint, and prints one line saying which and why. Calls time out, 429 and 5xx answers
are retried with backoff (honouring ``Retry-After``), and every failure a learner can fix is raised as
one-sentence :class:`~helpers.errors.CourseError`. Keys are :class:`~helpers.env.Secret` and never shown.

Introduced in notebook 06 (Ollama in notebook 05, the legacy Azure SDK in notebook 07).

| module | what |
|---|---|
| ``specs`` | :data:`PROVIDERS`, :class:`ProviderSpec`, :func:`available_providers`, :func:`provider_table` |
| ``connection`` | :func:`connect` and :class:`Connection` (the OpenAI SDK, retries, timeouts) |
| ``errors`` | :func:`explain_error`: every failure as one sentence, keys scrubbed |
| ``ollama`` | :func:`ollama_status`, :func:`ollama_client`, :func:`ollama_modelfile` |
| ``azure`` | :func:`azure_inference_client` (``azure-ai-inference``) |

Example:
    >>> conn = connect()                                   # doctest: +SKIP
    Provider: local · HuggingFaceTB/SmolLM2-135M-Instruct at http://127.0.0.1:38517/v1 (no cloud key is set ...)
    >>> conn.chat("What is the capital of Norway?", max_tokens=20)   # doctest: +SKIP
    'The capital of Norway is Oslo.'

"""

from helpers.providers.azure import azure_inference_client
from helpers.providers.connection import Connection, connect
from helpers.providers.errors import explain_error
from helpers.providers.ollama import ollama_client, ollama_modelfile, ollama_status
from helpers.providers.specs import PROVIDERS, ProviderSpec, available_providers, provider_table

__all__ = [
    "PROVIDERS",
    "Connection",
    "ProviderSpec",
    "available_providers",
    "azure_inference_client",
    "connect",
    "explain_error",
    "ollama_client",
    "ollama_modelfile",
    "ollama_status",
    "provider_table",
]
