"""Close with the case form, transfer, reassign, notes, corrections, shift, canned replies, the
audit of transcript reads, and a child who keeps writing while waiting."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from escalation.feedback_export import export_feedback
from store.models import AuditEntry, Case, Conversation, Message, NluFeedback, Note
from tests.escalation.conftest import HIGH_RISK, child_writes

FORM = {
    "category": "violence",
    "subcategory": "domestic",
    "gender": "female",
    "age_band": "11-14",
    "outcome": "referred",
    "referral": None,
}


@pytest.fixture
async def claimed(container, staff):
    aysel = await staff("aysel")
    conversation_id = await child_writes(container, "child-1", HIGH_RISK["az"])
    assert (await aysel.post(f"/api/conversations/{conversation_id}/claim")).status_code == 200
    return aysel, conversation_id


async def cases(container) -> list[Case]:
    async with container.sessions() as session:
        return list((await session.execute(select(Case))).scalars())


@pytest.mark.parametrize(
    "change,field",
    [
        ({"category": "aliens"}, "category"),
        ({"subcategory": "shelter"}, "subcategory"),  # shelter is social's, not violence's
        ({"gender": "unknown"}, "gender"),
        ({"age_band": "19-25"}, "age_band"),
        ({"age": 9, "age_band": "15-18"}, "age_band"),
        ({"age": -1}, "age"),
        ({"outcome": "vanished"}, "outcome"),
        ({"referral": {"agency": "", "consent": True}}, "referral.agency"),
        ({"category": None}, "category"),
    ],
)
async def test_close_refuses_unknown_taxonomy_ids_naming_the_field(
    claimed, container, change, field
):
    aysel, conversation_id = claimed
    response = await aysel.post(f"/api/conversations/{conversation_id}/close", {**FORM, **change})
    assert response.status_code == 422
    locations = [
        ".".join(str(part) for part in error["loc"][1:]) for error in response.json()["detail"]
    ]
    assert field in locations
    assert await cases(container) == []


async def test_age_gives_the_band(claimed, container):
    aysel, conversation_id = claimed
    form = {**FORM, "age": 10, "age_band": None}
    assert (
        await aysel.post(f"/api/conversations/{conversation_id}/close", form)
    ).status_code == 200
    (case,) = await cases(container)
    assert (case.age, case.age_band) == (10, "0-10")


async def test_referral_with_consent_is_recorded(claimed, container):
    aysel, conversation_id = claimed
    referral = {"agency": "Police (102)", "consent": True, "override_reason": None}
    response = await aysel.post(
        f"/api/conversations/{conversation_id}/close", {**FORM, "referral": referral}
    )
    assert response.status_code == 200, response.text
    (case,) = await cases(container)
    assert (case.referral_agency, case.referral_consent, case.referral_override_by) == (
        "Police (102)",
        True,
        None,
    )


async def test_referral_without_consent_is_refused_to_a_counsellor(claimed, container):
    aysel, conversation_id = claimed
    url = f"/api/conversations/{conversation_id}/close"
    no_reason = {"agency": "Police (102)", "consent": False}
    response = await aysel.post(url, {**FORM, "referral": no_reason})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "referral", "override_reason"]
    with_reason = {**no_reason, "override_reason": "the child is in danger tonight"}
    assert (await aysel.post(url, {**FORM, "referral": with_reason})).status_code == 403
    assert await cases(container) == []


async def test_a_supervisors_documented_override_is_recorded(claimed, container, staff):
    _, conversation_id = claimed
    boss = await staff("boss", role="supervisor")
    referral = {"agency": "Police (102)", "consent": False, "override_reason": "imminent danger"}
    response = await boss.post(
        f"/api/conversations/{conversation_id}/close", {**FORM, "referral": referral}
    )
    assert response.status_code == 200, response.text
    (case,) = await cases(container)
    assert case.referral_consent is False
    assert case.referral_override_reason == "imminent danger"
    async with container.sessions() as session:
        boss_id = (
            await session.execute(select(AuditEntry.user_id).where(AuditEntry.action == "close"))
        ).scalar_one()
        entry = (
            await session.execute(select(AuditEntry).where(AuditEntry.action == "close"))
        ).scalar_one()
    assert case.referral_override_by == boss_id == case.closed_by
    assert entry.detail["referral_override"] is True


async def test_closing_twice_is_a_conflict(claimed, container):
    aysel, conversation_id = claimed
    url = f"/api/conversations/{conversation_id}/close"
    assert (await aysel.post(url, FORM)).status_code == 200
    assert (await aysel.post(url, FORM)).status_code == 409
    assert len(await cases(container)) == 1


async def test_every_transcript_read_is_audited(claimed, container, staff):
    aysel, conversation_id = claimed
    boss = await staff("boss", role="supervisor")
    for member in (aysel, aysel, boss):
        assert (await member.get(f"/api/conversations/{conversation_id}")).status_code == 200
    async with container.sessions() as session:
        reads = (
            (
                await session.execute(
                    select(AuditEntry)
                    .where(AuditEntry.action == "read_transcript")
                    .order_by(AuditEntry.id)
                )
            )
            .scalars()
            .all()
        )
    assert len(reads) == 3
    assert {entry.conversation_id for entry in reads} == {conversation_id}
    assert all(entry.detail == {} for entry in reads)  # never the text


async def test_transfer_back_to_the_queue_keeps_its_place_and_the_note(claimed, container):
    aysel, conversation_id = claimed
    response = await aysel.post(
        f"/api/conversations/{conversation_id}/transfer",
        {"to": "queue", "note": "needs a Russian speaker"},
    )
    assert response.status_code == 200, response.text
    queue = (await aysel.get("/api/queue")).json()["items"]
    assert [item["id"] for item in queue] == [conversation_id]
    detail = (await aysel.get(f"/api/conversations/{conversation_id}")).json()
    assert detail["status"] == "waiting" and detail["assigned_to"] is None
    assert [note["text"] for note in detail["notes"]] == ["needs a Russian speaker"]
    async with container.sessions() as session:
        note = (await session.execute(select(Note))).scalar_one()
    assert b"Russian" not in note.text_enc  # encrypted at rest


async def test_transfer_to_a_colleague(claimed, container, staff):
    aysel, conversation_id = claimed
    murad = await staff("murad")
    url = f"/api/conversations/{conversation_id}/transfer"
    assert (await aysel.post(url, {"to": "nobody-here"})).status_code == 422
    assert (await aysel.post(url, {"to": "murad", "note": "over to you"})).status_code == 200
    assert (await aysel.get(f"/api/conversations/{conversation_id}")).status_code == 404
    detail = (await murad.get(f"/api/conversations/{conversation_id}")).json()
    assert detail["assigned_to"] == "murad"
    assert (
        await murad.post(f"/api/conversations/{conversation_id}/messages", {"text": "Salam"})
    ).status_code == 200


async def test_supervisor_reassigns_a_waiting_or_taken_chat(claimed, container, staff):
    aysel, conversation_id = claimed
    boss = await staff("boss", role="supervisor")
    murad = await staff("murad")
    url = f"/api/conversations/{conversation_id}/reassign"
    assert (await boss.post(url, {"to": "murad"})).status_code == 200
    assert (await murad.get(f"/api/conversations/{conversation_id}")).json()[
        "assigned_to"
    ] == "murad"
    waiting = await child_writes(container, "child-2", HIGH_RISK["en"])
    assert (
        await boss.post(f"/api/conversations/{waiting}/reassign", {"to": "aysel"})
    ).status_code == 200
    assert (await aysel.get("/api/queue")).json()["items"] == []


async def test_feedback_stores_a_labelled_example_and_exports_it(claimed, container):
    aysel, conversation_id = claimed
    detail = (await aysel.get(f"/api/conversations/{conversation_id}")).json()
    child_message = next(m for m in detail["messages"] if m["sender"] == "child")
    body = {
        "message_id": child_message["id"],
        "category": "violence",
        "subcategory": "bullying",
        "risk_level": "medium",
    }
    response = await aysel.post(f"/api/conversations/{conversation_id}/feedback", body)
    assert response.status_code == 200, response.text
    bad = await aysel.post(
        f"/api/conversations/{conversation_id}/feedback", {**body, "category": "aliens"}
    )
    assert bad.status_code == 422
    async with container.sessions() as session:
        row = (await session.execute(select(NluFeedback))).scalar_one()
    assert row.predicted_risk in ("high", "imminent")
    assert HIGH_RISK["az"].encode() not in row.text_enc
    examples = await export_feedback(container.sessions, container.cipher)
    assert examples == [("violence__bullying", HIGH_RISK["az"]), ("risk_medium", HIGH_RISK["az"])]


async def test_feedback_on_a_message_of_another_conversation_is_404(claimed, container):
    aysel, conversation_id = claimed
    other = await child_writes(container, "child-2", "salam")
    async with container.sessions() as session:
        message_id = (
            (await session.execute(select(Message.id).where(Message.conversation_id == other)))
            .scalars()
            .first()
        )
    body = {"message_id": message_id, "category": "legal"}
    assert (
        await aysel.post(f"/api/conversations/{conversation_id}/feedback", body)
    ).status_code == 404


async def test_shift_toggle_counts_counsellors_on_shift(container, staff):
    aysel = await staff("aysel")
    assert (await aysel.get("/api/me")).json()["on_shift"] is False
    response = await aysel.post("/api/shift", {"on_shift": True})
    assert response.json() == {"on_shift": True, "counsellors_on_shift": 1}
    assert (await aysel.get("/api/me")).json()["on_shift"] is True
    async with container.sessions() as session:
        assert await container.queue.counsellors_on_shift(session) == 1


@pytest.mark.parametrize("language", ["az", "ru", "en"])
async def test_canned_replies_per_language(container, staff, language):
    aysel = await staff("aysel")
    replies = (await aysel.get(f"/api/canned-replies?language={language}")).json()["replies"]
    assert list(replies) == [language]
    assert 8 <= len(replies[language]) <= 10
    assert (await aysel.get("/api/canned-replies?language=tr")).status_code == 422


async def test_fifty_messages_while_waiting_one_queue_entry_all_kept_in_order(container, staff):
    aysel = await staff("aysel")
    conversation_id = await child_writes(container, "child-1", HIGH_RISK["en"])
    texts = [f"message number {number}" for number in range(50)]
    for text in texts:
        assert await child_writes(container, "child-1", text) == conversation_id
    queue = (await aysel.get("/api/queue")).json()["items"]
    assert [item["id"] for item in queue] == [conversation_id]
    assert await container.queue.ordered_ids() == [conversation_id]
    transcript = (await aysel.get(f"/api/conversations/{conversation_id}")).json()["messages"]
    child = [m["text"] for m in transcript if m["sender"] == "child"]
    assert child == [HIGH_RISK["en"], *texts]
    async with container.sessions() as session:
        conversation = await session.get(Conversation, conversation_id)
    assert conversation.status == "waiting"


class FakeMedia:
    """The bot's side of attachments, faked at the seam: (channel, reference) -> bytes."""

    def __init__(self) -> None:
        self.asked = []

    async def fetch(self, channel: str, reference: str) -> tuple[bytes, str]:
        self.asked.append((channel, reference))
        return b"\x89PNG...", "image/png"


async def test_a_childs_photo_is_fetched_from_the_channel_and_audited(claimed, container):
    from bot.messages import InboundMessage

    aysel, conversation_id = claimed
    await container.core.handle(
        InboundMessage(
            channel="webchat",
            user_id="child-1",
            address="child-1",
            kind="photo",
            attachment="file-7",
        )
    )
    messages = (await aysel.get(f"/api/conversations/{conversation_id}")).json()["messages"]
    photo = next(m for m in messages if m["kind"] == "photo")
    assert photo["has_attachment"] is True
    url = f"/api/conversations/{conversation_id}/messages/{photo['id']}/attachment"
    assert (await aysel.get(url)).status_code == 404  # no channel can fetch files yet
    container.media = FakeMedia()
    response = await aysel.get(url)
    assert response.status_code == 200
    assert response.content == b"\x89PNG..." and response.headers["content-type"] == "image/png"
    assert container.media.asked == [("webchat", "file-7")]
    async with container.sessions() as session:
        actions = (await session.execute(select(AuditEntry.action))).scalars().all()
    assert actions.count("read_attachment") == 2
