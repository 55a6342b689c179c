"""Lab 03 (pick the right Phi): memory arithmetic and a model pick for each scenario in ``data/labs/``."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from helpers.checks.core import CheckName, CheckResult, as_bool, as_number, failed, is_unanswered, not_done, passed
from helpers.env import REPO_ROOT
from helpers.errors import CourseError
from helpers.i18n import N_, _

__all__ = ["FORBIDDEN", "SCENARIOS", "SCENARIOS_FILE", "Scenario", "check_pick", "check_weight_gb", "course_ranking"]

#: Helpers that compute lab 3's answers: a learner copy must not import them (tests/test_learner_imports.py).
FORBIDDEN = (
    "helpers.phi_family.recommend",
    "helpers.phi_family.estimate_memory_gb",
    "helpers.phi_family.weight_gb",
    "helpers.phi_family.weight_bytes",
    "helpers.phi_family.bytes_per_param",
    "helpers.phi_family.BYTES_PER_PARAM",
    "helpers.phi_family.memory_table",
    "helpers.phi_family.recommend.recommend",
    "helpers.phi_family.memory.weight_gb",
)

SCENARIOS_FILE = REPO_ROOT / "data" / "labs" / "lab03_scenarios.json"


@dataclass(frozen=True)
class Scenario:
    """A job and a device, with the requirements :func:`helpers.phi_family.recommend` checks.

    Introduced in lab 01.
    """

    key: str
    story: str
    device: str
    memory_gb: float
    task: str
    images: bool = False
    tools: bool = False
    reasoning: bool = False
    context_tokens: int | None = None
    languages: tuple[str, ...] = ()

    def shown_story(self) -> str:
        """The job's story in the learner's language (the data keeps the English; the catalog translates it)."""
        return _(self.story)

    def shown_device(self) -> str:
        """The device's name in the learner's language, e.g. ``"phone (8 GB)"``."""
        return _(self.device)

    def requirements(self) -> str:
        """What the job needs, in the learner's language (the task and language names stay as the data has them)."""
        # TRANSLATORS: {task} is a task id from the data (chat, multilingual, vision, ...), kept as it is.
        needs = [_("task '{task}'").format(task=self.task)]
        needs.append(_("{memory_gb:g} GB usable").format(memory_gb=self.memory_gb))
        needs += [
            _(label)
            for flag, label in (
                (self.images, N_("image input")),
                (self.tools, N_("function calling")),
                (self.reasoning, N_("multi-step reasoning")),
            )
            if flag
        ]
        if self.context_tokens:
            needs.append(_("{context_tokens:,} tokens of context").format(context_tokens=self.context_tokens))
        if self.languages:
            needs.append(" + ".join(self.languages))
        return ", ".join(needs)


def check_weight_gb(
    answer_gb: Any,
    fits: Any,
    model: str = "phi-4",
    precision: str = "fp16",
    usable_gb: float = 14,
    overhead: float = 0.2,
) -> CheckResult:
    """Check a weight-memory estimate and whether the model fits in ``usable_gb`` with ``overhead`` on top.

    Introduced in lab 03.
    """
    from helpers.phi_family import bytes_per_param, get_model

    # TRANSLATORS: a check's name: a model id at a precision (phi-4 at fp16).
    name = CheckName(N_("{model} at {precision}"), model=model, precision=precision)
    spec = get_model(model)
    if is_unanswered(answer_gb) or is_unanswered(fits):
        return not_done(name, _(
            "Weights in GB = parameters x bytes per weight / 1e9; "
            "then compare weights x 1.2 with the usable memory."
        ))
    expected = spec.weight_gb(precision)
    need = expected * (1 + overhead)
    got, fits_answer = as_number(answer_gb), as_bool(fits)
    if got is None or not math.isclose(got, expected, rel_tol=0.03):
        hint = ""
        if got is not None and math.isclose(got, expected * 1e9, rel_tol=0.03):
            hint = " " + _("That is the size in bytes: divide by 1e9 for GB (or write it as '29400000000 bytes').")
        elif got is not None and math.isclose(got, expected * 1e3, rel_tol=0.03):
            hint = " " + _("That is the size in MB: divide by 1000 for GB.")
        elif got is not None and math.isclose(got, spec.params_b, rel_tol=0.03):
            hint = " " + _("That is the parameter count in billions, not the memory: multiply by the bytes per weight.")
        elif isinstance(answer_gb, str):
            hint = " " + _("Give a number (or a string with its unit, such as '29.4 GB'), not a name.")
        return failed(
            name,
            _(
                "{name} has {params_b:g}B parameters; at {precision} each takes "
                "{bytes_per_param:g} bytes, so the weights need {expected:.1f} GB, not {answer_gb!r}.{hint}"
            ).format(
                name=spec.name, params_b=spec.params_b, precision=precision,
                bytes_per_param=bytes_per_param(precision), expected=expected, answer_gb=answer_gb, hint=hint,
            ),
        )
    if fits_answer is None:
        return failed(name, _(
            "the size is right; say whether it fits with True/False (or 'yes'/'no'), not {fits!r}."
        ).format(fits=fits))
    fits = fits_answer
    if fits != (need <= usable_gb):
        # TRANSLATORS: completes "... {usable_gb} GB are usable, so it {verdict}."
        verdict = _("fits") if need <= usable_gb else _("does not fit")
        return failed(name, _(
            "the size is right, but with {overhead:.0%} for the runtime it needs {need:.1f} GB and "
            "{usable_gb:g} GB are usable, so it {verdict}."
        ).format(overhead=overhead, need=need, usable_gb=usable_gb, verdict=verdict))
    return passed(
        name,
        _(
            "{expected:.1f} GB of weights, about {need:.1f} GB to run: "
            "{value}."
        ).format(
            expected=expected, need=need,
            value=_("it fits") if fits else _(
                "it does not fit in {usable_gb:g} GB; try a smaller precision"
            ).format(usable_gb=usable_gb),
        ),
    )


