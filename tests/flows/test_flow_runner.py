"""The runner: safety rails at every waiting step, waiting and counsellor states, out of
hours, language, stale buttons and publishes in the middle of a flow."""

from __future__ import annotations

import textwrap
from dataclasses import replace

import pytest
from flow_chat import Chat, analysis

from flows.build import FlowSource, default_sources
from flows.library import FlowLibrary
from flows.loader import load_flowset
from flows.model import WAITING_TYPES
from flows.runner import RAIL_DELETE_NO, RAIL_DELETE_YES, RAIL_HUMAN, FlowRunner
from flows.types import FlowEvent, FlowState, Situation

EMERGENCY_NUMBERS = ("112", "102", "103", "116111")


def waiting_steps(flowset):
    return [
        (flow.id, step.id)
        for flow in flowset.flows.values()
        for step in flow.steps.values()
        if step.type in WAITING_TYPES
    ]


def at(runner, flow_id, step_id, language="en", situation=None) -> Chat:
    chat = Chat(runner, situation)
    flow = runner._provider().get(flow_id)
    chat.state = FlowState(
        flow=flow_id, step=step_id, flow_version=flow.version, profile={"language": language}
    )
    return chat


def handoffs(chat):
    return [a for a in chat.last.actions if a.kind == "handoff"]


# --- rails, at every place a child can be -----------------------------------------------


@pytest.fixture(scope="module")
def every_waiting_step():
    from flows.loader import load_default_flowset

    return waiting_steps(load_default_flowset())


def test_there_are_waiting_steps_of_both_kinds(default_flowset):
    kinds = {default_flowset.get(f).steps[s].type for f, s in waiting_steps(default_flowset)}
    assert kinds == {"choice", "ask"}


@pytest.mark.parametrize("language", ["az", "ru", "en"])
@pytest.mark.parametrize("level", ["high", "imminent"])
def test_high_risk_interrupts_every_step_with_a_safety_reply(
    runner, every_waiting_step, level, language
):
    for flow_id, step_id in every_waiting_step:
        chat = at(runner, flow_id, step_id, language)
        replies = chat.send("...", risk=level, language=language)
        [action] = handoffs(chat)
        assert action.data["priority"] == "urgent", (flow_id, step_id)
        assert level in action.data["reason"] and action.data["source"] == "risk"
        assert all(n in replies[0].text for n in EMERGENCY_NUMBERS)
        assert replies[0].text == runner.rails.safety.get(language)
        assert chat.state.flow is None


def test_failed_analysis_is_treated_as_needing_a_person(runner, every_waiting_step):
    for flow_id, step_id in every_waiting_step:
        chat = at(runner, flow_id, step_id)
        chat.send("...", needs_human=True)
        [action] = handoffs(chat)
        assert action.data["priority"] == "urgent"


@pytest.mark.parametrize("how", ["command", "button", "words"])
def test_talk_to_a_person_works_at_every_step(runner, every_waiting_step, how):
    for flow_id, step_id in every_waiting_step:
        chat = at(runner, flow_id, step_id)
        if how == "command":
            replies = chat.command("human")
        elif how == "button":
            replies = chat._step(FlowEvent(kind="button", button=RAIL_HUMAN))
        else:
            replies = chat.send("I want to talk to someone", asks_for_human=True)
        [action] = handoffs(chat)
        assert action.data["priority"] == "normal" and action.data["source"] == how
        assert replies[0].text == runner.rails.handoff.en
        assert chat.state.flow is None


def test_delete_asks_first_and_erases_on_yes_at_every_step(runner, every_waiting_step):
    for flow_id, step_id in every_waiting_step:
        chat = at(runner, flow_id, step_id, "ru")
        [question] = chat.command("delete")
        assert [b.data for b in question.buttons] == [RAIL_DELETE_YES, RAIL_DELETE_NO]
        assert chat.kinds() == []
        chat.click(RAIL_DELETE_YES)
        assert chat.kinds() == ["delete_data"]
        assert chat.texts() == runner.rails.deleted.ru
        assert chat.state == FlowState()


def test_delete_no_keeps_everything_and_asks_the_step_again(runner):
    chat = at(runner, "welcome", "ask_age")
    chat.command("delete")
    replies = chat.click(RAIL_DELETE_NO)
    assert chat.kinds() == []
    assert replies[0].text == runner.rails.delete_kept.en
    assert "How old are you" in replies[1].text
    assert (chat.state.flow, chat.state.step) == ("welcome", "ask_age")


@pytest.mark.parametrize("command", ["start", "help", "language"])
def test_start_help_and_language_always_work(runner, every_waiting_step, command):
    for flow_id, step_id in every_waiting_step:
        chat = at(runner, flow_id, step_id)
        assert chat.command(command), (flow_id, step_id, command)


def test_language_command_changes_language_and_repeats_the_question(runner):
    chat = at(runner, "welcome", "ask_gender", "en")
    chat.command("language")
    assert chat.buttons() == ["Azərbaycanca", "Русский", "English"]
    replies = chat.click("Русский")
    assert chat.state.profile["language"] == "ru"
    assert replies[0].text == runner.rails.language_set.ru
    assert replies[1].text.startswith("Ты девочка или мальчик")


