"""Notebook 13 and lab 6: the tense task's data, the evaluation harness, the intervals and the lab's checks.

The lab checks are tested both ways from tables: wrong answers (including shortcuts: leakage of held-out items,
an empty set, the wrong size, duplicates, the course's own generator) must fail, and right answers written
differently must pass. The training-set cases that get past validation really fine-tune the default model
(a few steps each, on a small set), against a real web-like baseline trained the same way.
"""

import json
import math
import random
import re
import subprocess
import sys

import pytest

from helpers.checks import lab06_textbook_data as dq
from helpers.data_quality.experiment import REFERENCE_RUN, load_heldout
from helpers.data_quality.generators import heldout_items, textbook_like, web_like
from helpers.data_quality.tenses import (
    CONSTRUCTIONS,
    HELDOUT_NAMES,
    HELDOUT_VERBS,
    LABELS,
    TRAIN_NAMES,
    TRAIN_VERBS,
    make_sentence,
)
from helpers.env import REPO_ROOT
from helpers.errors import CourseError
from helpers.evaluation import bootstrap_difference, first_word_matches, items_needed, mentions_label, wilson_interval

HELDOUT = load_heldout()
N, STEPS = 16, 8  # the lab's size: a set of 16, eight steps of four


# --------------------------------------------------------------------------- data


def test_heldout_file_is_what_the_script_writes():
    assert heldout_items() == HELDOUT
    done = subprocess.run([sys.executable, "scripts/make_tense_heldout.py", "--check"], cwd=REPO_ROOT,
                          capture_output=True, text=True, env={"PYTHONPATH": str(REPO_ROOT), "PATH": ""})
    assert done.returncode == 0, done.stdout + done.stderr


def test_heldout_is_balanced_and_uses_words_no_generator_uses():
    assert len(HELDOUT) == 90 and len({i["sentence"] for i in HELDOUT}) == 90
    assert {c.key: sum(i["construction"] == c.key for i in HELDOUT) for c in CONSTRUCTIONS} == {
        c.key: 9 for c in CONSTRUCTIONS}
    assert not set(HELDOUT_NAMES) & set(TRAIN_NAMES)
    assert not {v.base for v in HELDOUT_VERBS} & {v.base for v in TRAIN_VERBS}
    train_text = " ".join(i["sentence"] + " " + i["response"] for i in web_like(200) + textbook_like(200))
    assert not any(name in train_text for name in HELDOUT_NAMES)


def test_generators_are_deterministic_and_differ_by_seed():
    assert web_like(20, seed=3) == web_like(20, seed=3) != web_like(20, seed=4)
    assert textbook_like(20, seed=3) == textbook_like(20, seed=3) != textbook_like(20, seed=4)


def test_textbook_items_answer_first_unless_spoiled():
    items = textbook_like(300, seed=1)
    clean = [i for i in items if not i["defect"]]
    assert 0.6 < len(clean) / len(items) < 0.8  # defect_rate 0.3
    assert all(i["response"].split(".")[0] in LABELS for i in clean)
    spoiled_labels = [i for i in items if i["defect"] == "wrong label"]
    assert spoiled_labels and all(i["response"].split(".")[0] in LABELS for i in spoiled_labels)


def test_web_items_mislabel_the_tricky_constructions_more_often():
    by_sentence = {make_sentence(c, n, v)[0]: c for c in CONSTRUCTIONS for n in TRAIN_NAMES for v in TRAIN_VERBS}
    wrong = {True: [0, 0], False: [0, 0]}
    for item in web_like(400, seed=2):
        construction = by_sentence[item["sentence"]]
        said = re.search(r"\b(past|present|future)\b", item["response"].lower()).group(1)
        wrong[bool(construction.tricky)][0] += said != construction.label
        wrong[bool(construction.tricky)][1] += 1
    assert wrong[True][0] / wrong[True][1] > 0.4 > 0.15 > wrong[False][0] / wrong[False][1]


# --------------------------------------------------------------------------- scorers and intervals


@pytest.mark.parametrize(("answer", "label", "strict", "lenient"), [
    ("future. 'will' + a verb", "future", True, True),
    ("Future tense!!", "future", True, True),
    ("i think its future", "future", False, True),
    ("The past tense of", "future", False, False),
    ("", "past", False, False),
    ("present", "past", False, False),
])
def test_scorers(answer, label, strict, lenient):
    assert first_word_matches(answer, label) is strict
    assert mentions_label(answer, label) is lenient


