"""Writing Rasa 3.x NLU training data (`version: "3.1"`), e.g. for `helpline nlu export-feedback`."""

from __future__ import annotations

import re
from collections.abc import Iterable

_INTENT = re.compile(r"^[A-Za-z0-9_]+$")


def to_rasa_yaml(examples: Iterable[tuple[str, str]]) -> str:
    """(intent, text) pairs → Rasa NLU YAML, intents in first-seen order, duplicates dropped.

    Texts are put on one line each (a training example is one message); characters Rasa reads
    as entity markup (`[..](..)`) are kept as they are, which is what Rasa does with plain text.
    """
    grouped: dict[str, list[str]] = {}
    for intent, text in examples:
        intent = str(intent).strip()
        if not _INTENT.match(intent):
            raise ValueError(f"invalid intent name: {intent!r}")
        line = " ".join(str(text).split())
        if not line:
            continue
        bucket = grouped.setdefault(intent, [])
        if line not in bucket:
            bucket.append(line)
    out = ['version: "3.1"', "nlu:"]
    for intent, texts in grouped.items():
        out.append(f"- intent: {intent}")
        out.append("  examples: |")
        out.extend(f"    - {t}" for t in texts)
    return "\n".join(out) + "\n"
