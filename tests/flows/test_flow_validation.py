"""Every validator rule, each with a flow that breaks it, and the defaults passing them all."""

from __future__ import annotations

import textwrap

import pytest

from flows.build import FlowSource, default_sources
from flows.validation import REQUIRED_FLOWS, validate

GOOD = """\
id: demo
steps:
  - id: hello
    type: message
    text: {az: Salam, ru: Привет, en: Hello}
  - id: pick
    type: choice
    text: {az: Seç, ru: Выбери, en: Pick}
    buttons:
      - id: a
        label: {az: A, ru: A, en: A}
        next: bye
  - id: bye
    type: end
"""


def src(text: str, name: str = "demo.yml") -> FlowSource:
    return FlowSource(name=name, text=textwrap.dedent(text))


def rules(*sources: FlowSource) -> list[str]:
    return [e.rule for e in validate(sources, complete=False)]


def only(rule: str, *sources: FlowSource):
    errors = validate(sources, complete=False)
    assert [e.rule for e in errors] == [rule], [str(e) for e in errors]
    return errors[0]


def test_the_default_flows_are_valid():
    assert [str(e) for e in validate(default_sources())] == []


def test_a_good_flow_has_no_errors():
    assert rules(src(GOOD)) == []


def test_broken_yaml_names_the_line_and_how_to_fix():
    error = only("broken_yaml", src(GOOD.replace("text: {az: Seç", "text: {az: Seç: x")))
    assert error.line == 8 and error.file == "demo.yml"
    assert "quotes" in error.fix


def test_yaml_aliases_are_refused():
    text = GOOD + "extra: &a [1]\nmore: *a\n"
    assert rules(src(text)) == ["broken_yaml"]


def test_a_megabyte_text_is_refused_before_parsing():
    huge = GOOD.replace("Hello", "x" * 1_000_000)
    error = only("file_too_big", src(huge))
    assert "too big" in error.message


def test_unknown_step_type():
    error = only("unknown_step_type", src(GOOD.replace("type: message", "type: mesage")))
    assert error.step == "hello" and "message, choice" in error.fix


def test_schema_error_says_what_is_missing():
    error = only("schema", src(GOOD.replace("        next: bye\n", "")))
    assert error.step == "pick" and "`next` is missing" in error.message
    assert error.fix == "Add `next:` here."


def test_schema_error_for_a_misspelt_field():
    errors = validate([src(GOOD.replace("    text: {az: Salam", "    txt: {az: Salam"))])
    messages = [e.message for e in errors if e.rule == "schema"]
    assert messages == [
        "`text` is missing (what the child reads, in az, ru and en).",
        "`txt` is not used here.",
    ]


def test_yes_and_no_stay_words_not_booleans():
    assert rules(src(GOOD.replace("id: a\n", "id: no\n"))) == []


def test_duplicate_flow():
    assert rules(src(GOOD, "a.yml"), src(GOOD, "b.yml")) == ["duplicate_flow"]


def test_duplicate_step():
    text = GOOD.replace("  - id: bye\n    type: end\n", "  - id: bye\n    type: end\n" * 2)
    assert "duplicate_step" in rules(src(text))


def test_duplicate_button():
    button = "      - id: a\n        label: {az: A, ru: A, en: A}\n        next: bye\n"
    assert rules(src(GOOD.replace(button, button * 2))) == ["duplicate_button"]


def test_unknown_target_lists_the_step_ids():
    error = only("unknown_target", src(GOOD.replace("next: bye", "next: byee")))
    assert "byee" in error.message and "hello, pick, bye" in error.fix


def test_unknown_flow_in_a_link():
    text = GOOD.replace(
        "  - id: bye\n    type: end\n", "  - id: bye\n    type: link\n    flow: nope\n"
    )
    assert validate([src(text)], complete=True)[0].rule == "unknown_flow"


def test_unreachable_step():
    text = GOOD + "  - id: lonely\n    type: end\n"
    error = only("unreachable_step", src(text))
    assert error.step == "lonely" and error.line == 15


def test_dead_end_when_the_last_step_does_not_say_where_to_go():
    text = GOOD.replace("        next: bye\n", "        next: last\n") + (
        "  - id: last\n    type: message\n    text: {az: a, ru: b, en: c}\n"
    )
    error = only("dead_end", src(text))
    assert error.step == "last" and "`next:`" in error.fix


def test_no_way_out_when_buttons_only_go_round():
    text = GOOD.replace("next: bye", "next: pick")
    assert "no_way_out" in rules(src(text))


def test_loop_that_never_waits():
    text = GOOD.replace(
        "  - id: pick\n",
        "  - id: again\n    type: condition\n    branches:\n"
        "      - when: {language: az}\n        next: hello\n    else: hello\n  - id: pick\n",
    )
    assert "loop_without_wait" in rules(src(text))


def test_a_flow_linking_to_itself_forever():
    text = "id: demo\nsteps:\n  - id: again\n    type: link\n    flow: demo\n"
    error = only("loop_without_wait", src(text))
    assert "again" in error.message


def test_missing_translation_names_the_language():
    error = only("missing_translation", src(GOOD.replace("ru: Привет, ", "")))
    assert "Russian (ru)" in error.message and error.step == "hello"


def test_text_too_long_for_telegram():
    error = only("text_too_long", src(GOOD.replace("Hello", "x" * 4097)))
    assert "4,096" in error.message


def test_button_label_of_200_characters():
    error = only("button_label_too_long", src(GOOD.replace("en: A}", "en: " + "A" * 200 + "}")))
    assert "200" in error.message


def test_callback_data_over_64_bytes():
    text = GOOD.replace("id: demo", "id: " + "f" * 30).replace(
        "- id: a\n", "- id: " + "b" * 30 + "\n"
    )
    error = only("callback_data_too_long", src(text))
    assert "64" in error.message


def test_unknown_placeholder():
    error = only("unknown_placeholder", src(GOOD.replace("en: Hello", 'en: "Hello {name}"')))
    assert "{position}" in error.fix


def test_bad_profile_value():
    text = GOOD.replace(
        "  - id: bye\n",
        "  - id: lang\n    type: set\n    field: language\n    value: fr\n"
        "    next: bye\n  - id: bye\n",
    ).replace("next: bye\n  - id: bye", "next: bye\n  - id: bye", 1)
    text = text.replace("        next: bye\n", "        next: lang\n", 1)
    error = only("bad_value", src(text))
    assert "az, ru, en" in error.fix


def test_missing_required_flow():
    errors = validate([src(GOOD)], complete=True)
    missing = {e.flow for e in errors if e.rule == "missing_required_flow"}
    assert missing == set(REQUIRED_FLOWS)


@pytest.mark.parametrize("text", ["", "- a\n- b\n", "just words\n"])
def test_something_that_is_not_a_flow(text):
    assert rules(src(text)) == ["schema"]


def test_every_error_names_file_and_says_how_to_fix():
    broken = GOOD.replace("next: bye", "next: byee").replace("ru: Привет, ", "")
    for error in validate([src(broken)], complete=False):
        assert error.file == "demo.yml" and error.flow == "demo" and error.fix
        assert str(error).startswith("demo.yml:")
        assert error.to_dict()["rule"] == error.rule
