"""Translations kept in step with the English: catalogs, compiled messages, generated notebooks, helper messages.

What is enforced is listed in ``translations/manifest.json`` (source file -> languages). A file that is not listed
is not translated yet and is not checked here: ``python scripts/i18n.py status`` shows that coverage openly, and
``test_manifest_*`` below make sure the manifest is neither empty nor pointing at nothing.
"""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import sys
from pathlib import Path

import nbformat
import pytest

from helpers import CourseError, i18n, pick_device
from helpers.env import get_required_env, load_env_file
from helpers.timing import GenerationStats

ROOT = Path(__file__).resolve().parents[1]
LANGS = ("nb", "sv", "ro", "sl")


def _load_tool():
    spec = importlib.util.spec_from_file_location("slm_lab_i18n_tool", ROOT / "scripts" / "i18n.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


tool = _load_tool()
MANIFEST = tool.read_manifest(ROOT)
ENFORCED = [(rel, lang) for rel, langs in MANIFEST.items() for lang in langs]
ENFORCED_NOTEBOOKS = [(rel, lang) for rel, lang in ENFORCED if rel.endswith(".ipynb")]


def ids(pair):
    return f"{pair[1]}:{pair[0]}" if isinstance(pair, tuple) else str(pair)


@pytest.fixture(autouse=True)
def english_afterwards():
    yield
    i18n.set_language(None)


# --------------------------------------------------------------------------- the manifest is honest


def test_manifest_is_not_empty_and_lists_real_files():
    assert ENFORCED, "translations/manifest.json enforces nothing: the checks below would be empty"
    for rel, langs in MANIFEST.items():
        assert (ROOT / rel).is_file(), f"{rel} is in the manifest but does not exist"
        assert set(langs) <= set(LANGS), f"{rel}: unknown languages {set(langs) - set(LANGS)}"


def test_manifest_lists_only_known_source_files():
    sources = set(tool.source_files(ROOT))
    assert set(MANIFEST) <= sources, f"not a translatable source: {set(MANIFEST) - sources}"


# --------------------------------------------------------------------------- per-file catalogs and generated files


@pytest.mark.parametrize("pair", ENFORCED, ids=ids)
def test_catalog_is_complete_and_current(pair):
    rel, lang = pair
    report = tool.check_catalog(rel, lang, ROOT)
    assert report.total > 0, f"{rel} has no translatable text"
    assert report.complete, f"{lang} {rel}:\n" + "\n".join(report.problems()) + (
        f"\nRun: python scripts/i18n.py todo --lang {lang} {rel}"
    )


@pytest.mark.parametrize("pair", ENFORCED, ids=ids)
def test_localized_file_matches_a_fresh_generation(pair):
    rel, lang = pair
    target = tool.output_path(rel, lang, ROOT)
    assert target.is_file(), f"{target.relative_to(ROOT)} is missing: run python scripts/i18n.py generate"
    assert target.read_text(encoding="utf-8") == tool.render(rel, lang, ROOT), (
        f"{target.relative_to(ROOT)} differs from a fresh generation: run python scripts/i18n.py generate "
        "(never edit a generated file)"
    )


@pytest.mark.parametrize("pair", ENFORCED_NOTEBOOKS, ids=ids)
def test_localized_code_cells_are_the_english_ones(pair):
    rel, lang = pair
    assert tool.code_cells_differ(rel, lang, ROOT) == [], f"{lang} {rel}: code cells differ from English"


@pytest.mark.parametrize("pair", ENFORCED_NOTEBOOKS, ids=ids)
def test_localized_markdown_is_actually_translated(pair):
    import nbformat

    rel, lang = pair
    english = nbformat.read(ROOT / rel, as_version=4).cells
    localized = nbformat.read(tool.output_path(rel, lang, ROOT), as_version=4).cells
    for number, (a, b) in enumerate(zip(english, localized, strict=True)):
        if a.cell_type == "markdown" and tool.LETTER.search(a.source) and len(a.source) > 40:
            assert a.source != b.source, f"{lang} {rel} cell {number} is still English"


def test_relative_links_of_localized_files_resolve():
    for rel, lang in ENFORCED:
        target = tool.output_path(rel, lang, ROOT)
        text = target.read_text(encoding="utf-8")
        if target.suffix == ".ipynb":  # links live in markdown; code such as `OPS[type(op)](x)` is not one
            text = "\n".join(c.source for c in nbformat.reads(text, as_version=4).cells if c.cell_type == "markdown")
        for link in re.findall(r"\]\(([^)\s#]+)", text):
            if re.match(r"^[a-z][a-z0-9+.-]*:", link, re.I):
                continue
            assert (target.parent / link).exists(), f"{target.relative_to(ROOT)} links to missing {link}"


# --------------------------------------------------------------------------- staleness, shown on a temporary copy


@pytest.fixture
def temp_course(tmp_path):
    """A copy of what the checks read: the enforced English files and the translations tree."""
    for rel in MANIFEST:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, tmp_path / rel)
    shutil.copytree(ROOT / "translations", tmp_path / "translations")
    return tmp_path


