"""In development only: a secret generated once under var/, so `make run` needs no setup.

Losing this file makes earlier encrypted messages unreadable, which is why production must set
HELPLINE_SECRET_KEY itself (and keep it somewhere safer than the data directory).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from pydantic import SecretStr

from bot.settings import Settings


def ensure_secret(settings: Settings) -> Settings:
    if settings.secret_key is not None:
        return settings
    if settings.env != "development":
        raise RuntimeError("production refuses to start without HELPLINE_SECRET_KEY")
    path = Path(settings.data_dir) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    return settings.model_copy(update={"secret_key": SecretStr(path.read_text().strip())})
