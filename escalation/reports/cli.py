"""`helpline report` and `helpline import-contacts`, added to the top-level command line.

The composition root passes how to find the database, so this package never reads bot's
settings:  add_subcommands(commands, database_url=lambda: load_settings().resolved_database_url)
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path

from escalation.reports import FORMATS, ImportRefused, Period, compute_report, render
from escalation.reports.importer import MAX_ERRORS_SHOWN, import_contacts
from escalation.reports.texts import LANGUAGES
from store.db import create_engine, session_factory


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from None


def _min_cell(value: str) -> int:
    if not value.isdigit():
        raise argparse.ArgumentTypeError("--min-cell takes a whole number")
    return int(value)


def add_subcommands(commands, database_url: Callable[[], str]) -> None:
    """Register `report` and `import-contacts` on the top-level sub-parsers."""
    report = commands.add_parser(
        "report",
        help="the helpline's statistics for a period",
        description="Counts of contacts by category, gender, age band, channel and month.",
    )
    report.add_argument("--from", dest="start", type=_day, required=True, metavar="YYYY-MM-DD")
    report.add_argument("--to", dest="end", type=_day, required=True, metavar="YYYY-MM-DD")
    report.add_argument("--format", choices=FORMATS, default="text")
    report.add_argument("--out", type=Path, help="write to this file (default: standard output)")
    report.add_argument("--taxonomy", choices=("default", "chi"), default="default")
    report.add_argument("--lang", choices=LANGUAGES, default="az")
    report.add_argument(
        "--min-cell", type=_min_cell, default=0, metavar="N", help="show counts below N as <N"
    )
    report.set_defaults(func=lambda args: run_report(args, database_url()))

    contacts = commands.add_parser(
        "import-contacts",
        help="import contacts from other channels (phone, e-mail) from a CSV file",
        description="Columns: opened_at,channel,category,subcategory,gender,age_band "
        "(optional: age,outcome). All rows are checked first; one bad row imports nothing.",
    )
    contacts.add_argument("file", type=Path, metavar="FILE.csv")
    contacts.set_defaults(func=lambda args: run_import(args, database_url()))


async def _with_session(url: str, work):
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session, session.begin():
            return await work(session)
    finally:
        await engine.dispose()


def run_report(args, url: str) -> int:
    try:
        period = Period(args.start, args.end)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.format == "png" and args.out is None and sys.stdout.isatty():
        print("error: a PNG needs --out FILE", file=sys.stderr)
        return 2

    async def work(session):
        return await compute_report(
            session, period, taxonomy_kind=args.taxonomy, min_cell=args.min_cell or None
        )

    output = render(asyncio.run(_with_session(url, work)), args.format, lang=args.lang)
    if args.out is not None:
        if isinstance(output, bytes):
            args.out.write_bytes(output)
        else:
            args.out.write_text(output, encoding="utf-8")
        print(f"report written to {args.out}", file=sys.stderr)
    elif isinstance(output, bytes):
        sys.stdout.buffer.write(output)
    else:
        sys.stdout.write(output)
    return 0


def run_import(args, url: str) -> int:
    try:
        data = args.file.read_bytes()
    except OSError as exc:
        print(f"error: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return 2

    async def work(session):
        return await import_contacts(session, data, filename=args.file.name, imported_by="cli")

    try:
        result = asyncio.run(_with_session(url, work))
    except ImportRefused as refused:
        print(f"error: {refused}", file=sys.stderr)
        for error in refused.errors[:MAX_ERRORS_SHOWN]:
            print(f"  {error}", file=sys.stderr)
        if len(refused.errors) > MAX_ERRORS_SHOWN:
            print(f"  … and {len(refused.errors) - MAX_ERRORS_SHOWN} more", file=sys.stderr)
        return 1
    print(f"imported {result.rows} contacts from {args.file.name} (batch {result.batch_id})")
    return 0
