"""Rules about texts: all three languages, Telegram's limits, placeholders."""

from __future__ import annotations

import re
from collections.abc import Iterator

from flows.build import button_data
from flows.errors import FlowError
from flows.model import LANGUAGES, PLACEHOLDERS, ChoiceStep, Flow, Step, Texts

MAX_TEXT_CHARS = 4096  # Telegram's limit for one message
MAX_BUTTON_LABEL_CHARS = 40  # longer labels are cut off on a phone screen
MAX_CALLBACK_BYTES = 64  # Telegram's limit for a button's callback data
LANGUAGE_NAMES = {"az": "Azerbaijani (az)", "ru": "Russian (ru)", "en": "English (en)"}
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def _texts_of(step: Step) -> Iterator[tuple[str, Texts]]:
    text = getattr(step, "text", None)
    if text is not None:
        yield "the text", text


def flow_rules(flow: Flow) -> list[FlowError]:
    errors: list[FlowError] = []

    def add(rule: str, message: str, fix: str, step: Step) -> None:
        errors.append(FlowError(rule, message, fix, flow.source, flow.id, step.id, step.line))

    for step in flow.steps.values():
        for what, texts in _texts_of(step):
            _check_text(what, texts, step, add)
        if isinstance(step, ChoiceStep):
            for button in step.buttons:
                _check_button(flow, step, button, add)
    return errors


def _missing(texts: Texts) -> list[str]:
    return [LANGUAGE_NAMES[lang] for lang, value in texts.items() if not value.strip()]


def _check_text(what: str, texts: Texts, step: Step, add) -> None:
    missing = _missing(texts)
    if missing:
        add(
            "missing_translation",
            f"{what.capitalize()} has no {' and no '.join(missing)} version.",
            "Write it in every language: az, ru and en.",
            step,
        )
    for lang, value in texts.items():
        if len(value) > MAX_TEXT_CHARS:
            add(
                "text_too_long",
                f"The {LANGUAGE_NAMES[lang]} text has {len(value):,} characters; Telegram "
                f"sends at most {MAX_TEXT_CHARS:,} in one message.",
                "Make it shorter, or split it into several message steps.",
                step,
            )
        for name in _PLACEHOLDER.findall(value):
            if name not in PLACEHOLDERS:
                add(
                    "unknown_placeholder",
                    f"The {LANGUAGE_NAMES[lang]} text uses {{{name}}}, which the bot cannot "
                    "fill in.",
                    f"Use only {', '.join('{' + p + '}' for p in PLACEHOLDERS)}, or remove "
                    "the curly brackets.",
                    step,
                )


def _check_button(flow: Flow, step: ChoiceStep, button, add) -> None:
    missing = _missing(button.label)
    if missing:
        add(
            "missing_translation",
            f"The button '{button.id}' has no {' and no '.join(missing)} label.",
            "Write the label in every language: az, ru and en.",
            step,
        )
    for lang in LANGUAGES:
        label = button.label.get(lang)
        if len(label) > MAX_BUTTON_LABEL_CHARS:
            add(
                "button_label_too_long",
                f"The {LANGUAGE_NAMES[lang]} label of the button '{button.id}' has "
                f"{len(label)} characters; at most {MAX_BUTTON_LABEL_CHARS} fit on a phone.",
                "Use fewer words on the button; put the explanation in the step's text.",
                step,
            )
    data = button_data(flow.id, step.id, button.id)
    if len(data.encode("utf-8")) > MAX_CALLBACK_BYTES:
        add(
            "callback_data_too_long",
            f"The button '{button.id}' cannot be sent to Telegram: the flow id, step id and "
            f"button id together are {len(data.encode())} bytes, the limit is "
            f"{MAX_CALLBACK_BYTES}.",
            "Shorten the step id or the button id (the child never sees them).",
            step,
        )
