"""End to end through the Telegram webhook: simulated children -> POST /telegram/webhook on a real
service (`helpline serve`, uvicorn, its own process) -> inbox, NLU, flows, outbox -> sendMessage
on the fake Telegram Bot API server (tests/telegram/fake_server.py) in this process.

    .venv/bin/python bench/e2e.py [--children 1000] [--rates 25,50,100] [--concurrency 64]
    HELPLINE_TEST_POSTGRES_URL=postgresql+asyncpg://root@127.0.0.1:5432/test \
    HELPLINE_TEST_REDIS_URL=redis://127.0.0.1:6379/0 .venv/bin/python bench/e2e.py

Each child runs a three-update script (/start, the Azərbaycanca button, a free text in
Azerbaijani); every child is a distinct chat and its updates are rounds apart, so Telegram's
per-chat pacing (about 1 message/s, which the service keeps) is not what is measured.

1. Throughput: all updates posted as fast as `--concurrency` connections allow; updates/s
   acknowledged, and updates/s until the last reply reached the fake server.
2. Latency at steady `--rates` (open loop, `--seconds` each): p50/p99 of the webhook acknowledgement and of
   update -> first reply arriving at the fake server. Aim: p99 under 50 ms at 100 updates/s.

Runs on SQLite + in-process, then on PostgreSQL + Redis when both URLs are set (a database and a
key prefix of its own, removed afterwards). The service's global send limit is raised for the
bench (the fake server has none); with Telegram's 25/s the replies would queue by design.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from tests.telegram.fake_server import Call, FakeTelegram  # noqa: E402

TOKEN = "424242:BENCH-fake-token"
WEBHOOK_SECRET = "bench-webhook-secret"
SECRET_KEY = "bench-secret-key-with-at-least-32-characters!!"
TEXTS = [
    "Dərslərimdə çətinlik çəkirəm, nə edim?",
    "Valideynlərimlə tez-tez mübahisə edirəm",
    "Dostum mənimlə danışmır, çox darıxıram",
    "Salam, bir sualım var",
]


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- the simulated children -----------------------------------------------------------------------


_ids = itertools.count(1)


def user(chat: int) -> dict:
    return {"id": chat, "is_bot": False, "first_name": "Bench", "language_code": "az"}


def script_update(chat: int, step: int) -> dict:
    update_id = next(_ids)
    if step == 1:
        return {
            "update_id": update_id,
            "callback_query": {
                "id": f"cq{update_id}",
                "from": user(chat),
                "chat_instance": "bench",
                "data": "f:welcome:language:az",
                "message": {
                    "message_id": update_id,
                    "date": int(time.time()),
                    "chat": {"id": chat, "type": "private"},
                    "text": "…",
                },
            },
        }
    text = "/start" if step == 0 else TEXTS[chat % len(TEXTS)]
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": int(time.time()),
            "chat": {"id": chat, "type": "private", "first_name": "Bench"},
            "from": user(chat),
            "text": text,
        },
    }


@dataclass
class Tracker:
    """Times each update from its POST to the first sendMessage to the same chat."""

    acks: list[float] = field(default_factory=list)
    replies: list[float] = field(default_factory=list)
    pending: dict[int, float] = field(default_factory=dict)
    unanswered: int = 0
    errors: int = 0
    last_reply: float = 0.0
    last_post: float = 0.0

    def posted(self, chat: int, at: float) -> None:
        if self.pending.pop(chat, None) is not None:
            self.unanswered += 1  # the previous step of this child got no reply
        self.pending[chat] = at
        self.last_post = at

    def on_send(self, call: Call) -> None:
        now = time.perf_counter()
        self.last_reply = now
        started = self.pending.pop(call.chat_id, None)
        if started is not None:
            self.replies.append(now - started)


async def post(client: httpx.AsyncClient, tracker: Tracker, chat: int, step: int) -> None:
    body = json.dumps(script_update(chat, step)).encode()
    started = time.perf_counter()
    tracker.posted(chat, started)
    headers = {
        "X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET,
        "Content-Type": "application/json",
    }
    response = None
    for _attempt in range(3):
        try:
            response = await client.post("/telegram/webhook", content=body, headers=headers)
            break
        except httpx.TransportError:
            continue  # a connection the server closed as we reused it: again, as Telegram would
    tracker.acks.append(time.perf_counter() - started)
    if response is None or response.status_code != 200:
        tracker.errors += 1


async def settle(tracker: Tracker, quiet: float = 5.0, timeout: float = 300.0) -> None:
    """Wait until no reply has arrived for `quiet` seconds: the service has caught up."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        last = max(tracker.last_reply, tracker.last_post)
        if time.perf_counter() - last > quiet:
            break
        await asyncio.sleep(0.1)
    tracker.unanswered += len(tracker.pending)
    tracker.pending.clear()