def _edit_first_sentence(path: Path) -> str:
    import nbformat

    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "markdown" and "." in cell.source and not cell.source.startswith("#"):
            cell.source = cell.source.replace(".", ", as measured on this machine.", 1)
            nbformat.write(nb, path)
            return cell["id"]
    raise AssertionError("no prose cell to edit")


def test_changing_one_english_sentence_fails_every_language(temp_course):
    rel = next(rel for rel in MANIFEST if rel.endswith(".ipynb"))
    assert tool.check_all(temp_course) == [], "the copy should start clean"
    cell_id = _edit_first_sentence(temp_course / rel)
    problems = tool.check_all(temp_course)
    for lang in MANIFEST[rel]:
        assert any(p.startswith(f"{lang} {rel}: English changed") and "" in p for p in problems), (lang, problems)
        assert any(f"translations/{lang}/{rel}" in p for p in problems), "the generated copy should be stale too"
    # `update` keeps the old translation as fuzzy with the previous English: still failing, and todo shows the diff.
    for lang in MANIFEST[rel]:
        tool.update_file_catalog(rel, lang, temp_course)
        report = tool.check_catalog(rel, lang, temp_course)
        assert len(report.stale) == 1 and report.stale[0][0].context == cell_id
        assert report.stale[0][1], "the previous English is kept for the translator"


def test_a_missing_entry_fails(temp_course):
    rel, lang = ENFORCED[0]
    path = tool.catalog_path(rel, lang, temp_course)
    catalog = tool.read_catalog(path)
    victim = next(m for m in catalog if m.id)
    catalog.delete(victim.id, context=victim.context)
    tool.write_catalog(catalog, path)
    report = tool.check_catalog(rel, lang, temp_course)
    assert [u.msgid for u in report.missing] == [victim.id]


def test_a_tampered_hash_fails(temp_course):
    rel, lang = ENFORCED[0]
    path = tool.catalog_path(rel, lang, temp_course)
    catalog = tool.read_catalog(path)
    victim = next(m for m in catalog if m.id)
    victim.auto_comments = ["sha256:0000000000000000"]
    tool.write_catalog(catalog, path)
    assert len(tool.check_catalog(rel, lang, temp_course).bad_hash) == 1


def test_a_hand_edited_localized_notebook_fails(temp_course):
    import nbformat

    rel, lang = ENFORCED_NOTEBOOKS[0]
    target = tool.output_path(rel, lang, temp_course)
    nb = nbformat.read(target, as_version=4)
    code = next(c for c in nb.cells if c.cell_type == "code")
    code.source += "\nprint('changed')"
    nbformat.write(nb, target)
    assert tool.code_cells_differ(rel, lang, temp_course)
    assert target in tool.generate(temp_course, check=True)


# --------------------------------------------------------------------------- the helpers' messages


