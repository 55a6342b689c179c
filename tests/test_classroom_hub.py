"""A real JupyterHub, on this machine, with the class model server as a hub service: three learners run notebook 06.

The hub (pip ``jupyterhub``, proxy ``configurable-http-proxy`` from npm) uses the dummy authenticator and
``SimpleLocalProcessSpawner`` (no system users needed). Its configuration loads ``docs/jupyterhub_slm_lab.py``,
the same file instructors drop into The Littlest JupyterHub. An admin service token creates three users and a token
for each; each user starts their own server through the REST API and runs notebook 06 in a kernel there, with only
the environment the hub gave them. Skipped only when the proxy is not installed (``course.py test`` installs it).
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import httpx
import pytest

from helpers.local_server import free_port

ROOT = Path(__file__).resolve().parents[1]
USERS = ["ada", "grace", "linus"]


def find_proxy() -> str | None:
    cache = os.environ.get("SLM_LAB_CACHE")
    for folder in (ROOT / ".cache", Path(cache) if cache else None):
        if folder and (folder / "npm" / "node_modules" / ".bin" / "configurable-http-proxy").exists():
            return str(folder / "npm" / "node_modules" / ".bin" / "configurable-http-proxy")
    return shutil.which("configurable-http-proxy")


PROXY = find_proxy()
pytestmark = pytest.mark.skipif(
    PROXY is None, reason="configurable-http-proxy (npm) is not installed: `python course.py test` installs it with npm"
)


def wait_for(url: str, process: subprocess.Popen, log: Path, timeout_s: float = 180.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert process.poll() is None, f"exited: {log.read_text()[-3000:]}"
        try:
            if httpx.get(url, timeout=5).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"{url} did not answer in {timeout_s:.0f} s: {log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    """A running hub with the class server as a service; yields (hub URL, admin token, class port, token, log)."""
    tmp = tmp_path_factory.mktemp("hub")
    port, hub_port, api_port, class_port = free_port(), free_port(), free_port(), free_port()
    admin = secrets.token_hex(24)
    token_file = tmp / "class-token"
    config = tmp / "jupyterhub_config.py"
    config.write_text(textwrap.dedent(f"""
        import sys
        c.JupyterHub.bind_url = "http://127.0.0.1:{port}"
        c.JupyterHub.hub_bind_url = "http://127.0.0.1:{hub_port}"
        c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{api_port}"
        c.ConfigurableHTTPProxy.command = [{PROXY!r}]
        c.ConfigurableHTTPProxy.pid_file = {str(tmp / "proxy.pid")!r}
        c.JupyterHub.db_url = "sqlite:///{tmp / 'hub.sqlite'}"
        c.JupyterHub.cookie_secret_file = {str(tmp / "cookie_secret")!r}
        c.JupyterHub.pid_file = {str(tmp / "hub.pid")!r}
        c.JupyterHub.authenticator_class = "dummy"
        c.Authenticator.allow_all = True
        c.JupyterHub.spawner_class = "jupyterhub.spawner.SimpleLocalProcessSpawner"
        c.SimpleLocalProcessSpawner.home_dir_template = {str(tmp / "home" / "{username}")!r}
        c.Spawner.cmd = [sys.executable, "-m", "jupyterhub.singleuser"]
        c.Spawner.args = ["--ServerApp.allow_root=True"] if {os.geteuid() == 0} else []  # CI containers run as root
        c.Spawner.start_timeout = 180
        c.Spawner.http_timeout = 180
        c.Spawner.environment = {{"SLM_LAB_CACHE": {os.environ.get("SLM_LAB_CACHE", str(ROOT / ".cache"))!r},
                                 "TQDM_DISABLE": "1", "HF_HUB_DISABLE_PROGRESS_BARS": "1", "MPLBACKEND": "Agg"}}
        c.JupyterHub.services = [{{"name": "class-admin", "api_token": {admin!r}}}]
        c.JupyterHub.load_roles = [{{"name": "class-admin", "scopes": ["admin:users", "admin:servers", "tokens"],
                                    "services": ["class-admin"]}}]
        load_subconfig({str(ROOT / "docs" / "jupyterhub_slm_lab.py")!r})
    """))
    for user in USERS:
        (tmp / "home" / user).mkdir(parents=True)
    env = {**os.environ, "SLM_LAB_REPO": str(ROOT), "SLM_LAB_PYTHON": sys.executable,
           "SLM_LAB_CLASS_PORT": str(class_port), "SLM_LAB_CLASS_TOKEN_FILE": str(token_file),
           "SLM_LAB_CLASS_ARGS": f"--parallel 3 --queue 8 --log-dir {tmp / 'class-logs'}",
           "PYTHONPATH": str(ROOT)}
    log = tmp / "hub.log"
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "jupyterhub", "-f", str(config)], cwd=tmp, env=env,
                                   stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_for(f"http://127.0.0.1:{port}/hub/api/", process, log)
        wait_for(f"http://127.0.0.1:{class_port}/health", process, log, timeout_s=240)
        yield f"http://127.0.0.1:{port}", admin, class_port, token_file.read_text().strip(), log, tmp
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def test_three_hub_users_run_notebook_06_against_the_shared_server(hub):
    from helpers.classroom.hub import HubClient, run_notebook_remote

    url, admin_token, class_port, class_token, log, tmp = hub
    admin = HubClient(url, admin_token)
    admin.create_users(USERS)
    user_tokens = {user: admin.new_token(user) for user in USERS}  # each learner's login, through the REST API
    for user, token in user_tokens.items():  # each learner starts their own server, all at once
        HubClient(url, token).start_server(user, wait=False)
    servers = {user: HubClient(url, token).wait_ready(user) for user, token in user_tokens.items()}

    async def everyone():
        return await asyncio.gather(*(run_notebook_remote(servers[u], user_tokens[u],
                                                          ROOT / "notebooks" / "06-cloud-endpoints.ipynb")
                                      for u in USERS))

    results = asyncio.run(everyone())
    expected = f"base URL : http://127.0.0.1:{class_port}/v1"
    for user, outputs in zip(USERS, results, strict=True):
        text = "\n".join(outputs)
        assert expected in text, f"{user} did not use the class server: {text[:1500]}"
        assert "oslo" in text.lower(), f"{user} got no answer: {text[:1500]}"
        assert class_token not in text, f"the class token appears in {user}'s notebook output"
    health = httpx.get(f"http://127.0.0.1:{class_port}/health", timeout=10).json()
    assert health["failed"] == 0 and health["served"] >= 3 * 8, health
    logs = [log, *(tmp / "class-logs").glob("*.log")]
    assert all(class_token not in path.read_text(errors="replace") for path in logs), "the class token is in a log"


def test_the_class_server_refuses_learners_without_the_token(hub):
    _, _, class_port, _, _, _ = hub
    response = httpx.post(f"http://127.0.0.1:{class_port}/v1/chat/completions", timeout=30,
                          json={"messages": [{"role": "user", "content": "Hi"}], "max_tokens": 2})
    assert response.status_code == 401