def test_rails_still_work_when_every_flow_is_gone():
    empty = load_flowset([], complete=False)
    runner = FlowRunner(empty)
    chat = Chat(runner)
    assert chat.command("start")[0].text == runner.rails.greeting.az
    assert chat.command("help")[0].buttons[0].data == RAIL_HUMAN
    chat.send("...", risk="high", language="ru")
    assert chat.kinds() == ["handoff"] and "112" in chat.texts()


# --- waiting for a counsellor, and with one ---------------------------------------------


def waiting(position=2, wait=5, on_shift=True):
    return Situation(
        status="waiting",
        queue_position=position,
        expected_wait_minutes=wait,
        counsellors_on_shift=on_shift,
    )


def test_while_waiting_the_bot_answers_only_now_and_then(runner):
    chat = Chat(runner, waiting())
    answered = [bool(chat.send(f"message {i}")) for i in range(11)]
    assert answered == [True, False, False, False, False, True, False, False, False, False, True]
    assert chat.actions == []


def test_while_waiting_says_position_and_wait(runner):
    chat = Chat(runner, waiting(position=3, wait=7))
    chat.state.profile["language"] = "en"
    chat.send("hello?")
    assert "number 3 in the queue" in chat.texts() and "7 minutes" in chat.texts()
    assert "breathe" not in chat.texts()


def test_while_waiting_without_numbers_says_soon(runner):
    chat = Chat(runner, waiting(position=None, wait=None))
    chat.state.profile["language"] = "en"
    chat.send("hello?")
    assert "as soon as they can" in chat.texts() and "?" not in chat.texts()


def test_high_risk_while_waiting_rescores_and_grounds_once(runner):
    chat = Chat(runner, waiting())
    chat.state.profile["language"] = "en"
    chat.send("I have the pills", risk="imminent")
    assert chat.kinds() == ["handoff"]
    assert chat.texts().startswith(runner.rails.safety.en)
    assert "breathe" in chat.texts()
    chat.send("still here", risk="imminent")
    assert chat.kinds() == ["handoff"] and chat.last.replies == []


def test_waiting_child_can_cancel(runner):
    chat = Chat(runner, waiting())
    chat.state.profile["language"] = "en"
    chat.send("hi")
    chat.click("I don't need a person")
    assert chat.kinds() == ["cancel_handoff"]
    assert "cancelled" in chat.texts()


def test_asking_for_a_person_while_waiting_tells_the_place(runner):
    chat = Chat(runner, waiting(position=1))
    chat.state.profile["language"] = "en"
    chat.command("human")
    assert chat.kinds() == [] and "number 1" in chat.texts()


def test_with_a_counsellor_the_bot_is_silent(runner):
    chat = Chat(runner, Situation(status="counsellor"))
    assert chat.send("hello") == []
    assert chat.send("I want a person", asks_for_human=True) == []
    assert chat.kinds() == []


def test_with_a_counsellor_risk_is_flagged_without_a_bot_reply(runner):
    chat = Chat(runner, Situation(status="counsellor"))
    assert chat.send("...", risk="high") == []
    assert handoffs(chat)[0].data["priority"] == "urgent"


def test_with_a_counsellor_delete_still_works(runner):
    chat = Chat(runner, Situation(status="counsellor"))
    chat.command("delete")
    chat.click(RAIL_DELETE_YES)
    assert chat.kinds() == ["delete_data"]


# --- out of hours -----------------------------------------------------------------------


@pytest.mark.parametrize("language", ["az", "ru", "en"])
def test_out_of_hours_handoff_says_what_to_do_now(runner, default_flowset, language):
    chat = Chat(runner, Situation(counsellors_on_shift=False))
    chat.state.profile["language"] = language
    chat.command("human")
    assert chat.kinds() == ["handoff"]
    closed = default_flowset.get("out_of_hours").steps["closed"].text.get(language)
    assert chat.texts().startswith(closed)
    assert all(n in chat.texts() for n in EMERGENCY_NUMBERS)


def test_out_of_hours_high_risk_gets_safety_and_out_of_hours(runner):
    chat = Chat(runner, Situation(counsellors_on_shift=False))
    chat.send("...", risk="high", language="az")
    assert chat.last.replies[0].text == runner.rails.safety.az
    assert "məsləhətçilərimiz işdə deyil" in chat.texts()


# --- language ---------------------------------------------------------------------------


def test_language_comes_from_profile_then_analysis_then_az(runner):
    chat = Chat(runner)
    assert chat.send("salam", language="other")[0].text.startswith("Səni yaxşı başa")
    chat = Chat(runner)
    chat.send("hello", language="ru")
    assert chat.texts().startswith("Я хочу тебя правильно понять")
    chat = Chat(runner)
    chat.state.profile["language"] = "en"
    chat.send("salam", language="az")
    assert chat.texts().startswith("I want to understand you")


