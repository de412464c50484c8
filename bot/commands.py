"""Sub-commands contributed by the packages (nlu, flows, reports), wired in one place."""

from __future__ import annotations


def register(commands) -> None:
    import flows.cli
    import nlu.cli

    nlu.cli.add_subcommands(commands.add_parser("nlu", help="language understanding"))
    flows.cli.add_subcommands(commands.add_parser("flows", help="conversation flows"))
