"""End-to-end batch scoring: the score and demo commands on real files."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd
import pytest

from detector.batch.pipeline import OUTPUT_FILES, ScoreOptions, score
from detector.cli.main import main
from detector.paths import project_path

SAMPLE = project_path("data", "samples", "exchange-outage.csv")
QUIET = project_path("data", "samples", "quiet-day.csv")


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as stop:
        main(args)
    out, err = capsys.readouterr()
    return int(stop.value.code or 0), out, err


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    score(ScoreOptions(inputs=[SAMPLE], out=out, workers=1))
    return out


def truth(path: Path) -> dict:
    return json.loads(path.with_name(path.stem + ".truth.json").read_text())


def test_demo_writes_every_output_with_exact_accounting(demo_run: Path) -> None:
    for name in OUTPUT_FILES:
        assert (demo_run / name).is_file(), name
    summary = json.loads((demo_run / "summary.json").read_text())
    assert summary["rows_read"] == (
        summary["rows_scored"] + summary["rows_quarantined"] + summary["rows_duplicate"]
    )
    posts = pd.read_parquet(demo_run / "posts.parquet")
    assert len(posts) == summary["rows_scored"]
    assert list(posts.columns[:7]) == [
        "id",
        "created_at",
        "text",
        "service",
        "is_outage",
        "outage_prob",
        "symptom",
    ]
    series = pd.read_csv(demo_run / "series.csv")
    assert list(series.columns) == [
        "service",
        "bucket_start",
        "outage_posts",
        "all_posts",
        "baseline",
        "warming_up",  # the engine's first day: the report says alarms then need a clear jump
    ]
    assert series["warming_up"].any() and not series["warming_up"].all()
    overall = series[series["service"] == "all services"]
    assert overall["all_posts"].sum() == summary["rows_scored"]


def test_demo_detects_exchange_before_vendor_ack(demo_run: Path) -> None:
    expected = truth(SAMPLE)["outages"][0]
    incidents = json.loads((demo_run / "incidents.json").read_text())["incidents"]
    exchange = [i for i in incidents if i["service"] == "Exchange Online"]
    assert exchange, [i["service"] for i in incidents]
    first = exchange[0]
    assert pd.Timestamp(first["detected_at"]) < pd.Timestamp(expected["vendor_ack"])
    assert abs(pd.Timestamp(first["started_at"]) - pd.Timestamp(expected["onset"])) <= (
        pd.Timedelta("30min")
    )
    assert first["symptoms"] and set(first["symptoms"]) <= {
        "access",
        "connectivity",
        "messaging",
        "app",
        "performance",
        "payments",
        "other",
    }
    assert first["sample_posts"]


def test_quiet_day_has_no_incident(tmp_path: Path) -> None:
    result = score(ScoreOptions(inputs=[QUIET], out=tmp_path, workers=1))
    assert result.incidents == [], [i.to_dict() for i in result.incidents]
    assert json.loads((tmp_path / "incidents.json").read_text()) == {"incidents": []}


def test_authors_are_pseudonymised_unless_kept(tmp_path: Path, demo_run: Path) -> None:
    raw = pd.read_csv(SAMPLE, dtype=str)
    posts = pd.read_parquet(demo_run / "posts.parquet")
    assert posts["author"].str.startswith("u_").all()
    assert not set(posts["author"]) & set(raw["author_id"])
    small = tmp_path / "small.csv"
    raw.head(50).to_csv(small, index=False)
    score(ScoreOptions(inputs=[small], out=tmp_path / "kept", keep_authors=True, workers=1))
    kept = pd.read_parquet(tmp_path / "kept" / "posts.parquet")
    assert set(kept["author"]) <= set(raw["author_id"])


@pytest.mark.parametrize("key", [b"k", b"x" * 64, b"y" * 100], ids=["short", "block", "long"])
def test_pseudonyms_are_hmac_sha256_of_the_author(key: bytes) -> None:
    """The batch path (keyed states, remembered authors) gives exactly HMAC-SHA256, so
    pseudonyms made with OUTAGE_PSEUDONYM_KEY stay the same across versions."""
    import hmac

    from detector.batch.outputs import Pseudonymiser

    pseudonyms = Pseudonymiser(key)
    authors = pd.Series(["alice", None, "bob", "alice", "1", "é"], dtype="string")
    expected = [
        None if a is pd.NA else "u_" + hmac.digest(key, a.encode(), "sha256").hex()[:16]
        for a in authors
    ]
    for _ in range(2):  # computed, then remembered
        got = pseudonyms.series(authors)
        assert [None if v is pd.NA else v for v in got] == expected


def test_csv_outputs_neutralise_formulas(tmp_path: Path) -> None:
    src = tmp_path / "evil.csv"
    pd.DataFrame(
        {
            "id": ["1", "2", "3"],
            "created_at": ["2026-01-01T00:00:00Z", "not a time", "2026-01-01T00:01:00Z"],
            "text": ['=HYPERLINK("http://evil")', "@x +1 outlook down", "-2+3 gmail down"],
        }
    ).to_csv(src, index=False)
    score(ScoreOptions(inputs=[src], out=tmp_path / "o", workers=1))
    with (tmp_path / "o" / "quarantine.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["reason"] for row in rows] == ["unparseable time 'not a time'"]
    assert rows[0]["line"] == "3"
    with (tmp_path / "o" / "quarantine.csv").open(newline="") as handle:
        cells = [cell for row in csv.reader(handle) for cell in row]
    assert not [c for c in cells if c.startswith(("=", "+", "-", "@", "\t", "\r"))]
    posts = pd.read_parquet(tmp_path / "o" / "posts.parquet")
    assert posts["text"].tolist() == ['=HYPERLINK("http://evil")', "-2+3 gmail down"]


def test_score_cli_summary_and_quiet(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(["score", str(QUIET), "--out", str(tmp_path / "a")], capsys)
    assert code == 0, err
    lines = out.strip().splitlines()
    assert lines[0].startswith("17,823 rows read: 17,823 scored, 0 quarantined, 0 duplicates (")
    assert lines[1:] == ["no incidents found", f"report: {tmp_path / 'a' / 'report.html'}"]
    code, out, err = run_cli(["score", str(QUIET), "--out", str(tmp_path / "b"), "-q"], capsys)
    assert (code, out) == (0, "")


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["score", "missing.csv", "--out", "{tmp}/o"], 66, "missing.csv: no such file"),
        (["score", "{tmp}", "--out", "{tmp}/o"], 66, "is a directory"),
        (["score", "{sample}", "--out", "{tmp}/o", "--bucket", "fast"], 64, "'bucket'"),
        (["score", "{sample}", "--out", "{tmp}/o", "--engine", "spark"], 64, "spark"),
        (["score", "{sample}", "--out", "{tmp}/o", "--model", "nope"], 66, "nope"),
        (["score", "{sample}"], 64, "--out"),
    ],
)
def test_score_cli_errors(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    code: int,
    message: str,
) -> None:
    filled = [a.format(tmp=tmp_path, sample=QUIET) for a in args]
    got, _, err = run_cli(filled, capsys)
    assert got == code
    assert message in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_empty_file_is_a_data_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    code, _, err = run_cli(["score", str(empty), "--out", str(tmp_path / "o")], capsys)
    assert code == 65
    assert "empty" in err