def test_message_template_is_current():
    """Every ``_()`` message in helpers/ is in the template and every language's catalog (none forgotten)."""
    extracted = {m.id for m in tool.extract_messages(ROOT) if m.id}
    template = {m.id for m in tool.read_catalog(ROOT / "translations" / "slm_lab.pot") if m.id}
    assert extracted == template, "run python scripts/i18n.py update"
    for lang in LANGS:
        catalog = tool.read_catalog(ROOT / "translations" / lang / "LC_MESSAGES" / "slm_lab.po")
        missing = [m.id for m in catalog if m.id and not (m.string and not m.fuzzy)]
        assert {m.id for m in catalog if m.id} >= extracted, f"{lang}: run python scripts/i18n.py update"
        assert not missing, f"{lang}: untranslated or fuzzy messages: {missing}"


@pytest.mark.parametrize("lang", LANGS)
def test_compiled_catalog_is_fresh(lang):
    po = ROOT / "translations" / lang / "LC_MESSAGES" / "slm_lab.po"
    assert po.with_suffix(".mo").read_bytes() == tool.compile_mo(po), "run python scripts/i18n.py compile"


@pytest.mark.parametrize("lang", LANGS)
def test_placeholders_survive_translation(lang):
    catalog = tool.read_catalog(ROOT / "translations" / lang / "LC_MESSAGES" / "slm_lab.po")
    for message in catalog:
        # An empty or fuzzy entry is never shown (gettext falls back to the English, whose fields are right);
        # test_message_template_is_current reports it as missing.
        if message.id and message.string and not message.fuzzy:
            # A plural entry (ngettext): a tuple of English forms, one translation per plural form of the language.
            ids = message.id if isinstance(message.id, tuple) else (message.id,)
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            fields = sorted({field for text in ids for field in re.findall(r"\{[^}]*\}", text)})
            for string in strings:
                assert sorted(set(re.findall(r"\{[^}]*\}", string))) == fields, (lang, message.id, string)


#: Words that stay the same in every language: technical names and units.
TECHNICAL = {
    "cpu", "cuda", "gpu", "mps", "apple", "silicon", "pytorch", "python", "ram", "gb", "mb", "s", "env", "example",
    "timer", "stop", "start", "tokens", "token", "slm_lab_lang", "nvidia_api_key", "linux", "x86_64", "zzz_unset",
    "nb", "sv", "ro", "sl", "en", "xx", "aarch64", "arm64", "darwin", "windows", "amd64", "api",
} | {part.lower() for part in ROOT.parts}
#: Words a language shares with English (the check compares words, so these would be false alarms).
SHARED = {"nb": set(), "sv": set(), "ro": {"total", "shell"}, "sl": set()}


def _words(text: str) -> set[str]:
    return {w.lower() for w in re.findall(r"[^\W\d_][\w]*", text)}


def _leftover_english(rendered: str, english: str, lang: str) -> set[str]:
    return (_words(rendered) & _words(english)) - TECHNICAL - SHARED[lang]


def _rendered_messages(monkeypatch):
    """Call the real helpers and collect what a learner sees, with every placeholder filled."""
    monkeypatch.delenv("ZZZ_UNSET", raising=False)
    shown = []
    with pytest.raises(CourseError) as error:
        get_required_env("ZZZ_UNSET", "zzz_unset")
    shown.append(str(error.value))
    shown.append(pick_device("cpu").reason)
    shown.append(pick_device("mps").reason)
    shown.append(str(GenerationStats(12, 0.5, 33.3, 1.2, 456.0)))
    with pytest.raises(RuntimeError) as timer_error:
        from helpers.timing import Timer

        Timer().stop()
    shown.append(str(timer_error.value))
    with pytest.raises(CourseError) as lang_error:
        i18n.set_language("xx")
    shown.append(str(lang_error.value))
    return shown


#: Words in the learner paths below that come from placeholders or may stay as they are in every language: the
#: service, its variables and URLs (build.nvidia.com), the HTTP reason phrases ("401 Unauthorized", "429 Too Many
#: Requests"), the exception class, image formats, the file name, and the matrices A and B of "16 x 3072 (A)".
TECHNICAL |= {
    "nvidia", "nim", "nim_base_url", "http", "v1", "build", "com", "unauthorized", "too", "many", "requests",
    "unidentifiedimageerror", "png", "jpeg", "gif", "bmp", "webp", "photo", "a", "b", "x",
}


