"""Sub-commands contributed by the packages (nlu, flows, reports), wired in one place."""

from __future__ import annotations


def register(commands) -> None:
    import flows.cli
    import nlu.cli

    nlu_commands = commands.add_parser("nlu", help="language understanding")
    nlu.cli.add_subcommands(nlu_commands.add_subparsers(dest="nlu_command"))
    flow_commands = commands.add_parser("flows", help="conversation flows")
    flows.cli.add_subcommands(flow_commands.add_subparsers(dest="flows_command"))
