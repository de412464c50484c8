"""Staff sign-in, sessions, CSRF, roles, idle timeout, rate limit, TOTP and the audit log."""

from __future__ import annotations

import httpx
import pyotp
import pytest
from fastapi import Depends, FastAPI
from sqlalchemy import select

from escalation import audit
from escalation.accounts import enable_totp
from escalation.auth import (
    COOKIE_NAME,
    FAILURES_PER_USERNAME,
    LoginFailed,
    LoginRateLimited,
    StaffAuth,
    StaffUser,
    token_digest,
)
from store.models import AuditEntry, StaffSession, User
from tests.escalation.conftest import PASSWORD, add_user


def tiny_app(auth: StaffAuth) -> FastAPI:
    app = FastAPI()

    @app.get("/me")
    async def me(user: StaffUser = Depends(auth.current_user)):
        return {"id": user.id, "username": user.username, "role": user.role}

    @app.post("/change", dependencies=[Depends(auth.require_csrf)])
    async def change():
        return {"ok": True}

    @app.get("/supervise")
    async def supervise(user: StaffUser = Depends(auth.require_roles("supervisor", "admin"))):
        return {"ok": True}

    return app


def client_for(app: FastAPI, cookie: str | None = None) -> httpx.AsyncClient:
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")
    if cookie:
        client.cookies.set(COOKIE_NAME, cookie)
    return client


async def test_login_gives_a_session_that_is_stored_only_as_a_digest(auth, sessions):
    user_id = await add_user(sessions, "aysel")
    cookie, csrf = await auth.login("aysel", PASSWORD)
    async with sessions() as session:
        row = await session.get(StaffSession, token_digest(cookie))
        assert row is not None and row.user_id == user_id and row.csrf_token == csrf
        assert await session.get(StaffSession, cookie) is None
    async with client_for(tiny_app(auth), cookie) as client:
        response = await client.get("/me")
    assert response.json() == {"id": user_id, "username": "aysel", "role": "counsellor"}


@pytest.mark.parametrize("username,password", [("aysel", "wrong password!"), ("nobody", PASSWORD)])
async def test_wrong_username_or_password_fails_the_same_way(auth, sessions, username, password):
    await add_user(sessions, "aysel")
    with pytest.raises(LoginFailed):
        await auth.login(username, password)


async def test_inactive_user_cannot_sign_in(auth, sessions):
    await add_user(sessions, "gone", active=False)
    with pytest.raises(LoginFailed):
        await auth.login("gone", PASSWORD)


async def test_no_cookie_or_unknown_cookie_is_401(auth, sessions):
    async with client_for(tiny_app(auth)) as client:
        assert (await client.get("/me")).status_code == 401
        assert (await client.post("/change")).status_code == 401
    async with client_for(tiny_app(auth), "forged-token") as client:
        assert (await client.get("/me")).status_code == 401


async def test_csrf_token_is_required_and_must_match(auth, sessions):
    await add_user(sessions, "aysel")
    cookie, csrf = await auth.login("aysel", PASSWORD)
    async with client_for(tiny_app(auth), cookie) as client:
        assert (await client.post("/change")).status_code == 403
        assert (await client.post("/change", headers={"X-CSRF-Token": "x" * 43})).status_code == 403
        assert (await client.post("/change", headers={"X-CSRF-Token": csrf})).status_code == 200


async def test_other_sessions_csrf_token_does_not_work(auth, sessions):
    await add_user(sessions, "aysel")
    cookie, _ = await auth.login("aysel", PASSWORD)
    _, other_csrf = await auth.login("aysel", PASSWORD)
    async with client_for(tiny_app(auth), cookie) as client:
        response = await client.post("/change", headers={"X-CSRF-Token": other_csrf})
    assert response.status_code == 403


async def test_roles_are_enforced(auth, sessions):
    await add_user(sessions, "aysel")
    await add_user(sessions, "boss", role="supervisor")
    counsellor, _ = await auth.login("aysel", PASSWORD)
    supervisor, _ = await auth.login("boss", PASSWORD)
    async with client_for(tiny_app(auth), counsellor) as client:
        assert (await client.get("/supervise")).status_code == 403
    async with client_for(tiny_app(auth), supervisor) as client:
        assert (await client.get("/supervise")).status_code == 200


