"""`helpline import-contacts FILE.csv`: contacts that never touched the bot (the 116111 phone
line, e-mail), counted with the rest.

All or nothing: every row is checked first, and one bad row (reported with its line and
column) imports nothing. A good file goes in one transaction, in bulk (COPY on PostgreSQL,
executemany in chunks on SQLite). The file's SHA-256 is unique in import_batches, so the same
file twice is refused, never doubled, even when two imports race.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from escalation.reports.query import DEFAULT_TIMEZONE, zone
from escalation.reports.taxonomy import Taxonomy, default_taxonomy
from store.models import Case, ImportBatch

REQUIRED = ("opened_at", "channel", "category", "subcategory", "gender", "age_band")
OPTIONAL = ("age", "outcome")
# Column order of the bulk insert (COPY wants tuples).
COLUMNS = (
    "channel",
    "opened_at",
    "category",
    "subcategory",
    "gender",
    "age",
    "age_band",
    "outcome",
    "counselling",
    "source",
    "import_batch_id",
)
CHUNK = 10_000
MAX_ERRORS_SHOWN = 50


class RowError(ValueError):
    """One bad value: where it is (line 1 is the header) and what is wrong with it."""

    def __init__(self, line: int, column: str, message: str) -> None:
        super().__init__(f"line {line}, column {column}: {message}")
        self.line = line
        self.column = column
        self.message = message


class ImportRefused(Exception):
    """Nothing was imported; `errors` says why (bad rows), or the message (duplicate file)."""

    def __init__(self, message: str, errors: list[RowError] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or []


@dataclass(frozen=True)
class ImportResult:
    batch_id: int
    rows: int
    file_sha256: str


class RowChecker:
    """Turns one CSV row (a dict) into a record tuple, or raises RowError. Shared with the
    supervisor's log-contact form, so both accept exactly the same values."""

    def __init__(self, taxonomy: Taxonomy, timezone: str = DEFAULT_TIMEZONE) -> None:
        self.taxonomy = taxonomy
        self.tz = zone(timezone)
        # A file repeats its dates: parse each once.
        self._dates: dict[str, datetime] = {}
        # Canonical strings: a million rows share a handful of objects, not a million copies.
        self._intern = {
            value: value
            for value in (
                *taxonomy.categories,
                *(s for subs in taxonomy.categories.values() for s in subs),
                *taxonomy.genders,
                *taxonomy.age_bands,
                *taxonomy.channels,
                *taxonomy.outcomes,
            )
        }

    def field(self, row: dict, column: str, line: int, *, required: bool = True) -> str | None:
        value = (row.get(column) or "").strip()
        if not value:
            if required:
                raise RowError(line, column, "missing value")
            return None
        return value

    def one_of(self, row: dict, column: str, line: int, allowed) -> str:
        value = self.field(row, column, line)
        if value not in allowed:
            raise RowError(line, column, f"unknown id {value!r}")
        return self._intern.get(value, value)

    def opened_at(self, value: str, line: int) -> datetime:
        cached = self._dates.get(value)
        if cached is not None:
            return cached
        moment = self._parse_date(value, line)
        if len(self._dates) < 100_000:
            self._dates[value] = moment
        return moment

    def _parse_date(self, value: str, line: int) -> datetime:
        try:
            if len(value) == 10:
                moment = datetime.combine(date.fromisoformat(value), time(), self.tz)
            else:
                moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
                if moment.tzinfo is None:
                    moment = moment.replace(tzinfo=self.tz)
        except ValueError:
            raise RowError(line, "opened_at", f"bad date {value!r} (YYYY-MM-DD or ISO)") from None
        return moment.astimezone(UTC)

    def check(self, row: dict, line: int) -> tuple:
        taxonomy = self.taxonomy
        opened_at = self.opened_at(self.field(row, "opened_at", line), line)
        channel = self.one_of(row, "channel", line, taxonomy.channels)
        category = self.one_of(row, "category", line, taxonomy.categories)
        subs = taxonomy.categories[category]
        subcategory = self.field(row, "subcategory", line, required=bool(subs))
        if subcategory is not None and subcategory not in subs:
            where = f"one of {', '.join(subs)}" if subs else "empty"
            raise RowError(
                line, "subcategory", f"{subcategory!r} is not in {category} (must be {where})"
            )
        gender = self.one_of(row, "gender", line, taxonomy.genders)
        age_band = self.one_of(row, "age_band", line, taxonomy.age_bands)
        age = self.age(row, line, age_band)
        outcome = self.field(row, "outcome", line, required=False)
        if outcome is not None:
            outcome = self.one_of(row, "outcome", line, taxonomy.outcomes or {outcome: outcome})
        counselling = taxonomy.is_counselling(category, subcategory, outcome)
        return (
            channel,
            opened_at,
            category,
            subcategory and self._intern[subcategory],
            gender,
            age,
            age_band,
            outcome,
            counselling,
        )

    def age(self, row: dict, line: int, age_band: str) -> int | None:
        value = self.field(row, "age", line, required=False)
        if value is None:
            return None
        if not value.isdigit():
            raise RowError(line, "age", f"bad age {value!r}")
        age = int(value)
        bounds = self.taxonomy.age_range(age_band)
        if bounds is None or not bounds[0] <= age <= bounds[1]:
            raise RowError(line, "age", f"age {age} does not match age_band {age_band}")
        return age


