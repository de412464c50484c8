"""Counsellors' corrections of the bot as training examples (`helpline nlu export-feedback`).

Each correction gives up to two examples of the child's text: its topic, as the intent
`category__subcategory` (or `category`) as in nlu/data, and its risk, as `risk_<level>` as in
nlu/data/risk.yml. The caller writes them with nlu.rasa_format.to_rasa_yaml. Texts are
decrypted only into the returned list: the export file must be handled as confidential.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from store.crypto import FieldCipher
from store.models import NluFeedback


def intent_of(category: str, subcategory: str | None) -> str:
    return f"{category}__{subcategory}" if subcategory else category


async def export_feedback(
    sessions: async_sessionmaker, cipher: FieldCipher, *, include_risk: bool = True
) -> list[tuple[str, str]]:
    """[(intent, text)] in the order the corrections were made."""
    async with sessions() as session:
        rows = (await session.execute(select(NluFeedback).order_by(NluFeedback.id))).scalars()
        examples = []
        for row in rows:
            text = cipher.decrypt(row.text_enc)
            if not text or not text.strip():
                continue
            if row.category:
                examples.append((intent_of(row.category, row.subcategory), text))
            if include_risk and row.risk_level:
                examples.append((f"risk_{row.risk_level}", text))
    return examples
