"""`helpline flows validate [PATH]` and `helpline flows diagram FLOW`.

The `helpline` CLI (bot/cli.py) creates the `flows` command and calls `add_subcommands` with
its sub-parsers. Without PATH the commands read `load_sources()` (the composition root may pass
one that reads the published flows from the database), or else the packaged default flows.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from flows.build import FlowSource, default_sources, sources_from_path
from flows.diagram import to_mermaid
from flows.validation import analyse

SourceLoader = Callable[[], list[FlowSource]]


def add_subcommands(subparsers, *, load_sources: SourceLoader | None = None) -> None:
    loader = load_sources or default_sources

    validate = subparsers.add_parser(
        "validate", help="check flow files; exit status 1 and one line per problem if any"
    )
    validate.add_argument("path", nargs="?", help="a flow file or a folder of them")
    validate.set_defaults(func=lambda args: _validate(args, loader))

    diagram = subparsers.add_parser("diagram", help="print a Mermaid diagram of a flow")
    diagram.add_argument("flow", help="the flow id, e.g. welcome")
    diagram.add_argument("--path", help="a flow file or a folder of them")
    diagram.add_argument("--language", default="en", choices=("az", "ru", "en"))
    diagram.set_defaults(func=lambda args: _diagram(args, loader))


def _sources(path: str | None, loader: SourceLoader) -> list[FlowSource]:
    return sources_from_path(path) if path else loader()


def _validate(args: argparse.Namespace, loader: SourceLoader) -> int:
    try:
        sources = _sources(args.path, loader)
    except OSError as exc:
        print(f"cannot read {args.path}: {exc.strerror}", file=sys.stderr)
        return 2
    flows, errors = analyse(sources)
    for error in errors:
        print(error)
    if errors:
        print(f"{len(errors)} problem(s) found; nothing may be published.", file=sys.stderr)
        return 1
    print(f"OK: {len(flows)} flows, no problems.")
    return 0


def _diagram(args: argparse.Namespace, loader: SourceLoader) -> int:
    flows, errors = analyse(_sources(args.path, loader), complete=False)
    flow = flows.get(args.flow)
    if flow is None:
        known = ", ".join(sorted(flows)) or "none"
        print(f"no valid flow '{args.flow}' (flows: {known})", file=sys.stderr)
        for error in errors:
            if error.flow == args.flow:
                print(error, file=sys.stderr)
        return 1
    print(to_mermaid(flow, args.language), end="")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m flows.cli")
    add_subcommands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())
