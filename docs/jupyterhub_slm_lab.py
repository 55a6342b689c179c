# SLM Lab: the class model server as a JupyterHub service, and its two variables in every learner's environment.
#
# The Littlest JupyterHub: copy this file to /opt/tljh/config/jupyterhub_config.d/slm_lab.py, then run
# `sudo tljh-config reload hub`. Any jupyterhub_config.py can load it too (tests/test_classroom_hub.py does:
# that test runs this very file). Settings come from the hub's environment, with TLJH's paths as defaults:
#   SLM_LAB_REPO        the course checkout               (default /opt/slm-lab)
#   SLM_LAB_PYTHON      the Python that has its packages  (default /opt/tljh/user/bin/python)
#   SLM_LAB_CLASS_PORT  the class server's port           (default 8765, on 127.0.0.1 only)
#   SLM_LAB_CLASS_TOKEN_FILE  where the class token lives (default /opt/tljh/state/slm-lab-class-token, mode 600,
#                       created with a random token the first time; only root and the hub read it)
#   SLM_LAB_CLASS_ARGS  extra `serve` arguments, e.g. "--parallel 8 --queue 32"
import os
import secrets
import shlex
from pathlib import Path

_repo = os.environ.get("SLM_LAB_REPO", "/opt/slm-lab")
_python = os.environ.get("SLM_LAB_PYTHON", "/opt/tljh/user/bin/python")
_port = int(os.environ.get("SLM_LAB_CLASS_PORT", "8765"))
_token_file = Path(os.environ.get("SLM_LAB_CLASS_TOKEN_FILE", "/opt/tljh/state/slm-lab-class-token"))
if not _token_file.exists():
    _token_file.parent.mkdir(parents=True, exist_ok=True)
    _token_file.touch(mode=0o600)
    _token_file.write_text(secrets.token_urlsafe(24))
_token = _token_file.read_text().strip()

_service_env = {"SLM_LAB_CLASS_TOKEN": _token, "PYTHONPATH": _repo}
if os.environ.get("SLM_LAB_CACHE"):
    _service_env["SLM_LAB_CACHE"] = os.environ["SLM_LAB_CACHE"]
c.JupyterHub.services.append({  # noqa: F821 - `c` is the config object JupyterHub provides
    "name": "slm-lab-model",
    "command": [_python, "-m", "helpers.classroom.server", "--host", "127.0.0.1", "--port", str(_port),
                *shlex.split(os.environ.get("SLM_LAB_CLASS_ARGS", ""))],
    "cwd": _repo,
    "environment": _service_env,
})
c.Spawner.environment.update({  # noqa: F821
    "SLM_LAB_LOCAL_BASE_URL": f"http://127.0.0.1:{_port}/v1",
    "SLM_LAB_LOCAL_API_KEY": _token,
})
