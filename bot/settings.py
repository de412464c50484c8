"""Typed settings from the environment (HELPLINE_*) and an optional .env file.

Production refuses unsafe defaults: a missing or placeholder secret, a webhook without its
secret token. Development may generate its secret under var/ (see bot.devsecret).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Words that mark a secret copied from an example file rather than generated.
PLACEHOLDER_MARKERS = ("changeme", "change-me", "change_me", "example", "placeholder", "xxxxxxxx")
DEFAULT_DATA_DIR = Path("var")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="HELPLINE_", env_file=".env", extra="ignore", env_file_encoding="utf-8"
    )

    env: Literal["development", "production"] = "development"
    host: str = "127.0.0.1"
    port: int = 8080
    # Behind a reverse proxy: the proxies whose X-Forwarded-For is trusted (sign-in rate limits
    # count per client address, so without this every child of the proxy shares one count).
    forwarded_allow_ips: str = "127.0.0.1"
    data_dir: Path = DEFAULT_DATA_DIR
    database_url: str = ""  # empty: SQLite file under data_dir
    redis_url: str | None = None  # unset: in-process backend
    redis_prefix: str = "helpline"  # keys and channels, so one Redis can serve several installs
    secret_key: SecretStr | None = None

    telegram_token: SecretStr | None = None
    telegram_api_base: str = "https://api.telegram.org"
    telegram_mode: Literal["polling", "webhook"] = "polling"
    telegram_webhook_secret: SecretStr | None = None
    public_url: str | None = None

    nlu_backend: Literal["builtin", "rasa"] = "builtin"
    rasa_url: str | None = None
    nlu_timeout_seconds: float = Field(default=2.0, gt=0)

    flows_dir: Path | None = None  # unset: the shipped default flows
    high_risk_alert_seconds: int = 60
    session_idle_minutes: int = 30
    # Telegram allows about one message a second to a chat and thirty a second overall.
    telegram_per_chat_interval: float = 1.0
    telegram_global_per_second: int = 25

    @field_validator("redis_url", "rasa_url", "public_url", mode="before")
    @classmethod
    def _empty_is_unset(cls, value):
        return value or None

    @field_validator("telegram_token", "telegram_webhook_secret", "secret_key", mode="before")
    @classmethod
    def _empty_secret_is_unset(cls, value):
        return value or None

    @model_validator(mode="after")
    def _refuse_unsafe(self) -> Settings:
        secret = self.secret_key.get_secret_value() if self.secret_key else ""
        if self.secret_key is not None and len(secret) < 32:
            raise ValueError("HELPLINE_SECRET_KEY must be at least 32 characters")
        placeholder = any(marker in secret.lower() for marker in PLACEHOLDER_MARKERS)
        if self.env == "production" and (not secret or placeholder):
            raise ValueError("production needs a real HELPLINE_SECRET_KEY")
        webhook = self.telegram_token and self.telegram_mode == "webhook"
        if webhook and not self.telegram_webhook_secret:
            raise ValueError("webhook mode needs HELPLINE_TELEGRAM_WEBHOOK_SECRET")
        if self.nlu_backend == "rasa" and not self.rasa_url:
            raise ValueError("HELPLINE_NLU_BACKEND=rasa needs HELPLINE_RASA_URL")
        return self

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'helpline.sqlite3').resolve()}"

    def secret(self) -> str:
        if self.secret_key is None:
            raise RuntimeError("no HELPLINE_SECRET_KEY: run `helpline serve` or set one")
        return self.secret_key.get_secret_value()
