"""Importing contacts from other channels, and the report reproducing the published 2025 table.

Every test here runs on SQLite and on PostgreSQL (the database_url fixture).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from escalation.reports import ImportRefused, Period, compute_report, import_contacts
from store.db import create_engine, session_factory
from store.models import Case, ImportBatch
from tests.escalation.reports import published_2025 as published

YEAR_2025 = Period(date(2025, 1, 1), date(2025, 12, 31))
HEADER = "opened_at,channel,category,subcategory,gender,age_band,age,outcome\n"
GOOD_ROW = "2025-03-04,phone,violence,bullying,female,11-14,12,counselled\n"


@pytest.fixture
async def sessions(database_url):
    engine = create_engine(database_url)
    yield session_factory(engine)
    await engine.dispose()


async def run_import(sessions, data: bytes, filename: str = "contacts.csv"):
    async with sessions() as session, session.begin():
        return await import_contacts(session, data, filename=filename, imported_by="test")


async def case_count(sessions) -> int:
    async with sessions() as session:
        return await session.scalar(select(func.count()).select_from(Case))


async def report(sessions, period: Period = YEAR_2025, **options):
    async with sessions() as session:
        return await compute_report(session, period, **options)


def test_the_2025_fixture_file_is_what_the_builder_writes():
    assert published.CSV_PATH.read_text(encoding="utf-8") == published.csv_text()


async def test_imported_2025_contacts_reproduce_the_published_table(sessions):
    result = await run_import(sessions, published.CSV_PATH.read_bytes(), "contacts-2025.csv")
    assert result.rows == published.TOTAL

    figures = (await report(sessions)).to_dict()

    assert figures["total"] == 5520
    totals = {category: node["total"] for category, node in figures["by_category"].items()}
    assert totals == published.PUBLISHED_CATEGORIES
    for (category, sub), n in published.PUBLISHED_SUBCATEGORIES.items():
        assert figures["by_category"][category]["subcategories"][sub] == n, (category, sub)
    assert figures["by_category"]["social"]["subcategories"] == {
        "shelter": 168,
        "suicidal_thoughts": 76,
        "other": 579,
    }
    assert list(figures["by_category"]["violence"]["subcategories"]) == [
        "domestic",
        "cyberbullying",
        "bullying",
        "sexual",
        "other",
    ]
    assert figures["by_gender"] == published.PUBLISHED_GENDERS
    assert figures["by_age_band"] == {**published.PUBLISHED_AGE_BANDS, "unknown": 0}
    assert figures["by_channel"]["phone"] + figures["by_channel"]["email"] == 5520
    assert sum(figures["by_month"].values()) == 5520
    assert list(figures["by_month"]) == [f"2025-{m:02d}" for m in range(1, 13)]
    assert figures["non_counselling"] == 1031  # general questions and service information
    assert figures["counselling"] == 5520 - 1031


async def test_the_same_file_twice_is_refused_never_doubled(sessions):
    data = published.CSV_PATH.read_bytes()
    await run_import(sessions, data)
    with pytest.raises(ImportRefused, match="already imported"):
        await run_import(sessions, data, "renamed.csv")
    assert await case_count(sessions) == 5520
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(ImportBatch)) == 1


BAD_ROWS = {
    "unknown category": ("2025-03-04,phone,weather,,female,11-14,,\n", "category"),
    "unknown subcategory id": ("2025-03-04,phone,violence,war,female,11-14,,\n", "subcategory"),
    "subcategory of another category": (
        "2025-03-04,phone,violence,shelter,female,11-14,,\n",
        "subcategory",
    ),
    "subcategory on a category without any": (
        "2025-03-04,phone,legal,other,female,11-14,,\n",
        "subcategory",
    ),
    "unknown channel": ("2025-03-04,pigeon,legal,,female,11-14,,\n", "channel"),
    "unknown gender": ("2025-03-04,phone,legal,,robot,11-14,,\n", "gender"),
    "unknown age band": ("2025-03-04,phone,legal,,male,19-25,,\n", "age_band"),
    "unknown outcome": ("2025-03-04,phone,legal,,male,11-14,,vanished\n", "outcome"),
    "bad date": ("2025-02-30,phone,legal,,female,11-14,,\n", "opened_at"),
    "not a date": ("last tuesday,phone,legal,,female,11-14,,\n", "opened_at"),
    "missing opened_at": (",phone,legal,,female,11-14,,\n", "opened_at"),
    "missing channel": ("2025-03-04,,legal,,female,11-14,,\n", "channel"),
    "missing category": ("2025-03-04,phone,,,female,11-14,,\n", "category"),
    "missing subcategory": ("2025-03-04,phone,violence,,female,11-14,,\n", "subcategory"),
    "missing gender": ("2025-03-04,phone,legal,,,11-14,,\n", "gender"),
    "missing age band": ("2025-03-04,phone,legal,,female,,,\n", "age_band"),
    "age outside its band": ("2025-03-04,phone,legal,,female,11-14,16,\n", "age"),
    "age with unknown band": ("2025-03-04,phone,legal,,female,unknown,9,\n", "age"),
    "age not a number": ("2025-03-04,phone,legal,,female,11-14,twelve,\n", "age"),
}


@pytest.mark.parametrize("kind", list(BAD_ROWS))
async def test_a_bad_row_is_reported_by_line_and_column_and_nothing_is_imported(sessions, kind):
    bad_row, column = BAD_ROWS[kind]
    data = (HEADER + GOOD_ROW * 3 + bad_row + GOOD_ROW).encode()
    with pytest.raises(ImportRefused) as refused:
        await run_import(sessions, data)
    assert [(e.line, e.column) for e in refused.value.errors] == [(5, column)]
    assert await case_count(sessions) == 0
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(ImportBatch)) == 0


async def test_a_missing_column_is_reported_on_the_header_line(sessions):
    data = b"opened_at,channel,category,gender,age_band\n2025-03-04,phone,legal,female,11-14\n"
    with pytest.raises(ImportRefused) as refused:
        await run_import(sessions, data)
    assert [(e.line, e.column) for e in refused.value.errors] == [(1, "subcategory")]


async def test_a_bad_file_can_be_fixed_and_imported_afterwards(sessions):
    with pytest.raises(ImportRefused):
        await run_import(sessions, (HEADER + "2025-13-01,phone,legal,,female,11-14,,\n").encode())
    await run_import(sessions, (HEADER + GOOD_ROW).encode())
    assert await case_count(sessions) == 1


async def test_dates_may_be_iso_datetimes_and_count_in_the_helpline_time_zone(sessions):
    rows = (
        # 23:30 on 31 December in Baku is still 2025 there (19:30 UTC)...
        "2025-12-31T23:30:00,phone,legal,,female,11-14,,\n"
        # ...and 2026-01-01T01:00+04:00 is 2026 there, although it is 2025 in UTC.
        "2026-01-01T01:00:00+04:00,email,legal,,male,15-18,17,\n"
        "2025-06-01T08:00:00Z,phone,other,service_info,anonymous,unknown,,information_given\n"
    )
    await run_import(sessions, (HEADER + rows).encode())
    year = (await report(sessions)).to_dict()
    assert year["total"] == 2
    assert year["by_month"]["2025-12"] == 1
    assert year["by_month"]["2025-06"] == 1
    assert year["non_counselling"] == 1


async def test_imported_rows_are_stored_as_import_cases_of_their_batch(sessions):
    result = await run_import(sessions, (HEADER + GOOD_ROW).encode())
    async with sessions() as session:
        case = await session.scalar(select(Case))
    assert (case.source, case.import_batch_id) == ("import", result.batch_id)
    assert (case.category, case.subcategory, case.age, case.age_band) == (
        "violence",
        "bullying",
        12,
        "11-14",
    )
    assert case.opened_at == datetime(2025, 3, 3, 20, 0, tzinfo=UTC)  # midnight in Baku


async def test_cases_closed_in_the_console_appear_in_the_report(sessions):
    """Cases written through the model, as the console writes them, are counted with the rest;
    one closed without a subcategory counts under its category's "other"."""
    opened = datetime(2025, 5, 10, 9, 0, tzinfo=UTC)
    async with sessions() as session, session.begin():
        session.add_all(
            [
                Case(
                    channel="telegram",
                    opened_at=opened,
                    closed_at=opened,
                    category="social",
                    subcategory="suicidal_thoughts",
                    gender="female",
                    age=15,
                    age_band="15-18",
                    outcome="referred",
                    risk_level="high",
                ),
                Case(
                    channel="webchat",
                    opened_at=opened,
                    category="violence",
                    subcategory=None,
                    gender="anonymous",
                    age_band="unknown",
                ),
                Case(  # outside the period
                    channel="webchat",
                    opened_at=datetime(2024, 12, 31, 19, 59, tzinfo=UTC),
                    category="legal",
                    gender="male",
                    age_band="unknown",
                ),
            ]
        )
    await run_import(sessions, (HEADER + GOOD_ROW).encode())
    figures = (await report(sessions)).to_dict()
    assert figures["total"] == 3
    assert figures["by_channel"]["telegram"] == 1
    assert figures["by_channel"]["webchat"] == 1
    assert figures["by_channel"]["phone"] == 1
    assert figures["by_category"]["social"]["subcategories"]["suicidal_thoughts"] == 1
    assert figures["by_category"]["violence"] == {
        "total": 2,
        "subcategories": {
            "domestic": 0,
            "cyberbullying": 0,
            "bullying": 1,
            "sexual": 0,
            "other": 1,
        },
    }
    assert figures["by_month"]["2025-05"] == 2
    assert figures["by_category"]["legal"]["total"] == 0


async def test_the_chi_report_regroups_the_same_contacts(sessions):
    await run_import(sessions, published.CSV_PATH.read_bytes())
    chi = (await report(sessions, taxonomy_kind="chi")).to_dict()
    assert chi["total"] == 5520
    assert "unmapped" not in chi["by_category"]
    mental = chi["by_category"]["mental_health"]
    assert mental["subcategories"] == {
        "psychological_wellbeing": 1605,
        "suicidal_thoughts_and_attempts": 76,
    }
    assert chi["by_category"]["missing_children"]["total"] == 54
    assert chi["by_category"]["violence"]["subcategories"]["child_labour"] == 44 + 7
    assert sum(node["total"] for node in chi["by_category"].values()) == 5520
    assert chi["by_gender"] == published.PUBLISHED_GENDERS


async def test_a_one_month_period_counts_its_month(sessions):
    await run_import(sessions, (HEADER + GOOD_ROW * 2).encode())
    march = (await report(sessions, Period(date(2025, 3, 1), date(2025, 3, 31)))).to_dict()
    assert march["by_month"] == {"2025-03": 2}
    assert (await report(sessions, Period(date(2025, 4, 1), date(2025, 4, 30)))).total == 0
