"""Scripted conversations through every default flow, in az, ru and en.

Each script taps buttons by id and checks the bot's words against the flow files, so the
scripts keep passing when staff reword a text; the last test checks that, together, the
scripts show the child every text of every default flow."""

from __future__ import annotations

import pytest
from flow_chat import Chat

from flows.runner import FlowRunner
from flows.types import Situation as Sit

LANGS = ("az", "ru", "en")
LANG_BUTTON = {"az": "az", "ru": "ru", "en": "en"}
SEEN: dict[str, set[tuple[str, str]]] = {lang: set() for lang in LANGS}


class Script(Chat):
    """A chat that remembers which flow texts the child has seen."""

    def __init__(self, runner: FlowRunner, language: str, situation=None) -> None:
        super().__init__(runner, situation)
        self.language = language
        self.flowset = runner._provider()
        self.index = {
            step.text.get(language): (flow.id, step.id)
            for flow in self.flowset.flows.values()
            for step in flow.steps.values()
            if getattr(step, "text", None) is not None
        }

    def _fill(self, text: str) -> str:
        s = self.situation
        return text.replace("{position}", str(s.queue_position)).replace(
            "{wait_minutes}", str(s.expected_wait_minutes)
        )

    def _step(self, event):
        replies = super()._step(event)
        filled = {self._fill(text): where for text, where in self.index.items()}
        for reply in replies:
            if reply.text in filled:
                SEEN[self.language].add(filled[reply.text])
        return replies

    def tap(self, button_id: str):
        for reply in self.last.replies:
            for button in reply.buttons:
                if button.data.endswith(":" + button_id):
                    return self._step_button(button.data)
        raise AssertionError(f"no button {button_id} in {self.buttons()}")

    def _step_button(self, data):
        from flows.types import FlowEvent

        return self._step(FlowEvent(kind="button", button=data))

    def say(self, text: str, **kw):
        return self.send(text, language=self.language, **kw)

    def text_of(self, flow_id: str, step_id: str) -> str:
        return self.flowset.get(flow_id).steps[step_id].text.get(self.language)

    def saw(self, flow_id: str, step_id: str) -> bool:
        expected = self._fill(self.text_of(flow_id, step_id))
        return any(r.text == expected for r in self.last.replies)

    def at(self, flow_id: str, step_id: str) -> bool:
        return (self.state.flow, self.state.step) == (flow_id, step_id)


def welcomed(runner, language) -> Script:
    chat = Script(runner, language)
    chat.command("start")
    chat.tap(LANG_BUTTON[language])
    chat.tap("skip")
    chat.tap("not_say")
    assert chat.at("triage", "ask")
    return chat


@pytest.mark.parametrize("language", LANGS)
def test_welcome_language_promise_age_gender(runner, language):
    chat = Script(runner, language)
    replies = chat.command("start")
    assert chat.at("welcome", "language") and len(replies[0].buttons) == 3
    chat.tap(LANG_BUTTON[language])
    assert chat.saw("welcome", "promise") and chat.saw("welcome", "ask_age")
    assert "/delete" in chat.text_of("welcome", "promise")
    chat.tap("a11_14")
    assert chat.saw("welcome", "ask_gender")
    chat.tap("girl")
    assert chat.saw("triage", "ask")
    assert chat.state.profile == {"language": language, "age_band": "11-14", "gender": "female"}
    assert [a.data for a in chat.actions if a.kind == "set_profile"] == [
        {"language": language},
        {"age_band": "11-14"},
        {"gender": "female"},
    ]


@pytest.mark.parametrize("language", LANGS)
def test_welcome_age_and_gender_can_be_skipped_or_typed_over(runner, language):
    chat = Script(runner, language)
    chat.command("start")
    chat.tap(LANG_BUTTON[language])
    chat.say("12")  # typed instead of tapped: the bot moves on, it does not nag
    assert chat.at("welcome", "ask_gender")
    chat.tap("boy")
    assert chat.state.profile == {"language": language, "gender": "male"}


@pytest.mark.parametrize("language", LANGS)
def test_legal_self_help_then_goodbye_with_feedback(runner, language):
    chat = welcomed(runner, language)
    chat.say("...", category="legal")
    assert chat.saw("selfhelp_legal", "rights") and chat.saw("anything_else", "ask")
    assert "102" in chat.text_of("selfhelp_legal", "rights")
    chat.tap("done")
    assert chat.saw("goodbye", "bye") and chat.saw("goodbye", "feedback")
    chat.tap("good")
    assert chat.saw("goodbye", "thanks")
    assert chat.kinds() == ["feedback"] and chat.last.actions[0].data["value"] == "good"
    assert chat.state.flow is None


@pytest.mark.parametrize("language", LANGS)
def test_education_self_help_then_another_question(runner, language):
    chat = welcomed(runner, language)
    chat.say("...", category="education")
    assert chat.saw("selfhelp_education", "school")
    chat.tap("more")
    assert chat.saw("triage", "ask")
    chat.say("...", category="health")
    assert chat.saw("selfhelp_health", "health")
    assert "103" in chat.text_of("selfhelp_health", "health")


@pytest.mark.parametrize("language", LANGS)
def test_health_self_help_then_a_person(runner, language):
    chat = welcomed(runner, language)
    chat.say("...", category="health")
    chat.tap("person")
    assert chat.kinds() == ["handoff"] and chat.last.actions[0].data["priority"] == "normal"
    assert chat.texts() == runner.rails.handoff.get(language)


