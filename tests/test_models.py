"""The offline default model, the registry and the visible fallback."""

import json

import pytest

from helpers import models
from helpers.errors import CourseError


def test_default_is_used_when_nothing_is_asked(monkeypatch, capsys):
    monkeypatch.delenv("SLM_LAB_MODEL", raising=False)
    choice = models.resolve_model()
    assert choice.is_default and choice.spec.offline
    assert "Model: SmolLM2-135M-Instruct" in capsys.readouterr().out


def test_asking_for_phi_offline_falls_back_visibly(monkeypatch, capsys):
    monkeypatch.setenv("SLM_LAB_MODEL", "phi-4-mini")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(models.registry, "_in_hub_cache", lambda repo_id, filename="config.json": False)
    choice = models.resolve_model()
    out = capsys.readouterr().out
    assert choice.is_default
    assert "microsoft/Phi-4-mini-instruct" in out and "FALLING BACK" in out and "SLM_LAB_MODEL" in out


@pytest.mark.parametrize("name", ["phi-3.5-mini", "microsoft/Phi-3.5-mini-instruct", "Phi-3.5-mini-instruct"])
def test_registry_lookup_by_key_id_or_name(name):
    assert models.registry._lookup(name).key == "phi-3.5-mini"


def test_unknown_model_names_the_choices():
    with pytest.raises(CourseError, match=r"Unknown model 'phi-9'.*phi-4-mini"):
        models.resolve_model("phi-9", verbose=False)


def test_registry_is_consistent():
    assert models.DEFAULT_MODEL in models.MODELS
    for spec in models.MODELS.values():
        assert spec.params > 0 and spec.context >= 2048
        assert (spec.onnx_repo is None) == (spec.onnx_subfolder is None)


def test_default_model_folders_are_prepared_and_verified():
    folders = models.prepare_default_model(verbose=False)
    hf, onnx = folders["hf"], folders["onnx-int4"]
    info = json.loads((hf / models.MARKER).read_text())
    assert info["sha256"] == models.GGUF_SHA256
    assert (hf / "model.safetensors").stat().st_size > 400e6  # fp32, 135M parameters
    assert (onnx / "genai_config.json").is_file()
    assert sum(f.stat().st_size for f in onnx.glob("*.onnx*")) < 120e6  # int4 weights
    # Idempotent: a second call finds everything complete and rebuilds nothing.
    before = (hf / models.MARKER).stat().st_mtime_ns
    assert models.prepare_default_model(verbose=False) == folders
    assert (hf / models.MARKER).stat().st_mtime_ns == before


def test_a_corrupted_model_file_is_refused(tmp_path, monkeypatch):
    bad = tmp_path / models.GGUF_NAME
    bad.write_bytes(b"GGUF but not the real thing")
    monkeypatch.setenv("SLM_LAB_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(models.prepare, "default_gguf_path", lambda: bad)
    with pytest.raises(CourseError, match="does not match its published checksum"):
        models.prepare_default_model(verbose=False)
    assert not (tmp_path / "cache" / "models" / models.DEFAULT_MODEL / "hf").exists()


def test_an_interrupted_build_leaves_nothing_half_done(tmp_path):
    target = tmp_path / "folder"

    def build(out):
        out.mkdir()
        (out / "half.bin").write_bytes(b"x")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        models.build_atomically(target, build, {})
    assert list(tmp_path.iterdir()) == []


def test_unknown_onnx_precision_is_refused():
    with pytest.raises(CourseError, match="Unknown ONNX precision 'int3'"):
        models.prepare_default_model(onnx=("int3",))
