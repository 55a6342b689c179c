"""Drive a JupyterHub through its REST API: create users and tokens, start servers, run a notebook in each.

Used by ``tests/test_classroom_hub.py`` and usable by an instructor to check a hub before class:
:func:`run_notebook_remote` executes a notebook's code cells, one by one, in a kernel of a user's own
Jupyter server (REST to start the kernel, the kernel's websocket to run cells), so the code runs with the
environment the hub gave that user (``SLM_LAB_LOCAL_BASE_URL``, ``SLM_LAB_LOCAL_API_KEY``).
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from pathlib import Path
from typing import Any

__all__ = ["HubClient", "run_notebook_remote"]


class HubClient:
    """A few calls of the JupyterHub REST API (``/hub/api``), with a token.

    Args:
        url: The hub's public URL, e.g. ``http://127.0.0.1:8000``.
        token: An API token (an admin service's, or a user's).

    """

    def __init__(self, url: str, token: str) -> None:
        self.url = url.rstrip("/")
        self.token = token

    def call(self, method: str, path: str, body: Any = None, timeout_s: float = 60.0) -> Any:
        """One REST call; returns the decoded JSON (or ``None``); raises ``httpx.HTTPStatusError`` on an error."""
        import httpx

        response = httpx.request(method, f"{self.url}/hub/api{path}", json=body, timeout=timeout_s,
                                 headers={"Authorization": f"token {self.token}"})
        response.raise_for_status()
        return response.json() if response.content else None

    def create_users(self, names: list[str]) -> None:
        self.call("POST", "/users", {"usernames": names})

    def new_token(self, user: str, note: str = "slm-lab class check") -> str:
        return self.call("POST", f"/users/{user}/tokens", {"note": note, "expires_in": 3600})["token"]

    def start_server(self, user: str, wait: bool = True, timeout_s: float = 240.0) -> str | None:
        """Ask the hub to start ``user``'s server; with ``wait``, return its URL (through the proxy) once ready."""
        import httpx

        try:
            self.call("POST", f"/users/{user}/server")
        except httpx.HTTPStatusError as exc:
            if exc.response.status_code != 400:  # 400: already running
                raise
        return self.wait_ready(user, timeout_s) if wait else None

    def wait_ready(self, user: str, timeout_s: float = 240.0) -> str:
        """Wait until ``user``'s server is ready; return its URL through the hub's proxy."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            model = self.call("GET", f"/users/{user}")
            server = (model.get("servers") or {}).get("", {})
            if server.get("ready"):
                return f"{self.url}{server['url'].rstrip('/')}"
            time.sleep(0.5)
        raise TimeoutError(f"{user}'s server did not start within {timeout_s:.0f} s")


def _message(msg_type: str, content: dict[str, Any], session: str) -> dict[str, Any]:
    header = {"msg_id": uuid.uuid4().hex, "msg_type": msg_type, "username": "slm-lab", "session": session,
              "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "version": "5.3"}
    return {"header": header, "parent_header": {}, "metadata": {}, "content": content, "channel": "shell",
            "buffers": []}


async def run_notebook_remote(server_url: str, token: str, notebook: Path, timeout_s: float = 300.0) -> list[str]:
    """Run every code cell of ``notebook`` in a new kernel of the Jupyter server at ``server_url``.

    Returns:
        Each code cell's text output (streams, results, displayed text), in order.

    Raises:
        RuntimeError: A cell raised (the message names the cell and the error).

    """
    import httpx
    import nbformat
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    headers = {"Authorization": f"token {token}"}
    async with httpx.AsyncClient(headers=headers, timeout=60) as http:
        response = await http.post(f"{server_url}/api/kernels", json={"name": "python3"})
        response.raise_for_status()
        kernel = response.json()["id"]
        try:
            ws_url = server_url.replace("http", "ws", 1) + f"/api/kernels/{kernel}/channels"
            socket = await websocket_connect(HTTPRequest(ws_url, headers=headers), max_message_size=64 << 20)
            session, outputs = uuid.uuid4().hex, []
            nb = nbformat.read(notebook, as_version=4)
            for cell in nb.cells:
                if cell.cell_type != "code":
                    continue
                request = _message("execute_request", {"code": cell.source, "silent": False, "store_history": True,
                                                       "user_expressions": {}, "allow_stdin": False,
                                                       "stop_on_error": True}, session)
                await socket.write_message(json.dumps(request))
                text, error = [], None
                async with asyncio.timeout(timeout_s):
                    while True:
                        raw = await socket.read_message()
                        if raw is None:
                            raise RuntimeError(f"the kernel's websocket closed during cell {cell.get('id')}")
                        msg = json.loads(raw)
                        if msg.get("parent_header", {}).get("msg_id") != request["header"]["msg_id"]:
                            continue
                        kind, content = msg["msg_type"], msg["content"]
                        if kind == "stream":
                            text.append(content["text"])
                        elif kind in ("execute_result", "display_data"):
                            text.append(content.get("data", {}).get("text/plain", ""))
                        elif kind == "error":
                            error = f"{content['ename']}: {content['evalue']}"
                        elif kind == "status" and content["execution_state"] == "idle":
                            break
                if error:
                    raise RuntimeError(f"cell {cell.get('id')} of {notebook.name} failed: {error}")
                outputs.append("".join(text))
            socket.close()
            return outputs
        finally:
            await http.delete(f"{server_url}/api/kernels/{kernel}")
