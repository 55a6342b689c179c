"""data/phi_family.json against its schema and its own logic, and the helpers that do arithmetic with it."""

import copy
import json

import jsonschema
import pytest

from helpers.errors import CourseError
from helpers.models import MODELS
from helpers.phi_family import (
    DATA_FILE,
    SCHEMA_FILE,
    Architecture,
    PhiModel,
    bytes_per_param,
    consistency_problems,
    context_label,
    estimate_memory_gb,
    get_model,
    load_family,
    load_family_data,
    memory_table,
    recommend,
    weight_bytes,
    weight_gb,
)

# COURSE_OUTLINE.md section 3, row by row: every one must be in the data.
OUTLINE_MODELS = [
    "Phi-1", "Phi-2", "Phi-3-mini", "Phi-3-small", "Phi-3-medium", "Phi-3-vision", "Phi-3-Silica", "Phi-3.5-mini",
    "Phi-3.5-vision", "Phi-3.5-MoE", "Phi-4", "Phi-4-mini", "Phi-4-mini-reasoning", "Phi-4-reasoning",
    "Phi-4-reasoning-plus", "Phi-4-multimodal", "Phi-1.5", "Phi-4-mini-flash-reasoning", "Phi-4-reasoning-vision-15B",
]


@pytest.fixture(scope="module")
def data():
    return json.loads(DATA_FILE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def validator():
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.fixture(scope="module")
def family():
    return load_family()


def entry(data, model_id):
    return copy.deepcopy(next(m for m in data["models"] if m["id"] == model_id))


# --------------------------------------------------------------------------- the data file


def test_data_file_validates_against_its_schema(data, validator):
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(data)]
    assert errors == []


def test_every_model_of_the_course_outline_is_in_the_data(family):
    assert sorted(m.name for m in family) == sorted(OUTLINE_MODELS)


@pytest.mark.parametrize(
    ("model_id", "mutate"),
    [
        ("phi-4", lambda m: m.pop("params_b")),
        ("phi-4", lambda m: m.update(params_b=-14)),
        ("phi-4", lambda m: m.update(tasks=["telepathy"])),
        ("phi-4", lambda m: m.update(release="Dec 2024")),
        ("phi-4", lambda m: m.update(sources=[{"title": "a blog", "url": "http://insecure.example"}])),
        ("phi-4", lambda m: m.update(design="mixture-of-experts")),  # MoE without moe figures
        ("phi-3.5-moe", lambda m: m.update(moe=None)),
        ("phi-4", lambda m: m.update(hf_ids=[])),  # open weights need a download id
        ("phi-3-silica", lambda m: m.update(hf_ids=["microsoft/phi-silica"])),  # closed model with a download id
        ("phi-4", lambda m: m.update(context_tokens=[])),
        ("phi-4", lambda m: m.update(unexpected_field=1)),
    ],
)
def test_schema_rejects_broken_entries(data, validator, model_id, mutate):
    broken = copy.deepcopy(data)
    index = next(i for i, m in enumerate(broken["models"]) if m["id"] == model_id)
    mutate(broken["models"][index])
    assert list(validator.iter_errors(broken)), "the schema accepted a broken entry"


def test_the_data_passes_every_consistency_check(family):
    assert consistency_problems(family) == []


@pytest.mark.parametrize(
    ("model_id", "mutate", "expected"),
    [
        ("phi-3.5-moe", lambda m: m["moe"].update(active_params_b=50.0), "exceed the total"),
        ("phi-3.5-moe", lambda m: m["moe"].update(total_params_b=70.0), "experts x"),
        ("phi-3.5-moe", lambda m: m.update(params_b=6.6), "should equal the MoE total"),
        ("phi-4", lambda m: m.update(params_b=3.8), "architecture implies"),
        ("phi-4-mini", lambda m: m["architecture"].update(kv_heads=7), "must divide"),
        ("phi-4", lambda m: m.update(tasks=[*m["tasks"], "vision"]), "'vision'"),
        ("phi-4-multimodal", lambda m: m.update(modalities_in=["text", "image"]), "'speech'"),
        ("phi-4-mini", lambda m: m.update(function_calling=False), "'function-calling'"),
        ("phi-4", lambda m: m.update(tasks=[*m["tasks"], "long-context"]), "long-context"),
        ("phi-3-mini", lambda m: m.update(context_tokens=[131072, 4096]), "ascend"),
        ("phi-3-silica", lambda m: m.update(uncertain=[]), "no context length"),
        ("phi-4", lambda m: m.update(uncertain=[]), "differs from the upstream"),
        ("phi-4", lambda m: m.update(chat_format="phi5"), "CHAT_TEMPLATES"),
        ("phi-4-multimodal", lambda m: m.update(language_model="phi-4"), "cannot be as large"),
        ("phi-4", lambda m: m.update(release="2023-01"), "predates"),
        ("phi-4", lambda m: m.update(uncertain=[*m["uncertain"], {"field": "colour", "note": "not a real field"}]),
         "not a field"),
    ],
)
def test_consistency_checks_catch_broken_data(data, model_id, mutate, expected):
    broken = copy.deepcopy(data)
    target = next(m for m in broken["models"] if m["id"] == model_id)
    mutate(target)
    problems = consistency_problems([PhiModel.from_dict(m) for m in broken["models"]])
    assert any(expected in p for p in problems), problems


