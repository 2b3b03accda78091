"""Write (or check) the README's reference of every book.toml option, from luoshu.model.

    .venv/bin/python scripts/options_reference.py          # rewrite the README section
    .venv/bin/python scripts/options_reference.py --check  # exit 1 when it is out of date
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from luoshu.project.config import README_END, README_START, options_reference

README = Path(__file__).resolve().parents[1] / "README.md"


def with_reference(text: str) -> str:
    """*text* (the README) with the generated section replaced."""
    head, start, rest = text.partition(README_START)
    _, end, tail = rest.partition(README_END)
    if not start or not end:
        raise SystemExit(f"README.md has no {README_START} … {README_END} section")
    return f"{head}{start}\n\n{options_reference()}\n{end}{tail}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    text = README.read_text(encoding="utf-8")
    updated = with_reference(text)
    if args.check:
        return 0 if updated == text else 1
    README.write_text(updated, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
