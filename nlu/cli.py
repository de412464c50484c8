"""`helpline nlu ...`: eval, predict, train. The composition root calls `add_subcommands`."""

from __future__ import annotations

import argparse
import json
import sys
from typing import IO

from nlu.data_io import HELD_OUT_SETS

EVAL_FILES = ["az.yml", "ru.yml", "en.yml", "mixed.yml"]


def add_subcommands(subparsers: argparse._SubParsersAction) -> None:
    """Register eval, predict and train under an argparse sub-parser (`helpline nlu`)."""
    p_eval = subparsers.add_parser(
        "eval", help="measure on the held-out set nlu/data/test/ (precision/recall, risk recall)"
    )
    p_eval.add_argument("--json", action="store_true", help="machine-readable output")
    p_eval.add_argument(
        "--files",
        nargs="*",
        default=None,
        help=f"test files in the held-out set (default: {' '.join(EVAL_FILES)})",
    )
    p_eval.add_argument(
        "--held-out",
        default="test",
        choices=HELD_OUT_SETS,
        help="which held-out set under nlu/data/ (default test, the first; the README says "
        "which one was measured blind)",
    )
    p_eval.set_defaults(func=cmd_eval)

    p_predict = subparsers.add_parser(
        "predict", help='JSON lines {"id", "text"} on stdin → one analysis per line on stdout'
    )
    p_predict.set_defaults(func=cmd_predict)

    p_check = subparsers.add_parser(
        "check-data",
        help="training data: counts per intent, duplicates, copies of held-out examples",
    )
    p_check.add_argument(
        "--drop-held-out-copies",
        action="store_true",
        help="first delete training lines that are held-out examples (then retrain)",
    )
    p_check.set_defaults(func=cmd_check_data)

    p_train = subparsers.add_parser("train", help="train the built-in model from nlu/data/")
    p_train.add_argument("--data", help="training data directory (default nlu/data)")
    p_train.add_argument("--output", help="artifact path (default nlu/model/nlu_model.npz)")
    p_train.set_defaults(func=cmd_train)


def cmd_eval(args: argparse.Namespace) -> int:
    from nlu import analyze
    from nlu.data_io import DATA_DIR, load_test
    from nlu.evaluate import evaluate, format_report

    held_out = getattr(args, "held_out", "test")
    examples = load_test(DATA_DIR / held_out, files=args.files or EVAL_FILES)
    if not examples:
        print(f"no held-out examples found under nlu/data/{held_out}/", file=sys.stderr)
        return 2
    result = evaluate(examples, analyze)
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        print(format_report(result))
    return 0


def predict_line(line: str) -> dict:
    """One input line → one output object (an error object for anything invalid)."""
    from nlu import analyze

    try:
        item = json.loads(line)
    except ValueError as exc:
        return {"id": None, "error": f"invalid JSON: {exc.msg}"}
    if not isinstance(item, dict):
        return {"id": None, "error": "each line must be a JSON object"}
    ident = item.get("id")
    text = item.get("text")
    if not isinstance(text, str):
        return {"id": ident, "error": "missing or non-string 'text'"}
    context = item.get("context") or []
    if not isinstance(context, list) or not all(isinstance(c, str) for c in context):
        return {"id": ident, "error": "'context' must be a list of strings"}
    a = analyze(text, context)
    return {
        "id": ident,
        "language": a.language,
        "category": a.category,
        "subcategory": a.subcategory,
        "risk": {"level": a.risk.level, "score": a.risk.score, "reasons": list(a.risk.reasons)},
        "asks_for_human": a.asks_for_human,
    }


def run_predict(stdin: IO[str], stdout: IO[str]) -> int:
    for line in stdin:
        if not line.strip():
            continue
        try:
            out = predict_line(line)
        except Exception as exc:  # one bad line never stops the stream
            out = {"id": None, "error": f"analysis failed: {type(exc).__name__}"}
        stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
        stdout.flush()
    return 0


def cmd_predict(args: argparse.Namespace) -> int:
    return run_predict(sys.stdin, sys.stdout)


def cmd_check_data(args: argparse.Namespace) -> int:
    from nlu.data_check import check_training_data, drop_held_out_copies, format_data_report

    if getattr(args, "drop_held_out_copies", False):
        for name, count in drop_held_out_copies().items():
            print(f"dropped {count} held-out copies from {name}")
    report = check_training_data()
    print(format_data_report(report))
    return 0 if report.ok else 1


def cmd_train(args: argparse.Namespace) -> int:
    from nlu.train import run

    return run(args)


def main(argv: list[str] | None = None) -> int:
    """`python -m nlu.cli ...`, the same commands without the composition root."""
    parser = argparse.ArgumentParser(prog="nlu")
    add_subcommands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())
