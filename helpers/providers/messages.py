"""The sentences a provider failure is explained with: one whole sentence per case, marked for translation.

Filled in by :mod:`helpers.providers.errors` after translation: ``{where}`` is a service and its address,
``{said}`` the server's own explanation in parentheses (or nothing), ``{tries}`` how many times a request was sent.
"""

from __future__ import annotations

from helpers.i18n import N_

#: Answers with an HTTP error status, by case.
STATUS = {
    # TRANSLATORS: {where} is a service and its address, such as "NVIDIA NIM (https://integrate.api.nvidia.com/v1)";
    # {key_var} is an environment variable's name.
    "401_key": N_(
        "{where} rejected the key in {key_var} with 401 Unauthorized: check that the value in .env is "
        "complete and not expired, then rerun."
    ),
    "401": N_(
        "{where} answered 401 Unauthorized: it needs a key, so set one and rerun."
    ),
    # TRANSLATORS: {said} is the server's own explanation in parentheses with a space before it, or nothing.
    "403": N_(
        "{where} answered 403 Forbidden for model {model!r}{said}: your key works but may not use this model, "
        "so check its permissions or choose another model with {model_var}."
    ),
    "404_ollama": N_(
        "{where} has no model {model!r}{said}: run `ollama pull {model}`, or set {model_var} to a model "
        "`ollama list` shows."
    ),
    # TRANSLATORS: {reason} is the HTTP reason phrase ("Not Found" or "Bad Request"); keep it in English.
    "404": N_(
        "{where} answered {status} {reason} for model {model!r}{said}: set {model_var} to a model id (or "
        "deployment name) this endpoint serves, or check {url_var}."
    ),
    # TRANSLATORS: {retired} is the sentence "GitHub Models was retired on 30 July 2026" (translated too).
    "410_github": N_(
        "{retired} and its endpoint now answers 410 Gone: use the same code with the foundry provider (Azure "
        "AI Foundry) or nim, or the local endpoint (connect('local'))."
    ),
    "410": N_(
        "{where} answered 410 Gone{said}: this endpoint has been retired, so point {url_var} at its successor "
        "or use another provider."
    ),
    # TRANSLATORS: {seconds} is the server's Retry-After value, in seconds.
    "429_seconds_once": N_(
        "{where} is still rate-limiting (429 Too Many Requests, tried once): wait {seconds} s and rerun, or "
        "send fewer requests."
    ),
    # TRANSLATORS: {tries} (2 or more) counts the first request and the SDK's retries.
    "429_seconds": N_(
        "{where} is still rate-limiting (429 Too Many Requests, tried up to {tries} times): wait {seconds} s "
        "and rerun, or send fewer requests."
    ),
    "429_minute_once": N_(
        "{where} is still rate-limiting (429 Too Many Requests, tried once): wait a minute and rerun, or send "
        "fewer requests."
    ),
    "429_minute": N_(
        "{where} is still rate-limiting (429 Too Many Requests, tried up to {tries} times): wait a minute and "
        "rerun, or send fewer requests."
    ),
    "5xx_once": N_(
        "{where} answered {status}{said}, tried once: the service is having trouble, so try again later or "
        "use another provider."
    ),
    "5xx": N_(
        "{where} answered {status}{said}, tried up to {tries} times: the service is having trouble, so try "
        "again later or use another provider."
    ),
    "other": N_(
        "{where} rejected the request with HTTP {status}{said}: check the arguments of this call."
    ),
}

#: Failures below HTTP: a timeout, a connection closed half-way or refused, anything else.
TRANSPORT = {
    # TRANSLATORS: {title} is a service, such as NVIDIA NIM; {timeout_s} is a number of seconds.
    "timeout_once": N_(
        "{title} ({base_url}) did not answer within {timeout_s:g} s (tried once): try again, ask for fewer "
        "tokens, or raise SLM_LAB_TIMEOUT_S."
    ),
    # TRANSLATORS: {tries} (2 or more) counts the request and its retries.
    "timeout": N_(
        "{title} ({base_url}) did not answer within {timeout_s:g} s (tried up to {tries} times): try again, "
        "ask for fewer tokens, or raise SLM_LAB_TIMEOUT_S."
    ),
    "broke_local": N_(
        "{title} ({base_url}) closed the connection before the answer was complete: the server stopped or a "
        "proxy cut the connection, so rerun connect('local'), which starts a new server, or try another "
        "provider if it keeps happening."
    ),
    "broke": N_(
        "{title} ({base_url}) closed the connection before the answer was complete: the server stopped or a "
        "proxy cut the connection, so rerun, or try another provider if it keeps happening."
    ),
    "refused_ollama": N_(
        "Could not connect to {title} at {base_url} (connection refused or unreachable): start it with "
        "`ollama serve`."
    ),
    "refused_local": N_(
        "Could not connect to {title} at {base_url} (connection refused or unreachable): rerun "
        "connect('local'), which starts a new one."
    ),
    # TRANSLATORS: {url_var} is the name of the environment variable that holds the endpoint's address.
    "refused": N_(
        "Could not connect to {title} at {base_url} (connection refused or unreachable): check {url_var} and "
        "your network."
    ),
    # TRANSLATORS: {kind} is a Python exception class name; {detail} is its message, in English.
    "failed": N_(
        "{title} failed with {kind}: {detail}."
    ),
}
