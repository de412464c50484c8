"""Copy the helpline's NLU files for Rasa, keeping the topic intents only.

    python deploy/rasa/topic_data.py nlu/data /tmp/train

Several training files hold a message twice: under its topic and under its risk level
(`risk_*`), which is how the built-in model learns both. Rasa's single intent classifier would
see that text with two labels, so every `risk_*` block is dropped and files left without any
intent are not written. Only the top level of the source is read: the held-out sets in its
subdirectories are never training data. Standard library only: it runs inside the Rasa image.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

RISK_PREFIX = "risk_"
_BLOCK_START = re.compile(r"^- intent:\s*(\S+)\s*$")


def topic_only(text: str) -> tuple[str, int]:
    """The file without its risk blocks, and how many topic blocks it kept."""
    out: list[str] = []
    kept = 0
    keep = True
    for line in text.splitlines(keepends=True):
        start = _BLOCK_START.match(line.rstrip("\n"))
        if start:
            keep = not start.group(1).startswith(RISK_PREFIX)
            kept += keep
        elif line[:1] not in (" ", "\t", "\n", ""):
            keep = True  # a top-level line (version, nlu, a comment) ends the block before it
        if keep:
            out.append(line)
    return "".join(out), kept


def copy_topics(source: Path, target: Path) -> list[str]:
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for path in sorted(source.glob("*.yml")):
        text, kept = topic_only(path.read_text(encoding="utf-8"))
        if kept:
            (target / path.name).write_text(text, encoding="utf-8")
            written.append(path.name)
    return written


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    written = copy_topics(Path(argv[0]), Path(argv[1]))
    print(f"{len(written)} topic files written to {argv[1]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
