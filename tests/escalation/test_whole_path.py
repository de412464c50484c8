"""The whole path: a high-risk child message in each language → top of the queue → claim →
reply committed for the child → close with the case form → a Case recorded."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from store.models import Case, Conversation, OutboxMessage
from tests.escalation.conftest import HIGH_RISK, child_writes


@pytest.mark.parametrize("language", ["az", "ru", "en"])
async def test_high_risk_child_reaches_a_counsellor_and_the_case_is_recorded(
    container, staff, clock, language
):
    counsellor = await staff("aysel")
    calm = await child_writes(container, "calm-child", "salam")
    await child_writes(container, "calm-child", "menim bir sualim var, insanla danismaq isteyirem")
    clock.advance(120)
    urgent = await child_writes(container, f"child-{language}", HIGH_RISK[language])

    queue = (await counsellor.get("/api/queue")).json()["items"]
    assert queue[0]["id"] == urgent
    assert queue[0]["risk_level"] in ("high", "imminent")
    assert queue[0]["position"] == 1
    assert queue[0]["first_words"]
    assert calm not in [item["id"] for item in queue[:1]]

    assert (await counsellor.post(f"/api/conversations/{urgent}/claim")).status_code == 200
    assert urgent not in [
        item["id"] for item in (await counsellor.get("/api/queue")).json()["items"]
    ]

    reply = await counsellor.post(
        f"/api/conversations/{urgent}/messages", {"text": "I am here with you."}
    )
    assert reply.status_code == 200, reply.text
    async with container.sessions() as session:
        rows = (
            (
                await session.execute(
                    select(OutboxMessage).where(OutboxMessage.conversation_id == urgent)
                )
            )
            .scalars()
            .all()
        )
    payloads = [container.cipher.decrypt_json(row.payload_enc) for row in rows]
    relayed = [p for p in payloads if p["sender"] == "counsellor"]
    assert [p["text"] for p in relayed] == ["I am here with you."]
    assert relayed[0]["protect_content"] is True

    transcript = (await counsellor.get(f"/api/conversations/{urgent}")).json()
    child_messages = [m for m in transcript["messages"] if m["sender"] == "child"]
    assert child_messages[0]["text"] == HIGH_RISK[language]
    assert child_messages[0]["analysis"]["risk"]["reasons"]
    assert transcript["messages"][-1]["sender"] == "counsellor"

    closed = await counsellor.post(
        f"/api/conversations/{urgent}/close",
        {
            "category": "social",
            "subcategory": "suicidal_thoughts",
            "gender": "female",
            "age": 15,
            "outcome": "counselled",
            "referral": None,
        },
    )
    assert closed.status_code == 200, closed.text
    async with container.sessions() as session:
        case = await session.scalar(select(Case).where(Case.conversation_id == urgent))
        conversation = await session.get(Conversation, urgent)
    assert conversation.status == "closed"
    assert (case.category, case.subcategory, case.age, case.age_band) == (
        "social",
        "suicidal_thoughts",
        15,
        "15-18",
    )
    assert case.source == "console" and case.channel == "webchat"
    assert case.risk_level in ("high", "imminent")
