"""`helpline` — the command line. Each package adds its own sub-commands (nlu, flows)."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import sys

from bot.settings import Settings


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    return int(args.func(args) or 0)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="helpline", description=__doc__)
    commands = parser.add_subparsers(dest="command")

    serve = commands.add_parser("serve", help="migrate and start the service")
    serve.add_argument("--no-migrate", action="store_true", help="do not run migrations first")
    serve.set_defaults(func=_serve)

    migrate = commands.add_parser("migrate", help="bring the database schema up to date")
    migrate.set_defaults(func=_migrate)

    user = commands.add_parser("user", help="staff accounts").add_subparsers(dest="user_command")
    add = user.add_parser("add", help="add a staff account (password from stdin or a prompt)")
    add.add_argument("username")
    add.add_argument(
        "--role", required=True, choices=("counsellor", "supervisor", "editor", "admin")
    )
    add.set_defaults(func=_user_add)
    totp = user.add_parser(
        "totp",
        help="give an account a second factor (TOTP): prints the otpauth:// URI to scan once",
    )
    totp.add_argument("username")
    totp.set_defaults(func=_user_totp)

    _add_package_commands(commands)
    return parser


def _add_package_commands(commands) -> None:
    from bot import commands as package_commands

    package_commands.register(commands)


def load_settings() -> Settings:
    from bot.devsecret import ensure_secret

    settings = ensure_secret(Settings())
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return settings


def configure_logging() -> None:
    # Log lines carry counts, ids of our own rows and error types, never message text or
    # channel ids; uvicorn's access log is off for the same reason (paths name conversations).
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )


def _migrate(_args) -> int:
    from store.migrate import upgrade

    settings = load_settings()
    upgrade(settings.resolved_database_url)
    print("database is up to date")
    return 0


def _serve(args) -> int:
    import uvicorn

    from bot.bootstrap import build_container
    from bot.web.app import create_app
    from store.migrate import upgrade

    configure_logging()
    settings = load_settings()
    if not args.no_migrate:
        upgrade(settings.resolved_database_url)
    container = build_container(settings)
    app = create_app(container)
    base = f"http://{settings.host}:{settings.port}"
    print(
        f"\nhelpline is starting ({settings.env}, "
        f"database: {'SQLite' if 'sqlite' in settings.resolved_database_url else 'PostgreSQL'}, "
        f"backend: {'Redis' if settings.redis_url else 'in-process'}, "
        f"Telegram: {settings.telegram_mode if settings.telegram_token else 'off'})\n"
        f"  web chat:  {base}/chat\n"
        f"  console:   {base}/console\n"
        f"  flows:     {base}/flows\n"
        f"  reports:   {base}/reports\n"
        f"  health:    {base}/health\n"
        f"  API docs:  {base}/docs\n",
        flush=True,
    )
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        access_log=False,
        log_level="info",
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
    )
    return 0


def read_password(prompt: str = "Password: ") -> str:
    """From stdin when it is not a terminal (scripts), otherwise a prompt without echo."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass(prompt)
    if getpass.getpass("Repeat: ") != first:
        raise SystemExit("the passwords differ")
    return first


def _in_one_transaction(settings: Settings, work):
    """Migrate, then run `await work(session)` in one transaction on the configured database.
    Account commands may be the first ever run on a new machine, hence the migration."""
    from store.db import create_engine, session_factory
    from store.migrate import upgrade

    upgrade(settings.resolved_database_url)

    async def run():
        engine = create_engine(settings.resolved_database_url)
        try:
            async with session_factory(engine)() as session, session.begin():
                return await work(session)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def _user_add(args) -> int:
    from escalation.accounts import AccountError, create_user

    settings = load_settings()
    password = read_password()
    try:
        _in_one_transaction(
            settings, lambda session: create_user(session, args.username, password, args.role)
        )
    except AccountError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"added {args.username} ({args.role})")
    return 0


def _user_totp(args) -> int:
    from escalation.accounts import AccountError, enable_totp
    from store.crypto import FieldCipher

    settings = load_settings()
    cipher = FieldCipher(settings.secret())
    try:
        uri = _in_one_transaction(
            settings, lambda session: enable_totp(session, cipher, args.username)
        )
    except AccountError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    # The URI holds the secret: shown once, to the person at the terminal, never logged.
    print(f"second factor enabled for {args.username}; add it to an authenticator app:\n{uri}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
