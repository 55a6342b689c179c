import re
from pathlib import Path

import pytest

from helpers import env
from helpers.errors import CourseError

# Where learners clone: a company login with a dot, a folder with spaces and a version number.
CLONE_PATHS = [Path("/home/jane.doe/my courses/slm-lab v1.2"), Path("C:/Users/J. Doe/Documents/slm.lab")]


@pytest.mark.parametrize("root", [None, *CLONE_PATHS], ids=["here", *map(str, CLONE_PATHS)])
def test_missing_variable_names_the_variable_and_where_to_set_it(monkeypatch, root):
    monkeypatch.delenv("SLM_LAB_TEST_KEY", raising=False)
    if root is not None:
        monkeypatch.setattr(env, "REPO_ROOT", root)
    with pytest.raises(CourseError) as info:
        env.get_required_env("SLM_LAB_TEST_KEY", "a test key")
    message = str(info.value)
    assert "SLM_LAB_TEST_KEY is not set" in message
    assert ".env" in message and "export SLM_LAB_TEST_KEY" in message
    assert str(env.REPO_ROOT) not in message  # the same words wherever the course was cloned
    # One sentence, not a traceback dump: a single full stop, at the end (file names like .env have no space after).
    assert re.findall(r"\.(?:\s|$)", message) == ["."], message


def test_blank_value_counts_as_unset(monkeypatch):
    monkeypatch.setenv("SLM_LAB_TEST_KEY", "   ")
    assert env.get_env("SLM_LAB_TEST_KEY") is None


def test_secret_never_shows_its_value(monkeypatch, capsys):
    monkeypatch.setenv("SLM_LAB_TEST_KEY", "sk-fake-1234567890")
    secret = env.get_secret("SLM_LAB_TEST_KEY", "a test key")
    print(secret, repr(secret), f"{secret}", [secret])
    out = capsys.readouterr().out
    assert "sk-fake" not in out and "***" in out
    assert secret.reveal() == "sk-fake-1234567890"


@pytest.mark.parametrize(("value", "expected"), [("1", True), ("yes", True), ("0", False), ("off", False)])
def test_env_flag(monkeypatch, value, expected):
    monkeypatch.setenv("SLM_LAB_TEST_FLAG", value)
    assert env.env_flag("SLM_LAB_TEST_FLAG") is expected


def test_dotenv_file_is_read_but_the_shell_wins(tmp_path, monkeypatch):
    dotenv = tmp_path / ".env"
    dotenv.write_text("SLM_LAB_FROM_FILE=file\nSLM_LAB_BOTH=file\n")
    monkeypatch.delenv("SLM_LAB_FROM_FILE", raising=False)
    monkeypatch.setenv("SLM_LAB_BOTH", "shell")
    env.load_env_file.cache_clear()
    try:
        assert env.load_env_file(dotenv) == dotenv
        assert env.get_env("SLM_LAB_FROM_FILE") == "file"
        assert env.get_env("SLM_LAB_BOTH") == "shell"
    finally:
        env.load_env_file.cache_clear()
        monkeypatch.delenv("SLM_LAB_FROM_FILE", raising=False)
