"""Translate SLM Lab: gettext catalogs for the helpers' messages, per-file catalogs for notebooks and labs.

Two kinds of text, one format (gettext ``.po``, which Poedit, Weblate and every translator's tool read):

* **Messages the helpers show** (``_("...")`` in ``helpers/``): extracted with Babel into
  ``translations/slm_lab.pot``, merged into ``translations/<lang>/LC_MESSAGES/slm_lab.po`` and compiled to
  ``slm_lab.mo`` beside it (committed, so the runtime needs only the standard library's ``gettext``).
* **Text a learner reads in notebooks, labs and the README**: every markdown paragraph becomes one entry of
  ``translations/<lang>/catalogs/<source path>.po``. Its context (``msgctxt``) is the notebook cell id (a
  section slug for markdown files), its ``msgid`` the English paragraph, and an automatic comment records the
  paragraph's SHA-256 (``#. sha256:...``). When the English changes, the old translation is kept as a *fuzzy*
  entry with the previous English (``#| msgid``) for the translator to revise, and the check fails until it is.
  Code cells are copied unchanged. Localized files are generated at ``translations/<lang>/<source path>``
  (``translations/sl/notebooks/00-start-here.ipynb``); never edit them by hand.

``translations/manifest.json`` lists, per source file, the languages whose translation is complete and
enforced by ``tests/test_i18n.py``; ``status`` shows the coverage of everything else.

Commands (run from the repository root, with the course's environment)::

    python scripts/i18n.py update               # extract messages and paragraphs, merge into every catalog
    python scripts/i18n.py status --lang sl     # per file: translated / fuzzy (English changed) / missing
    python scripts/i18n.py todo --lang sl notebooks/00-start-here.ipynb   # the entries still to translate
    python scripts/i18n.py compile              # .po -> .mo for the helpers' messages
    python scripts/i18n.py generate             # write the localized files listed in the manifest
    python scripts/i18n.py check                # what the tests enforce, as a report (exit 1 on a problem)
    python scripts/i18n.py sync                 # update + compile + generate
"""

from __future__ import annotations

import argparse
import difflib
import hashlib
import io
import json
import os
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LANGS = ("nb", "sv", "ro", "sl")
DOMAIN = "slm_lab"
#: Header dates are fixed so that regenerating a catalog gives the same bytes (git history has the real dates).
FIXED_DATE = datetime(2026, 1, 1, tzinfo=timezone.utc)
#: Parts of README.md a learner reads (level-2 headings, matched by their start); the rest is for maintainers.
README_SECTIONS = ("Quick start", "Course map", "Troubleshooting")
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}
#: A comment starting with this, just above a marked message, reaches translators as a "#. " line.
COMMENT_TAGS = ("TRANSLATORS:",)
LETTER = re.compile(r"[^\W\d_]")
#: Data files whose named string fields a learner reads inside translated sentences (lab 3's stories and devices,
#: lab 5's case descriptions, the Phi family's strengths and licences in recommend()'s reasons): every value of such
#: a field (a string, or each string of a list), at any depth, goes into the helpers' template with the file and
#: field as a ``#.`` note. The data keeps its English; the helpers show the values with ``_()``.
DATA_MESSAGES = {
    "data/phi_family.json": ("strengths", "license"),
    "data/labs/lab03_scenarios.json": ("story", "device"),
    "data/labs/lab05_cases.json": ("why",),
}
LINK = re.compile(r"(\]\()([^)\s]+)(\))")


# --------------------------------------------------------------------------- sources and their paragraphs


