"""Excel's "sep=;" first line is read by every command that reads a CSV, not only score."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from detector.text.training import read_table

REPO = Path(__file__).resolve().parents[1]


def test_train_reads_a_labelled_file_with_a_sep_line(tmp_path: Path) -> None:
    path = tmp_path / "labels.csv"
    path.write_bytes(b"sep=;\r\nTweet;Verdict\r\noutlook is down;yes\r\nlunch, then a nap;no\r\n")
    frame = read_table(path)
    assert frame.columns.tolist() == ["Tweet", "Verdict"]
    assert frame.to_dict("list") == {
        "Tweet": ["outlook is down", "lunch, then a nap"],
        "Verdict": ["yes", "no"],
    }


def test_detect_series_reads_a_series_with_a_sep_line(tmp_path: Path) -> None:
    path = tmp_path / "series.csv"
    rows = [f"2025-01-01 {h:02d}:00;{v}" for h, v in enumerate([3, 4, 3, 2, 40, 42, 41, 39])]
    path.write_text("sep=;\r\nts;n\r\n" + "\r\n".join(rows) + "\r\n")
    run = subprocess.run(
        [sys.executable, "-m", "detector", "detect-series", str(path), "--mode", "offline"],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    assert "reading times from 'ts' and values from 'n'" in run.stderr
    out = json.loads(run.stdout)
    assert out["change_points"] == ["2025-01-01T04:00:00Z"]


def test_train_reads_a_labelled_csv_zipped_alone(tmp_path: Path) -> None:
    import zipfile

    path = tmp_path / "labels.csv.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("labels.csv", "text,label\noutlook is down,outage\nlunch,other\n")
    assert read_table(path).to_dict("list") == {
        "text": ["outlook is down", "lunch"],
        "label": ["outage", "other"],
    }
