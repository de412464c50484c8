"""Counting cases for a period, with GROUP BY in the database.

Two scans of the period's rows, each grouped to at most a few thousand rows, whatever the
number of cases: topics × gender × age band × counselling, and channel × month. Every figure of
the report is a sum over one of them, so totals always agree with their parts.

A period is [from, to] in local days of the helpline (Asia/Baku by default): `opened_at` from
local midnight of `from` up to, not including, local midnight of the day after `to`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY, TIMESTAMP
from sqlalchemy.ext.asyncio import AsyncSession

from escalation.reports.figures import Counts, Report, build_report, months_between, suppress
from escalation.reports.taxonomy import Taxonomy, default_taxonomy
from store.models import Case

DEFAULT_TIMEZONE = "Asia/Baku"


def zone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except ZoneInfoNotFoundError:
        # A machine without the tz database (some Windows installs): Baku has kept UTC+4 since 2016.
        if name == DEFAULT_TIMEZONE:
            from datetime import timezone

            return timezone(timedelta(hours=4), name)
        raise


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive
    timezone: str = DEFAULT_TIMEZONE

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError("the period ends before it starts")

    def utc_bounds(self) -> tuple[datetime, datetime]:
        tz = zone(self.timezone)
        start = datetime.combine(self.start, time(), tz).astimezone(UTC)
        end = datetime.combine(self.end + timedelta(days=1), time(), tz).astimezone(UTC)
        return start, end

    def utc_offset_seconds(self) -> int:
        # SQLite has no time zones; a fixed offset is exact for zones without daylight saving.
        start = datetime.combine(self.start, time(), zone(self.timezone))
        return int(start.utcoffset().total_seconds())

    def month_starts(self) -> list[tuple[str, datetime]]:
        """("YYYY-MM", the month's first local midnight in UTC) for every month of the period."""
        tz = zone(self.timezone)
        return [
            (month, datetime.combine(date(int(month[:4]), int(month[5:]), 1), time(), tz))
            for month in months_between(self.start, self.end)
        ]


def _month_expression(dialect: str, period: Period):
    """The local month of opened_at: "YYYY-MM" on SQLite, a month index on PostgreSQL."""
    if dialect == "postgresql":
        # A binary search in the month boundaries: far cheaper per row than converting every
        # timestamp to local time, and exact across daylight-saving changes.
        starts = [start.astimezone(UTC) for _, start in period.month_starts()[1:]]
        bounds = bindparam("month_starts", starts, type_=ARRAY(TIMESTAMP(timezone=True)))
        return func.width_bucket(Case.opened_at, bounds)
    offset = f"{period.utc_offset_seconds():+d} seconds"
    return func.strftime("%Y-%m", Case.opened_at, offset)


async def count_cases(session: AsyncSession, period: Period) -> Counts:
    start, end = period.utc_bounds()
    in_period = (Case.opened_at >= start, Case.opened_at < end)
    n = func.count().label("n")
    topic_rows = await session.execute(
        select(Case.category, Case.subcategory, Case.gender, Case.age_band, Case.counselling, n)
        .where(*in_period)
        .group_by(Case.category, Case.subcategory, Case.gender, Case.age_band, Case.counselling)
    )
    month = _month_expression(session.get_bind().dialect.name, period).label("month")
    channel_rows = await session.execute(
        select(Case.channel, month, n).where(*in_period).group_by(Case.channel, month)
    )
    months = [month for month, _ in period.month_starts()]
    return Counts(
        topics={tuple(row[:5]): row[5] for row in topic_rows},
        channels_months={
            (row[0], months[row[1]] if isinstance(row[1], int) else row[1]): row[2]
            for row in channel_rows
        },
    )


async def compute_report(
    session: AsyncSession,
    period: Period,
    *,
    taxonomy_kind: str = "default",
    min_cell: int | None = None,
    taxonomy: Taxonomy | None = None,
) -> Report:
    """The report for a period: counts only, never a case's text or identity."""
    if taxonomy_kind not in ("default", "chi"):
        raise ValueError("taxonomy must be default or chi")
    counts = await count_cases(session, period)
    report = build_report(
        counts,
        taxonomy or default_taxonomy(),
        period_from=period.start,
        period_to=period.end,
        kind=taxonomy_kind,
        timezone=period.timezone,
    )
    return suppress(report, min_cell) if min_cell else report