def test_wilson_interval_known_values_and_edges():
    assert wilson_interval(8, 10) == pytest.approx((0.4902, 0.9433), abs=1e-4)
    low, high = wilson_interval(0, 10)
    assert low == 0 and high == pytest.approx(0.2775, abs=1e-4)
    assert wilson_interval(10, 10)[1] == 1.0
    assert wilson_interval(45, 90) == pytest.approx((0.3988, 0.6012), abs=1e-4)
    with pytest.raises(CourseError):
        wilson_interval(3, 0)
    with pytest.raises(CourseError):
        wilson_interval(11, 10)


def test_items_needed_shrinks_the_interval_as_promised():
    n = items_needed(0.10)
    low, high = wilson_interval(n // 2, n)
    assert (high - low) / 2 == pytest.approx(0.10, abs=0.005)
    assert items_needed(0.05) > 3.9 * n


def test_bootstrap_difference_brackets_the_observed_difference():
    rng = random.Random(0)
    a = [rng.random() < 0.8 for _ in range(90)]
    b = [rng.random() < 0.4 for _ in range(90)]
    diff, low, high = bootstrap_difference(a, b)
    assert low < diff < high and low > 0
    same, low, high = bootstrap_difference(a, a)
    assert same == low == high == 0
    with pytest.raises(CourseError):
        bootstrap_difference(a, b[:10])


# --------------------------------------------------------------------------- lab 6: the Wilson exercise


def _wilson_a(correct, n, z=1.96):
    p = correct / n
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z / (1 + z**2 / n) * math.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    return centre - half, centre + half


def _wilson_b(correct, n):  # the quadratic's two roots, written out
    z2 = 1.96**2
    a, b, c = 1 + z2 / n, -(2 * correct / n + z2 / n), (correct / n) ** 2
    root = math.sqrt(b * b - 4 * a * c)
    return [(-b - root) / (2 * a), (-b + root) / (2 * a)]


def _wilson_c(correct, n):
    import numpy as np

    z, failures = 1.959964, n - correct
    return tuple(np.array([-1, 1]) * z * np.sqrt(correct * failures / n + z * z / 4) / (n + z * z)
                 + (correct + z * z / 2) / (n + z * z))


def _wald(correct, n):
    p = correct / n
    half = 1.96 * math.sqrt(p * (1 - p) / n)
    return p - half, p + half


def _calls_helper(correct, n):
    return wilson_interval(correct, n)


def _one_number(correct, n):
    return correct / n


def _stub(correct, n):
    return ...


def _z_99(correct, n):  # the right formula at the wrong confidence level (99%)
    return _wilson_a(correct, n, z=2.576)


@pytest.mark.parametrize("function", [_wilson_a, _wilson_b, _wilson_c])
def test_check_wilson_passes_right_answers_written_differently(function):
    assert dq.check_wilson(function).status == "passed"


@pytest.mark.parametrize(("function", "status", "says"), [
    (_wald, "failed", "Wald"),
    (_calls_helper, "failed", "calls wilson_interval"),
    (_one_number, "failed", "two numbers"),
    (_z_99, "failed", "expected"),
    (_stub, "not done", "Write wilson"),
    (..., "not done", "Write wilson"),
])
def test_check_wilson_fails_wrong_answers(function, status, says):
    result = dq.check_wilson(function)
    assert result.status == status and says in result.message


# --------------------------------------------------------------------------- lab 6: the training set, table-driven


def _heldout_copy(n, seed):
    return [{"sentence": i["sentence"], "response": i["tense"] + "."} for i in HELDOUT[:n]]


def _heldout_disguised(n, seed):  # leakage with other case and punctuation, padded with fair items
    leaked = [{"sentence": i["sentence"].upper().rstrip("."), "response": i["tense"]} for i in HELDOUT[:2]]
    return leaked + _right_plain(n - 2, seed)


def _heldout_in_response(n, seed):  # leakage hidden in the text that is trained on
    items = _right_plain(n, seed)
    items[0] = {**items[0], "response": items[0]["response"] + " Also: " + HELDOUT[5]["sentence"]}
    return items


def _empty(n, seed):
    return []


def _too_few(n, seed):
    return _right_plain(n - 3, seed)


def _duplicates(n, seed):
    return _right_plain(n // 2, seed) * 2


def _solution_helper(n, seed):
    return textbook_like(n, seed=seed, defect_rate=0)


def _solution_output_in_disguise(n, seed):
    import importlib

    module = importlib.import_module("helpers.data_" + "quality.gener" + "ators")
    return getattr(module, "web" + "_like")(n, seed=seed)


def _all_present(n, seed):  # a valid set, fluent and well formed, that teaches the wrong answers
    return [{"sentence": s, "response": f"present. Look at '{clue}'."} for _, s, clue in _triples(n, seed)]


def _triples(n, seed):
    rng = random.Random(seed)
    out, seen = [], set()
    while len(out) < n:
        construction = CONSTRUCTIONS[len(out) % len(CONSTRUCTIONS)]
        sentence, clue = make_sentence(construction, rng.choice(TRAIN_NAMES), rng.choice(TRAIN_VERBS))
        if sentence not in seen:
            seen.add(sentence)
            out.append((construction, sentence, clue))
    return out


def _right_plain(n, seed):
    return [{"sentence": s, "response": f"{c.label}. Look at '{clue}': {c.rule}."} for c, s, clue in _triples(n, seed)]


def _right_terse(n, seed):
    rng = random.Random(seed + 7)
    items = []
    for c, s, clue in _triples(n, seed + 1):
        items.append({"sentence": s, "response": f"{c.label}. '{clue}' is {c.label}" + rng.choice(("", "!", "."))})
    return items


def _right_teacher(n, seed):
    items = []
    pairs = [(c, name, verb) for c in CONSTRUCTIONS for name in ("Grace", "Hugo", "Mina") for verb in TRAIN_VERBS]
    random.Random(seed).shuffle(pairs)
    for c, name, verb in pairs[:n]:
        sentence, clue = make_sentence(c, name, verb)
        why = f" Careful: {c.tricky}, but the rule wins." if c.tricky else ""
        items.append({"sentence": sentence, "response": f"{c.label}. The verb group '{clue}' tells us: {c.rule}.{why}"})
    return items


WRONG_BEFORE_TRAINING = [
    (_heldout_copy, "leakage"),
    (_heldout_disguised, "leakage"),
    (_heldout_in_response, "leakage"),
    (_empty, "empty"),
    (_too_few, "not 16"),
    (_duplicates, "more than once"),
    (_solution_helper, "textbook_like"),
    (_solution_output_in_disguise, "exactly what the course's web_like"),
    (lambda n, seed: "past present future", "list of dicts"),
    (lambda n, seed: [{"sentence": "Tom ate.", "response": ""}] * n, "lacks a non-empty"),
]


@pytest.mark.parametrize(("make_set", "says"), WRONG_BEFORE_TRAINING, ids=lambda x: getattr(x, "__name__", ""))
def test_wrong_training_sets_fail_before_any_training(make_set, says):
    result = dq.check_training_set(make_set, N, HELDOUT)
    assert result.status == "failed" and says in result.message, result.message
    assert "Nothing was trained" in result.message
    # model=None: reaching the training step would raise, so the gain check must stop at validation too.
    gain = dq.check_data_gain(make_set, N, HELDOUT, model=None, tokenizer=None, baseline=None, steps=STEPS)
    assert gain.status == "failed" and "Nothing was trained" in gain.message


@pytest.mark.parametrize("make_set", [_right_plain, _right_terse, _right_teacher, _all_present],
                         ids=lambda f: f.__name__)
def test_fair_training_sets_written_differently_pass_the_fairness_check(make_set):
    # _all_present is fair (its labels are wrong, which only training can reveal).
    assert dq.check_training_set(make_set, N, HELDOUT).status == "passed"


def test_unfinished_generator_is_not_done():
    def stub(n, seed):
        return ...

    for answer in (..., None, stub):
        assert dq.check_training_set(answer, N, HELDOUT).status == "not done"
        assert dq.check_data_gain(answer, N, HELDOUT, None, None, None, steps=STEPS).status == "not done"


def test_a_fair_set_is_trained_and_judged_against_the_baseline():
    """One real fine-tune at the lab's size. Whether it clears the margin is not asserted: at 16 items and 8 steps
    the difference between a clean textbook-like set and web-like data was within the noise when measured (see
    notebook 13), so this test checks that the comparison really runs and reports both scores."""
    import torch

    from helpers.evaluation import EvalResult
    from helpers.models import load_transformers

    torch.set_num_threads(1)
    model, tokenizer, _ = load_transformers(device="cpu", verbose=False)
    baseline = EvalResult("web-like", ["x"] * len(HELDOUT), [False] * len(HELDOUT))  # a floor: 0 of 90
    result = dq.check_data_gain(_right_terse, N, HELDOUT, model, tokenizer, baseline, steps=2, margin=0.0)
    assert result.status == "passed", result.message
    assert f"0/{len(HELDOUT)}" in result.message and "your set scores" in result.message
    assert dq.MEASURED["your set"].n == len(HELDOUT)


def test_the_shipped_reference_run_supports_what_notebook_13_says():
    """Notebook 13's prose: at full size the order is web-like < textbook-like < filtered in every seed, web-like
    below the base model, and the reduced-size claims are about the learner's own run (asserted in the notebook)."""
    run = json.loads(REFERENCE_RUN.read_text(encoding="utf-8"))
    seeds = run["settings"]["seeds"]
    assert len(seeds) == 3 and run["settings"]["n_train"] == 64 and run["settings"]["steps"] == 32, "a full-size run"
    for seed in seeds:
        acc = {r["set"]: r["accuracy"] for r in run["runs"] if r["seed"] == seed}
        assert acc["web-like"] < acc["textbook-like"] < acc["textbook, filtered"], (seed, acc)
        assert acc["web-like"] < run["base"]["accuracy"], (seed, acc)
        # "with gaps wider than the ± 10 points of each interval"
        assert acc["textbook-like"] - acc["web-like"] > 0.10, (seed, acc)
        assert acc["textbook, filtered"] - acc["textbook-like"] > 0.10, (seed, acc)


# --------------------------------------------------------------------------- the harness's speed-ups


@pytest.fixture(scope="module")
def default_model():
    import torch

    from helpers.models import load_transformers

    torch.set_num_threads(1)
    model, tokenizer, _ = load_transformers(device="cpu", verbose=False)
    return model, tokenizer


def test_prefix_caching_gives_the_same_answers_as_plain_batches(default_model):
    from helpers.data_quality.tenses import SYSTEM
    from helpers.evaluation.harness import chat_prompt, generate_answers, shared_prefix

    model, tokenizer = default_model
    prompts = [chat_prompt(tokenizer, SYSTEM, item["sentence"]) for item in HELDOUT[:20]]
    prefix = shared_prefix(tokenizer, prompts)
    assert len(prefix) > 20, "the chat template and the system message are shared"
    assert tokenizer.decode(prefix).endswith("user\n"), "cut at the last line break both share"
    cached = generate_answers(model, tokenizer, prompts, batch_size=8)
    plain = generate_answers(model, tokenizer, prompts, batch_size=8, reuse_prefix=False)
    assert cached == plain


@pytest.mark.parametrize(("prompts", "shared"), [
    (["one prompt\nonly"], False),
    (["abc\nx", "xyz\nx"], False),  # nothing in common
    (["same line without a break a", "same line without a break b"], False),  # no line break in the shared part
    (["Q:\nfirst", "Q:\nsecond"], True),
])
def test_shared_prefix_is_used_only_when_it_ends_at_a_line_break(default_model, prompts, shared):
    from helpers.evaluation.harness import shared_prefix

    assert bool(shared_prefix(default_model[1], prompts)) is shared


def test_lora_adapts_only_the_top_layers_and_evaluation_gives_the_base_weights_back(default_model):
    import torch
    from peft import get_peft_model

    from helpers.data_quality.tenses import SYSTEM
    from helpers.data_quality.training import TOP_LAYERS, lora_config
    from helpers.evaluation import evaluate

    model, tokenizer = default_model
    before = {k: v.detach().clone() for k, v in model.state_dict().items()}
    net = get_peft_model(model, lora_config(model))
    adapted: dict[int, set] = {}
    for name, _ in net.named_modules():
        if m := re.search(r"\.layers\.(\d+)\..*\.(\w+_proj)\.lora_A$", name):
            adapted.setdefault(int(m.group(1)), set()).add(m.group(2))
    n = model.config.num_hidden_layers
    assert sorted(adapted) == list(range(n - TOP_LAYERS, n))
    assert all(len(names) == 7 for names in adapted.values()), adapted  # q, k, v, o, gate, up, down
    with torch.no_grad():  # a trained adapter is not zero: make B non-zero so that merging changes the weights
        for name, p in net.named_parameters():
            if "lora_B" in name:
                p.normal_(std=0.05)
    merged = evaluate(net, tokenizer, HELDOUT[:8], SYSTEM)
    assert all(not getattr(m, "merged", False) for m in net.modules()), "unmerged after the evaluation"
    model = net.unload()
    after = model.state_dict()
    assert max((after[k] - v).abs().max().item() for k, v in before.items()) < 1e-5
    assert len(merged.answers) == 8