def _learner_paths(monkeypatch, capsys, tmp_path):
    """What a learner meets on the common paths, rendered by the real helpers with every placeholder filled.

    A missing key, a server that is down (a closed port on 127.0.0.1), a 401 and a 429 from a loopback
    server, an unreadable image, a wrong and a right lab answer, a widget label and a progress description.
    """
    from test_providers import Stub, error

    from helpers.bench import load_prompts, run_benchmark
    from helpers.checks.lab04_lora import check_lora_params
    from helpers.local_server import free_port
    from helpers.playground import Choice, Playground
    from helpers.providers import PROVIDERS, connect
    from helpers.runtimes.onnx import OnnxBackend
    from helpers.vision import load_image

    load_env_file()  # read .env now (once per process), so it cannot add a provider's variables back later
    for spec in PROVIDERS.values():
        for var in (spec.url_var, spec.model_var, spec.key_var):
            if var:
                monkeypatch.delenv(var, raising=False)
    monkeypatch.delenv("SLM_LAB_PROVIDER", raising=False)
    shown = []
    with pytest.raises(CourseError) as missing_key:
        connect("nim", verbose=False)
    shown.append(str(missing_key.value))

    monkeypatch.setenv("NVIDIA_API_KEY", "nvapi-" + "FAKE-i18n-not-a-key")
    monkeypatch.setenv("NIM_BASE_URL", f"http://127.0.0.1:{free_port()}/v1")
    with pytest.raises(CourseError) as refused:
        connect("nim", verbose=False, timeout_s=2.0, max_retries=0).chat("Hi")
    shown.append(str(refused.value))

    for script in ([error(401, "Invalid API key")], [error(429, "slow down", **{"Retry-After": "0"})]):
        server = Stub(script)
        try:
            monkeypatch.setenv("NIM_BASE_URL", server.url + "/v1")
            with pytest.raises(CourseError) as answered:
                connect("nim", verbose=False, timeout_s=2.0, max_retries=1).chat("Hi")
            shown.append(str(answered.value))
        finally:
            server.close()

    broken = tmp_path / "photo.png"
    broken.write_bytes(b"these bytes are not a picture")
    with pytest.raises(CourseError) as unreadable:
        load_image(broken)
    shown.append(str(unreadable.value))

    capsys.readouterr()
    shown.append(check_lora_params(7, 3072, 3072).message)  # wrong: 16 x (3072 + 3072) is 98,304
    shown.append(check_lora_params(98_304, 3072, 3072).message)
    capsys.readouterr()

    app = Playground(choices=[Choice("SmolLM2-135M", "onnx-int4")], backend_factory=lambda key: None)
    shown.append(app.prompt.placeholder)
    app.close(widgets=True)

    import tqdm.auto

    class Shown(tqdm.auto.tqdm):  # TQDM_DISABLE (set for the suite) is read when tqdm is imported: override it here
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **{**kwargs, "disable": False})

    monkeypatch.setattr(tqdm.auto, "tqdm", Shown)
    missing_model = OnnxBackend("int4", model="no-such-model")
    run_benchmark([missing_model], load_prompts(limit=1), repeats=1, bandwidth=None, progress=True)
    bar = capsys.readouterr().err
    shown.append(bar.strip().splitlines()[-1].split(":")[0].strip())  # the bar's description, before its "0%|"
    return shown


