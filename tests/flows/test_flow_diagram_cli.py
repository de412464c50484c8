"""`to_mermaid`, and the `validate` / `diagram` subcommands as the helpline CLI wires them."""

from __future__ import annotations

import argparse

import pytest

from flows.cli import add_subcommands, main
from flows.diagram import to_mermaid


def run(argv, **kw) -> int:
    parser = argparse.ArgumentParser()
    add_subcommands(parser.add_subparsers(dest="command", required=True), **kw)
    args = parser.parse_args(argv)
    return args.func(args)


def test_mermaid_has_every_step_and_edge(default_flowset):
    text = to_mermaid(default_flowset.get("welcome"))
    assert text.startswith("flowchart TD\n")
    for step_id in default_flowset.get("welcome").steps:
        assert f"s_{step_id}" in text
    assert 's_language -->|"Русский"| s_set_ru' in text
    assert '[["go to flow triage"]]' in text
    assert '-->|"typed text"| s_promise' in text


def test_mermaid_escapes_quotes_and_shortens_long_texts(default_flowset):
    text = to_mermaid(default_flowset.get("while_you_wait"), "en")
    assert "…" in text and '"I' in text
    assert "risk_at_least=high" in text and "{{" not in text.split("\n")[2]


@pytest.mark.parametrize("flow_id", ["welcome", "triage", "goodbye", "while_you_wait"])
def test_diagram_command_prints_mermaid(capsys, flow_id):
    assert run(["diagram", flow_id]) == 0
    assert capsys.readouterr().out.startswith("flowchart TD")


def test_diagram_of_an_unknown_flow_fails(capsys):
    assert run(["diagram", "nope"]) == 1
    assert "no valid flow 'nope'" in capsys.readouterr().err


def test_validate_defaults_passes(capsys):
    assert run(["validate"]) == 0
    assert "OK: 11 flows" in capsys.readouterr().out


def test_validate_prints_one_error_per_line_and_fails(tmp_path, capsys):
    (tmp_path / "a.yml").write_text(
        "id: a\nsteps:\n  - id: x\n    type: jump\n  - id: y\n    type: link\n    flow: a\n",
        encoding="utf-8",
    )
    (tmp_path / "b.yml").write_text("id: b\nsteps: [\n", encoding="utf-8")
    assert run(["validate", str(tmp_path)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert any("[unknown_step_type]" in line and "a.yml:4" in line for line in lines)
    assert any("[broken_yaml]" in line and "b.yml" in line for line in lines)
    assert any("[missing_required_flow]" in line for line in lines)
    assert all("How to fix:" in line for line in lines)


def test_validate_uses_the_injected_loader_without_a_path(capsys):
    assert run(["validate"], load_sources=lambda: []) == 1
    assert "missing_required_flow" in capsys.readouterr().out


def test_validate_a_missing_path(capsys, tmp_path):
    assert run(["validate", str(tmp_path / "nope.yml")]) == 2


def test_module_main(capsys):
    assert main(["validate"]) == 0
