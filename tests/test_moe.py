"""Sparse upcycling into a Mixtral-architecture MoE, on a tiny Llama model (seconds, not minutes)."""

import os

import numpy as np
import pytest
import torch
from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

from helpers.errors import CourseError
from helpers.models import prepare_default_model
from helpers.moe import (
    MoEBuild,
    benchmark,
    dense_twin,
    load_built,
    param_count,
    phi35_moe_param_count,
    prepare_moe,
    route,
    upcycle,
)
from helpers.plots import plot_expert_map, plot_moe_benchmark, plot_param_counts, plot_router_heatmap

PROMPTS = ["The capital of Norway is", "def reverse(items):", "In 2024 the shop sold"]


@pytest.fixture(scope="module")
def tokenizer():
    return AutoTokenizer.from_pretrained(prepare_default_model(onnx=(), verbose=False)["hf"])


@pytest.fixture(scope="module")
def tiny_folder(tmp_path_factory, tokenizer):
    """A tiny random Llama with the default model's tokenizer, saved like a real model folder."""
    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=64, intermediate_size=96, num_hidden_layers=3,
        num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=256, tie_word_embeddings=True,
        initializer_range=0.2, bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    folder = tmp_path_factory.mktemp("tiny-llama")
    LlamaForCausalLM(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def dense(tiny_folder):
    return LlamaForCausalLM.from_pretrained(tiny_folder, dtype=torch.float32).eval()


def greedy(model, tokenizer, prompt, n=12):
    ids = tokenizer(prompt, return_tensors="pt").input_ids
    with torch.inference_mode():
        out = model.generate(ids, max_new_tokens=n, min_new_tokens=n, do_sample=False, pad_token_id=0)
    return out[0, ids.shape[1]:].tolist()


def logits(model, tokenizer, prompt):
    with torch.inference_mode():
        return model(tokenizer(prompt, return_tensors="pt").input_ids).logits[0]


def test_identical_experts_reproduce_the_dense_model_exactly(dense, tokenizer):
    moe = upcycle(dense, tokenizer, num_experts=4, top_k=2, noise=0.0)
    assert type(moe).__name__ == "MixtralForCausalLM"
    for prompt in PROMPTS:
        torch.testing.assert_close(logits(moe, tokenizer, prompt), logits(dense, tokenizer, prompt), rtol=0, atol=1e-5)
        assert greedy(moe, tokenizer, prompt) == greedy(dense, tokenizer, prompt)
    # The router is real: different tokens go to different experts.
    trace = route(moe, tokenizer, " ".join(PROMPTS))
    assert len({tuple(sorted(pair)) for layer in trace.chosen for pair in layer}) > 1


def test_noise_makes_the_experts_differ(dense, tokenizer):
    moe = upcycle(dense, tokenizer, num_experts=3, top_k=2, noise=0.05, seed=1)
    experts = moe.model.layers[0].mlp.experts.gate_up_proj
    assert not torch.equal(experts[0], experts[1]) and not torch.equal(experts[1], experts[2])
    difference = (logits(moe, tokenizer, PROMPTS[0]) - logits(dense, tokenizer, PROMPTS[0])).abs().max()
    assert 0 < difference < 5


def test_total_and_active_parameters_add_up(dense, tokenizer):
    base = param_count(dense)
    moe = upcycle(dense, tokenizer, num_experts=4, top_k=2, noise=0.0)
    counts = param_count(moe)
    assert counts.total == sum(p.numel() for p in moe.parameters())
    assert counts.mlp == 4 * base.mlp
    assert counts.router == 3 * 4 * 64  # layers x experts x hidden
    assert counts.active == base.total + base.mlp + counts.router
    assert base.active == base.total
    twin = dense_twin(dense, factor=2)
    assert param_count(twin).total == counts.active - counts.router  # a dense model of the same active size
    expected = logits(dense, tokenizer, PROMPTS[1])
    torch.testing.assert_close(logits(twin, tokenizer, PROMPTS[1]), expected, atol=1e-5, rtol=0)


def test_phi35_moe_counts_match_the_published_figures():
    counts = phi35_moe_param_count()
    assert counts.num_experts == 16 and counts.top_k == 2
    assert round(counts.total / 1e9, 1) == 41.9  # "42B total"
    assert round(counts.active / 1e9, 1) == 6.6  # "6.6B active"


def test_route_records_every_layer_and_token(dense, tokenizer):
    moe = upcycle(dense, tokenizer, num_experts=4, top_k=2)
    trace = route(moe, tokenizer, PROMPTS[0])
    n_tokens = len(tokenizer(PROMPTS[0]).input_ids)
    assert trace.probs.shape == (3, n_tokens, 4) and trace.chosen.shape == (3, n_tokens, 2)
    np.testing.assert_allclose(trace.probs.sum(-1), 1, atol=1e-5)
    assert (np.argsort(-trace.probs, axis=-1)[..., :2] == trace.chosen).all()
    np.testing.assert_allclose(trace.load().sum(axis=1), 1)
    assert "".join(trace.tokens) == tokenizer.decode(tokenizer(PROMPTS[0]).input_ids)
    with pytest.raises(CourseError, match="no router"):
        route(dense, tokenizer, "hello")


def test_build_is_idempotent_and_the_saved_moe_answers_like_the_dense_model(tiny_folder, tmp_path, tokenizer, dense):
    build = MoEBuild(num_experts=4, top_k=2, noise=0.0, dtype="float32")
    folders = prepare_moe(build, source=tiny_folder, out=tmp_path, verbose=False)
    assert set(folders) == {"source", "moe", "twin"}
    stamps = {key: os.stat(folders[key] / "model.safetensors").st_mtime_ns for key in ("moe", "twin")}
    assert prepare_moe(build, source=tiny_folder, out=tmp_path, verbose=False) == folders
    assert {key: os.stat(folders[key] / "model.safetensors").st_mtime_ns for key in stamps} == stamps

    chat = load_built(folders["moe"], verbose=False)
    assert type(chat.model).__name__ == "MixtralForCausalLM"
    assert param_count(chat.model).num_experts == 4
    assert greedy(chat.model, tokenizer, PROMPTS[2]) == greedy(dense, tokenizer, PROMPTS[2])

    # New settings rebuild the MoE only; the dense twin does not depend on them.
    noisy = MoEBuild(num_experts=4, top_k=2, noise=0.05, dtype="float32")
    prepare_moe(noisy, source=tiny_folder, out=tmp_path, verbose=False)
    assert os.stat(folders["moe"] / "model.safetensors").st_mtime_ns != stamps["moe"]
    assert os.stat(folders["twin"] / "model.safetensors").st_mtime_ns == stamps["twin"]


def test_benchmark_and_plots_run_on_the_tiny_build(tiny_folder, tmp_path, tokenizer, capsys):
    import matplotlib

    matplotlib.use("Agg")
    folders = prepare_moe(MoEBuild(num_experts=4, top_k=2), source=tiny_folder, out=tmp_path, verbose=False)
    rows = benchmark(folders, prompts=("Hi",), max_new_tokens=4, models=("twin", "moe"))
    assert [r["model"] for r in rows] == ["twin", "moe"]
    assert rows[1]["total_params_m"] > rows[1]["active_params_m"] == pytest.approx(rows[0]["active_params_m"], rel=0.01)
    assert rows[1]["weights_mb"] > rows[0]["weights_mb"] and all(r["decode_tokens_per_s"] > 0 for r in rows)
    assert "moe" in capsys.readouterr().out
    chat = load_built(folders["moe"], verbose=False)
    trace = route(chat.model, chat.tokenizer, PROMPTS[0])
    assert plot_router_heatmap(trace, layer=1) is not None
    assert plot_expert_map(trace) is not None
    assert len(plot_param_counts([phi35_moe_param_count(), param_count(chat.model, "tiny")])) == 2
    assert len(plot_moe_benchmark(rows)) == 3
    matplotlib.pyplot.close("all")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"num_experts": 4, "top_k": 5}, "1 <= top_k <= experts"),
        ({"num_experts": 1, "top_k": 1}, "at least 2 experts"),
        ({"noise": -0.1}, "out of range"),
        ({"router": "magic"}, "Unknown router"),
    ],
)
def test_bad_upcycling_settings_get_one_sentence(dense, tokenizer, kwargs, message):
    with pytest.raises(CourseError, match=message):
        upcycle(dense, tokenizer, **kwargs)


def test_bad_sources_and_folders_get_one_sentence(dense, tokenizer, tmp_path):
    moe = upcycle(dense, tokenizer, noise=0.0)
    with pytest.raises(CourseError, match="needs a Llama-architecture model"):
        upcycle(moe, tokenizer)
    with pytest.raises(CourseError, match="needs the tokenizer"):
        upcycle(dense)
    with pytest.raises(CourseError, match=r"no config\.json"):
        prepare_moe(source=tmp_path, out=tmp_path / "out", verbose=False)
    with pytest.raises(CourseError, match="not a finished build"):
        load_built(tmp_path)
    with pytest.raises(CourseError, match="Unknown dtype"):
        prepare_moe(MoEBuild(dtype="int3"), source=tmp_path, verbose=False)