@pytest.mark.parametrize("language", LANGS)
def test_questions_about_the_service(runner, language):
    chat = welcomed(runner, language)
    chat.say("...", category="other", subcategory="service_info")
    assert chat.saw("selfhelp_service", "about")
    assert "116111" in chat.text_of("selfhelp_service", "about")
    chat.say("and what about school?", category="education")  # typed at "anything else?"
    assert chat.saw("selfhelp_education", "school")


@pytest.mark.parametrize("language", LANGS)
def test_violence_goes_to_a_counsellor_with_high_priority(runner, language):
    chat = welcomed(runner, language)
    chat.say("...", category="violence", subcategory="domestic", risk="medium")
    assert chat.saw("triage", "serious")
    [action] = chat.last.actions
    assert action.kind == "handoff" and action.data["priority"] == "high"
    assert action.data["category"] == "violence" and action.data["risk_level"] == "medium"


@pytest.mark.parametrize("language", LANGS)
def test_feelings_offer_a_counsellor_and_respect_not_now(runner, language):
    chat = welcomed(runner, language)
    chat.say("...", category="psychological")
    assert chat.saw("triage", "offer_person")
    chat.tap("not_now")
    assert chat.saw("triage", "not_now") and chat.saw("goodbye", "feedback")
    assert chat.kinds() == []
    chat = welcomed(runner, language)
    chat.say("...", category="social")
    chat.tap("yes")
    assert chat.kinds() == ["handoff"]


@pytest.mark.parametrize("language", LANGS)
def test_not_understood_offers_topics(runner, language):
    chat = welcomed(runner, language)
    chat.say("hmm", category="other")
    assert chat.saw("triage", "not_sure") and len(chat.buttons()) == 5
    chat.tap("rights")
    assert chat.saw("selfhelp_legal", "rights")
    chat = welcomed(runner, language)
    chat.say("hmm", category="other")
    chat.tap("school")
    assert chat.saw("selfhelp_education", "school")
    chat = welcomed(runner, language)
    chat.say("hmm", category="other")
    chat.tap("health")
    chat.tap("done")
    chat.tap("some")
    assert chat.last.actions[0].data["value"] == "some"
    chat = welcomed(runner, language)
    chat.say("hmm", category="other")
    chat.tap("about")
    assert chat.saw("selfhelp_service", "about")
    chat = welcomed(runner, language)
    chat.say("hmm", category="other")
    chat.tap("person")
    assert chat.kinds() == ["handoff"]


@pytest.mark.parametrize("language", LANGS)
def test_help_menu(runner, language):
    chat = Script(runner, language)
    chat.state.profile["language"] = language
    chat.command("help")
    assert chat.saw("help", "about") and chat.saw("help", "menu")
    chat.tap("about")
    assert chat.saw("selfhelp_service", "about")
    chat.command("help")
    chat.tap("tell")
    assert chat.saw("triage", "ask")
    chat.command("help")
    chat.tap("person")
    assert chat.kinds() == ["handoff"]


@pytest.mark.parametrize("language", LANGS)
def test_while_you_wait_and_out_of_hours(runner, language):
    chat = welcomed(runner, language)
    chat.say("...", risk="high")
    assert chat.texts() == runner.rails.safety.get(language)
    chat.situation = Sit(status="waiting", queue_position=2, expected_wait_minutes=4)
    chat.say("are you there?")
    for step in ("grounding", "safety", "place_and_wait", "keep_writing"):
        assert chat.saw("while_you_wait", step), step
    assert "2" in chat.texts() and "4" in chat.texts()
    chat.tap("wait")
    assert chat.saw("while_you_wait", "ok")
    calm = Script(runner, language, Sit(status="waiting", queue_position=5))
    calm.state.profile["language"] = language
    calm.say("hello")
    assert calm.saw("while_you_wait", "place") and not calm.saw("while_you_wait", "grounding")
    calm.tap("cancel")
    assert calm.kinds() == ["cancel_handoff"] and calm.saw("while_you_wait", "cancelled")
    unknown = Script(runner, language, Sit(status="waiting"))
    unknown.state.profile["language"] = language
    unknown.say("hello")
    assert unknown.saw("while_you_wait", "soon")
    night = Script(runner, language, Sit(counsellors_on_shift=False))
    night.state.profile["language"] = language
    night.command("human")
    assert night.saw("out_of_hours", "closed") and night.saw("out_of_hours", "what_now")


@pytest.mark.parametrize("language", LANGS)
def test_goodbye_started_by_the_core_after_a_counsellor_closes(runner, language):
    chat = Script(runner, language, Sit(status="closed"))
    chat.state.profile["language"] = language
    chat.start(flow="goodbye")
    assert chat.saw("goodbye", "bye")
    chat.tap("bad")
    assert chat.last.actions[0].data == {"value": "bad", "flow": "goodbye"}


def test_the_scripts_show_every_text_of_every_default_flow(default_flowset):
    # Runs last in this module: every script above has recorded what the child saw.
    texts = {
        (flow.id, step.id)
        for flow in default_flowset.flows.values()
        for step in flow.steps.values()
        if getattr(step, "text", None) is not None
    }
    for language in LANGS:
        assert texts - SEEN[language] == set(), language
