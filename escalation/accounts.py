"""Staff accounts: roles and argon2 password hashes."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from escalation.staff import ROLES
from store.models import User

MIN_PASSWORD_CHARS = 10
_hasher = PasswordHasher()


class AccountError(ValueError):
    pass


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


async def create_user(session: AsyncSession, username: str, password: str, role: str) -> User:
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}")
    if len(password) < MIN_PASSWORD_CHARS:
        raise AccountError(f"the password needs at least {MIN_PASSWORD_CHARS} characters")
    username = username.strip()
    if not username or len(username) > 64:
        raise AccountError("the username must be 1 to 64 characters")
    existing = await session.scalar(select(User).where(User.username == username))
    if existing is not None:
        raise AccountError(f"user {username!r} already exists")
    user = User(username=username, password_hash=hash_password(password), role=role)
    session.add(user)
    await session.flush()
    return user


def new_totp_secret() -> str:
    import pyotp

    return pyotp.random_base32()


async def enable_totp(session: AsyncSession, cipher, username: str) -> str:
    """Give a user a TOTP second factor; returns the otpauth:// URI to show once as a QR code."""
    import pyotp

    user = await session.scalar(select(User).where(User.username == username))
    if user is None:
        raise AccountError(f"no user {username!r}")
    secret = new_totp_secret()
    user.totp_secret_enc = cipher.encrypt(secret)
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name="helpline 116111")
