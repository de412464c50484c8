import argparse
import io
import json

from nlu.cli import add_subcommands, run_predict


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="helpline nlu")
    add_subcommands(parser.add_subparsers(dest="command", required=True))
    return parser


def test_subcommands_register_with_callables():
    parser = _parser()
    for argv in (["eval", "--json"], ["predict"], ["train"]):
        args = parser.parse_args(argv)
        assert callable(args.func)


def test_predict_answers_every_line_in_order_and_survives_invalid_ones():
    lines = [
        {"id": 1, "text": "ozumu oldurmek isteyirem"},
        "this is not json",
        {"id": "b", "text": "привет, как дела?"},
        {"id": 3},
        ["not", "an", "object"],
        {"id": 4, "text": "i want to talk to a real person"},
        {"id": 5, "text": "ok", "context": ["I can't take it anymore", "I have the pills"]},
    ]
    stdin = io.StringIO(
        "\n".join(x if isinstance(x, str) else json.dumps(x, ensure_ascii=False) for x in lines)
        + "\n\n"
    )
    stdout = io.StringIO()
    assert run_predict(stdin, stdout) == 0
    out = [json.loads(line) for line in stdout.getvalue().splitlines()]
    assert len(out) == 7
    assert out[0]["id"] == 1 and out[0]["language"] == "az"
    assert out[0]["risk"]["level"] in ("high", "imminent")
    assert 0 <= out[0]["risk"]["score"] <= 1 and out[0]["risk"]["reasons"]
    assert set(out[0]) >= {"id", "language", "category", "subcategory", "risk"}
    assert "error" in out[1] and out[1]["id"] is None
    assert out[2]["id"] == "b" and out[2]["language"] == "ru"
    assert out[3] == {"id": 3, "error": "missing or non-string 'text'"}
    assert "error" in out[4]
    assert out[5]["asks_for_human"] is True
    assert out[6]["risk"]["level"] == "imminent"


def test_eval_json_reports_the_issue_figures(capsys):
    args = _parser().parse_args(["eval", "--json", "--files", "must_catch.yml"])
    assert args.func(args) == 0
    result = json.loads(capsys.readouterr().out)
    for key in ("category_accuracy", "risk", "risk_by_language", "per_category", "confusion"):
        assert key in result
    assert set(result["risk"]) >= {"risk_recall", "false_alarm_rate"}
