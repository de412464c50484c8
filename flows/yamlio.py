"""Reading flow YAML safely, keeping the line of every value for error messages.

Two YAML habits would hurt staff here, so this loader changes them:
- YAML 1.1 reads `yes`, `no`, `on`, `off` as booleans, so a button with `id: no` would become
  `False`. Only `true` and `false` are booleans here.
- Anchors and aliases (`&x` / `*x`) can multiply a small file into a huge one (a "billion laughs"
  file). Flows never need them, so they are refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

MAX_SOURCE_BYTES = 200_000  # a whole flow is a few kilobytes; 1 MB of text is a mistake

Path = tuple[Any, ...]


class _FlowYamlLoader(yaml.SafeLoader):
    pass


# Rebuild the implicit resolvers without the YAML 1.1 yes/no/on/off booleans.
_FlowYamlLoader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_FlowYamlLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


class YamlProblem(Exception):
    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


@dataclass
class ParsedYaml:
    data: Any
    lines: dict[Path, int] = field(default_factory=dict)  # path in the data -> 1-based line

    def line_of(self, path: Path) -> int | None:
        """The line of `path`, or of its nearest parent that has one."""
        path = tuple(path)
        while True:
            if path in self.lines:
                return self.lines[path]
            if not path:
                return None
            path = path[:-1]


def parse_yaml(text: str) -> ParsedYaml:
    if len(text.encode("utf-8", errors="replace")) > MAX_SOURCE_BYTES:
        raise YamlProblem(
            f"The file is too big ({len(text):,} characters; the limit is "
            f"{MAX_SOURCE_BYTES:,} bytes)."
        )
    loader = _FlowYamlLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return ParsedYaml(data=None)
        lines: dict[Path, int] = {}
        _collect_lines(node, (), lines, set())
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise YamlProblem(f"The YAML cannot be read: {exc.problem or exc}", line) from None
    except yaml.YAMLError as exc:
        raise YamlProblem(f"The YAML cannot be read: {exc}") from None
    finally:
        loader.dispose()
    return ParsedYaml(data=data, lines=lines)


def _collect_lines(node: yaml.Node, path: Path, lines: dict[Path, int], seen: set[int]) -> None:
    # A node met twice was reached through an alias: refuse before anything multiplies.
    if id(node) in seen:
        raise YamlProblem(
            "Anchors and aliases (& and *) are not allowed in flows: write each text out.",
            node.start_mark.line + 1,
        )
    seen.add(id(node))
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise YamlProblem(
                    "Merge keys (<<) are not allowed in flows.", key_node.start_mark.line + 1
                )
            _collect_lines(value_node, (*path, key_node.value), lines, seen)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _collect_lines(item, (*path, index), lines, seen)
