"""The benchmark toolkit: prompts, bytes of weights, bandwidth, statistics, real runs, saving, plots.

No timing asserts: speeds are only checked to be measured (positive, finite), never to be fast.
"""

import dataclasses
import json
import math
import sys
import urllib.request

import pytest

from helpers.bench import (
    Bandwidth,
    BenchmarkResult,
    answer_agreement,
    gguf_weight_bytes,
    load_prompts,
    local_backends,
    main,
    measure_bandwidth,
    onnx_weight_bytes,
    quantization_tradeoff,
    report,
    run_benchmark,
    summarize,
    tune_threads,
)
from helpers.errors import CourseError
from helpers.models import default_gguf_path, prepare_default_model
from helpers.prompts import messages
from helpers.runtimes import GenerationSettings, LlamaCppBackend, OnnxBackend, llamacpp_available, make_backend

TINY = GenerationSettings(max_new_tokens=6)


def test_prompt_set_is_shared_and_well_formed():
    prompts = load_prompts()
    assert len(prompts) >= 6
    assert len({p.id for p in prompts}) == len(prompts)
    for p in prompts:
        assert [m["role"] for m in p.messages] == ["system", "user"] and p.messages[1]["content"].strip()
    assert [p.id for p in load_prompts(limit=3)] == [p.id for p in prompts[:3]]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "is not valid"),
        (json.dumps({"prompts": [{"id": "a"}]}), "is not valid"),
        (json.dumps({"prompts": [{"id": "a", "user": "x"}, {"id": "a", "user": "y"}]}), "repeats an id"),
    ],
)
def test_broken_prompt_file_gets_one_sentence(tmp_path, content, message):
    path = tmp_path / "prompts.json"
    path.write_text(content)
    with pytest.raises(CourseError, match=message):
        load_prompts(path)


def test_onnx_weight_bytes_match_the_file_and_skip_lookups():
    folder = prepare_default_model()["onnx-int4"]
    weights = onnx_weight_bytes(folder)
    data_file = (folder / "model.onnx.data").stat().st_size
    assert abs(weights.total - data_file) / data_file < 0.01
    # rotary caches and embedding-only rows are lookups: read per token is less than stored, but most of it
    assert 0.9 * weights.total < weights.per_token < weights.total


def test_gguf_with_tied_embeddings_reads_everything_per_token():
    path = default_gguf_path()
    weights = gguf_weight_bytes(path)
    assert 0.9 * path.stat().st_size < weights.total <= path.stat().st_size
    assert weights.per_token == weights.total  # SmolLM2 has no separate output matrix


def test_torch_weight_bytes_tied_and_untied():
    from transformers import LlamaConfig, LlamaForCausalLM

    from helpers.bench import torch_weight_bytes

    kwargs = {"vocab_size": 500, "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 1,
              "num_attention_heads": 4, "num_key_value_heads": 2}
    tied = torch_weight_bytes(LlamaForCausalLM(LlamaConfig(tie_word_embeddings=True, **kwargs)))
    untied = torch_weight_bytes(LlamaForCausalLM(LlamaConfig(tie_word_embeddings=False, **kwargs)))
    assert tied.per_token == tied.total
    assert untied.total - untied.per_token == 500 * 32 * 4
    assert untied.total - tied.total == 500 * 32 * 4


def test_bandwidth_is_measured_and_gives_a_ceiling():
    bw = measure_bandwidth(size_mb=32, repeats=2, workers=2)
    assert bw.read_gb_s > 0 and bw.copy_gb_s > 0 and bw.workers == 2 and bw.one_core_read_gb_s <= bw.read_gb_s
    assert bw.ceiling(bw.read_gb_s * 1e9 / 50) == pytest.approx(50)
    with pytest.raises(CourseError, match="at least 1"):
        measure_bandwidth(size_mb=0)


def test_bandwidth_is_measured_at_each_thread_count_up_to_all_cores():
    bw = measure_bandwidth(size_mb=32, repeats=2, workers=4)
    assert sorted(bw.read_by_threads) == [1, 2, 4]
    assert bw.read_by_threads[1] == bw.one_core_read_gb_s and bw.read_gb_s == max(bw.read_by_threads.values())
    print("read GB/s by threads:", {n: round(v, 1) for n, v in bw.read_by_threads.items()})
    again = Bandwidth(**json.loads(json.dumps(dataclasses.asdict(bw))))  # as a saved result reads it back
    assert again.read_by_threads == bw.read_by_threads


