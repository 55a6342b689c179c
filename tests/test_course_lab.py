"""The README's first command, run as a learner types it: it serves notebook 00 and prints its URL last.

The ``course_lab`` fixture (tests/conftest.py) starts it, and at the end of the session presses Ctrl+C and fails
if any process (course.py, JupyterLab, a kernel) is left or the exit code is not 0.
"""

from __future__ import annotations

import json
import os


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
