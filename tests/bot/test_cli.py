"""The `helpline` command line, run as a user would (a subprocess with the installed entry point)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
HELPLINE = str(Path(sys.executable).parent / "helpline")


def run(args, tmp_path, stdin: str | None = None):
    env = {
        **os.environ,
        "HELPLINE_DATA_DIR": str(tmp_path),
        "HELPLINE_DATABASE_URL": "",
        "HELPLINE_SECRET_KEY": "",
        "HELPLINE_TELEGRAM_TOKEN": "",
    }
    return subprocess.run(
        [HELPLINE, *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )


def test_user_add_reads_the_password_from_stdin_and_refuses_duplicates(tmp_path):
    first = run(["user", "add", "aysel", "--role", "counsellor"], tmp_path, "a-long-password\n")
    assert first.returncode == 0, first.stderr
    again = run(["user", "add", "aysel", "--role", "counsellor"], tmp_path, "a-long-password\n")
    assert again.returncode == 1 and "already exists" in again.stderr
    weak = run(["user", "add", "nigar", "--role", "supervisor"], tmp_path, "short\n")
    assert weak.returncode == 1


def test_user_add_refuses_an_unknown_role(tmp_path):
    result = run(["user", "add", "x", "--role", "king"], tmp_path, "a-long-password\n")
    assert result.returncode != 0


def test_migrate_then_export_feedback_writes_rasa_data(tmp_path):
    assert run(["migrate"], tmp_path).returncode == 0
    result = run(["nlu", "export-feedback"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert yaml.safe_load(result.stdout)["version"] == "3.1"


def test_development_secret_is_generated_once_and_private(tmp_path):
    run(["migrate"], tmp_path)
    secret = tmp_path / "secret_key"
    assert secret.exists() and len(secret.read_text().strip()) >= 32
    assert secret.stat().st_mode & 0o077 == 0
    first = secret.read_text()
    run(["migrate"], tmp_path)
    assert secret.read_text() == first


def test_production_refuses_to_start_without_a_real_secret(tmp_path):
    env_result = subprocess.run(
        [HELPLINE, "migrate"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={
            **os.environ,
            "HELPLINE_ENV": "production",
            "HELPLINE_SECRET_KEY": "",
            "HELPLINE_DATA_DIR": str(tmp_path),
        },
        timeout=60,
    )
    assert env_result.returncode != 0
    assert not (tmp_path / "secret_key").exists()


def test_user_totp_enables_a_second_factor_the_console_then_requires(tmp_path):
    import asyncio
    from datetime import UTC, datetime
    from urllib.parse import parse_qs, urlparse

    import pyotp

    from escalation.auth import LoginFailed, StaffAuth
    from store.backends import MemoryBackend
    from store.crypto import FieldCipher
    from store.db import create_engine, session_factory

    added = run(["user", "add", "leyla", "--role", "supervisor"], tmp_path, "a-long-password\n")
    assert added.returncode == 0, added.stderr
    missing = run(["user", "totp", "nobody"], tmp_path)
    assert missing.returncode == 1 and "nobody" in missing.stderr
    enabled = run(["user", "totp", "leyla"], tmp_path)
    assert enabled.returncode == 0, enabled.stderr
    uri = next(line for line in enabled.stdout.splitlines() if line.startswith("otpauth://"))
    secret = parse_qs(urlparse(uri).query)["secret"][0]

    async def sign_in(otp):
        engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'helpline.sqlite3'}")
        auth = StaffAuth(
            sessions=session_factory(engine),
            backend=MemoryBackend(),
            clock=lambda: datetime.now(UTC),
            cipher=FieldCipher((tmp_path / "secret_key").read_text().strip()),
        )
        try:
            return await auth.login("leyla", "a-long-password", otp)
        finally:
            await engine.dispose()

    try:
        asyncio.run(sign_in(None))
        raise AssertionError("signed in without the second factor")
    except LoginFailed:
        pass
    assert asyncio.run(sign_in(pyotp.TOTP(secret).now()))
