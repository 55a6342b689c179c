"""The README's first command, run as a learner types it: it serves notebook 00 and prints its URL last.

The ``course_lab`` fixture (tests/conftest.py) starts it, and at the end of the session presses Ctrl+C and fails
if any process (course.py, JupyterLab, a kernel) is left or the exit code is not 0.
"""

from __future__ import annotations

import json
import os

import pytest


def test_course_lab_serves_notebook_00_and_prints_its_url_last(course_lab):
    assert course_lab.readme_command == ["python3", "course.py", "lab"], "the README's first command changed"
    status, body = course_lab.api("/api/contents/notebooks/00-start-here.ipynb")
    notebook = json.loads(body)
    assert status == 200 and notebook["type"] == "notebook"
    assert notebook["content"]["cells"][0]["source"].startswith("# Start here")

    output = course_lab.output_at_url  # everything printed until the URL appeared
    lines = [line for line in output.splitlines() if line.strip()]
    at = lines.index(course_lab.url)
    banner = max(i for i, line in enumerate(lines)
                 if "copy and paste one of these URLs" in line or "/lab?token=" in line)
    assert at > banner, f"the URL does not come after JupyterLab's own start-up banner:\n{output[-2000:]}"
    # JupyterLab may still log once it runs (its language-server scan prints '[I ... Skipped non-installed server(s)'
    # a moment later), but nothing that would bury the URL: no warning, error or traceback after it.
    later = lines[at + 1:]
    assert all(line.startswith("[I ") for line in later), f"printed after the URL:\n{output[-2000:]}"
    assert "/lab/tree/notebooks/00-start-here.ipynb?token=" in course_lab.url
    assert lines[at - 1].startswith("[course] JupyterLab is running"), lines[at - 1]
    assert not any(line.startswith(("[W ", "[E ", "Traceback")) for line in lines[:at]), output
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        assert "--allow-root" in output and "Running as root is not recommended" not in output


# A stand-in for a JupyterLab that does not stop on Ctrl+C: a real process that ignores SIGINT, serves
# /api/status on 127.0.0.1, and (by its mode) exits on that request, exits on SIGTERM, or ignores both.
STUBBORN = r"""
import http.server, os, signal, sys, threading
signal.signal(signal.SIGINT, signal.SIG_IGN)
mode = sys.argv[1]
if mode != "term":
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.end_headers()
        if mode == "request":
            threading.Thread(target=lambda: os._exit(0)).start()
    def log_message(self, *args):
        pass
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
kernel = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(600)"
child = __import__("subprocess").Popen([sys.executable, "-c", kernel])
print(server.server_address[1], flush=True)
server.serve_forever()
"""


@pytest.mark.skipif(os.name == "nt", reason="POSIX signals")
@pytest.mark.parametrize("mode, said, code", [
    ("request", "waking it with a request", 0),
    ("term", "asking it to shut down (SIGTERM)", -15),
    ("stubborn", "stopping it and its 1 kernel process(es) by force", -9),
])
def test_the_second_ctrl_c_stops_jupyterlab_even_when_it_ignores_the_signal(mode, said, code, capsys):
    import subprocess
    import sys

    import psutil

    import course

    process = subprocess.Popen([sys.executable, "-c", STUBBORN, mode], stdout=subprocess.PIPE, text=True)
    port = int(process.stdout.readline())
    kids = psutil.Process(process.pid).children()
    course.make_sure_it_stops(process, f"http://127.0.0.1:{port}/lab/tree/notebooks/x.ipynb?token=abc", grace=0.5)
    assert process.wait(timeout=5) == code
    assert said in capsys.readouterr().out
    assert len(kids) == 1
    if mode == "stubborn":
        _, alive = psutil.wait_procs(kids, timeout=5)
        assert not alive, "the kernel stand-in outlived the forced stop"
    else:  # a real JupyterLab stops its kernels itself on these two steps; the stand-in does not
        kids[0].kill()
