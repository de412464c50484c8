"""Evaluation on the held-out set (nlu/data/test/*.yml): `helpline nlu eval`.

Risk recall counts messages labelled high or imminent that were assessed high or imminent.
A false alarm is a message labelled none or low that was assessed high or imminent. Messages
labelled medium count in neither (the test set's own convention).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from nlu.analysis import Analysis
from nlu.data_io import TestExample

URGENT = frozenset({"high", "imminent"})
CALM = frozenset({"none", "low"})
TARGETS = {"risk_recall": 0.97, "false_alarm_rate": 0.10, "category_accuracy": 0.85}


@dataclass
class Outcome:
    example: TestExample
    analysis: Analysis


def _ratio(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def evaluate(examples: Iterable[TestExample], analyze: Callable[[str], Analysis]) -> dict:
    outcomes = [Outcome(e, analyze(e.text)) for e in examples]
    return report(outcomes)


def report(outcomes: list[Outcome]) -> dict:
    by_lang: dict[str, list[Outcome]] = defaultdict(list)
    for o in outcomes:
        by_lang[o.example.language].append(o)
    languages = {lang: _risk_figures(items) for lang, items in sorted(by_lang.items())}
    overall = _risk_figures(outcomes)
    cats = sorted({o.example.category for o in outcomes} | {o.analysis.category for o in outcomes})
    confusion = {g: {p: 0 for p in cats} for g in cats}
    for o in outcomes:
        confusion[o.example.category][o.analysis.category] += 1
    per_category = {}
    for c in cats:
        tp = confusion[c][c]
        fp = sum(confusion[g][c] for g in cats) - tp
        fn = sum(confusion[c].values()) - tp
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        per_category[c] = {
            "precision": round(p, 4),
            "recall": round(r, 4),
            "f1": round(f1, 4),
            "support": tp + fn,
        }
    correct = sum(o.analysis.category == o.example.category for o in outcomes)
    sub_items = [o for o in outcomes if o.example.subcategory]
    sub_correct = sum(
        o.analysis.category == o.example.category
        and o.analysis.subcategory == o.example.subcategory
        for o in sub_items
    )
    lang_items = [o for o in outcomes if o.example.language in ("az", "ru", "en")]
    lang_correct = sum(o.analysis.language == o.example.language for o in lang_items)
    level_confusion = Counter((o.example.risk, o.analysis.risk.level) for o in outcomes)
    result = {
        "examples": len(outcomes),
        "category_accuracy": _ratio(correct, len(outcomes)),
        "subcategory_accuracy": _ratio(sub_correct, len(sub_items)),
        "language_accuracy": _ratio(lang_correct, len(lang_items)),
        "risk": overall,
        "risk_by_language": languages,
        "per_category": per_category,
        "confusion": confusion,
        "risk_level_confusion": {f"{g}->{p}": n for (g, p), n in sorted(level_confusion.items())},
    }
    result["targets_met"] = targets_met(result)
    return result


def _risk_figures(items: list[Outcome]) -> dict:
    urgent = [o for o in items if o.example.risk in URGENT]
    calm = [o for o in items if o.example.risk in CALM]
    caught = sum(o.analysis.risk.level in URGENT for o in urgent)
    alarms = sum(o.analysis.risk.level in URGENT for o in calm)
    return {
        "urgent": len(urgent),
        "risk_recall": _ratio(caught, len(urgent)),
        "calm": len(calm),
        "false_alarm_rate": _ratio(alarms, len(calm)),
    }


def targets_met(result: dict) -> bool:
    ok = (result["category_accuracy"] or 0) >= TARGETS["category_accuracy"]
    for lang, fig in result["risk_by_language"].items():
        if lang not in ("az", "ru", "en"):
            continue
        if fig["risk_recall"] is not None and fig["risk_recall"] < TARGETS["risk_recall"]:
            ok = False
    far = result["risk"]["false_alarm_rate"]
    return ok and (far is None or far <= TARGETS["false_alarm_rate"])


def format_report(result: dict) -> str:
    lines = [
        f"examples: {result['examples']}",
        f"category accuracy: {result['category_accuracy']}   "
        f"subcategory accuracy: {result['subcategory_accuracy']}   "
        f"language accuracy: {result['language_accuracy']}",
        "",
        "risk (high+imminent recall; false alarms = none/low assessed high+imminent):",
        f"  {'language':10} {'urgent':>6} {'recall':>7} {'calm':>6} {'false alarms':>13}",
    ]
    rows = list(result["risk_by_language"].items()) + [("all", result["risk"])]
    for lang, fig in rows:
        lines.append(
            f"  {lang:10} {fig['urgent']:>6} {fig['risk_recall']!s:>7} {fig['calm']:>6} "
            f"{fig['false_alarm_rate']!s:>13}"
        )
    lines += ["", f"  {'category':14} {'precision':>9} {'recall':>7} {'f1':>6} {'support':>7}"]
    for c, m in result["per_category"].items():
        lines.append(
            f"  {c:14} {m['precision']:>9} {m['recall']:>7} {m['f1']:>6} {m['support']:>7}"
        )
    cats = list(result["confusion"])
    lines += ["", "confusion (rows: labelled, columns: predicted)"]
    lines.append("  " + " " * 14 + "".join(f"{c[:6]:>7}" for c in cats))
    for g in cats:
        lines.append(f"  {g:14}" + "".join(f"{result['confusion'][g][p]:>7}" for p in cats))
    lines += ["", f"targets met: {result['targets_met']} ({TARGETS})"]
    return "\n".join(lines)
