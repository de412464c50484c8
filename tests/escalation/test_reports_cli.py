"""`helpline report` and `helpline import-contacts` as a supervisor would run them."""

from __future__ import annotations

import argparse
import json

import pytest

from escalation.reports.cli import add_subcommands
from tests.escalation.reports import published_2025 as published


@pytest.fixture
def helpline(sqlite_url):
    parser = argparse.ArgumentParser(prog="helpline")
    add_subcommands(parser.add_subparsers(dest="command"), lambda: sqlite_url)

    def run(*argv: str) -> int:
        args = parser.parse_args(argv)
        return args.func(args)

    return run


def test_import_then_report_in_every_format(helpline, tmp_path, capsys):
    assert helpline("import-contacts", str(published.CSV_PATH)) == 0
    assert "imported 5520 contacts" in capsys.readouterr().out
    assert helpline("import-contacts", str(published.CSV_PATH)) == 1
    assert "already imported" in capsys.readouterr().err

    period = ("--from", "2025-01-01", "--to", "2025-12-31")
    assert helpline("report", *period) == 0
    text = capsys.readouterr().out
    assert "ümumilikdə 5\u00a0520 müraciət" in text and "1\u00a0605" in text

    assert helpline("report", *period, "--format", "json", "--taxonomy", "chi") == 0
    assert json.loads(capsys.readouterr().out)["by_category"]["mental_health"]["total"] == 1681

    for fmt in ("csv", "html", "png"):
        out = tmp_path / f"report.{fmt}"
        assert helpline("report", *period, "--format", fmt, "--out", str(out), "--lang", "en") == 0
        assert out.stat().st_size > 1000

    assert helpline("report", *period, "--min-cell", "10", "--lang", "ru") == 0
    assert "<10" in capsys.readouterr().out


def test_a_bad_file_lists_its_bad_rows_and_imports_nothing(helpline, tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "opened_at,channel,category,subcategory,gender,age_band\n"
        "2025-01-05,phone,legal,,female,11-14\n"
        "2025-01-06,fax,legal,,female,11-14\n"
    )
    assert helpline("import-contacts", str(bad)) == 1
    assert "line 3, column channel: unknown id 'fax'" in capsys.readouterr().err
    assert helpline("report", "--from", "2025-01-01", "--to", "2025-12-31", "--format", "json") == 0
    assert json.loads(capsys.readouterr().out)["total"] == 0


def test_bad_arguments_are_refused(helpline, capsys):
    with pytest.raises(SystemExit):
        helpline("report", "--from", "2025-13-01", "--to", "2025-12-31")
    assert helpline("report", "--from", "2025-12-31", "--to", "2025-01-01") == 2
    assert "ends before it starts" in capsys.readouterr().err
