from __future__ import annotations

import pytest
from pydantic import ValidationError

from bot.settings import Settings

REAL = "k3J9-a-real-secret-of-enough-length-123456"


def settings(**values) -> Settings:
    return Settings(_env_file=None, **values)


def test_embedded_defaults():
    defaults = settings()
    assert defaults.env == "development"
    assert (defaults.host, defaults.port) == ("127.0.0.1", 8080)
    assert defaults.resolved_database_url.startswith("sqlite+aiosqlite:///")
    assert defaults.redis_url is None and defaults.telegram_token is None


@pytest.mark.parametrize(
    "secret", ["short", "change-me-" * 4, "example-secret-for-the-docs-only-xx"]
)
def test_production_refuses_missing_short_or_placeholder_secrets(secret):
    with pytest.raises(ValidationError):
        settings(env="production", secret_key=secret)
    with pytest.raises(ValidationError):
        settings(env="production")


def test_production_accepts_a_real_secret():
    assert settings(env="production", secret_key=REAL).secret() == REAL


def test_webhook_mode_needs_its_secret_token():
    with pytest.raises(ValidationError):
        settings(telegram_token="123:abc", telegram_mode="webhook")
    ok = settings(telegram_token="123:abc", telegram_mode="webhook", telegram_webhook_secret="s3")
    assert ok.telegram_webhook_secret.get_secret_value() == "s3"


def test_rasa_backend_needs_its_url():
    with pytest.raises(ValidationError):
        settings(nlu_backend="rasa")


def test_secrets_are_not_printed():
    shown = repr(settings(secret_key=REAL, telegram_token="123:abc"))
    assert REAL not in shown and "123:abc" not in shown
