"""Sub-commands contributed by the packages (nlu, flows, reports), wired in one place."""

from __future__ import annotations


def register(commands) -> None:
    import escalation.reports.cli
    import flows.cli
    import nlu.cli
    from bot.cli import load_settings

    nlu_commands = commands.add_parser("nlu", help="language understanding")
    nlu.cli.add_subcommands(nlu_commands.add_subparsers(dest="nlu_command"))
    flow_commands = commands.add_parser("flows", help="conversation flows")
    flows.cli.add_subcommands(flow_commands.add_subparsers(dest="flows_command"))
    escalation.reports.cli.add_subcommands(commands, lambda: load_settings().resolved_database_url)
