"""The edge build environments: pip settings passed on to uv, idempotent builds, one-sentence skips.

These build real (tiny) environments with the real installer; the only stand-in is an empty package
index, which answers "no such package" the way a misconfigured or offline index does.
"""

import sys

import pytest

from helpers.edge.buildenv import EnvSpec, EnvUnavailableError, ensure_env, env_python, env_ready, try_env
from helpers.edge.installer import PipSettings, _parse_config_list, find_installer, pip_settings, uv_arguments

CONFIG_LIST = """\
global.extra-index-url='file:///a/simple file:///b/simple'
global.find-links='/opt/wheels'
global.constraint='/etc/c.txt'
user.index-url='https://ignored.example/simple'
:env:.find-links='/env/wheels'
"""


def test_config_list_is_parsed_with_the_environment_winning():
    values = _parse_config_list(CONFIG_LIST)
    assert values["find-links"] == "/env/wheels"
    assert values["extra-index-url"] == "file:///a/simple file:///b/simple"
    assert values["constraint"] == "/etc/c.txt"
    assert "index-url" not in values  # only global, install and env scopes are read


def test_uv_arguments_reproduce_pip_settings():
    settings = PipSettings(index_url="https://i/simple", extra_index_urls=["file:///a", "file:///b"],
                           find_links=["/opt/wheels"], constraints=["/etc/c.txt"])
    args = uv_arguments(settings)
    assert args[:2] == ["--index-url", "https://i/simple"]
    assert args.count("--extra-index-url") == 2 and "--find-links" in args and "--constraint" in args
    assert args[-2:] == ["--index-strategy", "unsafe-best-match"]
    assert uv_arguments(PipSettings()) == []


def test_pip_settings_read_the_real_pip_and_the_environment(tmp_path):
    environ = {"PATH": "/usr/bin:/bin", "PIP_FIND_LINKS": f"{tmp_path} /x", "PIP_NO_INDEX": "1",
               "PIP_CONFIG_FILE": str(tmp_path / "none.conf")}
    settings = pip_settings(sys.executable, environ=environ)
    assert settings.find_links == [str(tmp_path), "/x"]
    assert settings.no_index


def test_installer_falls_back_to_pip_when_asked(monkeypatch):
    monkeypatch.setenv("SLM_LAB_INSTALLER", "pip")
    chosen = find_installer(sys.executable)
    assert chosen.name == "pip" and chosen.command("x")[:3] == [sys.executable, "-m", "pip"]


def _spec(tmp_path, name, lines, **kw):
    req = tmp_path / f"{name}.txt"
    req.write_text("\n".join(lines) + "\n")
    return EnvSpec(name, "a test", requirements_file=req, **kw)


def test_an_environment_is_built_once_and_rebuilt_when_its_pins_change(tmp_path):
    spec = _spec(tmp_path, "tiny", ["# nothing but the interpreter"], check="import json")
    steps = []
    python = ensure_env(spec, root=tmp_path / "envs", quiet=True, on_step=steps.append)
    assert python == env_python(tmp_path / "envs" / "tiny") and python.exists()
    assert env_ready(spec, root=tmp_path / "envs") and steps
    steps.clear()
    assert ensure_env(spec, root=tmp_path / "envs", quiet=True, on_step=steps.append) == python
    assert steps == []  # idempotent: nothing ran
    spec.requirements.write_text("# changed\n")
    assert not env_ready(spec, root=tmp_path / "envs")
    ensure_env(spec, root=tmp_path / "envs", quiet=True, on_step=steps.append)
    assert steps


def test_a_package_the_index_does_not_have_is_skipped_in_one_sentence(tmp_path, monkeypatch, capsys):
    empty = tmp_path / "empty-index"
    empty.mkdir()
    for key, value in {"PIP_INDEX_URL": empty.as_uri(), "PIP_EXTRA_INDEX_URL": "", "PIP_FIND_LINKS": "",
                       "PIP_CONSTRAINT": "", "UV_OFFLINE": "1"}.items():
        monkeypatch.setenv(key, value)
    spec = _spec(tmp_path, "bogus", ["slm-lab-no-such-package-anywhere==1.0"])
    with pytest.raises(EnvUnavailableError) as info:
        ensure_env(spec, root=tmp_path / "envs", quiet=True)
    message = str(info.value)
    assert "bogus" in message and "course.py setup --edge" in message and "\n" not in message
    assert not (tmp_path / "envs" / "bogus").exists()  # nothing half-built left behind
    assert try_env(spec, root=tmp_path / "envs", quiet=True) is None
    assert capsys.readouterr().out.startswith("Skipped: Could not install the bogus environment")


def test_a_failing_check_is_a_skip_too(tmp_path):
    spec = _spec(tmp_path, "broken", ["# empty"], check="import slm_lab_not_a_module")
    with pytest.raises(EnvUnavailableError, match="Could not check the broken environment"):
        ensure_env(spec, root=tmp_path / "envs", quiet=True)
