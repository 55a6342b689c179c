"""Lab 05 (function calling): a strict tool schema, a validator for model output, and a safe tool runner."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from helpers.checks.core import CheckResult, as_bool, failed, is_unanswered, not_done, passed
from helpers.env import REPO_ROOT
from helpers.i18n import N_, _

__all__ = ["CASES_FILE", "FORBIDDEN", "check_run_tool", "check_tool_schema", "check_validate_call"]

#: Nothing in the course validates or runs lab 5's calls for a learner: no helper is forbidden.
FORBIDDEN: tuple[str, ...] = ()

CASES_FILE = REPO_ROOT / "data" / "labs" / "lab05_cases.json"
_CASES = json.loads(CASES_FILE.read_text(encoding="utf-8"))
_WEATHER_GOOD: dict[str, Any] = _CASES["weather_good"]
_WEATHER_GOOD_MORE: list[dict[str, Any]] = _CASES.get("weather_good_more", [])
_WEATHER_BAD = [(case["call"], case["why"]) for case in _CASES["weather_bad"]]
_CALL_CASES = [(case["text"], case["valid"], case["why"]) for case in _CASES["call_cases"]]
_TOOL_CALLS: list[dict[str, Any]] = _CASES["tool_calls"]
_FAILING_CALLS = [(case["call"], case["why"]) for case in _CASES["failing_calls"]]


def _objects_without_closed_properties(schema: Any, path: str = "schema") -> list[str]:
    """Paths of ``type: object`` nodes that do not set ``additionalProperties: false``."""
    found = []
    if isinstance(schema, Mapping):
        if schema.get("type") == "object" and schema.get("additionalProperties") is not False:
            found.append(path)
        for key, value in schema.items():
            found += _objects_without_closed_properties(value, f"{path}[{key!r}]")
    elif isinstance(schema, list):
        for i, value in enumerate(schema):
            found += _objects_without_closed_properties(value, f"{path}[{i}]")
    return found


def check_tool_schema(schema: Any) -> CheckResult:
    """Check the JSON schema of a call to the ``weather`` tool (one string argument, ``city``).

    Introduced in lab 05.

    It must accept ``{"tool": "weather", "arguments": {"city": "Oslo"}}`` and reject invented keys, a missing
    or non-string city and any other tool name, and every object in it must set ``additionalProperties: false``.
    """
    import jsonschema

    name = N_("weather tool schema")
    if is_unanswered(schema):
        return not_done(
            name, _(
                "Copy CALCULATOR_SCHEMA's shape: a 'tool' fixed with const, and 'arguments' with one string, 'city'."
            )
        )
    if not isinstance(schema, Mapping):
        return failed(name, _("a JSON schema is a dict, not {kind}.").format(kind=type(schema).__name__))
    try:
        jsonschema.Draft202012Validator.check_schema(schema)
        validator = jsonschema.Draft202012Validator(schema)
    except jsonschema.SchemaError as exc:
        return failed(name, _("this is not a valid JSON schema: {message}.").format(message=exc.message))
    if not validator.is_valid(_WEATHER_GOOD):
        error = next(validator.iter_errors(_WEATHER_GOOD))
        return failed(name, _(
            "it rejects the correct call {dumps} ({message})."
        ).format(dumps=json.dumps(_WEATHER_GOOD), message=error.message))
    refused = [call for call in _WEATHER_GOOD_MORE if not validator.is_valid(call)]
    if refused:
        return failed(name, _(
            "it rejects correct calls such as {dumps}: any city name is a string to accept."
        ).format(dumps=json.dumps(refused[0])))
    let_through = [_(why) for call, why in _WEATHER_BAD if validator.is_valid(call)]  # why: data, in the catalog
    open_objects = _objects_without_closed_properties(schema)
    if open_objects:
        return failed(
            name,
            # TRANSLATORS: {objects} are paths in the learner's schema (properties.arguments); keep the JSON as it is.
            _(
                '{objects} does not set "additionalProperties": false. Without it the '
                "guided decoder lets a small model add keys forever, until max_length (see FIELD_NOTES.md)."
            ).format(objects=", ".join(open_objects))
            + (" " + _("It also lets through calls with {cases}.").format(cases="; ".join(let_through))
               if let_through else ""),
        )
    if let_through:
        return failed(name, _(
            "it accepts calls it should refuse: {choices}. Use 'const' for the tool name, "
            "'required' for every key and 'type': 'string' for the city."
        ).format(choices='; '.join(let_through)))
    return passed(name, _(
        "it accepts the right call and refuses invented keys, missing or mistyped arguments and other tools. "
        "The same schema guides the decoder and validates the result."
    ))


def check_validate_call(validate_call: Callable[[str], Any]) -> CheckResult:
    """Run your ``validate_call(text) -> (ok, reason)`` on valid and broken model outputs.

    Introduced in lab 05.
    """
    name = "validate_call"
    if is_unanswered(validate_call) or not callable(validate_call):
        return not_done(name, _("Define validate_call(text) returning (True, '') or (False, reason)."))
    wrong = []
    for text, valid, what in _CALL_CASES:
        try:
            result = validate_call(text)
        except Exception as exc:  # a learner's function may raise anything; report it instead of crashing
            wrong.append(_("{what}: it raised {kind} ({error}); catch errors and return (False, reason)").format(
                what=_(what), kind=type(exc).__name__, error=exc))
            continue
        if result is ...:
            return not_done(
                name, _("validate_call still returns '...': parse with json.loads, then check with the schema.")
            )
        if not (isinstance(result, (tuple, list)) and len(result) == 2):
            return failed(name, _(
                "validate_call should return a pair (ok, reason), not {result!r}."
            ).format(result=result))
        ok = as_bool(result[0])
        if ok is None:
            return failed(name, _(
                "the first item of the pair should be True or False, not {result!r}."
            ).format(result=result[0]))
        if ok != valid:
            # TRANSLATORS: {what} describes a model output from the lab's data (translated in this catalog too).
            wrong.append((_("{what}: accepted, should be rejected") if ok else _(
                "{what}: rejected, should be accepted")).format(what=_(what)))
    if wrong:
        return failed(name, _("{count} of {total} cases wrong:").format(count=len(wrong), total=len(_CALL_CASES))
                      + "\n  - " + "\n  - ".join(wrong))
    return passed(
        name, _(
            "all {n_call_cases} cases right: only a complete JSON object that matches one tool's schema is run."
        ).format(n_call_cases=len(_CALL_CASES))
    )


def _same_result(got: Any, expected: str) -> bool:
    """The tool's result as text: ``str(result)``, or the same value JSON-encoded (``'"sunny"'``, ``'1081'``)."""
    if not isinstance(got, str):
        return False
    if got.strip() == expected:
        return True
    try:
        decoded = json.loads(got)
    except (json.JSONDecodeError, ValueError):
        return False
    if isinstance(decoded, dict) and set(decoded) == {"result"}:  # {"result": ...} is a common tool-message shape
        decoded = decoded["result"]
    return str(decoded) == expected


