"""Sub-commands contributed by the packages (nlu, flows, reports), wired in one place."""

from __future__ import annotations

import asyncio
import sys


def register(commands) -> None:
    import escalation.reports.cli
    import flows.cli
    import nlu.cli
    from bot.cli import load_settings

    nlu_commands = commands.add_parser("nlu", help="language understanding")
    nlu_subcommands = nlu_commands.add_subparsers(dest="nlu_command")
    nlu.cli.add_subcommands(nlu_subcommands)
    export = nlu_subcommands.add_parser(
        "export-feedback",
        help="counsellors' corrections as Rasa NLU training data (confidential: real texts)",
    )
    export.add_argument("--out", help="write to this file instead of standard output")
    export.set_defaults(func=_export_feedback)

    flow_commands = commands.add_parser("flows", help="conversation flows")
    flows.cli.add_subcommands(flow_commands.add_subparsers(dest="flows_command"))
    escalation.reports.cli.add_subcommands(commands, lambda: load_settings().resolved_database_url)


def _export_feedback(args) -> int:
    from bot.cli import load_settings
    from escalation.feedback_export import export_feedback
    from nlu.rasa_format import to_rasa_yaml
    from store.crypto import FieldCipher
    from store.db import create_engine, session_factory

    settings = load_settings()

    async def run() -> list[tuple[str, str]]:
        engine = create_engine(settings.resolved_database_url)
        try:
            return await export_feedback(session_factory(engine), FieldCipher(settings.secret()))
        finally:
            await engine.dispose()

    examples = asyncio.run(run())
    document = to_rasa_yaml(examples)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as handle:
            handle.write(document)
        print(f"wrote {len(examples)} examples to {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(document)
    return 0
