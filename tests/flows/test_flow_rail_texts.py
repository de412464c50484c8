"""The texts of the safety rails: complete, with the emergency numbers, within Telegram's limits."""

from __future__ import annotations

import pytest

from flows.rails import RAIL_KEYS, load_rail_texts
from flows.text_rules import MAX_BUTTON_LABEL_CHARS, MAX_TEXT_CHARS


def test_every_rail_text_exists_in_every_language():
    rails = load_rail_texts()
    for key in RAIL_KEYS:
        for lang, text in getattr(rails, key).items():
            assert text.strip() and len(text) <= MAX_TEXT_CHARS, (key, lang)


@pytest.mark.parametrize("language", ["az", "ru", "en"])
def test_the_safety_reply_gives_every_emergency_number(language):
    text = load_rail_texts().safety.get(language)
    for number in ("112", "102", "103", "116111"):
        assert number in text


def test_rail_button_labels_fit_on_a_phone():
    rails = load_rail_texts()
    for key in ("delete_yes", "delete_no", "human_button"):
        assert all(len(t) <= MAX_BUTTON_LABEL_CHARS for _, t in getattr(rails, key).items())


def test_an_incomplete_rails_file_is_refused(tmp_path):
    path = tmp_path / "rails.yml"
    path.write_text("safety:\n  az: x\n  ru: y\n", encoding="utf-8")
    with pytest.raises(ValueError, match="safety: missing en"):
        load_rail_texts(path)
