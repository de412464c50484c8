"""Runs inbox updates in the background after their channel has acknowledged them.

Updates of different children run concurrently; one child's updates are serialised by the core's
per-conversation lock. `drain()` waits for everything submitted (shutdown, tests, benchmarks).
"""

from __future__ import annotations

import asyncio


class Processor:
    def __init__(self, core, *, concurrency: int = 32) -> None:
        self._core = core
        self._tasks: set[asyncio.Task] = set()
        self.in_flight: set[int] = set()
        self._slots = asyncio.Semaphore(concurrency)

    def submit(self, inbox_id: int) -> None:
        self.in_flight.add(inbox_id)
        task = asyncio.create_task(self._run(inbox_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, inbox_id: int) -> None:
        try:
            async with self._slots:
                await self._core.process(inbox_id)
        finally:
            self.in_flight.discard(inbox_id)

    async def drain(self) -> None:
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
