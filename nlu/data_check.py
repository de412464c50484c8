"""Checks on the training data: `helpline nlu check-data` (also run by the tests).

- every file parses as Rasa NLU YAML and names intents the taxonomy knows;
- no example appears twice, in one intent or across intents (Rasa warns on both, and a message
  labelled two ways teaches nothing);
- no training example is a held-out example: both are compared in the normalised key form, so
  a copy with other letters or case is caught too. Only the training side is printed, so the
  check can be run by someone who must not read the held-out set.
- how many examples each intent has per script (Azerbaijani letters, Cyrillic, other Latin).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from nlu.data_io import (
    DATA_DIR,
    HELD_OUT_SETS,
    RISK_PREFIX,
    load_test,
    load_training,
    training_files,
)
from nlu.normalize import normalize
from nlu.taxonomy import load_taxonomy

# Matched on the lower-cased text, not with IGNORECASE: under it Python lets "ı" match "i", and
# every English line would count as Azerbaijani.
_AZ_LETTERS = re.compile("[əşçğıöü]")
_CYRILLIC = re.compile("[а-яё]")


def script_of(text: str) -> str:
    """'cyrillic', 'az_letters' or 'latin': a rough per-example language tally, no model."""
    text = text.lower()
    if _CYRILLIC.search(text):
        return "cyrillic"
    if _AZ_LETTERS.search(text):
        return "az_letters"
    return "latin"


@dataclass
class DataReport:
    counts: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    duplicates: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    unknown_intents: list[str] = field(default_factory=list)
    held_out_copies: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.conflicts or self.unknown_intents or self.held_out_copies)


def _held_out_keys(data_dir: Path) -> set[str]:
    return {
        normalize(example.text).key
        for name in HELD_OUT_SETS
        for example in load_test(data_dir / name)
    }


def drop_held_out_copies(data_dir: Path = DATA_DIR) -> dict[str, int]:
    """Delete training lines that are held-out examples in any spelling; {file: lines dropped}.
    Run after adding a held-out set (its author may have written a common phrase we train on)."""
    keys = _held_out_keys(data_dir)
    dropped: dict[str, int] = {}
    for path in training_files(data_dir):
        kept, count = [], 0
        for line in path.read_text(encoding="utf-8").splitlines(keepends=True):
            item = line.strip()
            is_example = item.startswith("- ") and not item.startswith("- intent:")
            if is_example and normalize(item[2:].strip()).key in keys:
                count += 1
                continue
            kept.append(line)
        if count:
            path.write_text("".join(kept), encoding="utf-8")
            dropped[path.name] = count
    return dropped


def check_training_data(data_dir: Path = DATA_DIR) -> DataReport:
    report = DataReport()
    taxonomy = load_taxonomy()
    held_out = _held_out_keys(data_dir)
    seen: dict[tuple[str, str], str] = {}
    for ex in load_training(data_dir):
        report.counts[ex.intent][script_of(ex.text)] += 1
        known = ex.intent.startswith(RISK_PREFIX) or taxonomy.knows_intent(ex.intent)
        if not known and ex.intent not in report.unknown_intents:
            report.unknown_intents.append(ex.intent)
        key = normalize(ex.text).key
        if key in held_out:
            report.held_out_copies.append(f"{ex.source}: {ex.text}")
        # risk files and topic files label the same message on two axes: compare within one
        axis = "risk" if ex.intent.startswith(RISK_PREFIX) else "topic"
        earlier = seen.get((axis, ex.text.strip().lower()))
        if earlier is None:
            seen[(axis, ex.text.strip().lower())] = ex.intent
        elif earlier == ex.intent:
            report.duplicates.append(f"{ex.source}: {ex.intent}: {ex.text}")
        else:
            report.conflicts.append(f"{ex.source}: {earlier} and {ex.intent}: {ex.text}")
    return report


def format_data_report(report: DataReport) -> str:
    lines = [f"{'intent':36s} {'az_letters':>10s} {'latin':>7s} {'cyrillic':>8s} {'all':>6s}"]
    for intent in sorted(report.counts):
        c = report.counts[intent]
        lines.append(
            f"{intent:36s} {c['az_letters']:10d} {c['latin']:7d} {c['cyrillic']:8d}"
            f" {sum(c.values()):6d}"
        )
    for title, items in (
        ("unknown intents", report.unknown_intents),
        ("labelled two ways", report.conflicts),
        ("repeated (harmless, but remove them)", report.duplicates),
        (
            "copies of held-out examples (helpline nlu check-data --drop-held-out-copies)",
            report.held_out_copies,
        ),
    ):
        if items:
            lines.append(f"\n{title}: {len(items)}")
            lines.extend(f"  {item}" for item in items)
    lines.append("\nok" if report.ok else "\nFAILED")
    return "\n".join(lines)
