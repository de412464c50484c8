"""Import and report on 1,000,000 generated contacts (a large national helpline's decade).

    .venv/bin/python bench/report.py [--rows 1000000]
    HELPLINE_TEST_POSTGRES_URL=postgresql+asyncpg://root@127.0.0.1:5432/test .venv/bin/python bench/report.py

Prints the seconds for each step, on SQLite and, when HELPLINE_TEST_POSTGRES_URL is set, on
PostgreSQL in a database of its own (created and dropped here). Aim on PostgreSQL: import
under 60 s, report under 2 s.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import os
import random
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from escalation.reports import Period, compute_report, default_taxonomy, import_contacts, render
from store.db import create_engine, session_factory
from store.migrate import upgrade

DECADE = Period(date(2016, 1, 1), date(2025, 12, 31))
YEAR = Period(date(2025, 1, 1), date(2025, 12, 31))


def write_contacts(path: Path, rows: int, seed: int = 116111) -> None:
    taxonomy = default_taxonomy()
    topics = [(c, s) for c, subs in taxonomy.categories.items() for s in (subs or ("",))]
    bands = {"0-10": 8, "11-14": 12, "15-18": 16, "unknown": None}
    rng = random.Random(seed)
    days = (DECADE.end - DECADE.start).days + 1
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(
            ["opened_at", "channel", "category", "subcategory", "gender", "age_band", "age"]
        )
        for i in range(rows):
            category, sub = topics[rng.randrange(len(topics))]
            band = rng.choice(taxonomy.age_bands)
            age = bands.get(band) if i % 3 == 0 else None
            writer.writerow(
                [
                    (DECADE.start + timedelta(days=rng.randrange(days))).isoformat(),
                    rng.choice(taxonomy.channels),
                    category,
                    sub,
                    rng.choice(taxonomy.genders),
                    band,
                    "" if age is None else age,
                ]
            )


async def measure(url: str, data: bytes, label: str) -> None:
    engine = create_engine(url)
    sessions = session_factory(engine)
    try:
        started = time.perf_counter()
        async with sessions() as session, session.begin():
            result = await import_contacts(session, data, filename="bench.csv")
        imported = time.perf_counter() - started
        print(f"{label}: import {result.rows:,} rows      {imported:7.2f} s", flush=True)
        for name, period in (("decade", DECADE), ("year", YEAR)):
            started = time.perf_counter()
            async with sessions() as session:
                report = await compute_report(session, period)
            seconds = time.perf_counter() - started
            print(f"{label}: report ({name}, {report.total:,})  {seconds:7.2f} s", flush=True)
        started = time.perf_counter()
        async with sessions() as session:
            report = await compute_report(session, DECADE, taxonomy_kind="chi", min_cell=5)
        render(report, "text")
        print(
            f"{label}: report (decade, CHI, min-cell, text) {time.perf_counter() - started:5.2f} s"
        )
    finally:
        await engine.dispose()


async def _pg_admin(url: str, statement: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="helpline-bench-") as tmp:
        csv_path = Path(tmp) / "contacts.csv"
        started = time.perf_counter()
        write_contacts(csv_path, args.rows)
        data = csv_path.read_bytes()
        print(
            f"generated {args.rows:,} contacts ({len(data) / 1e6:.0f} MB) in "
            f"{time.perf_counter() - started:.1f} s (not counted)",
            flush=True,
        )
        if not args.skip_sqlite:
            url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.sqlite3'}"
            upgrade(url)
            asyncio.run(measure(url, data, "SQLite"))
        base = os.environ.get("HELPLINE_TEST_POSTGRES_URL")
        if not base:
            print("PostgreSQL: skipped (HELPLINE_TEST_POSTGRES_URL not set)")
            return 0
        name = f"helpline_bench_{uuid.uuid4().hex[:12]}"
        asyncio.run(_pg_admin(base, f'CREATE DATABASE "{name}"'))
        try:
            url = base.rsplit("/", 1)[0] + f"/{name}"
            upgrade(url)
            asyncio.run(measure(url, data, "PostgreSQL"))
        finally:
            asyncio.run(_pg_admin(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    return 0


if __name__ == "__main__":
    sys.exit(main())
