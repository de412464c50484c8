"""Run the Alembic migrations from code (the `helpline migrate` command and the tests)."""

from __future__ import annotations

import asyncio
import concurrent.futures
from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", database_url)
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Upgrade the schema. Alembic's env.py runs its own event loop, so when called from inside
    a running loop the work moves to a thread rather than failing."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        command.upgrade(alembic_config(database_url), revision)
        return
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(command.upgrade, alembic_config(database_url), revision).result()


async def upgrade_async(database_url: str, revision: str = "head") -> None:
    # env.py runs its own event loop, so from async code run it in a worker thread.
    await asyncio.to_thread(upgrade, database_url, revision)