def test_duplicate_ids_are_reported(data):
    models = [PhiModel.from_dict(m) for m in data["models"]]
    assert any("Duplicate id" in p for p in consistency_problems([*models, models[0]]))


def test_the_course_model_registry_agrees_with_the_data(family):
    by_hf_id = {hf_id.lower(): m for m in family for hf_id in m.hf_ids}
    checked = 0
    for spec in MODELS.values():
        model = by_hf_id.get(spec.hf_id.lower())
        if model is None:
            continue
        checked += 1
        assert spec.params == pytest.approx(model.params, rel=0.05), spec.key
        assert spec.context in model.context_tokens, spec.key
        assert spec.chat_format == model.chat_format, spec.key
    assert checked >= 4


def test_load_family_reports_a_broken_file_in_one_sentence(tmp_path, data):
    broken = copy.deepcopy(data)
    broken["models"][0]["params_b"] = "a lot"
    path = tmp_path / "phi_family.json"
    path.write_text(json.dumps(broken), encoding="utf-8")
    with pytest.raises(CourseError, match=r"breaks its schema at models/0/params_b"):
        load_family_data(path)
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(CourseError, match="not valid JSON"):
        load_family_data(path)
    with pytest.raises(CourseError, match="is missing"):
        load_family_data(tmp_path / "nowhere.json")


def test_get_model_finds_names_aliases_and_hub_ids(family):
    assert get_model("Phi Silica").id == "phi-3-silica"
    assert get_model("MICROSOFT/PHI-4").id == "phi-4"
    assert get_model("phi-3.5-moe").is_moe
    with pytest.raises(CourseError, match="No Phi model called 'phi-9'"):
        get_model("phi-9")


# --------------------------------------------------------------------------- memory arithmetic


def test_bytes_per_parameter_halve_from_fp32_to_int4():
    assert [bytes_per_param(p) for p in ("fp32", "fp16", "int8", "int4")] == [4.0, 2.0, 1.0, 0.5]
    assert bytes_per_param("BF16") == 2.0
    assert weight_bytes(3.8e9, "fp16") == 7.6e9
    assert weight_gb(14.7e9, "int4") == pytest.approx(7.35)
    assert memory_table(2e9) == {"fp32": 8.0, "fp16": 4.0, "int8": 2.0, "int4": 1.0}


@pytest.mark.parametrize(("params", "precision"), [(1e9, "fp8"), (1e9, None), (0, "fp16"), (-3, "fp16")])
def test_bad_memory_arithmetic_input_is_a_course_error(params, precision):
    with pytest.raises(CourseError):
        weight_bytes(params, precision)


def test_context_labels():
    assert [context_label(t) for t in (2048, 4096, 16384, 32768, 131072, 3000, None)] == [
        "2K", "4K", "16K", "32K", "128K", "3,000", "?"
    ]


def test_kv_cache_shrinks_with_grouped_query_attention(family):
    phi3 = get_model("phi-3-mini").architecture
    phi4 = get_model("phi-4-mini").architecture
    # 2 (key and value) x 32 layers x 32 heads x 96 dims x 2 bytes; Phi-4-mini: 8 KV heads of 128 dims.
    assert phi3.kv_cache_bytes(1) == 2 * 32 * 32 * 96 * 2 == 393216
    assert phi4.kv_cache_bytes(1) == 2 * 32 * 8 * 128 * 2 == 131072
    assert phi4.kv_cache_bytes(131072, "int8") == 131072 * 131072 / 2
    with pytest.raises(CourseError):
        phi4.kv_cache_bytes(-1)


def test_multimodal_models_borrow_their_language_models_kv_cache(family):
    multimodal = get_model("phi-4-multimodal")
    assert multimodal.architecture is None
    assert multimodal.kv_architecture == get_model("phi-4-mini").architecture
    memory, notes = estimate_memory_gb(multimodal, "int4", context_tokens=8192)
    assert memory == pytest.approx(5.6 * 0.5 * 1.2 + 131072 * 8192 / 1e9)
    assert "KV cache for 8K tokens" in notes[1]