@pytest.mark.parametrize("lang", ["en", *LANGS])
def test_learner_paths_render_in_the_language(lang, monkeypatch, capsys, tmp_path):
    """English fills every placeholder too (the same code path); each course language translates every line."""
    i18n.set_language("en")
    english = _learner_paths(monkeypatch, capsys, tmp_path)
    assert "Could not connect to NVIDIA NIM" in english[1] and "401 Unauthorized" in english[2], english
    assert "429 Too Many Requests" in english[3] and "photo.png is not a readable image" in english[4], english
    assert english[5].startswith("not quite:") and english[6].startswith("correct:"), english[5:7]
    assert english[7] == "Ask something, then press Send" and english[8] == "Benchmark", english[7:]
    for line in english:
        assert line and "{" not in line and "}" not in line, f"placeholder left unfilled: {line}"
    if lang == "en":
        return
    i18n.set_language(lang)
    localized = _learner_paths(monkeypatch, capsys, tmp_path)
    for before, after in zip(english, localized, strict=True):
        assert "{" not in after and "}" not in after, f"placeholder left unfilled: {after}"
        assert after != before, f"{lang}: still English: {after}"
        assert not _leftover_english(after, before, lang), f"{lang}: English words left in {after!r}"


@pytest.mark.parametrize("lang", LANGS)
def test_helper_messages_speak_the_language(lang, monkeypatch, capsys):
    i18n.set_language("en")
    english = _rendered_messages(monkeypatch)
    i18n.set_language(lang)
    localized = _rendered_messages(monkeypatch)
    from helpers.notebook import setup_notebook

    capsys.readouterr()
    i18n.set_language("en")
    setup_notebook(verbose=True)
    english.append(capsys.readouterr().out)
    i18n.set_language(lang)
    setup_notebook(verbose=True)
    localized.append(capsys.readouterr().out)
    for before, after in zip(english, localized, strict=True):
        assert "{" not in after and "}" not in after, f"placeholder left unfilled: {after}"
        assert after != before, f"{lang}: still English: {after}"
        assert not _leftover_english(after, before, lang), f"{lang}: English words left in {after!r}"


def _check_lines(monkeypatch, capsys):
    """What the lab checks print: a computed check name, a constant one, lab 3's fits / does not fit fragments."""
    from helpers.checks import core
    from helpers.checks.lab03_pick_phi import check_pick, check_weight_gb
    from helpers.checks.lab04_lora import check_lora_params

    monkeypatch.setattr(core, "RESULTS", {})
    capsys.readouterr()
    check_weight_gb(7.35, True, model="phi-4", precision="int4")  # right: "... to run: it fits."
    check_weight_gb(29.4, False, model="phi-4", precision="fp16")  # right: "it does not fit in 14 GB; ..."
    check_weight_gb(29.4, True, model="phi-4", precision="fp16")  # wrong: "... so it does not fit."
    check_pick("phone-app", ...)  # not done: the scenario's requirements
    check_lora_params(98_304, 3072, 3072)
    core.lab_report()
    keys = set(core.RESULTS)
    return capsys.readouterr().out.strip().splitlines(), keys


#: Words of the check lines that stay as they are: model ids, precisions, the task id, LoRA.
CHECK_TECHNICAL = {"phi", "int4", "fp16", "mini", "chat", "lora", "phone", "app"}
#: Words the check lines share with English in a language (native words, or loanwords its glossary keeps): nb "for",
#: sv "precision", ro "model", "runtime", "are" (has) and "e" (is; English has it from "e.g."), sl "model".
CHECK_SHARED = {"nb": {"for"}, "sv": {"precision"}, "ro": {"model", "runtime", "are", "e"}, "sl": {"model"}}


