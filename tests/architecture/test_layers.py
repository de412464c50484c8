"""The import direction of DESIGN.md, kept by a test: nlu and store import nothing of the project,
flows nothing but its own types, escalation only store, and nothing imports bot back. Only bot
knows aiogram.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "nlu", "flows", "escalation", "store")
ALLOWED = {
    "nlu": set(),
    "store": set(),
    "flows": set(),
    "escalation": {"store"},
    "bot": {"nlu", "flows", "escalation", "store"},
}


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def package_files(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("package", PACKAGES)
def test_package_imports_only_what_the_design_allows(package):
    offenders = []
    for path in package_files(package):
        for name in imports_of(path):
            top = name.split(".")[0]
            if top in PACKAGES and top != package and top not in ALLOWED[package]:
                offenders.append(f"{path.relative_to(ROOT)} imports {name}")
    assert offenders == []


@pytest.mark.parametrize("package", [p for p in PACKAGES if p != "bot"])
def test_only_bot_knows_aiogram(package):
    offenders = [
        str(path.relative_to(ROOT))
        for path in package_files(package)
        if any(name.split(".")[0] == "aiogram" for name in imports_of(path))
    ]
    assert offenders == []


def test_the_checker_sees_a_forbidden_import(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("from bot.core import Core\nimport escalation.queue\n")
    assert imports_of(sample) == {"bot.core", "escalation.queue"}
