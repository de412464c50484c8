"""Access control, tried on EVERY staff API route: without a session, without the CSRF token,
with the wrong role and as the wrong counsellor. A refused look at a chat is audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from escalation.api import build_api_router
from store.models import AuditEntry, Conversation, Note
from tests.escalation.conftest import HIGH_RISK, Staff, child_writes

CLOSE_FORM = {
    "category": "psychological",
    "gender": "male",
    "age_band": "11-14",
    "outcome": "counselled",
}

# (method, path, body). {mine}: claimed by aysel. Every route of the API is listed here.
ROUTES = [
    ("POST", "/api/auth/login", None),
    ("POST", "/api/auth/logout", {}),
    ("GET", "/api/me", None),
    ("POST", "/api/shift", {"on_shift": True}),
    ("GET", "/api/queue", None),
    ("GET", "/api/conversations", None),
    ("GET", "/api/conversations/{mine}", None),
    ("GET", "/api/conversations/{mine}/messages/1/attachment", None),
    ("POST", "/api/conversations/{mine}/claim", {}),
    ("POST", "/api/conversations/{mine}/messages", {"text": "hello"}),
    ("POST", "/api/conversations/{mine}/transfer", {"to": "queue", "note": "n"}),
    ("POST", "/api/conversations/{mine}/close", CLOSE_FORM),
    ("POST", "/api/conversations/{mine}/notes", {"text": "a note"}),
    ("POST", "/api/conversations/{mine}/feedback", {"message_id": 1, "risk_level": "low"}),
    ("POST", "/api/conversations/{mine}/reassign", {"to": "murad"}),
    ("GET", "/api/canned-replies", None),
    ("GET", "/api/taxonomy", None),
    ("GET", "/api/events", None),
]
PUBLIC = {"/api/auth/login"}
ANY_SIGNED_IN = {"/api/me", "/api/auth/logout"}
CONVERSATION_ROUTES = [route for route in ROUTES if "{mine}" in route[1]]


@pytest.fixture
async def world(container, staff):
    aysel = await staff("aysel")
    murad = await staff("murad")
    eldar = await staff("eldar", role="editor")
    admin = await staff("root", role="admin")
    boss = await staff("boss", role="supervisor")
    mine = await child_writes(container, "child-1", HIGH_RISK["en"])
    assert (await aysel.post(f"/api/conversations/{mine}/claim")).status_code == 200
    return {
        "aysel": aysel,
        "murad": murad,
        "eldar": eldar,
        "root": admin,
        "boss": boss,
        "mine": mine,
    }


async def call(member: Staff, method: str, path: str, body, *, csrf: bool = True, mine: str = ""):
    path = path.format(mine=mine)
    if method == "GET":
        return await member.get(path)
    return await member.post(path, body, csrf=csrf)


def test_every_api_route_is_in_the_access_table(container):
    router = build_api_router(container)
    served = {(method, route.path) for route in router.routes for method in route.methods}
    listed = {
        (method, path.replace("{mine}", "{conversation_id}").replace("/1/", "/{message_id}/"))
        for method, path, _ in ROUTES
    }
    assert served == listed


async def test_no_session_is_401_everywhere(app, world):
    anonymous = Staff(app, "nobody")
    try:
        for method, path, body in ROUTES:
            if path in PUBLIC:
                continue
            response = await call(anonymous, method, path, body, mine=world["mine"])
            assert response.status_code == 401, (method, path)
    finally:
        await anonymous.close()


async def test_missing_or_wrong_csrf_token_is_403_on_every_change(world, container):
    aysel = world["aysel"]
    for method, path, body in ROUTES:
        if method != "POST" or path in PUBLIC:
            continue
        response = await call(aysel, method, path, body, csrf=False, mine=world["mine"])
        assert response.status_code == 403, (method, path)
        aysel_csrf, aysel.csrf = aysel.csrf, world["murad"].csrf  # another session's token
        response = await call(aysel, method, path, body, mine=world["mine"])
        aysel.csrf = aysel_csrf
        assert response.status_code == 403, (method, path)
    async with container.sessions() as session:
        conversation = await session.get(Conversation, world["mine"])
        assert conversation.status == "counsellor"  # nothing happened
        assert (await session.execute(select(Note))).first() is None


@pytest.mark.parametrize("role_user", ["eldar", "root"])
async def test_editors_and_admins_cannot_touch_chats(world, role_user):
    member = world[role_user]
    for method, path, body in ROUTES:
        if path in PUBLIC or path in ANY_SIGNED_IN:
            continue
        response = await call(member, method, path, body, mine=world["mine"])
        assert response.status_code == 403, (method, path)
    assert (await member.get("/api/me")).json()["role"] in ("editor", "admin")


async def test_the_wrong_counsellor_sees_no_chat_and_is_audited(world, container):
    murad, mine = world["murad"], world["mine"]
    expected = {"claim": 409, "reassign": 403}
    for method, path, body in CONVERSATION_ROUTES:
        response = await call(murad, method, path, body, mine=mine)
        action = path.rsplit("/", 1)[-1]
        assert response.status_code == expected.get(action, 404), (method, path, response.text)
    async with container.sessions() as session:
        denied = (
            (
                await session.execute(
                    select(AuditEntry.detail).where(
                        AuditEntry.action == "access_denied",
                        AuditEntry.user_id != None,  # noqa: E711
                    )
                )
            )
            .scalars()
            .all()
        )
        conversation = await session.get(Conversation, mine)
    attempted = {detail["attempted"] for detail in denied}
    assert {"read", "attachment", "send", "transfer", "close", "note", "feedback"} <= attempted
    assert conversation.status == "counsellor"


async def test_the_wrong_counsellor_does_not_see_it_in_their_list(world):
    listed = (await world["murad"].get("/api/conversations")).json()["items"]
    assert listed == []
    mine = (await world["aysel"].get("/api/conversations")).json()["items"]
    assert [item["id"] for item in mine] == [world["mine"]]
    everyone = (await world["boss"].get("/api/conversations")).json()["items"]
    assert everyone[0]["assigned_to"] == "aysel"
    assert everyone[0]["assigned_seconds"] is not None


async def test_a_supervisor_reads_every_chat_but_writes_only_in_their_own(world):
    boss, mine = world["boss"], world["mine"]
    assert (await boss.get(f"/api/conversations/{mine}")).status_code == 200
    response = await boss.post(f"/api/conversations/{mine}/messages", {"text": "hi"})
    assert response.status_code == 409  # a read-only monitor until reassigned to them


async def test_a_counsellor_may_read_a_waiting_chat_before_claiming(world, container):
    waiting = await child_writes(container, "child-2", HIGH_RISK["ru"])
    response = await world["murad"].get(f"/api/conversations/{waiting}")
    assert response.status_code == 200
    # ...but not write in it, note on it or close it before claiming.
    assert (
        await world["murad"].post(f"/api/conversations/{waiting}/messages", {"text": "x"})
    ).status_code == 409
    assert (
        await world["murad"].post(f"/api/conversations/{waiting}/notes", {"text": "x"})
    ).status_code == 409
    assert (
        await world["murad"].post(f"/api/conversations/{waiting}/close", CLOSE_FORM)
    ).status_code == 409


async def test_sign_in_and_out_over_http(app, container, staff):
    aysel = await staff("aysel")
    me = (await aysel.get("/api/me")).json()
    assert (me["username"], me["role"], me["csrf_token"]) == ("aysel", "counsellor", aysel.csrf)
    response = await aysel.post("/api/auth/logout")
    assert response.status_code == 200
    assert "helpline_staff" in response.headers["set-cookie"]
    assert (await aysel.get("/api/me")).status_code == 401


async def test_login_cookie_flags_wrong_password_and_rate_limit(app, container):
    from tests.escalation.conftest import PASSWORD, add_user

    await add_user(container.sessions, "aysel")
    guest = Staff(app, "aysel")
    try:
        ok = await guest.client.post(
            "/api/auth/login", json={"username": "aysel", "password": PASSWORD}
        )
        cookie = ok.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie and "path=/" in cookie
        for _ in range(5):
            bad = await guest.client.post(
                "/api/auth/login", json={"username": "aysel", "password": "nope"}
            )
            assert bad.status_code == 401
        limited = await guest.client.post(
            "/api/auth/login", json={"username": "aysel", "password": PASSWORD}
        )
        assert limited.status_code == 429
        assert int(limited.headers["retry-after"]) > 0
    finally:
        await guest.close()