def test_the_roofline_uses_the_bandwidth_of_the_threads_the_backend_ran_with():
    bw = Bandwidth(read_gb_s=18.0, copy_gb_s=30.0, workers=2, size_mb=16, one_core_read_gb_s=10.0,
                   read_by_threads={1: 10.0, 2: 18.0})
    runs = [{**_run("one-thread", 50.0), "threads": 1}, {**_run("two-threads", 50.0), "threads": 2},
            {**_run("default", 50.0), "threads": None}]
    rows = {r["backend"]: r for r in summarize(runs, bw)}
    one = rows["one-thread"]
    assert one["bandwidth_gb_s"] == 10.0 and one["ceiling_tps"] == pytest.approx(100.0)  # 10 GB/s / 100 MB
    assert one["ceiling_all_cores_tps"] == pytest.approx(180.0) and one["roofline_fraction"] == pytest.approx(0.5)
    assert rows["two-threads"]["ceiling_tps"] == pytest.approx(180.0)
    assert rows["default"]["ceiling_tps"] == pytest.approx(180.0), "a runtime's own default uses every core"
    table = BenchmarkResult(runs, {}, bw).table()
    assert "all cores" in table and " 100 " in table and " 180 " in table, "both ceilings are shown"


def _run(backend, tps, tokens=20, ttft=0.1, read_mb=100.0):
    return {"backend": backend, "runtime": "r", "precision": "p", "kind": "local", "model": "m",
            "decode_tokens_per_s": tps, "ttft_s": ttft, "total_s": 1.0, "new_tokens": tokens,
            "peak_rss_mb": 300.0, "weight_mb": read_mb, "read_mb_per_token": read_mb}


def test_summary_takes_medians_spread_and_roofline_fraction():
    runs = [_run("a", s) for s in (10.0, 20.0, 30.0, 40.0)]
    runs += [_run("a", 0.0, tokens=1), _run("b", 5.0, read_mb=float("nan"))]
    rows = {r["backend"]: r for r in summarize(runs, Bandwidth(2.0, 4.0, 1, 16))}
    a = rows["a"]
    assert a["runs"] == 5
    assert a["decode_tps"] == 25.0  # the one-token run has no decode speed and is left out
    assert (a["decode_tps_p25"], a["decode_tps_p75"], a["decode_tps_max"]) == (17.5, 32.5, 40.0)
    assert a["ceiling_tps"] == pytest.approx(20.0) and a["roofline_fraction"] == pytest.approx(1.25)
    assert math.isnan(rows["b"]["roofline_fraction"])  # no known weights (e.g. a cloud model): no roofline


def test_answer_agreement_counts_identical_answers_and_shared_words():
    ref = {"x": "Oslo is the capital.", "y": "one two three four"}
    assert answer_agreement(ref, ref) == (1.0, 1.0)
    assert answer_agreement(ref, {"x": "Oslo is the capital.", "y": "one two six"}) == (0.5, (1 + 2 / 4) / 2)
    with pytest.raises(CourseError, match="share no prompt"):
        answer_agreement(ref, {"z": "?"})
    with pytest.raises(CourseError, match="greedy"):
        quantization_tradeoff(("int4",), settings=GenerationSettings(temperature=0.7))


def test_bad_names_and_arguments_get_one_sentence():
    with pytest.raises(CourseError, match="Unknown backend 'tpu'"):
        make_backend("tpu")
    with pytest.raises(CourseError, match="Unknown ONNX precision"):
        make_backend("onnx-int2")
    with pytest.raises(CourseError, match="repeats >= 1"):
        run_benchmark([make_backend("onnx-int4")], repeats=0)


def test_a_failing_backend_is_skipped_visibly_or_raised(capsys):
    broken = OnnxBackend("int4", model="no-such-model")
    result = run_benchmark([broken], load_prompts(limit=1), TINY, repeats=1, bandwidth=None, progress=False)
    assert result.runs == [] and "Unknown model" in result.skipped["onnx-int4"]
    assert "onnx-int4: skipped" in capsys.readouterr().out
    with pytest.raises(CourseError, match="Unknown model"):
        run_benchmark([broken], load_prompts(limit=1), TINY, repeats=1, bandwidth=None, on_error="raise")


def test_missing_xllamacpp_says_how_to_get_it(monkeypatch, capsys):
    # None in sys.modules makes `import xllamacpp` fail, as on a machine where the install left it out
    monkeypatch.setitem(sys.modules, "xllamacpp", None)
    with pytest.raises(CourseError, match=r"xllamacpp is not installed.*course\.py setup"):
        LlamaCppBackend().load()


