"""A JSON post holding a lone surrogate escape (``"\\ud800"``, JSON allows it; it is no
Unicode character) is quarantined with its reason and line, not an internal error."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd
import pytest

from detector.cli.main import main
from detector.ingest.jsonfile import LONE_SURROGATE

BAD = r'{"id":"1","created_at":"2024-01-01T00:00:00Z","author":"a","text":"bad \ud800 gmail down"}'
GOOD = [
    json.dumps({"id": str(i), "created_at": "2024-01-01T00:00:00Z", "author": f"u{i}",
                "text": "gmail down \ud83d\ude00"})  # a surrogate pair is an emoji
    for i in range(2, 5)
]  # fmt: skip


def _score(path: Path, out: Path) -> tuple[list[dict[str, str]], pd.DataFrame]:
    with pytest.raises(SystemExit) as done:
        main(["score", str(path), "--out", str(out), "-q"])
    assert done.value.code == 0
    with open(out / "quarantine.csv", newline="", encoding="utf-8") as f:
        quarantined = list(csv.DictReader(f))
    return quarantined, pd.read_parquet(out / "posts.parquet")


@pytest.mark.parametrize("form", ["jsonl", "json"])
def test_the_record_is_quarantined_and_the_others_scored(tmp_path: Path, form: str) -> None:
    path = tmp_path / f"posts.{form}"
    lines = [GOOD[0], BAD, *GOOD[1:]]
    path.write_text("\n".join(lines) + "\n" if form == "jsonl" else "[" + ",".join(lines) + "]")
    quarantined, posts = _score(path, tmp_path / "out")
    assert [(q["line"], q["reason"]) for q in quarantined] == [("2", LONE_SURROGATE)]
    assert "bad" in quarantined[0]["raw"]
    assert sorted(posts["line"].tolist()) == [1, 3, 4]
    assert set(posts["text"]) == {"gmail down 😀"}