def _is_error_text(got: Any) -> bool:
    """A failure reported as text: ``"error: ..."`` in any case, or a JSON object with an ``"error"`` key."""
    if not isinstance(got, str):
        return False
    if got.strip().lower().startswith("error"):
        return True
    try:
        decoded = json.loads(got)
    except (json.JSONDecodeError, ValueError):
        return False
    return isinstance(decoded, dict) and bool(decoded.get("error"))


def check_run_tool(
    run_tool: Callable[[Mapping[str, Any]], Any], tools: Mapping[str, Callable[..., Any]]
) -> CheckResult:
    """Run your ``run_tool(call) -> str`` on validated calls, including two whose tool raises an error.

    Introduced in lab 05.

    A result must be the tool's return value as text; a tool's exception must come back as a string that starts
    with ``"error"``, not as a crash.
    """
    name = "run_tool"
    if is_unanswered(run_tool) or not callable(run_tool):
        return not_done(
            name, _("Define run_tool(call): look up TOOLS[call['tool']] and call it with **call['arguments'].")
        )
    wrong = []
    for call in _TOOL_CALLS:
        if call["tool"] not in tools:
            continue
        expected = str(tools[call["tool"]](**call["arguments"]))
        try:
            got = run_tool(call)
        except Exception as exc:  # report, do not crash the learner's notebook
            wrong.append(_("{call} raised {kind}: {error}").format(
                call=json.dumps(call), kind=type(exc).__name__, error=exc))
            continue
        if got is ...:
            return not_done(name, _(
                "run_tool still returns '...': look the function up by name and pass the arguments."
            ))
        if not _same_result(got, expected):
            wrong.append(_("{call} gave {got!r}, expected {expected!r} (the tool's result as text)").format(
                call=json.dumps(call), got=got, expected=expected))
    for call, what in _FAILING_CALLS:
        if call["tool"] not in tools:
            continue
        try:
            got = run_tool(call)
        except Exception as exc:  # the point of this case: it must not raise
            wrong.append(_("{what} ({call}) raised {kind}; catch it and return 'error: ...'").format(
                what=_(what), call=json.dumps(call), kind=type(exc).__name__))
            continue
        if not _is_error_text(got):
            wrong.append(_("{what} gave {got!r}; return a string starting with 'error'").format(what=_(what), got=got))
    if wrong:
        return failed(
            name,
            "\n  - " + "\n  - ".join(wrong) + "\n" + _(
                "A tool's failure goes back to the model as text, so it can "
                "say so or try again; an exception would stop your whole app."
            ),
        )
    return passed(name, _(
        "each validated call runs the named Python function with the model's arguments, and a failing tool "
        "becomes an 'error: ...' message instead of a crash. The model only proposes; your code decides and runs."
    ))