def test_unprepared_edge_routes_are_left_out_with_one_line_each(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("SLM_LAB_CACHE", str(tmp_path))  # an empty cache: nothing of notebook 12 is prepared
    assert [b.name for b in local_backends(["onnx-int4", "olive-int4", "foundry-local"])] == ["onnx-int4"]
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and all("course.py setup --edge" in line and "left out" in line for line in lines)
    with pytest.raises(CourseError, match="no Olive build yet"):
        make_backend("olive-int4").load()


def test_llamacpp_streams_and_stops_within_a_token_or_two():
    from helpers.runtimes import stream_until

    assert llamacpp_available(), "xllamacpp is a course requirement"
    prompt = load_prompts(limit=1)[0]
    with LlamaCppBackend(threads=1) as backend:
        text, stats = backend.measure(prompt.messages, TINY)
        assert text and 1 <= stats.new_tokens <= TINY.max_new_tokens and backend.weights.per_token > 0
        pieces = []
        long = GenerationSettings(max_new_tokens=200)
        for piece in stream_until(backend.stream(messages("Count from 1 to 200."), long), lambda: len(pieces) >= 3):
            pieces.append(piece)
        assert len(pieces) == 3, "the consumer stopped after three pieces"
        # the cancelled request left the slot free: the next request answers at once, from the start
        again = backend.chat(messages("What is the capital of Norway?"), GenerationSettings(max_new_tokens=12))
        assert "Oslo" in again
        with urllib.request.urlopen(f"{backend.base_url}/models", timeout=30) as reply:
            assert json.loads(reply.read())["data"], "the in-process server also answers HTTP on 127.0.0.1"
        assert backend.base_url.startswith("http://127.0.0.1:")


@pytest.fixture(scope="module")
def result():
    bw = measure_bandwidth(size_mb=64, repeats=2, workers=1)
    # one thread each: quick, and immune to other programs holding the second core (see tune_threads)
    backends = [make_backend("onnx-int4", threads=1), make_backend("transformers-fp32", threads=1)]
    return run_benchmark(backends, load_prompts(limit=2), TINY, warmup=1, repeats=1, bandwidth=bw, progress=False)


def test_real_runs_on_both_runtimes(result):
    assert len(result.runs) == 2 * 2 and not result.skipped
    assert {run["threads"] for run in result.runs} == {1}
    for run in result.runs:
        assert 1 <= run["new_tokens"] <= TINY.max_new_tokens and run["ttft_s"] > 0 and run["answer"]
    rows = {r["backend"]: r for r in result.summary()}
    assert set(rows) == {"onnx-int4", "transformers-fp32"}
    for row in rows.values():
        assert row["decode_tps"] > 0 and 0 < row["roofline_fraction"] < math.inf and row["peak_rss_mb"] > 0
    # the same weights, four bits instead of thirty-two: int4 reads several times fewer bytes per token
    assert rows["transformers-fp32"]["read_mb_per_token"] > 4 * rows["onnx-int4"]["read_mb_per_token"]
    assert result.speedup("onnx-int4", "transformers-fp32") == pytest.approx(
        rows["onnx-int4"]["decode_tps"] / rows["transformers-fp32"]["decode_tps"]
    )
    text = report(result)
    assert "ONNX int4 vs Transformers fp32" in text and "roofline" in text


def test_results_are_saved_as_csv_and_json_and_reload(result, tmp_path):
    paths = result.save(tmp_path, stem="run")
    lines = paths["csv"].read_text().splitlines()
    assert len(lines) == 1 + len(result.runs) and lines[0].startswith("backend,")
    again = BenchmarkResult.load(paths["json"])
    assert again.summary() == json.loads(json.dumps(result.summary()))
    assert again.bandwidth == result.bandwidth
    with pytest.raises(CourseError, match="not a saved benchmark result"):
        BenchmarkResult.load(paths["csv"])


def test_plots_render(result, tmp_path):
    import matplotlib

    matplotlib.use("agg")
    from helpers.plots import plot_benchmark, plot_quantization, plot_roofline

    rows = [{**row, "agree_exact": 1.0 - i / 2, "agree_prefix": 1.0 - i / 4} for i, row in enumerate(result.summary())]
    for name, fig in {
        "bench": plot_benchmark(result),
        "roofline": plot_roofline(result),
        "quant": plot_quantization([{**r, "precision": r["backend"]} for r in rows]),
    }.items():
        fig.savefig(tmp_path / f"{name}.png", dpi=50)
        assert (tmp_path / f"{name}.png").stat().st_size > 5000
        assert all(ax.get_title() for ax in fig.axes)
    with pytest.raises(ValueError, match="bandwidth"):
        plot_roofline(result.summary())


def test_command_prints_speed_and_roofline(capsys):
    main(["--backends", "onnx-int4", "--prompts", "1", "--repeats", "1", "--max-new-tokens", "4", "--threads", "1",
          "--no-save"])
    out = capsys.readouterr().out
    assert "Memory bandwidth" in out and "Fastest local backend: onnx-int4" in out and "% of its" in out


def test_thread_tuning_returns_the_faster_backend_loaded(capsys):
    backend = tune_threads("onnx-int4", candidates=[1, 2], settings=TINY, trials=1)
    assert not backend.loaded  # freed: a benchmark loads one model at a time
    try:
        assert backend.threads in (1, 2)
        assert backend.session_options["intra_op_num_threads"] == backend.threads
        out = capsys.readouterr().out
        assert "1 thread" in out and f"using {backend.threads}" in out
        assert backend.measure(load_prompts(limit=1)[0].messages, TINY)[1].new_tokens >= 1  # still usable
    finally:
        backend.close()
