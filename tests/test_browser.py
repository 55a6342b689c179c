"""A real browser: JupyterLab on 127.0.0.1, headless Chromium, the notebooks a learner opens first.

JupyterLab is the one the README's first command starts, `python3 course.py lab` (the ``course_lab`` fixture in
tests/conftest.py: its own runtime, settings, config and data folders, autosave off so nothing is saved over the
committed notebooks, stopped with Ctrl+C at the end of the session).
Chromium is Debian's ``chromium`` package, driven by Playwright's Python package (never ``playwright install``).
Screenshots go to ``tests/artifacts/`` (git-ignored) for a maintainer to look at.

Without Chromium this module is skipped with the reason; on CI (``CI`` set) it fails instead, with the line to run.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "tests" / "artifacts"
START_HERE = ROOT / "notebooks" / "00-start-here.ipynb"
PLAYGROUND = ROOT / "notebooks" / "11-playground.ipynb"
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "chromium", "chromium-browser")
INSTALL_HINT = "install it with `sudo apt-get install -y chromium` (Debian/Ubuntu), then rerun the tests"
# The flags this project's machines need: no sandbox as root, and no background traffic to a closed network.
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",  # Docker gives /dev/shm 64 MB (GitHub Actions' container job); use /tmp instead
]
STDERR = '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'
KERNEL_IDLE = re.compile(r"\|\s*Idle$")
KERNEL_ANY = re.compile(r"\|\s*(Idle|Busy|Connecting|Initializing|Starting|Restarting|Unknown|Dead)")
NOTEBOOK_TIMEOUT_S = 150
def _missing(reason: str):
    """Skip with the reason; on CI, fail with it (the browser test is part of what CI promises)."""
    if os.environ.get("CI"):
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


def chromium() -> str:
    """Path of Debian's Chromium, or skip/fail with the line that installs it."""
    for name in CHROMIUM_CANDIDATES:
        found = shutil.which(name)
        if found:
            break
    else:
        _missing(f"Chromium is not installed: {INSTALL_HINT}.")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _missing("Playwright's Python package is missing: run `python3 course.py setup` (it is in requirements.txt).")
    return found


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """Headless Chromium with a new empty profile (launched once, for every test here)."""
    from playwright.sync_api import sync_playwright

    executable = chromium()
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=executable,
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport={"width": 1400, "height": 1000},
        )
        yield context
        context.close()


def open_notebook(browser, lab, name: str):
    page = browser.new_page()
    page.goto(lab.url_of(name))
    page.locator(".jp-NotebookPanel .jp-Notebook .jp-CodeCell").first.wait_for(timeout=60_000)
    # The kernel is ready once the status bar reads "Python 3 (ipykernel) | Idle" (before: "No Kernel | Initializing",
    # then "| Connecting"; the toolbar's indicator already says idle before the kernel exists).
    page.locator(".jp-StatusBar-TextItem", has_text=KERNEL_IDLE).wait_for(timeout=60_000)
    return page


def kernel_status(page) -> str:
    """The status bar's kernel item, e.g. 'Python 3 (ipykernel) | Busy'."""
    return page.locator(".jp-StatusBar-TextItem", has_text=KERNEL_ANY).first.inner_text()


def prompts(page) -> list[str]:
    """The execution prompt of every code cell: '[ ]:' not run, '[*]:' running or queued, '[3]:' done."""
    return page.eval_on_selector_all(
        ".jp-NotebookPanel .jp-CodeCell .jp-InputArea-prompt", "els => els.map(e => e.textContent.trim())"
    )


def run_all_cells(page, timeout: float = NOTEBOOK_TIMEOUT_S) -> list[str]:
    """Run > Run All Cells from the menu bar, then wait until the kernel is idle and nothing is queued."""
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
    deadline = time.monotonic() + timeout
    started = False
    while time.monotonic() < deadline:
        seen = prompts(page)
        started = started or any(p != "[ ]:" for p in seen)
        if started and KERNEL_IDLE.search(kernel_status(page)) and "[*]:" not in seen:
            return seen
        time.sleep(0.5)
    pytest.fail(f"the notebook was still running after {timeout:.0f} s: prompts {prompts(page)}", pytrace=False)


def error_outputs(page) -> list[str]:
    """Every stderr output that reports an error: a traceback (JupyterLab renders an error as stderr text), or the
    one-line CourseError that ``setup_notebook()`` shows instead of a traceback (it starts with a warning sign)."""
    texts = page.eval_on_selector_all(f".jp-NotebookPanel {STDERR}", "els => els.map(e => e.innerText)")
    return [t for t in texts if "Traceback" in t or t.lstrip().startswith("\u26a0")]


def assert_ran_cleanly(page, name: str, seen: list[str]) -> None:
    errors = error_outputs(page)
    assert not errors, f"{name}: error output in the browser:\n" + "\n---\n".join(e[-1500:] for e in errors)
    not_run = [i for i, p in enumerate(seen) if not p[1:-2].isdigit()]
    assert not not_run, f"{name}: code cells {not_run} did not run (Run All stops at a failing cell): {seen}"