# --- buttons and text -------------------------------------------------------------------


def test_typing_a_button_label_counts_as_tapping_it(runner):
    chat = at(runner, "welcome", "ask_gender")
    chat.send("girl")
    assert chat.state.profile["gender"] == "female"


def test_an_old_button_from_another_flow_still_works(runner):
    chat = at(runner, "triage", "ask")
    chat._step(FlowEvent(kind="button", button="f:welcome:ask_gender:boy"))
    assert chat.state.profile["gender"] == "male"
    assert (chat.state.flow, chat.state.step) == ("triage", "ask")


def test_a_button_that_no_longer_exists_repeats_the_question(runner):
    chat = at(runner, "welcome", "ask_age")
    replies = chat._step(FlowEvent(kind="button", button="f:welcome:gone:x"))
    assert "How old are you" in replies[0].text


def test_a_photo_gets_a_kind_answer(runner):
    chat = at(runner, "welcome", "ask_age")
    replies = chat._step(FlowEvent(kind="media", text="photo"))
    assert replies[0].text == runner.rails.media.en and "How old" in replies[1].text


def test_text_outside_any_flow_is_triaged_without_asking_again(runner):
    chat = Chat(runner)
    chat.state.profile["language"] = "en"
    chat.send("can my school expel me", category="education")
    assert "School can be hard" in chat.texts()
    assert chat.state.flow == "anything_else"


# --- publishing while a child is in a flow ----------------------------------------------


def _welcome_with(text_en: str) -> str:
    source = next(s for s in default_sources() if s.name.endswith("welcome.yml")).text
    return source.replace("How old are you? You don't have to say.", text_en)


def test_a_child_mid_flow_finishes_the_version_they_started():
    library = FlowLibrary(load_flowset(default_sources()))
    runner = FlowRunner(library)
    chat = Chat(runner)
    chat.command("start")
    chat.click("English")
    assert chat.state.flow_version == 0
    library.install("welcome", _welcome_with("What is your age?"), version=1)
    chat.click("Skip")  # the old version's button still works
    assert chat.state.step == "ask_gender"
    fresh = Chat(runner)
    fresh.command("start")
    fresh.click("English")
    assert "What is your age?" in fresh.texts() and fresh.state.flow_version == 1


def test_when_the_old_version_is_gone_the_same_step_of_the_new_one_is_used():
    library = FlowLibrary(load_flowset(default_sources()), keep_old_versions=0)
    runner = FlowRunner(library)
    chat = Chat(runner)
    chat.command("start")
    chat.click("English")
    library.install("welcome", _welcome_with("What is your age?"), version=1)
    chat.send("I'm 12")  # on_text of ask_age in the new version
    assert chat.state.step == "ask_gender"


def test_when_the_step_is_gone_the_flow_restarts_gracefully():
    library = FlowLibrary(load_flowset(default_sources()), keep_old_versions=0)
    runner = FlowRunner(library)
    chat = Chat(runner)
    chat.command("start")
    chat.click("English")
    renamed = _welcome_with("Age?").replace("ask_age", "age_question")
    library.install("welcome", renamed, version=2)
    chat.send("twelve")
    assert chat.state.flow == "welcome"
    assert chat.last.replies  # the child is answered, never left hanging


def test_an_invalid_publish_keeps_the_running_version():
    from flows.loader import InvalidFlows

    library = FlowLibrary(load_flowset(default_sources()))
    before = library.current
    with pytest.raises(InvalidFlows) as caught:
        library.install(
            "welcome",
            "id: welcome\nsteps:\n  - id: x\n    type: link\n    flow: welcome\n",
            version=3,
        )
    assert caught.value.errors[0].rule == "loop_without_wait"
    assert library.current is before


def test_state_survives_a_json_round_trip(runner):
    chat = at(runner, "triage", "ask")
    result = runner.step(
        FlowState.from_dict(chat.state.to_dict()),
        FlowEvent(kind="text", text="x", analysis=analysis("legal")),
    )
    import json

    assert FlowState.from_dict(json.loads(json.dumps(result.state.to_dict()))) == result.state


def test_events_do_not_change_the_callers_state(runner):
    state = FlowState(flow="triage", step="ask", flow_version=0)
    before = state.to_dict()
    runner.step(state, FlowEvent(kind="text", text="x", analysis=analysis(risk="high")))
    assert state.to_dict() == before


def test_the_runner_accepts_a_library_or_a_flowset(default_flowset):
    library = FlowLibrary(default_flowset)
    for provider in (default_flowset, library):
        chat = Chat(FlowRunner(provider))
        assert chat.command("start")


def test_a_source_can_be_loaded_by_name():
    text = textwrap.dedent(
        """\
        id: only
        steps:
          - id: bye
            type: end
        """
    )
    flowset = load_flowset([FlowSource("x.yml", text, version=4)], complete=False)
    assert flowset.get("only").version == 4 and flowset.get("only", 3) is None
    assert replace(flowset.get("only"), version=5).version == 5
