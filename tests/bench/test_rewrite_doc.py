"""Each bench writes its own block of docs/performance.md through one function: the block
between its markers is replaced, the rest of the page is kept byte for byte."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import data_out, docblock, pacing, uploads


def test_a_block_is_appended_once_then_replaced_in_place(tmp_path: Path) -> None:
    doc = tmp_path / "performance.md"
    doc.write_text("# Performance\n\nprose\n", encoding="utf-8")
    begin, end = data_out.BEGIN_MARKER, data_out.END_MARKER
    docblock.rewrite_doc(doc, "first\n", begin, end)
    assert doc.read_text(encoding="utf-8") == f"# Performance\n\nprose\n\n{begin}\nfirst\n{end}\n"
    doc.write_text(doc.read_text(encoding="utf-8") + "\nafter\n", encoding="utf-8")
    docblock.rewrite_doc(doc, "second\n", begin, end)
    text = doc.read_text(encoding="utf-8")
    assert f"{begin}\nsecond\n{end}\n\nafter\n" in text and "first" not in text
    assert text.startswith("# Performance\n\nprose\n")


def test_blocks_of_different_benches_leave_each_other_alone(tmp_path: Path) -> None:
    doc = tmp_path / "performance.md"
    doc.write_text("", encoding="utf-8")
    pairs = [
        (uploads.BEGIN_MARKER, uploads.END_MARKER),
        (pacing.BEGIN_MARKER, pacing.END_MARKER),
        (data_out.BEGIN_MARKER, data_out.END_MARKER),
    ]
    for index, (begin, end) in enumerate(pairs):
        docblock.rewrite_doc(doc, f"block {index}\n", begin, end)
    docblock.rewrite_doc(doc, "block 1, again\n", *pairs[1])
    text = doc.read_text(encoding="utf-8")
    assert "block 0\n" in text and "block 1, again\n" in text and "block 2\n" in text
    assert "block 1\n" not in text


def test_a_broken_pair_is_an_error_not_a_silent_rewrite(tmp_path: Path) -> None:
    doc = tmp_path / "performance.md"
    doc.write_text(f"{data_out.END_MARKER}\n{data_out.BEGIN_MARKER}\n", encoding="utf-8")
    with pytest.raises(RuntimeError, match="broken"):
        docblock.rewrite_doc(doc, "x\n", data_out.BEGIN_MARKER, data_out.END_MARKER)
    assert doc.read_text(encoding="utf-8") == f"{data_out.END_MARKER}\n{data_out.BEGIN_MARKER}\n"


def test_the_main_bench_block_is_found_in_the_real_page() -> None:
    text = (Path(docblock.__file__).parents[1] / "docs" / "performance.md").read_text("utf-8")
    for begin, end in [
        (uploads.BEGIN_MARKER, uploads.END_MARKER),
        (pacing.BEGIN_MARKER, pacing.END_MARKER),
    ]:
        assert text.index(begin) < text.index(end)