def _parse_pick(answer: Any) -> tuple[Any, Any]:
    if isinstance(answer, str):
        return answer, None
    if isinstance(answer, (tuple, list)) and len(answer) == 2:
        return answer[0], answer[1]
    return None, None


def check_pick(scenario: str, answer: Any) -> CheckResult:
    """Check a ``(model, precision)`` pick for one of :data:`SCENARIOS`; every pick the data supports passes.

    Introduced in lab 03.

    A pick is defensible when the model is built for the job (task, inputs, tools, reasoning), its weights
    can be downloaded, and it fits the device's usable memory at the chosen precision with 20% runtime overhead.
    The message names the course's own ranking too, so you can compare reasons.
    """
    from helpers.phi_family import BYTES_PER_PARAM, estimate_memory_gb, get_model, load_family

    spec = SCENARIOS[scenario]
    # TRANSLATORS: a check's name; {scenario} is a scenario's key (phone-app, classroom-laptop), kept as it is.
    name = CheckName(N_("pick for {scenario}"), scenario=scenario)
    if is_unanswered(answer):
        return not_done(name, _(
            "Give (model, precision), e.g. ('Phi-3-mini', 'int4'). Needs: {requirements}."
        ).format(requirements=spec.requirements()))
    model_name, precision = _parse_pick(answer)
    if model_name is None or is_unanswered(model_name) or not isinstance(model_name, str):
        return failed(name, _("give a pair (model, precision), e.g. ('Phi-3-mini', 'int4')."))
    try:
        model = get_model(str(model_name))
    except CourseError:
        names = ", ".join(m.name for m in load_family())
        return failed(name, _(
            "{model_name!r} is not in data/phi_family.json. The family: {names}."
        ).format(model_name=model_name, names=names))
    if precision is None or str(precision).strip().lower() not in BYTES_PER_PARAM:
        return failed(name, _("add a precision, one of {choices}: it decides whether {name} fits.").format(
            choices=", ".join(BYTES_PER_PARAM), name=model.name))
    precision = str(precision).strip().lower()
    selection = _scenario_selection(spec, precisions=("fp16", "int8", "int4"), top=100)
    fitting, rejected = _with_languages(spec, selection)
    selection_picks = [rec for rec in selection.picks if rec.model.name in fitting]
    ranking = ", ".join(f"{rec.model.name} ({rec.precision})" for rec in selection_picks[:3]) or _("nothing")
    if model.name not in fitting:
        why = rejected.get(model.name) or _("it does not meet the requirements")
        return failed(name, _(
            "{name} is not a good fit: {why}. This job needs {requirements}. Models that fit: {ranking}."
        ).format(name=model.name, why=why, requirements=spec.requirements(), ranking=ranking))
    need, _kv = estimate_memory_gb(model, precision, spec.context_tokens)
    if need > spec.memory_gb:
        return failed(name, _(
            "{name} is right for the job, but at {precision} it needs about {need:.1f} GB "
            "and the {device} leaves {memory_gb:g} GB: {fitting_precision} fits ({fitting_gb:.1f} GB)."
        ).format(
            name=model.name, precision=precision, need=need, device=_(spec.device), memory_gb=spec.memory_gb,
            fitting_precision=fitting[model.name].precision, fitting_gb=fitting[model.name].memory_gb,
        ))
    notes = [_("{name} at {precision} needs about {need:.1f} GB of the {memory_gb:g} GB usable").format(
        name=model.name, precision=precision, need=need, memory_gb=spec.memory_gb)]
    unused = set(model.modalities_in) - {"text", *(["image"] if spec.images else [])}
    if unused:
        # TRANSLATORS: {inputs} are input kinds from the data (audio, image), kept as they are.
        notes.append(_(
            "it works, though it carries {inputs} input the job never uses (memory you could save)"
        ).format(inputs=" + ".join(sorted(unused))))
    best = fitting[model.name].precision
    if BYTES_PER_PARAM[best] > BYTES_PER_PARAM[precision]:
        notes.append(_("{best} would fit too and keeps more quality").format(best=best))
    others = [n for n in fitting if n != model.name][:4]
    if others:
        notes.append(_("also defensible: {names}").format(names=", ".join(others)))
    notes.append(_("the course's ranking (newest first, no unused encoders): {ranking}").format(ranking=ranking))
    return passed(name, "; ".join(notes) + ".")


