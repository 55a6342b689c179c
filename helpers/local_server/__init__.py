"""Local OpenAI-compatible servers: started on demand, health-checked, and never left behind.

The course's ``local`` provider is a real HTTP server on ``127.0.0.1``: ``transformers serve`` with the
default model (SmolLM2-135M-Instruct, prepared offline by :mod:`helpers.models`). The same machinery
starts llama.cpp's server (the prebuilt ``xllamacpp`` wheel) for the course's GGUF file.

Every server started here is stopped when the Python process (or notebook kernel) ends: an ``atexit``
hook stops it, it runs in its own process group so the whole group goes, and on Linux the kernel
also sends it ``SIGTERM`` if its parent dies without running ``atexit`` (``PR_SET_PDEATHSIG``).

Introduced in notebook 05 (llama.cpp's server) and notebook 06 (the ``local`` provider).

| module | what |
|---|---|
| ``process`` | :class:`LocalServer`: start, health check, stop; :func:`running_servers`, :func:`stop_all` |
| ``servers`` | :func:`default_server`, :func:`transformers_server`, :func:`llamacpp_server` |

Example:
    >>> server = default_server()        # doctest: +SKIP  (about 20 s the first time in a process)
    >>> server.base_url                  # doctest: +SKIP
    'http://127.0.0.1:38517/v1'

"""

from helpers.local_server.process import LocalServer, free_port, running_servers, stop_all
from helpers.local_server.servers import (
    LOCAL_MODEL_ID,
    default_server,
    llamacpp_server,
    server_threads,
    transformers_server,
)

__all__ = [
    "LOCAL_MODEL_ID",
    "LocalServer",
    "default_server",
    "free_port",
    "llamacpp_server",
    "running_servers",
    "server_threads",
    "stop_all",
    "transformers_server",
]