def read_rows(text: str, checker: RowChecker) -> tuple[list[tuple], list[RowError], int]:
    """(records, errors, number of data rows); line numbers count the header as line 1."""
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [name.strip() for name in next(reader, [])]
    missing = [column for column in REQUIRED if column not in header]
    if missing:
        return [], [RowError(1, column, "missing column") for column in missing], 0
    width = len(header)
    records, errors, count = [], [], 0
    for values in reader:
        if not values:  # a blank line
            continue
        count += 1
        line = reader.line_num
        if len(values) > width:
            errors.append(RowError(line, header[width - 1], "more fields than columns"))
            continue
        try:
            records.append(checker.check(dict(zip(header, values, strict=False)), line))
        except RowError as error:
            errors.append(error)
    return records, errors, count


async def import_contacts(
    session: AsyncSession,
    data: bytes,
    *,
    filename: str,
    imported_by: str | None = None,
    taxonomy: Taxonomy | None = None,
    timezone: str = DEFAULT_TIMEZONE,
) -> ImportResult:
    """Check every row, then insert all of them in the caller's transaction, or raise
    ImportRefused having written nothing."""
    digest = hashlib.sha256(data).hexdigest()
    if await session.scalar(select(ImportBatch.id).where(ImportBatch.file_sha256 == digest)):
        raise ImportRefused(f"this file was already imported (sha256 {digest[:12]}…)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportRefused(f"the file is not UTF-8 text (byte {exc.start})") from None
    checker = RowChecker(taxonomy or default_taxonomy(), timezone)
    records, errors, count = read_rows(text, checker)
    if errors:
        raise ImportRefused(f"{len(errors)} bad row(s); nothing was imported", errors)
    if count == 0:
        raise ImportRefused("the file has no rows; nothing was imported")
    batch = ImportBatch(
        file_sha256=digest, filename=Path(filename).name[:200], rows=count, imported_by=imported_by
    )
    session.add(batch)
    try:
        await session.flush()
    except IntegrityError:
        raise ImportRefused("this file was already imported (at the same moment)") from None
    rows = [(*record, "import", batch.id) for record in records]
    del records
    await _bulk_insert(session, rows)
    return ImportResult(batch_id=batch.id, rows=count, file_sha256=digest)


async def _bulk_insert(session: AsyncSession, rows: list[tuple]) -> None:
    connection = await session.connection()
    if connection.dialect.name == "postgresql":
        raw = await connection.get_raw_connection()
        # COPY runs inside the same transaction as the batch row: all or nothing still holds.
        await raw.driver_connection.copy_records_to_table(
            Case.__tablename__, records=rows, columns=list(COLUMNS)
        )
        return
    statement = insert(Case.__table__)
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        await connection.execute(statement, [dict(zip(COLUMNS, row, strict=True)) for row in chunk])
