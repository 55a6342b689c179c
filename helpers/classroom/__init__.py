"""Teach a class: one shared, token-protected model server for a room of learners, and how to measure it.

``python course.py serve`` starts llama.cpp's server (through the prebuilt ``xllamacpp`` wheel: parallel
slots, continuous batching) on a private loopback port, with a small gateway in front that learners talk to:

- :mod:`helpers.classroom.token`: the class token (generated, or ``SLM_LAB_CLASS_TOKEN``), checked in constant time
  and scrubbed from every log line.
- :mod:`helpers.classroom.gateway`: the ASGI gateway: bearer token (401), admission control (a queue, then 429
  with ``Retry-After``), model-name check, streaming passthrough, one log line per request.
- :mod:`helpers.classroom.engine`: the engine process (llama.cpp via xllamacpp) the gateway forwards to.
- :mod:`helpers.classroom.server`: the ``serve`` command that ties them together and stops cleanly on Ctrl-C.
- :mod:`helpers.classroom.loadtest`: ``python course.py bench --class 1,2,4,8,16``: N simulated learners at once.

Learners (or the hub, for every user) set two variables and every notebook that uses the local endpoint works
unchanged: ``SLM_LAB_LOCAL_BASE_URL`` (the gateway's ``/v1`` URL) and ``SLM_LAB_LOCAL_API_KEY`` (the class token).
See ``docs/instructors.md``.
"""

#: The variable an instructor sets to choose the class token (otherwise ``serve`` generates one).
TOKEN_VAR = "SLM_LAB_CLASS_TOKEN"
#: What learners set: the course's existing ``local`` provider variables (see :mod:`helpers.providers`).
BASE_URL_VAR = "SLM_LAB_LOCAL_BASE_URL"
KEY_VAR = "SLM_LAB_LOCAL_API_KEY"
#: The port ``serve`` listens on unless told otherwise.
DEFAULT_PORT = 8765

__all__ = ["BASE_URL_VAR", "DEFAULT_PORT", "KEY_VAR", "TOKEN_VAR"]
