"""JSON Schema errors, told in words staff understand."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

SCHEMA_PATH = Path(__file__).parent / "schema.json"
STEP_TYPES = ("message", "choice", "ask", "set", "condition", "link", "handoff", "end")

# What each field is for, so "missing X" can say why X matters.
FIELD_HELP = {
    "id": "a short name, like ask_age",
    "steps": "the list of steps",
    "type": f"the kind of step: one of {', '.join(STEP_TYPES)}",
    "text": "what the child reads, in az, ru and en",
    "next": "the id of the step that comes next",
    "buttons": "the buttons the child can tap",
    "label": "the words on the button, in az, ru and en",
    "reason": "a short note for the counsellor on why the child is handed over",
    "flow": "the id of the flow to go to",
    "field": "the profile field to set: language, age, age_band or gender",
    "value": "the value to store",
    "branches": "the list of `when:` / `next:` pairs",
    "when": "the condition to check",
}


@cache
def flow_schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


@cache
def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(flow_schema())


def schema_errors(doc: Any) -> list[jsonschema.ValidationError]:
    return sorted(_validator().iter_errors(doc), key=lambda e: list(map(str, e.absolute_path)))


def _field_name(error: jsonschema.ValidationError) -> str:
    for part in reversed(list(error.absolute_path)):
        if isinstance(part, str):
            return part
    return "the flow"


def describe(error: jsonschema.ValidationError) -> tuple[str, str]:
    """(what is wrong, how to fix it) for one schema error."""
    kind, value, instance = error.validator, error.validator_value, error.instance
    name = _field_name(error)
    if kind == "required":
        missing = [key for key in value if key not in (instance or {})]
        key = missing[0] if missing else "?"
        what = FIELD_HELP.get(key, "")
        return (
            f"`{key}` is missing" + (f" ({what})." if what else "."),
            f"Add `{key}:` here.",
        )
    if kind == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        extra = sorted(set(instance) - set(allowed))
        return (
            f"`{', '.join(map(str, extra))}` is not used here.",
            f"Remove it or check the spelling. Allowed here: {', '.join(allowed)}.",
        )
    if kind == "type":
        wanted = {
            "object": "a group of `key: value` lines",
            "array": "a list (lines starting with -)",
            "string": "a text",
            "integer": "a whole number",
            "boolean": "true or false",
        }
        types = value if isinstance(value, list) else [value]
        want = " or ".join(wanted.get(t, t) for t in types)
        return f"`{name}` should be {want}.", f"Write `{name}` as {want}."
    if kind in ("enum", "const"):
        options = value if isinstance(value, list) else [value]
        return (
            f"`{name}` is {instance!r}, which is not allowed.",
            f"Use one of: {', '.join(map(str, options))}.",
        )
    if kind == "pattern":
        return (
            f"`{name}` {instance!r} is not a valid name.",
            "Use small English letters, digits and _, starting with a letter (like ask_age).",
        )
    if kind == "anyOf":
        options = _enum_in(error.schema)
        tail = f" from: {', '.join(options)}" if options else ""
        return (
            f"`{name}` should be one value or a list of values{tail}.",
            f"Write `{name}: value` or `{name}: [value1, value2]`.",
        )
    if kind in ("maxLength", "maxItems", "maximum"):
        return f"`{name}` is too long or too big (the limit is {value}).", "Make it shorter."
    if kind in ("minLength", "minItems", "minimum"):
        return f"`{name}` is empty or too small (at least {value}).", "Fill it in."
    return (
        f"`{name}`: {error.message}",
        "Check this part against the examples in the README (Conversation flows: Writing a flow).",
    )


def _enum_in(schema: dict[str, Any]) -> list[str]:
    for option in schema.get("anyOf", []):
        if "enum" in option:
            return list(option["enum"])
    return []
