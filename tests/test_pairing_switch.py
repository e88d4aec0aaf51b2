"""Copies without id and author are paired with the posts they copy only in a run with a
file that has no author column (:func:`detector.ingest.dedupe.needs_pairing`): the
pairing's hashing and memory are spared on exports that name their authors."""

from __future__ import annotations

from pathlib import Path

from detector.ingest import ColumnMapping, read_posts

HEADER = "id,created_at,author,text\n"
POSTS = [
    "1,2019-10-16T10:00:00Z,alice,power out in the whole street\n",
    ",2019-10-16T10:00:00Z,,power out in the whole street\n",  # no id, empty author cell
]


def run_of(*files: Path) -> tuple[object, list]:
    run = read_posts([str(f) for f in files], ColumnMapping(), chunksize=1000)
    frames = list(run)
    return run, frames


def test_an_empty_author_cell_in_a_file_that_names_authors_is_no_copy(tmp_path: Path) -> None:
    export = tmp_path / "export.csv"
    export.write_text(HEADER + "".join(POSTS))
    run, frames = run_of(export)
    assert run._index.pairing is False
    assert sum(len(f) for f in frames) == 2
    assert run.stats.rows_duplicate == 0


def test_a_file_without_an_author_column_pairs_its_copies(tmp_path: Path) -> None:
    export = tmp_path / "export.csv"
    export.write_text(HEADER + POSTS[0])
    copies = tmp_path / "copies.csv"  # another layout: no id, no author
    copies.write_text("Text,Date\npower out in the whole street,2019-10-16T10:00:00Z\n")
    run, frames = run_of(export, copies)
    assert run._index.pairing is True
    assert sum(len(f) for f in frames) == 1
    assert run.stats.rows_duplicate == 1