async def throughput(client, fake, chats: list[int], concurrency: int) -> dict:
    """Everything as fast as the connections allow. Children write again before the bot has
    answered, so replies are counted, not attributed."""
    tracker = Tracker()
    fake.on_send = tracker.on_send
    sent_before = len(fake.sent())
    jobs = [(chat, step) for step in range(3) for chat in chats]  # rounds, not bursts per chat
    queue = iter(jobs)

    async def worker():
        for chat, step in queue:
            await post(client, tracker, chat, step)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    acknowledged = time.perf_counter() - started
    await settle(tracker)
    finished = (tracker.last_reply or time.perf_counter()) - started
    return {
        "updates": len(jobs),
        "ack_per_s": len(jobs) / acknowledged,
        "e2e_per_s": len(jobs) / finished,
        "ack_p50_ms": percentile(tracker.acks, 0.50) * 1000,
        "ack_p99_ms": percentile(tracker.acks, 0.99) * 1000,
        "errors": tracker.errors,
        "replies": len(fake.sent()) - sent_before,
    }


async def steady(client, fake, chats: list[int], rate: float) -> dict:
    tracker = Tracker()
    fake.on_send = tracker.on_send
    jobs = [(chat, step) for step in range(3) for chat in chats]
    tasks = []
    started = time.perf_counter()
    for number, (chat, step) in enumerate(jobs):
        delay = started + number / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(post(client, tracker, chat, step)))
    await asyncio.gather(*tasks)
    await settle(tracker)
    return {
        "updates": len(jobs),
        "rate": rate,
        "ack_p50_ms": percentile(tracker.acks, 0.50) * 1000,
        "ack_p99_ms": percentile(tracker.acks, 0.99) * 1000,
        "reply_p50_ms": percentile(tracker.replies, 0.50) * 1000,
        "reply_p99_ms": percentile(tracker.replies, 0.99) * 1000,
        "errors": tracker.errors,
        "unanswered": tracker.unanswered,
    }


# -- the service under test -----------------------------------------------------------------------


