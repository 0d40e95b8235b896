"""Rewrites one generated section of a Markdown file (between its BEGIN and END markers), keeping
everything else; standard library only (`make bench-first-run` runs it with the base Python)."""

from __future__ import annotations

from pathlib import Path


def write_section(doc: Path, begin: str, end: str, section: str) -> None:
    """Put `section` (which starts with `begin` and ends with `end`) in place of the file's section
    between those markers, or append it when the file has none (creating the file if needed)."""
    text = doc.read_text() if doc.exists() else "# Benchmarks\n"
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        _, tail = rest.split(end, 1)
        text = head + section + tail
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    doc.write_text(text)