def test_parameter_count_matches_real_transformers_models():
    torch = pytest.importorskip("torch")
    from transformers import Phi3Config, Phi3ForCausalLM, PhimoeConfig, PhimoeForCausalLM

    torch.manual_seed(0)
    small = dict(
        vocab_size=300, hidden_size=64, intermediate_size=96, num_hidden_layers=2, num_attention_heads=4,
        bos_token_id=1, eos_token_id=2, pad_token_id=0,
    )
    dense = Phi3ForCausalLM(Phi3Config(**small, num_key_value_heads=2))
    moe = PhimoeForCausalLM(PhimoeConfig(**small, num_key_value_heads=2, num_local_experts=4, num_experts_per_tok=2))
    for model in (dense, moe):
        total, _ = Architecture.from_hf_config(model.config).param_counts()
        # Phi-MoE adds biases and LayerNorm biases that the count leaves out: well under 2% here.
        assert total == pytest.approx(sum(p.numel() for p in model.parameters()), rel=0.02)


def test_parameter_count_of_the_published_phi_configs_in_transformers():
    from transformers import Phi3Config, PhimoeConfig

    # Transformers' defaults are the published Phi-3-mini and Phi-3.5-MoE configs.
    total, _ = Architecture.from_hf_config(Phi3Config()).param_counts()
    assert total / 1e9 == pytest.approx(3.82, abs=0.01)
    total, active = Architecture.from_hf_config(PhimoeConfig()).param_counts()
    assert (round(total / 1e9, 1), round(active / 1e9, 1)) == (41.9, 6.6)


# --------------------------------------------------------------------------- recommend


def test_recommend_explains_a_phone_sized_text_chat(family):
    selection = recommend("chat", 4)
    names = [p.model.name for p in selection.picks]
    assert names and all(p.memory_gb <= 4 for p in selection.picks)
    assert "Phi-4-multimodal" not in names[:1], "an audio and image model should not win a text chat"
    assert all("fits in 4 GB" in " ".join(p.reasons) for p in selection.picks)
    assert "not built for chat" in selection.rejected["Phi-1"]
    assert "even at int4" in selection.rejected["Phi-4"]
    assert "not downloadable" in selection.rejected["Phi-3-Silica"]
    assert "Phi-3-Silica" in str(recommend("on-device", 8, include_closed=True, top=10))


def test_recommend_uses_the_highest_precision_that_fits():
    best = recommend("math", 10).best
    assert best.model.name.startswith("Phi-4")
    high = recommend("chat", 40, prefer="light").best
    assert high.precision == "fp16"
    assert recommend("chat", 40, precisions=("int4",)).best.precision == "int4"


def test_recommend_respects_modality_tools_and_context(family):
    assert {p.model.name for p in recommend("speech", 16).picks} == {"Phi-4-multimodal"}
    assert all("image" in p.model.modalities_in for p in recommend("vision", 16).picks)
    assert all(p.model.function_calling for p in recommend("chat", 16, tools=True).picks)
    long = recommend("chat", 80, context_tokens=100_000)
    assert all(p.model.max_context >= 100_000 for p in long.picks)
    assert "holds 16K tokens" in long.rejected["Phi-4"]
    assert any("KV cache for" in r for r in long.best.reasons)


def test_base_models_rank_below_instruction_tuned_ones_except_for_research():
    code = recommend("code", 40, top=10)
    names = [p.model.name for p in code.picks]
    assert names.index("Phi-2") > names.index("Phi-4-mini")
    assert recommend("research", 8).best.model.name == "Phi-2"


def test_long_context_costs_memory_through_the_kv_cache():
    short = recommend("function-calling", 4)
    assert short.best.model.name == "Phi-4-mini"
    long = recommend("function-calling", 4, context_tokens=32768)
    assert long.best is None and "nothing fits" in str(long)


def test_moe_reasons_mention_total_and_active_parameters():
    moe = next(p for p in recommend("multilingual", 30, top=10).picks if p.model.is_moe)
    assert any("41.9B" in r and "6.6B" in r for r in moe.reasons)


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        (("poetry", 8), {}, "Unknown task 'poetry'"),
        (("chat", 0), {}, "memory_gb must be a positive number"),
        (("chat", 8), {"prefer": "cheap"}, "prefer must be one of"),
        (("chat", 8), {"precisions": ("fp4",)}, "Unknown precision 'fp4'"),
        (("chat", 8), {"precisions": ()}, "precisions is empty"),
        (("chat", 8), {"overhead": -1}, "overhead must be >= 0"),
    ],
)
def test_recommend_rejects_bad_input_in_one_sentence(args, kwargs, message):
    with pytest.raises(CourseError, match=message):
        recommend(*args, **kwargs)
