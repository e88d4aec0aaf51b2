"""The quarantine breakdown (stderr, the exit-65 error, summary warnings, report) names
each cause once and accounts for every quarantined row."""

from __future__ import annotations

from pathlib import Path

from support import run_cli


def test_quoted_values_with_quotes_in_them_are_one_cause(tmp_path: Path, capsys) -> None:
    texts = ["@JetBlue's CEO battles on", '"@JetBlue: Our fleet', "plain words", "more: words"]
    path = tmp_path / "posts.csv"
    rows = "".join(f'{i},"{t.replace(chr(34), chr(34) * 2)}"\n' for i, t in enumerate(texts))
    path.write_text("id,text\n" + rows)
    code, _, err = run_cli(
        ["score", str(path), "--out", str(tmp_path / "out"), "--time-col", "text"], capsys
    )
    assert code == 65
    assert "all 4 rows were quarantined (4 unparseable time, first on line 2: " in err
    assert "more for" not in err


def test_causes_beyond_the_first_three_are_counted(tmp_path: Path, capsys) -> None:
    path = tmp_path / "posts.csv"
    rows = [
        "1,,2025-03-01T10:00:00Z",  # missing text
        "2,teams down,",  # missing time
        "3,teams down,soon",  # unparseable time
        "4,teams down,9999-01-01T00:00:00Z",  # out of range
        "5,teams down,2025-03-01T10:00:00Z,extra",  # too many fields
        "6,teams down,2025-03-01T10:00:00Z",
    ]
    path.write_text("id,text,created_at\n" + "\n".join(rows) + "\n")
    code, _, err = run_cli(["score", str(path), "--out", str(tmp_path / "out")], capsys)
    assert code == 0, err
    quarantined = (tmp_path / "out" / "quarantine.csv").read_text().count("\n") - 1
    assert quarantined == 5
    from detector.ingest import read_posts

    run = read_posts(str(path))
    for _ in run:
        pass
    summary = run.quarantine_summary()
    assert summary.endswith("2 more for 2 other reasons")
    shown = [int(part.split()[0].replace(",", "")) for part in summary.split("; ")]
    assert sum(shown) == 5