async def test_idle_session_expires_after_30_minutes_and_activity_keeps_it(auth, sessions, clock):
    await add_user(sessions, "aysel")
    cookie, _ = await auth.login("aysel", PASSWORD)
    async with client_for(tiny_app(auth), cookie) as client:
        for _ in range(3):  # 3 x 25 minutes of activity: still signed in
            clock.advance(25 * 60)
            assert (await client.get("/me")).status_code == 200
        clock.advance(30 * 60 + 1)
        assert (await client.get("/me")).status_code == 401
    async with sessions() as session:
        assert await session.get(StaffSession, token_digest(cookie)) is None


async def test_logout_ends_the_session_and_the_shift(auth, sessions):
    user_id = await add_user(sessions, "aysel", on_shift=True)
    cookie, _ = await auth.login("aysel", PASSWORD)
    await auth.logout(cookie)
    async with client_for(tiny_app(auth), cookie) as client:
        assert (await client.get("/me")).status_code == 401
    async with sessions() as session:
        assert (await session.get(User, user_id)).on_shift is False


async def test_failed_logins_are_rate_limited_per_username(auth, sessions):
    await add_user(sessions, "aysel")
    for _ in range(FAILURES_PER_USERNAME):
        with pytest.raises(LoginFailed):
            await auth.login("aysel", "wrong password!")
    with pytest.raises(LoginRateLimited):
        await auth.login("aysel", PASSWORD)  # even the right password: no more guessing


async def test_a_success_clears_the_failure_count(auth, sessions):
    await add_user(sessions, "aysel")
    for _ in range(3):
        for _ in range(FAILURES_PER_USERNAME - 1):
            with pytest.raises(LoginFailed):
                await auth.login("aysel", "wrong password!")
        await auth.login("aysel", PASSWORD)


async def test_failed_logins_are_rate_limited_per_client(auth, sessions):
    for number in range(5):
        await add_user(sessions, f"user{number}")
    for attempt in range(20):  # 4 per username: under the username limit, at the client limit
        with pytest.raises(LoginFailed):
            await auth.login(f"user{attempt % 5}", "wrong password!", client="10.0.0.9")
    with pytest.raises(LoginRateLimited):
        await auth.login("guess-more", "wrong password!", client="10.0.0.9")
    with pytest.raises(LoginFailed):  # another client is not blocked
        await auth.login("guess-more", "wrong password!", client="10.0.0.10")


async def test_totp_second_factor(auth, sessions, cipher, clock):
    await add_user(sessions, "aysel")
    async with sessions() as session, session.begin():
        uri = await enable_totp(session, cipher, "aysel")
    totp = pyotp.parse_uri(uri)
    with pytest.raises(LoginFailed):
        await auth.login("aysel", PASSWORD)
    with pytest.raises(LoginFailed):
        await auth.login("aysel", PASSWORD, "000000" if totp.at(clock()) != "000000" else "111111")
    cookie, _ = await auth.login("aysel", PASSWORD, totp.at(clock()))
    assert cookie


async def test_logins_are_audited_without_secrets(auth, sessions):
    user_id = await add_user(sessions, "aysel")
    with pytest.raises(LoginFailed):
        await auth.login("aysel", "wrong password!")
    await auth.login("aysel", PASSWORD)
    async with sessions() as session:
        rows = (await session.execute(select(AuditEntry).order_by(AuditEntry.id))).scalars().all()
    assert [(row.action, row.user_id) for row in rows] == [
        ("login_failed", user_id),
        ("login", user_id),
    ]
    assert all("password" not in str(row.detail) for row in rows)


async def test_audit_log_is_append_only(sessions):
    async with sessions() as session, session.begin():
        entry = await audit.record(session, user_id=None, action="read_transcript")
        await session.flush()
        entry_id = entry.id
    async with sessions() as session:
        entry = await session.get(AuditEntry, entry_id)
        entry.action = "nothing to see"
        with pytest.raises(audit.AuditLogIsAppendOnly):
            await session.commit()
    async with sessions() as session:
        entry = await session.get(AuditEntry, entry_id)
        await session.delete(entry)
        with pytest.raises(audit.AuditLogIsAppendOnly):
            await session.commit()


async def test_audit_detail_never_carries_text(sessions):
    async with sessions() as session:
        with pytest.raises(ValueError):
            await audit.record(session, user_id=None, action="x", detail={"text": "secret"})
