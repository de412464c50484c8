"""Staff sign-in, sessions and the FastAPI dependencies every staff route uses.

    auth = StaffAuth(sessions=..., backend=..., clock=..., idle_minutes=30, secure_cookies=...)
    cookie, csrf = await auth.login(username, password, otp, client=ip)
    @router.post(..., dependencies=[Depends(auth.require_csrf)])
    async def route(user: StaffUser = Depends(auth.require_roles("supervisor"))): ...

The cookie holds a random token; the database holds only its SHA-256 (a stolen database copy
gives no working sessions). The cookie is HttpOnly and SameSite=Strict, Secure behind HTTPS;
state-changing requests must also echo the session's CSRF token in the X-CSRF-Token header.
A session unused for `idle_minutes` is gone. Failed sign-ins are counted per username and per
client through the backend, so the limit holds across processes.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from fastapi import Depends, HTTPException, Request, Response
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import async_sessionmaker

from escalation import audit
from escalation.accounts import hash_password, verify_password
from escalation.staff import StaffUser
from store.backends import Backend
from store.crypto import FieldCipher
from store.models import StaffSession, User

COOKIE_NAME = "helpline_staff"
CSRF_HEADER = "X-CSRF-Token"
ABSOLUTE_LIFETIME = timedelta(hours=12)
# Refresh last_seen_at at most this often: a busy console should not write on every request.
TOUCH_INTERVAL = timedelta(seconds=30)
FAILURES_PER_USERNAME = 5
FAILURES_PER_CLIENT = 20
FAILURE_WINDOW_SECONDS = 15 * 60
# Verifying against this when the username is unknown keeps both answers equally slow.
_DUMMY_HASH = hash_password("no such user, same work")


class LoginFailed(Exception):
    """Wrong username, password or one-time code (which one is not said)."""


class LoginRateLimited(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__("too many failed sign-ins")
        self.retry_after = retry_after


@dataclass(frozen=True)
class StaffSessionInfo:
    id: str
    user: StaffUser
    csrf_token: str


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class StaffAuth:
    def __init__(
        self,
        *,
        sessions: async_sessionmaker,
        backend: Backend,
        clock: Callable[[], datetime],
        idle_minutes: int = 30,
        secure_cookies: bool = False,
        cipher: FieldCipher | None = None,
    ) -> None:
        self._sessions = sessions
        self._backend = backend
        self._clock = clock
        self.idle = timedelta(minutes=idle_minutes)
        self.secure_cookies = secure_cookies
        # Needed only to read TOTP secrets; without it a user with a second factor cannot sign in.
        self._cipher = cipher
        self.current_session, self.current_user, self.require_csrf = self._dependencies()

    # -- signing in and out -----------------------------------------------------------------

    async def login(
        self, username: str, password: str, otp: str | None = None, *, client: str | None = None
    ) -> tuple[str, str]:
        """(cookie token, CSRF token); LoginFailed or LoginRateLimited otherwise."""
        username = (username or "").strip()[:64]
        keys = [f"login:user:{username.lower()}"]
        if client:
            keys.append(f"login:client:{client}")
        await self._check_rate(keys)
        async with self._sessions() as session, session.begin():
            user = await session.scalar(select(User).where(User.username == username))
            password_hash = user.password_hash if user is not None else _DUMMY_HASH
            valid = await asyncio.to_thread(verify_password, password_hash, password or "")
            valid = valid and user is not None and user.active and self._otp_ok(user, otp)
            now = self._clock()
            if not valid:
                await audit.record(
                    session,
                    user_id=user.id if user is not None else None,
                    action="login_failed",
                    at=now,
                )
        if not valid:
            raise LoginFailed()
        cookie_token = secrets.token_urlsafe(32)
        csrf_token = secrets.token_urlsafe(32)
        async with self._sessions() as session, session.begin():
            session.add(
                StaffSession(
                    id=token_digest(cookie_token),
                    user_id=user.id,
                    csrf_token=csrf_token,
                    created_at=now,
                    last_seen_at=now,
                )
            )
            row = await session.get(User, user.id)
            row.last_seen_at = now
            await audit.record(session, user_id=user.id, action="login", at=now)
        for key in keys:
            await self._backend.reset(key)
        return cookie_token, csrf_token

    async def _check_rate(self, keys: list[str]) -> None:
        # Every attempt is counted and a success resets the count, so the count is the run of
        # failures plus this attempt: the (limit + 1)th attempt after `limit` failures is refused
        # before the password is even checked.
        for key, limit in zip(keys, (FAILURES_PER_USERNAME, FAILURES_PER_CLIENT), strict=False):
            if await self._backend.hit(key, FAILURE_WINDOW_SECONDS) > limit:
                raise LoginRateLimited(FAILURE_WINDOW_SECONDS)

    def _otp_ok(self, user: User, otp: str | None) -> bool:
        if user.totp_secret_enc is None:
            return True
        if self._cipher is None or not otp:
            return False
        import pyotp

        secret = self._cipher.decrypt(user.totp_secret_enc)
        return pyotp.TOTP(secret).verify(otp.strip(), for_time=self._clock(), valid_window=1)

    async def logout(self, cookie_token: str | None) -> None:
        if not cookie_token:
            return
        async with self._sessions() as session, session.begin():
            row = await session.get(StaffSession, token_digest(cookie_token))
            if row is not None:
                await audit.record(session, user_id=row.user_id, action="logout", at=self._clock())
                # Signed out is off shift: waiting children are told honest wait times.
                await session.execute(
                    update(User).where(User.id == row.user_id).values(on_shift=False)
                )
                await session.delete(row)

    async def end_sessions_of(self, user_id: int) -> None:
        """Sign a user out everywhere (deactivated, password changed)."""
        async with self._sessions() as session, session.begin():
            await session.execute(delete(StaffSession).where(StaffSession.user_id == user_id))

    def set_cookie(self, response: Response, cookie_token: str) -> None:
        response.set_cookie(
            COOKIE_NAME,
            cookie_token,
            httponly=True,
            samesite="strict",
            secure=self.secure_cookies,
            path="/",
        )

    def clear_cookie(self, response: Response) -> None:
        response.delete_cookie(
            COOKIE_NAME, path="/", httponly=True, samesite="strict", secure=self.secure_cookies
        )

    # -- dependencies -------------------------------------------------------------------------

    def require_roles(self, *roles: str):
        allowed = frozenset(roles)

        async def require_role(user: StaffUser = Depends(self.current_user)) -> StaffUser:
            if user.role not in allowed:
                raise HTTPException(403, "not allowed for your role")
            return user

        return require_role

    def _dependencies(self):
        async def staff_session(request: Request) -> StaffSessionInfo:
            token = request.cookies.get(COOKIE_NAME)
            found = await self.session_for(token) if token else None
            if found is None:
                raise HTTPException(401, "sign in first")
            return found

        async def current_user(found: StaffSessionInfo = Depends(staff_session)) -> StaffUser:
            return found.user

        async def require_csrf(
            request: Request, found: StaffSessionInfo = Depends(staff_session)
        ) -> None:
            sent = request.headers.get(CSRF_HEADER, "")
            if not sent or not hmac.compare_digest(sent, found.csrf_token):
                raise HTTPException(403, "missing or wrong CSRF token")

        return staff_session, current_user, require_csrf

    async def session_for(
        self, cookie_token: str, *, touch: bool = True
    ) -> StaffSessionInfo | None:
        """The live session for a cookie token; None when unknown, idle or expired.

        `touch` counts this as activity; a live stream re-checking its session does not.
        """
        digest = token_digest(cookie_token)
        now = self._clock()
        async with self._sessions() as session, session.begin():
            row = (
                await session.execute(
                    select(StaffSession, User)
                    .join(User, User.id == StaffSession.user_id)
                    .where(StaffSession.id == digest)
                )
            ).one_or_none()
            if row is None:
                return None
            staff_session, user = row
            expired = (
                now - staff_session.last_seen_at > self.idle
                or now - staff_session.created_at > ABSOLUTE_LIFETIME
                or not user.active
            )
            if expired:
                await session.delete(staff_session)
                return None
            if touch and now - staff_session.last_seen_at > TOUCH_INTERVAL:
                staff_session.last_seen_at = now
            return StaffSessionInfo(
                id=digest,
                user=StaffUser(id=user.id, username=user.username, role=user.role),
                csrf_token=staff_session.csrf_token,
            )
