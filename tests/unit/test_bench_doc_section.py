"""The benchmarks rewrite only their own generated section of docs/benchmarks.md."""

from __future__ import annotations

from pathlib import Path

from tests.bench.doc_section import write_section

BEGIN, END = "<!-- BEGIN x -->", "<!-- END x -->"


def test_the_section_is_replaced_and_the_rest_kept(tmp_path: Path) -> None:
    doc = tmp_path / "b.md"
    doc.write_text(f"# B\n\nkept above\n\n{BEGIN}\nold figures\n{END}\n\nkept below\n")
    write_section(doc, BEGIN, END, f"{BEGIN}\nnew figures\n{END}")
    assert doc.read_text() == f"# B\n\nkept above\n\n{BEGIN}\nnew figures\n{END}\n\nkept below\n"


def test_a_missing_section_is_appended(tmp_path: Path) -> None:
    doc = tmp_path / "b.md"
    doc.write_text("# B\n\ntext\n\n\n")
    write_section(doc, BEGIN, END, f"{BEGIN}\nfigures\n{END}")
    assert doc.read_text() == f"# B\n\ntext\n\n{BEGIN}\nfigures\n{END}\n"