@contextlib.asynccontextmanager
async def service(
    fake: FakeTelegram,
    database_url: str,
    redis_url: str | None,
    workdir: Path,
    profile: str | None = None,
):
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("HELPLINE_")} | {
        "HELPLINE_PORT": str(port),
        "HELPLINE_DATA_DIR": str(workdir),
        "HELPLINE_DATABASE_URL": database_url,
        "HELPLINE_SECRET_KEY": SECRET_KEY,
        "HELPLINE_TELEGRAM_TOKEN": TOKEN,
        "HELPLINE_TELEGRAM_API_BASE": fake.base_url,
        "HELPLINE_TELEGRAM_MODE": "webhook",
        "HELPLINE_TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "HELPLINE_TELEGRAM_GLOBAL_PER_SECOND": "100000",
    }
    if redis_url:
        env |= {"HELPLINE_REDIS_URL": redis_url, "HELPLINE_REDIS_PREFIX": workdir.name}
    log = (workdir / "service.log").open("w")
    command = [str(ROOT / ".venv" / "bin" / "helpline"), "serve"]
    if profile:
        command = [sys.executable, "-m", "cProfile", "-o", profile, *command]
    process = subprocess.Popen(  # noqa: ASYNC220 (started once, before any measurement)
        command,
        cwd=workdir,  # no stray .env
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    # Shorter than uvicorn's 5 s keep-alive, so an idle connection is not reused as it closes.
    limits = httpx.Limits(max_connections=256, max_keepalive_connections=256, keepalive_expiry=2.0)
    try:
        async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
            await wait_healthy(client, process, workdir)
            yield client
    finally:
        process.terminate()
        try:
            await asyncio.to_thread(process.wait, 30)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
        if redis_url:
            await drop_redis_keys(redis_url, workdir.name)


async def drop_redis_keys(url: str, prefix: str) -> None:
    from redis.asyncio import Redis

    client = Redis.from_url(url)
    try:
        keys = [key async for key in client.scan_iter(match=f"{prefix}:*")]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


async def wait_healthy(client: httpx.AsyncClient, process, workdir: Path) -> None:
    deadline = time.perf_counter() + 180
    while time.perf_counter() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the service exited; see {workdir / 'service.log'}")
        with contextlib.suppress(httpx.HTTPError):
            if (await client.get("/health")).status_code == 200:
                return
        await asyncio.sleep(0.5)
    raise RuntimeError("the service did not become healthy in 180 s")


async def run_stack(name, database_url, redis_url, args) -> None:
    with tempfile.TemporaryDirectory(prefix="helpline-bench-") as tmp:
        workdir = Path(tmp)
        async with (
            FakeTelegram(token=TOKEN) as fake,
            service(
                fake,
                database_url or f"sqlite+aiosqlite:///{workdir / 'bench.sqlite3'}",
                redis_url,
                workdir,
                args.profile and f"{args.profile}.{name.split()[0].lower()}",
            ) as client,
        ):
            chat_ids = itertools.count(10_000_000)
            await throughput(client, fake, [next(chat_ids) for _ in range(30)], 8)  # warm-up
            loaded = await throughput(
                client, fake, [next(chat_ids) for _ in range(args.children)], args.concurrency
            )
            paced = []
            for rate in args.rates:
                chats = [next(chat_ids) for _ in range(max(10, round(rate * args.seconds / 3)))]
                paced.append(await steady(client, fake, chats, rate))
        report(name, loaded, paced)


def report(name: str, loaded: dict, paced_runs: list[dict]) -> None:
    print(f"\n== {name}")
    print(
        f"throughput: {loaded['updates']} updates: {loaded['ack_per_s']:.0f} updates/s acknowledged "
        f"(ack p50 {loaded['ack_p50_ms']:.0f} ms, p99 {loaded['ack_p99_ms']:.0f} ms), "
        f"{loaded['e2e_per_s']:.0f} updates/s processed until the last of {loaded['replies']} "
        f"replies (errors {loaded['errors']})"
    )
    for paced in paced_runs:
        print(
            f"at {paced['rate']:.0f} updates/s ({paced['updates']} updates): "
            f"ack p50 {paced['ack_p50_ms']:.1f} ms, p99 {paced['ack_p99_ms']:.1f} ms; "
            f"update->reply p50 {paced['reply_p50_ms']:.1f} ms, p99 {paced['reply_p99_ms']:.1f} ms "
            f"(errors {paced['errors']}, without reply {paced['unanswered']})",
            flush=True,
        )


# -- PostgreSQL: a database of our own -------------------------------------------------------------


async def _pg(url: str, statement: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--children", type=int, default=1000, help="children in the load phase")
    parser.add_argument(
        "--rates",
        type=lambda value: [float(rate) for rate in value.split(",")],
        default=[100.0],
        help="updates/s of the latency phases, comma-separated (default 100)",
    )
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each latency phase")
    parser.add_argument("--concurrency", type=int, default=64, help="connections in the load phase")
    parser.add_argument("--profile", help="write the service's cProfile stats to PROFILE.<stack>")
    parser.add_argument("--only", choices=["sqlite", "postgresql"], help="run one stack")
    args = parser.parse_args()
    print(
        f"machine: {os.cpu_count()} CPUs; service: one uvicorn process; client + fake Telegram: this one"
    )
    if args.only != "postgresql":
        await run_stack("SQLite + in-process", None, None, args)
    if args.only == "sqlite":
        return

    postgres, redis = (
        os.environ.get("HELPLINE_TEST_POSTGRES_URL"),
        os.environ.get("HELPLINE_TEST_REDIS_URL"),
    )
    if not (postgres and redis):
        print(
            "\n== PostgreSQL + Redis: skipped (set HELPLINE_TEST_POSTGRES_URL and HELPLINE_TEST_REDIS_URL)"
        )
        return
    name = f"helpline_bench_{uuid.uuid4().hex[:10]}"
    await _pg(postgres, f'CREATE DATABASE "{name}"')
    try:
        await run_stack("PostgreSQL + Redis", postgres.rsplit("/", 1)[0] + f"/{name}", redis, args)
    finally:
        await _pg(postgres, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    asyncio.run(main())