@pytest.mark.parametrize("lang", LANGS)
def test_check_names_and_fragments_speak_the_language(lang, monkeypatch, capsys):
    """A check's name and the fragments slotted into its sentence are translated; RESULTS keeps the English names."""
    i18n.set_language("en")
    english, english_keys = _check_lines(monkeypatch, capsys)
    assert english[0] == "✅ phi-4 at int4: correct: 7.3 GB of weights, about 8.8 GB to run: it fits.", english
    assert english[1].endswith("it does not fit in 14 GB; try a smaller precision."), english
    assert english[2].endswith("so it does not fit."), english
    assert "Needs: task 'chat', 4 GB usable." in english[3], english
    assert english[4].startswith("✅ LoRA parameters for one layer: correct:"), english
    assert "  ❌ phi-4 at fp16: failed" in english and "  ⏳ pick for phone-app: not done" in english, english
    i18n.set_language(lang)
    localized, keys = _check_lines(monkeypatch, capsys)
    names = {"phi-4 at int4", "phi-4 at fp16", "pick for phone-app", "LoRA parameters for one layer"}
    assert keys == english_keys == names, keys
    assert len(localized) == len(english), localized
    for before, after in zip(english, localized, strict=True):
        assert after != before, f"{lang}: still English: {after}"
        left = _leftover_english(after, before, lang) - CHECK_TECHNICAL - CHECK_SHARED[lang]
        assert not left, f"{lang}: English words {left} left in {after!r}"


def _recommendation_lines():
    """What notebooks 02/15 and lab 3 print: a Selection with picks, one where nothing fits, the devices, a scenario.

    A pick's ``strength`` and a closed model's licence come from data/phi_family.json through the catalog
    (``DATA_MESSAGES``), so they are compared like the rest of the line.
    """
    from helpers.checks.lab03_pick_phi import SCENARIOS
    from helpers.phi_family import COMMON_DEVICES, get_model, recommend

    lines = str(recommend("chat", 4, context_tokens=4096)).splitlines()
    lines += str(recommend("vision", 1, models=[get_model("Phi-3.5-vision")])).splitlines()  # nothing fits
    lines += [str(device) for device in COMMON_DEVICES.values()]
    lines += [f"{s.shown_story()} | {s.shown_device()}" for s in SCENARIOS.values()]
    return lines


#: Words of the recommendation lines that stay as they are: model ids, precisions, task ids, K (4K tokens), KV, IDE,
#: and, in the data's strengths, "tool" of the chat format's <|tool|> tag, "languages" (the data field it points to),
#: benchmark names (MMLU, MT-bench, 5-shot) and Microsoft.
RECOMMEND_TECHNICAL = {
    "phi", "mini", "vision", "chat", "function", "calling", "multilingual", "int4", "int8", "fp16", "k", "kv", "ide",
    "tool", "languages", "mmlu", "mt", "bench", "shot", "microsoft",
}
#: Words a language shares with the English of these lines: "cache" (the loanword in KV-cache / cache KV), nb "for",
#: "algebra", sv "offline", ro/sl "bot", ro "model", "runtime" (glossary) and "context", sl "in" (and).
RECOMMEND_SHARED = {
    "nb": {"for", "cache", "algebra"}, "sv": {"cache", "algebra", "offline"},
    "ro": {"model", "runtime", "context", "cache", "bot"}, "sl": {"in", "bot"},
}


@pytest.mark.parametrize("lang", LANGS)
def test_recommendations_devices_and_scenarios_speak_the_language(lang):
    """Selection/Recommendation/Device strings and lab 3's data-driven stories render without English left."""
    i18n.set_language("en")
    english = _recommendation_lines()
    assert english[0] == "Task 'chat' in 4 GB, 4K tokens of context:", english[0]
    assert any(line.startswith("  - made for chat") for line in english), english
    assert "nothing fits." in "\n".join(english) and "laptop (16 GB): 10 of 16 GB usable" in "\n".join(english)
    assert any(line.startswith("An offline classroom laptop") for line in english), english
    i18n.set_language(lang)
    localized = _recommendation_lines()
    assert len(localized) == len(english), localized
    for before, after in zip(english, localized, strict=True):
        assert "{" not in after and "}" not in after, f"placeholder left unfilled: {after}"
        assert after != before, f"{lang}: still English: {after}"
        left = _leftover_english(after, before, lang) - RECOMMEND_TECHNICAL - RECOMMEND_SHARED[lang]
        assert not left, f"{lang}: English words {left} left in {after!r}"
    i18n.set_language("en")