def _with_languages(spec: Scenario, selection: Any) -> tuple[dict[str, Any], dict[str, str]]:
    """The selection's fitting picks by name, and the rejected ones with why.

    A model whose card does not list a language the job needs (data: ``languages``) moves from the first to the second.
    """
    fitting = {rec.model.name: rec for rec in selection.picks}
    rejected = dict(selection.rejected)
    for rec in selection.picks:
        missing = [lang for lang in spec.languages if lang not in (rec.model.raw.get("languages") or ())]
        if missing:
            del fitting[rec.model.name]
            listed = rec.model.raw.get("languages") or ["none published"]
            # TRANSLATORS: {missing} and {listed} are language names from the model card (data), kept as they are.
            rejected[rec.model.name] = _("its model card does not list {missing} (it lists {count}: {listed})").format(
                missing=" / ".join(missing), count=len(listed),
                listed=", ".join(listed[:6]) + (", ..." if len(listed) > 6 else ""),
            )
    return fitting, rejected


def load_scenarios() -> dict[str, Scenario]:
    """Read the lab's scenarios from :data:`SCENARIOS_FILE`."""
    data = json.loads(SCENARIOS_FILE.read_text(encoding="utf-8"))
    return {
        key: Scenario(key, **{**fields, "languages": tuple(fields.get("languages", ()))})
        for key, fields in data["scenarios"].items()
    }


def course_ranking(
    precisions: tuple[str, ...] = ("fp16", "int8", "int4"), overhead: float = 0.2, prefer: str = "capable"
) -> dict[str, str]:
    """The course's own ranking for each scenario you have answered (a pick checked, right or not).

    Introduced in lab 03.

    It stays hidden for a scenario until its ``check_pick`` has judged a pick of yours, so it cannot answer for you.
    """
    from helpers.checks.core import NOT_DONE, RESULTS

    shown = {}
    for key, spec in SCENARIOS.items():
        verdict = RESULTS.get(f"pick for {key}")
        if verdict is None or verdict.status == NOT_DONE:
            shown[key] = _("(answer this scenario first)")
            continue
        selection = _scenario_selection(
            spec,
            precisions=precisions,
            overhead=overhead,
            prefer=prefer,
            top=100,
        )
        picks = [
            r for r in selection.picks if all(lang in (r.model.raw.get("languages") or ()) for lang in spec.languages)
        ][:3]
        listed = ", ".join(f"{r.model.name} ({r.precision}, {r.memory_gb:.1f} GB)" for r in picks)
        shown[key] = listed or _("nothing fits")
    return shown


#: The five jobs of lab 3. Usable memory follows helpers.phi_family.COMMON_DEVICES.
SCENARIOS: dict[str, Scenario] = load_scenarios()


def _scenario_selection(spec: Any, **options: Any) -> Any:
    """``recommend()`` for a scenario's job and device, with ``options`` (precisions, top, overhead, prefer)."""
    from helpers.phi_family import recommend

    return recommend(spec.task, spec.memory_gb, context_tokens=spec.context_tokens, images=spec.images,
                     tools=spec.tools, reasoning=spec.reasoning, **options)