def source_files(root: Path = ROOT) -> list[str]:
    """Every English file a learner reads, relative to ``root``, in course order."""
    found = [p for p in sorted((root / "notebooks").glob("[0-9][0-9]-*.ipynb"))]
    labs = root / "labs"
    if (labs / "README.md").is_file():
        found.append(labs / "README.md")
    for lab in sorted(labs.glob("[0-9][0-9]-*")):
        found += [p for p in (lab / "README.md", lab / "solution.ipynb") if p.is_file()]
        found += [p for p in sorted(lab.glob("*.ipynb")) if p.name != "solution.ipynb"]  # e.g. lab 4's sft-trainer
        found += sorted((lab / "learner").glob("*.ipynb"))
    if (root / "README.md").is_file():
        found.append(root / "README.md")
    return [p.relative_to(root).as_posix() for p in found]


def split_blocks(text: str) -> list[tuple[str, bool]]:
    """Split markdown into blocks of whole lines: ``(text, translatable)``; ``"\\n".join`` gives ``text`` back.

    A block is a run of non-blank lines (a paragraph, a list, a table, a heading); a fenced code block is
    kept whole and verbatim; blank lines are their own untranslatable blocks.
    """
    pieces: list[tuple[str, bool]] = []
    current: list[str] = []
    fence: str | None = None

    def flush(translatable: bool = True) -> None:
        if current:
            block = "\n".join(current)
            pieces.append((block, translatable and bool(LETTER.search(block))))
            current.clear()

    for line in text.split("\n"):
        stripped = line.lstrip()
        if fence is not None:
            current.append(line)
            if stripped.startswith(fence):
                flush(translatable=False)
                fence = None
            continue
        if stripped.startswith(("```", "~~~")):
            flush()
            fence = stripped[:3]
            current.append(line)
            continue
        if not line.strip():
            flush()
            pieces.append((line, False))
            continue
        current.append(line)
    flush(translatable=fence is None)
    return pieces


def slug(heading: str) -> str:
    """A section's context key: ``"## Quick start: two commands"`` -> ``"quick-start-two-commands"``."""
    words = re.sub(r"[^\w\s-]", "", heading.lstrip("#").strip().lower())
    return re.sub(r"[\s_]+", "-", words).strip("-") or "top"


@dataclass
class Unit:
    """One translatable paragraph of a source file."""

    context: str
    msgid: str
    where: str

    @property
    def sha(self) -> str:
        return sha(self.msgid)