def test_data_messages_reach_the_template():
    """Every named field of the DATA_MESSAGES files is in the template, noted with its file and field."""
    template = tool.read_catalog(ROOT / "translations" / "slm_lab.pot")
    for rel, fields in tool.DATA_MESSAGES.items():
        found = tool.data_strings(json.loads((ROOT / rel).read_text(encoding="utf-8")), fields)
        assert found, f"{rel}: no {fields} values found: the table in scripts/i18n.py is out of date"
        for field_name, text in found:
            message = template.get(text)
            assert message is not None, f"{rel} {field_name}: {text!r} is not in translations/slm_lab.pot"
            assert any(rel in comment and repr(field_name) in comment for comment in message.auto_comments), text


def test_language_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("SLM_LAB_LANG", "sl-SI")
    i18n.set_language(None)
    assert i18n.get_language() == "sl"
    assert i18n._("CPU requested") != "CPU requested"
    monkeypatch.setenv("SLM_LAB_LANG", "tlh")
    assert i18n.get_language() == "en"


@pytest.mark.parametrize("lang", LANGS)
def test_a_localized_notebook_speaks_its_language(lang, monkeypatch):
    """A kernel starts in its notebook's folder: a notebook under translations/<lang>/ switches the helpers."""
    from helpers.notebook import setup_notebook

    monkeypatch.delenv("SLM_LAB_LANG", raising=False)
    i18n.set_language(None)
    monkeypatch.chdir(ROOT / "notebooks")
    setup_notebook(verbose=False)
    assert i18n.get_language() == "en"
    monkeypatch.chdir(ROOT / "translations" / lang / "notebooks")
    setup_notebook(verbose=False)
    assert i18n.get_language() == lang
    assert i18n._("CPU requested") != "CPU requested"
    i18n.set_language(None)
    assert i18n.language_of_folder(ROOT / "translations") is None
    assert i18n.language_of_folder(ROOT / "translations" / lang / "labs" / "01-prompt-formats") == lang
    assert i18n.language_of_folder(f"/home/jane/slm lab copy/translations/{lang}/notebooks") == lang
    assert i18n.language_of_folder("/home/jane/translations/notes") is None


def test_the_command_line_check_passes_here(capsys):
    assert tool.main(["check"]) == 0, capsys.readouterr().out


# --------------------------------------------------------------------------- glossaries


@pytest.mark.parametrize("lang", LANGS)
def test_glossary_covers_the_core_terms(lang):
    import csv

    with (ROOT / "translations" / lang / "glossary.csv").open(encoding="utf-8") as handle:
        rows = {row["english"]: row for row in csv.DictReader(handle)}
    for term in ("token", "parameter", "quantization", "prompt", "context window", "fine-tuning", "endpoint", "model",
                 "inference", "small language model"):
        assert rows.get(term, {}).get("translation"), f"{lang} glossary lacks {term!r}"


# --------------------------------------------------------------------------- choosing a language from course.py


def test_course_lab_lang_option(monkeypatch):
    import course

    monkeypatch.delenv("SLM_LAB_LANG", raising=False)
    assert course.lang_option(["--lang", "sl", "--no-browser"]) == ("sl", ["--no-browser"])
    assert course.lang_option(["--lang=no"]) == ("nb", [])
    assert course.lang_option([]) == ("en", [])
    monkeypatch.setenv("SLM_LAB_LANG", "ro")
    assert course.lang_option([]) == ("ro", [])
    with pytest.raises(SystemExit):
        course.lang_option(["--lang", "xx"])


@pytest.mark.parametrize("lang", ["sv", "sl"])
def test_lab_opens_the_localized_notebook_and_passes_the_language(lang):
    import course

    env, notebook = course.lab_language(lang)
    assert env["SLM_LAB_LANG"] == lang
    assert notebook == f"translations/{lang}/notebooks/00-start-here.ipynb"
    assert (ROOT / notebook).is_file()
    assert "JUPYTERLAB_SETTINGS_DIR" not in env or env["JUPYTERLAB_SETTINGS_DIR"] == __import__("os").environ.get(
        "JUPYTERLAB_SETTINGS_DIR"
    ), "no language pack for this language: JupyterLab's settings stay the learner's own"