@contextmanager
def opened(request, notebook: str):
    """JupyterLab (the README's first command) with ``notebook`` open in Chromium; the page and kernels closed after."""
    chromium()
    lab, browser = request.getfixturevalue("course_lab"), request.getfixturevalue("browser")
    page = open_notebook(browser, lab, notebook)
    try:
        yield page
    finally:
        page.close()
        lab.shut_down_kernels()


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path))
    return path


def test_start_here_runs_all_cells_in_jupyterlab(request):
    with opened(request, START_HERE.name) as page:
        seen = run_all_cells(page)
        assert_ran_cleanly(page, START_HERE.name, seen)
        outputs = page.locator(".jp-NotebookPanel .jp-OutputArea-output")
        assert outputs.count() >= len(seen) // 2, "most code cells show an output in notebook 00"
        # The screenshot shows the default model's first answer (section 2), or the top when that section moved.
        page.evaluate(
            """() => { const h = [...document.querySelectorAll('.jp-NotebookPanel h2')]
                .find(e => e.textContent.includes('The model every notebook uses'));
                if (h) h.scrollIntoView({block: 'start'}); }"""
        )
        screenshot(page, "00-start-here.png")


def test_playground_widgets_render_and_stream_an_answer(request):
    with opened(request, PLAYGROUND.name) as page:
        seen = run_all_cells(page)
        assert_ran_cleanly(page, PLAYGROUND.name, seen)
        app = page.locator(".jp-NotebookPanel .jp-OutputArea-output .widget-vbox").first
        app.wait_for(timeout=10_000)  # a text repr like 'VBox(children=...)' means the widget manager is missing
        send = app.locator("button", has_text="Send")
        prompt = app.locator("textarea").nth(1)
        for widget in (app.locator("select").first, prompt, send, app.locator(".widget-slider").first):
            assert widget.is_visible(), f"a playground widget is not visible: {widget}"
        app.scroll_into_view_if_needed()

        # A learner's turn: type a question, press Send, watch the answer arrive piece by piece.
        readout, answer, status = (app.locator(".widget-html").nth(i) for i in range(3))  # in the app's order
        page.evaluate(
            """([readout, answer]) => {
                window.__seen = {readout: [], answer: []};
                const watch = (el, key) => new MutationObserver(() => window.__seen[key].push(el.innerText))
                    .observe(el, {subtree: true, childList: true, characterData: true});
                watch(readout, "readout"); watch(answer, "answer"); }""",
            [readout.element_handle(), answer.element_handle()],
        )
        prompt.fill("What is the capital of France?")
        send.click()
        # Streaming shows "first token ... | N tokens so far"; the end shows "... tokens/s | N tokens | total ...".
        page.wait_for_function(
            """() => { const r = window.__seen.readout;
                return r.some(t => t.includes("so far")) && r.length && r[r.length - 1].includes("tokens/s"); }""",
            timeout=60_000,
        )
        seen_answers = page.evaluate("() => window.__seen.answer")
        states = [s for s in seen_answers if s.strip() and "The answer appears here" not in s]
        final, said = answer.inner_text(), status.inner_text()
        screenshot(page, "11-playground.png")
        assert "done" in said, f"the playground reported: {said!r}"
        assert final.strip() and "The answer appears here" not in final, "no answer appeared"
        assert len(set(states)) >= 3, f"the answer did not stream (only {len(set(states))} distinct states)"


def test_a_localized_notebook_opens_and_speaks_its_language(request):
    """The Slovenian notebook 00, opened as a learner on Binder would (no --lang): its text and its helpers' line."""
    import nbformat

    from helpers import i18n

    localized = "translations/sl/notebooks/00-start-here.ipynb"
    title = nbformat.read(ROOT / localized, as_version=4).cells[0].source.splitlines()[0].lstrip("# ").strip()
    english = "Python {python} on {os}, {cores} CPU cores, {ram} GB RAM | PyTorch {torch} | device: {device}"
    i18n.set_language("sl")
    try:
        slovenian = i18n._(english)
    finally:
        i18n.set_language(None)
    assert slovenian != english, "the Slovenian catalog lacks the machine line"
    with opened(request, localized) as page:
        heading = page.locator(".jp-NotebookPanel .jp-MarkdownOutput h1").first
        assert title in heading.inner_text(), f"expected the Slovenian title {title!r}"
        page.locator(".jp-NotebookPanel .jp-CodeCell .jp-InputArea-editor").first.click()
        page.keyboard.press("Shift+Enter")  # the setup cell only
        output = page.locator(".jp-NotebookPanel .jp-CodeCell .jp-OutputArea-output").first
        output.wait_for(timeout=60_000)
        shown = output.inner_text()
        fixed = [part.strip(" ,|:") for part in re.split(r"\{[^}]*\}", slovenian) if part.strip(" ,|:")]
        assert all(part in shown for part in fixed), f"setup line not in Slovenian: {shown!r} (expected {fixed})"
        assert not error_outputs(page), error_outputs(page)
        screenshot(page, "00-start-here.sl.png")