def sha(text: str) -> str:
    """The first 16 hex digits of the SHA-256 of ``text``: what the catalog records as the English source."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _read_nb(path: Path):
    import nbformat

    return nbformat.read(path, as_version=4)


def _markdown_sections(text: str, rel: str) -> list[tuple[str, str, bool]]:
    """``(context, block, translatable)`` for a markdown file; README.md keeps only :data:`README_SECTIONS`."""
    out: list[tuple[str, str, bool]] = []
    context = "top"
    keep = True
    for block, translatable in split_blocks(text):
        first = block.lstrip().split("\n", 1)[0]
        if translatable and re.match(r"#{1,6} ", first):
            context = slug(first)
            if rel == "README.md" and first.startswith("## "):
                keep = first[3:].startswith(README_SECTIONS)
        if rel == "README.md" and not keep:
            continue
        out.append((context, block, translatable))
    return out


def units_of(rel: str, root: Path = ROOT) -> list[Unit]:
    """The translatable paragraphs of one source file, in order."""
    path = root / rel
    units: list[Unit] = []
    if rel.endswith(".ipynb"):
        for number, cell in enumerate(_read_nb(path).cells):
            if cell.cell_type != "markdown":
                continue
            for block, translatable in split_blocks(cell.source):
                if translatable:
                    units.append(Unit(cell["id"], block, f"{rel}:{number}"))
    else:
        for context, block, translatable in _markdown_sections(path.read_text(encoding="utf-8"), rel):
            if translatable:
                units.append(Unit(context, block, f"{rel}:{context}"))
    return units


# --------------------------------------------------------------------------- catalogs


def catalog_path(rel: str, lang: str, root: Path = ROOT) -> Path:
    """``notebooks/00-start-here.ipynb`` -> ``translations/<lang>/catalogs/notebooks/00-start-here.po``."""
    return root / "translations" / lang / "catalogs" / Path(rel).with_suffix(".po")


def output_path(rel: str, lang: str, root: Path = ROOT) -> Path:
    """Where the localized copy of ``rel`` lives: the same path under ``translations/<lang>/``."""
    return root / "translations" / lang / rel


def _new_catalog(lang: str, domain: str):
    from babel.messages.catalog import Catalog

    return Catalog(
        locale=lang,
        domain=domain,
        project="SLM Lab",
        version="1",
        creation_date=FIXED_DATE,
        revision_date=FIXED_DATE,
        fuzzy=False,
        language_team=f"SLM Lab {lang}",
        last_translator="SLM Lab translators (see translations/<lang>/glossary.csv)",
        msgid_bugs_address="the SLM Lab issue tracker",
        copyright_holder="the SLM Lab contributors",
        header_comment=(
            f"# {domain}: SLM Lab translations ({lang}). Managed by scripts/i18n.py; see CONTRIBUTING.md.\n"
            "# Distributed under the same license as SLM Lab."
        ),
    )


PREVIOUS = "previous English (revise the translation to match the new English, then drop the fuzzy flag):"


def previous_comments(previous: str) -> list[str]:
    """Automatic comments that carry the English a fuzzy translation was made for, one ``| line`` per line.

    Babel writes multi-line ``#| msgid`` entries in a form it cannot read back, so the previous English travels in
    automatic comments (``#.``), which every PO editor shows next to the entry.
    """
    return [PREVIOUS] + [f"| {line}" for line in previous.split("\n")]


def previous_english(message) -> str:
    """The English a fuzzy entry was translated from (empty when none is recorded)."""
    comments = list(message.auto_comments)
    if PREVIOUS not in comments:
        return ""
    lines: list[str] = []
    for comment in comments[comments.index(PREVIOUS) + 1 :]:
        if comment.startswith("| "):
            lines.append(comment[2:])
        elif lines:
            lines[-1] += " " + comment  # Babel wrapped a long line
    return "\n".join(lines)


def read_catalog(path: Path):
    """Read a ``.po`` file (``None`` when it does not exist)."""
    from babel.messages.pofile import read_po

    if not path.is_file():
        return None
    with path.open("rb") as handle:
        return read_po(handle)


def write_catalog(catalog, path: Path) -> bool:
    """Write a ``.po`` file when its bytes change; returns whether it did."""
    from babel.messages.pofile import write_po

    buffer = io.BytesIO()
    write_po(buffer, catalog, width=100, sort_output=False)
    data = buffer.getvalue()
    if path.is_file() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return True


def _translated(message) -> bool:
    return bool(message.string) and not message.fuzzy


def translation_memory(lang: str, root: Path = ROOT) -> dict[str, tuple[str, str]]:
    """English paragraph -> (translation, catalog) over every complete entry of ``lang``'s file catalogs."""
    memory: dict[str, tuple[str, str]] = {}
    base = root / "translations" / lang / "catalogs"
    for path in sorted(base.rglob("*.po")):
        catalog = read_catalog(path)
        for message in catalog:
            if message.id and _translated(message) and message.id not in memory:
                memory[message.id] = (message.string, path.relative_to(base).as_posix())
    return memory


def _location(unit: Unit, rel: str) -> tuple[str, int | None]:
    """``(file, cell number)`` for a notebook paragraph, ``(file, None)`` for a markdown one."""
    return (rel, int(unit.where.rsplit(":", 1)[1])) if rel.endswith(".ipynb") else (rel, None)


def update_file_catalog(rel: str, lang: str, root: Path = ROOT, memory: dict | None = None) -> bool:
    """Merge the current English paragraphs of ``rel`` into its ``lang`` catalog.

    An unchanged paragraph keeps its translation. A changed one keeps the old translation as *fuzzy* with the
    previous English beside it. A new one is filled from the translation memory when the same English paragraph
    is translated elsewhere (a lab's learner copy shares most text with its solution), else left empty.
    """
    path = catalog_path(rel, lang, root)
    old = read_catalog(path)
    catalog = _new_catalog(lang, Path(rel).stem)
    units = units_of(rel, root)
    current = {(u.context, u.msgid) for u in units}
    leftovers: dict[str, list] = {}
    if old is not None:
        for message in old:
            if message.id and (message.context, message.id) not in current and message.string:
                leftovers.setdefault(message.context, []).append(message)
    for unit in units:
        if (unit.context, unit.msgid) in {(m.context, m.id) for m in catalog}:
            continue  # the same paragraph twice in one cell: one entry
        comments = [f"sha256:{unit.sha}"]
        existing = old.get(unit.msgid, context=unit.context) if old is not None else None
        string, flags = "", set()
        if existing is not None and existing.string:
            string, flags = existing.string, set(existing.flags)
            if existing.fuzzy and previous_english(existing):
                comments += previous_comments(previous_english(existing))
        elif leftovers.get(unit.context):
            candidates = leftovers[unit.context]
            best = max(candidates, key=lambda m: difflib.SequenceMatcher(None, m.id, unit.msgid).ratio())
            candidates.remove(best)
            string, flags = best.string, {"fuzzy"}
            comments += previous_comments(best.id)
        elif memory and unit.msgid in memory:
            string, source = memory[unit.msgid]
            comments.append(f"translation memory: {source}")
        catalog.add(
            unit.msgid,
            string,
            locations=[_location(unit, rel)],
            flags=flags - {"python-format", "python-brace-format"},
            auto_comments=comments,
            context=unit.context,
        )
    return write_catalog(catalog, path)


def extract_messages(root: Path = ROOT):
    """The helpers' ``_()`` messages as a Babel catalog template (what ``pybabel extract`` would write)."""
    from babel.messages.extract import extract_from_file

    template = _new_catalog("en", DOMAIN)
    template.locale = None
    for path in sorted((root / "helpers").rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        for _lineno, message, comments, context in extract_from_file(
            "python", path, keywords=KEYWORDS, comment_tags=COMMENT_TAGS, strip_comment_tags=True
        ):
            # Locations without line numbers: an edit elsewhere in a module does not touch every catalog.
            template.add(message, None, [(rel, None)], auto_comments=comments, context=context)
    for rel, fields in DATA_MESSAGES.items():
        for name, text in data_strings(json.loads((root / rel).read_text(encoding="utf-8")), fields):
            note = f"data: {rel}, field {name!r} (shown inside a sentence; the data file keeps the English)"
            existing = template.get(text)
            if existing is not None:
                if note not in existing.auto_comments:
                    existing.auto_comments.append(note)
                if (rel, None) not in existing.locations:
                    existing.locations.append((rel, None))
                continue
            template.add(text, None, [(rel, None)], auto_comments=[note])
    template.last_translator = "SLM Lab translators"
    return template


def data_strings(data, fields: Iterable[str]) -> list[tuple[str, str]]:
    """``(field, text)`` for every string value of one of ``fields`` in ``data`` (nested dicts and lists), in order.

    A field whose value is a list of strings (a model's ``strengths``) gives one entry per string.
    """
    found: list[tuple[str, str]] = []
    if isinstance(data, dict):
        for key, value in data.items():
            if key in fields and isinstance(value, str) and value:
                found.append((key, value))
            elif key in fields and isinstance(value, list) and value and all(isinstance(v, str) for v in value):
                found += [(key, v) for v in value if v]
            else:
                found += data_strings(value, fields)
    elif isinstance(data, list):
        for item in data:
            found += data_strings(item, fields)
    return found


def update_messages(root: Path = ROOT, langs: Iterable[str] = LANGS) -> list[Path]:
    """Extract the helpers' messages into ``translations/slm_lab.pot`` and merge it into every language."""
    template = extract_messages(root)
    changed = []
    if write_catalog(template, root / "translations" / f"{DOMAIN}.pot"):
        changed.append(root / "translations" / f"{DOMAIN}.pot")
    for lang in langs:
        path = root / "translations" / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
        catalog = read_catalog(path) or _new_catalog(lang, DOMAIN)
        catalog.update(template, no_fuzzy_matching=False)
        catalog.revision_date = FIXED_DATE
        catalog.creation_date = FIXED_DATE
        if write_catalog(catalog, path):
            changed.append(path)
    return changed


def compile_mo(po_path: Path) -> bytes:
    """The ``.mo`` bytes for a ``.po`` file (fuzzy entries left out, as gettext expects)."""
    from babel.messages.mofile import write_mo

    buffer = io.BytesIO()
    write_mo(buffer, read_catalog(po_path), use_fuzzy=False)
    return buffer.getvalue()


def compile_all(root: Path = ROOT, langs: Iterable[str] = LANGS) -> list[Path]:
    """Compile every ``slm_lab.po`` to ``slm_lab.mo`` when the bytes change."""
    changed = []
    for lang in langs:
        po = root / "translations" / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
        mo = po.with_suffix(".mo")
        data = compile_mo(po)
        if not mo.is_file() or mo.read_bytes() != data:
            mo.write_bytes(data)
            changed.append(mo)
    return changed


# --------------------------------------------------------------------------- the manifest and the checks


def read_manifest(root: Path = ROOT) -> dict[str, list[str]]:
    """``translations/manifest.json``: source file -> the languages whose translation is complete and enforced."""
    path = root / "translations" / "manifest.json"
    data = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {"files": {}}
    return data["files"]


def localized_targets(lang: str, root: Path = ROOT) -> set[str]:
    """Source paths that have a localized copy in ``lang`` (the manifest's files for that language)."""
    return {rel for rel, langs in read_manifest(root).items() if lang in langs}


@dataclass
class Report:
    """What a catalog still lacks for one source file in one language."""

    rel: str
    lang: str
    total: int = 0
    missing: list[Unit] = field(default_factory=list)
    stale: list[tuple[Unit, str]] = field(default_factory=list)  # (unit, the English the translation was made for)
    bad_hash: list[Unit] = field(default_factory=list)

    @property
    def done(self) -> int:
        return self.total - len(self.missing) - len(self.stale) - len(self.bad_hash)

    @property
    def complete(self) -> bool:
        return self.done == self.total

    def problems(self) -> list[str]:
        out = [f"missing translation ({u.where}): {u.msgid[:70]!r}" for u in self.missing]
        out += [f"English changed since translated ({u.where}): now {u.msgid[:70]!r}" for u, _ in self.stale]
        out += [f"recorded sha256 does not match the English ({u.where})" for u in self.bad_hash]
        return out


def check_catalog(rel: str, lang: str, root: Path = ROOT) -> Report:
    """Compare ``rel``'s current English paragraphs with its ``lang`` catalog (reads nothing else)."""
    report = Report(rel, lang)
    catalog = read_catalog(catalog_path(rel, lang, root))
    units = units_of(rel, root)
    current = {(u.context, u.msgid) for u in units}
    orphans: dict[str, list[str]] = {}  # context -> translated English paragraphs that are no longer in the source
    for message in catalog if catalog is not None else []:
        if message.id and message.string and (message.context, message.id) not in current:
            orphans.setdefault(message.context, []).append(message.id)
    seen = set()
    for unit in units:
        if (unit.context, unit.msgid) in seen:
            continue
        seen.add((unit.context, unit.msgid))
        report.total += 1
        message = catalog.get(unit.msgid, context=unit.context) if catalog is not None else None
        if message is not None and _translated(message):
            recorded = [c.split(":", 1)[1] for c in message.auto_comments if c.startswith("sha256:")]
            if recorded != [unit.sha]:
                report.bad_hash.append(unit)
        elif message is not None and message.string:  # fuzzy: `update` saw the English change
            report.stale.append((unit, previous_english(message)))
        elif orphans.get(unit.context):  # the catalog was made for an older English paragraph of this cell
            before = max(orphans[unit.context], key=lambda t: difflib.SequenceMatcher(None, t, unit.msgid).ratio())
            report.stale.append((unit, before))
        else:
            report.missing.append(unit)
    return report


# --------------------------------------------------------------------------- localized files


def _lookup(catalog, context: str, block: str) -> str:
    message = catalog.get(block, context=context) if catalog is not None else None
    return message.string if message is not None and _translated(message) else block


def _relink(text: str, rel: str, lang: str, root: Path) -> str:
    """Point relative links of the localized copy at localized files where they exist, else at the English ones."""
    targets = localized_targets(lang, root)
    here = (Path(rel).parent).as_posix()

    def fix(match: re.Match) -> str:
        target = match.group(2)
        if re.match(r"^[a-z][a-z0-9+.-]*:|^#|^/", target, re.I):
            return match.group(0)
        path, _, anchor = target.partition("#")
        resolved = os.path.normpath(os.path.join(here, path)).replace(os.sep, "/")
        if resolved.startswith(".."):
            return match.group(0)
        localized = resolved in targets or any(t.startswith(resolved.rstrip("/") + "/") for t in targets)
        if localized:
            return match.group(0)
        english = os.path.relpath(root / resolved, output_path(rel, lang, root).parent).replace(os.sep, "/")
        if path.endswith("/") and not english.endswith("/"):
            english += "/"
        return f"{match.group(1)}{english}{'#' + anchor if anchor else ''}{match.group(3)}"

    return LINK.sub(fix, text)


def _translate_markdown(text: str, context_of, catalog) -> str:
    return "\n".join(_lookup(catalog, context_of(block), block) if ok else block for block, ok in split_blocks(text))


def render(rel: str, lang: str, root: Path = ROOT) -> str:
    """The localized copy of ``rel`` in ``lang``, as text (untranslated paragraphs stay English)."""
    catalog = read_catalog(catalog_path(rel, lang, root))
    if rel.endswith(".ipynb"):
        import nbformat

        nb = _read_nb(root / rel)
        for cell in nb.cells:
            if cell.cell_type == "markdown":
                translated = _translate_markdown(cell.source, lambda _block, cid=cell["id"]: cid, catalog)
                cell.source = _relink(translated, rel, lang, root)
        nb.metadata["slm_lab_translation"] = {
            "language": lang,
            "source": rel,
            "generated_by": "python scripts/i18n.py generate (do not edit: edit the catalog)",
        }
        return nbformat.writes(nb) + "\n"
    parts = []
    for context, block, ok in _markdown_sections((root / rel).read_text(encoding="utf-8"), rel):
        parts.append(_lookup(catalog, context, block) if ok else block)
    note = f"<!-- Generated from {rel} by `python scripts/i18n.py generate`: edit the catalog, not this file. -->"
    return note + "\n" + _relink("\n".join(parts), rel, lang, root)


def generate(root: Path = ROOT, check: bool = False, langs: Iterable[str] = LANGS) -> list[Path]:
    """Write every localized file the manifest lists; with ``check`` write nothing and return the stale ones."""
    changed = []
    for rel, file_langs in read_manifest(root).items():
        for lang in file_langs:
            if lang not in langs:
                continue
            target = output_path(rel, lang, root)
            text = render(rel, lang, root)
            if not target.is_file() or target.read_text(encoding="utf-8") != text:
                changed.append(target)
                if not check:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_text(text, encoding="utf-8")
    return changed


def code_cells_differ(rel: str, lang: str, root: Path = ROOT) -> list[int]:
    """Indices of code cells of the localized notebook that are not identical to the English ones."""
    english = _read_nb(root / rel).cells
    localized = _read_nb(output_path(rel, lang, root)).cells
    if [c.cell_type for c in english] != [c.cell_type for c in localized]:
        return [-1]
    return [
        i
        for i, (a, b) in enumerate(zip(english, localized, strict=True))
        if a.cell_type == "code" and (a.source != b.source or a.get("metadata") != b.get("metadata"))
    ]


def check_all(root: Path = ROOT) -> list[str]:
    """Every problem the tests enforce for the manifest's files, as sentences (empty when all is well)."""
    problems = []
    for rel, file_langs in read_manifest(root).items():
        if not (root / rel).is_file():
            problems.append(f"{rel}: listed in translations/manifest.json but the English file does not exist")
            continue
        for lang in file_langs:
            problems += [f"{lang} {rel}: {p}" for p in check_catalog(rel, lang, root).problems()]
    problems += [f"out of date (run generate): {p.relative_to(root)}" for p in generate(root, check=True)]
    return problems


# --------------------------------------------------------------------------- command line


def _status(root: Path, langs: Iterable[str], only: list[str]) -> None:
    manifest = read_manifest(root)
    for lang in langs:
        total = done = 0
        print(f"== {lang}")
        for rel in only or source_files(root):
            report = check_catalog(rel, lang, root)
            total += report.total
            done += report.done
            flag = "enforced" if lang in manifest.get(rel, []) else "        "
            print(
                f"  {flag} {report.done:4d}/{report.total:<4d} translated  {len(report.stale):3d} stale  "
                f"{len(report.missing):4d} missing  {rel}"
            )
        po = read_catalog(root / "translations" / lang / "LC_MESSAGES" / f"{DOMAIN}.po")
        messages = [m for m in po if m.id] if po is not None else []
        ok = sum(_translated(m) for m in messages)
        print(f"  helper messages: {ok}/{len(messages)} translated  |  paragraphs: {done}/{total} translated")


def _todo(root: Path, lang: str, only: list[str]) -> None:
    for rel in only or source_files(root):
        report = check_catalog(rel, lang, root)
        if report.complete:
            continue
        print(f"# {rel} -> {catalog_path(rel, lang, root).relative_to(root)}")
        for unit in report.missing:
            print(f"-- missing [{unit.context}] {unit.where}\n{unit.msgid}\n")
        for unit, before in report.stale:
            lines = difflib.unified_diff(before.splitlines(), unit.msgid.splitlines(), "was", "now", lineterm="")
            diff = "\n".join(lines)
            print(f"-- English changed [{unit.context}] {unit.where}\n{diff or unit.msgid}\n")
    po_path = root / "translations" / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    po = read_catalog(po_path)
    for message in po if po is not None else []:
        if message.id and not _translated(message):
            print(f"-- helper message ({po_path.relative_to(root)})\n{message.id}\n")


def todo_entries(lang: str, root: Path = ROOT, only: Iterable[str] = ()) -> list[dict]:
    """What is left to translate in ``lang``, as JSON-ready records for :func:`fill` (``translation`` to fill in)."""
    records = []
    for rel in list(only) or source_files(root):
        report = check_catalog(rel, lang, root)
        catalog = read_catalog(catalog_path(rel, lang, root))
        for unit in report.missing + [u for u, _ in report.stale] + report.bad_hash:
            message = catalog.get(unit.msgid, context=unit.context) if catalog is not None else None
            before = next((b for u, b in report.stale if u is unit), "")
            records.append(
                {
                    "file": rel,
                    "context": unit.context,
                    "sha256": unit.sha,
                    "english": unit.msgid,
                    "previous_english": before,
                    "translation": message.string if message is not None else "",
                }
            )
    po = read_catalog(root / "translations" / lang / "LC_MESSAGES" / f"{DOMAIN}.po")
    for message in po if po is not None and not list(only) else []:
        if message.id and not _translated(message):
            records.append(
                {
                    "file": f"LC_MESSAGES/{DOMAIN}.po",
                    "context": message.context,
                    "sha256": sha(message.id if isinstance(message.id, str) else message.id[0]),
                    "english": message.id,
                    "previous_english": previous_english(message),
                    "translation": message.string,
                }
            )
    return records


def fill(lang: str, records: list[dict], root: Path = ROOT) -> list[str]:
    """Write translated records (from ``todo --json``) into their catalogs; returns what was refused and why.

    A record whose ``sha256`` no longer matches the English is refused: the English changed while you worked.
    """
    refused = []
    by_file: dict[str, list[dict]] = {}
    for record in records:
        if record.get("translation"):
            by_file.setdefault(record["file"], []).append(record)
    for rel, items in by_file.items():
        if rel.startswith("LC_MESSAGES/"):
            path = root / "translations" / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
        else:
            path = catalog_path(rel, lang, root)
            update_file_catalog(rel, lang, root)
        catalog = read_catalog(path)
        for item in items:
            english = item["english"] if isinstance(item["english"], str) else tuple(item["english"])
            message = catalog.get(english, context=item.get("context"))
            key = english if isinstance(english, str) else english[0]
            if message is None or sha(key) != item["sha256"]:
                refused.append(f"{rel} [{item.get('context')}]: the English changed or is gone; run todo again")
                continue
            translation = item["translation"]
            message.string = tuple(translation) if isinstance(translation, list) else translation
            message.flags.discard("fuzzy")
            if PREVIOUS in message.auto_comments:
                message.auto_comments = message.auto_comments[: message.auto_comments.index(PREVIOUS)]
        write_catalog(catalog, path)
    return refused


def main(argv: list[str] | None = None) -> int:
    """Run one command (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["update", "status", "todo", "fill", "compile", "generate", "check", "sync"])
    parser.add_argument("--json", action="store_true", help="todo: print JSON records to fill in and pass to fill")
    parser.add_argument("files", nargs="*", help="source files (default: all)")
    parser.add_argument("--lang", choices=LANGS, action="append", help="a language (default: all four)")
    args = parser.parse_intermixed_args(argv)
    langs = tuple(args.lang or LANGS)
    files = [Path(f).as_posix() for f in args.files]
    if args.command in ("update", "sync"):
        for path in update_messages(ROOT, langs):
            print(f"updated {path.relative_to(ROOT)}")
        for lang in langs:
            memory = translation_memory(lang)
            for rel in files or source_files():
                if update_file_catalog(rel, lang, ROOT, memory):
                    print(f"updated {catalog_path(rel, lang).relative_to(ROOT)}")
    if args.command in ("compile", "sync"):
        for path in compile_all(ROOT, langs):
            print(f"compiled {path.relative_to(ROOT)}")
    if args.command in ("generate", "sync"):
        for path in generate(ROOT, langs=langs):
            print(f"generated {path.relative_to(ROOT)}")
    if args.command == "status":
        _status(ROOT, langs, files)
    if args.command == "todo" and args.json:
        if len(langs) != 1:
            parser.error("todo --json needs exactly one --lang")
        print(json.dumps(todo_entries(langs[0], ROOT, files), ensure_ascii=False, indent=1))
    elif args.command == "todo":
        for lang in langs:
            _todo(ROOT, lang, files)
    if args.command == "fill":
        if len(langs) != 1 or len(files) != 1:
            parser.error("fill needs exactly one --lang and one JSON file (from todo --json)")
        refused = fill(langs[0], json.loads(Path(files[0]).read_text(encoding="utf-8")), ROOT)
        print("\n".join(refused) or f"filled {files[0]} into the {langs[0]} catalogs")
        return 1 if refused else 0
    if args.command == "check":
        problems = check_all(ROOT)
        print("\n".join(problems) or "every file in translations/manifest.json is translated and up to date")
        return 1 if problems else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
