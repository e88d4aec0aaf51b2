"""Writing simulated exports: every format, same bytes for the same seed, truth beside."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pandas as pd
import pytest

from detector.errors import DataError, InputMissingError, UsageError
from detector.simulate.export import output_format, simulate_export, truth_path
from detector.simulate.truth import read_truth


def _read(path: Path) -> pd.DataFrame:
    name = path.name
    if name.endswith(".parquet"):
        return pd.read_parquet(path)
    if ".jsonl" in name:
        raw = gzip.decompress(path.read_bytes()) if name.endswith(".gz") else path.read_bytes()
        return pd.DataFrame([json.loads(line) for line in raw.decode("utf-8").splitlines()])
    return pd.read_csv(path, dtype=str, keep_default_na=False)


@pytest.mark.parametrize("suffix", [".csv", ".csv.gz", ".jsonl", ".jsonl.gz", ".parquet"])
def test_every_format_same_bytes_and_same_rows(tmp_path: Path, suffix: str) -> None:
    first = simulate_export("quiet-day", tmp_path / f"a{suffix}", seed=5, posts=1500)
    again = simulate_export("quiet-day", tmp_path / f"b{suffix}", seed=5, posts=1500)
    other = simulate_export("quiet-day", tmp_path / f"c{suffix}", seed=6, posts=1500)
    assert first.rows == 1500
    assert first.path.read_bytes() == again.path.read_bytes()
    assert first.path.read_bytes() != other.path.read_bytes()
    reference = simulate_export("quiet-day", tmp_path / "ref.csv", seed=5, posts=1500)
    frame = _read(first.path)
    expected = _read(reference.path)
    assert list(frame.columns) == ["id", "created_at", "author_id", "text"]
    pd.testing.assert_frame_equal(
        frame.astype(str).reset_index(drop=True), expected.astype(str), check_dtype=False
    )
    assert not list(tmp_path.glob("*.part"))


def test_gzip_is_real_gzip_without_a_timestamp(tmp_path: Path) -> None:
    result = simulate_export("quiet-day", tmp_path / "x.csv.gz", seed=1, posts=50)
    raw = result.path.read_bytes()
    assert raw[:2] == b"\x1f\x8b" and raw[4:8] == b"\x00\x00\x00\x00"  # mtime 0
    assert gzip.decompress(raw).startswith(b'"id","created_at","author_id","text"\n')


def test_csv_quotes_commas_quotes_and_newlines(tmp_path: Path) -> None:
    result = simulate_export("exchange-outage", tmp_path / "x.csv", seed=1)
    frame = pd.read_csv(result.path, dtype=str, keep_default_na=False)
    assert len(frame) == result.rows
    assert frame["text"].str.contains("\n").any()
    assert frame["text"].str.contains(",").any()
    assert frame["text"].str.contains("'").any()


def test_truth_file_format(tmp_path: Path) -> None:
    result = simulate_export("exchange-outage", tmp_path / "day.csv", seed=1, posts=3000)
    assert result.truth_path == tmp_path / "day.truth.json"
    document = json.loads(result.truth_path.read_text())
    assert document == {
        "outages": [
            {
                "service": "Exchange Online",
                "onset": "2025-03-12T14:05:00Z",
                "vendor_ack": "2025-03-12T15:07:00Z",
                "resolved": "2025-03-13T03:30:00Z",
                "mitigated": "2025-03-12T20:30:00Z",
                "rise": document["outages"][0]["rise"],
            }
        ],
        "scenario": "exchange-outage",
        "seed": 1,
        "start": "2025-03-12T06:00:00Z",
        "end": "2025-03-13T06:00:00Z",
    }
    assert document["outages"][0]["rise"] > 5
    parsed = read_truth(result.truth_path)
    assert parsed["outages"][0]["onset"] == pd.Timestamp("2025-03-12 14:05", tz="UTC")


def test_multi_outage_truth_times_are_iso_utc(tmp_path: Path) -> None:
    result = simulate_export("multi-outage", tmp_path / "m.parquet", seed=2, posts=5000)
    document = json.loads(result.truth_path.read_text())
    assert len(document["outages"]) == 8
    for outage in document["outages"]:
        for key in ("onset", "vendor_ack", "resolved"):
            assert outage[key].endswith("Z")
            assert pd.Timestamp(outage[key]).tzname() == "UTC"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("x.csv", "x.truth.json"),
        ("x.CSV.GZ", "x.truth.json"),
        ("dir.v2/x.jsonl", "x.truth.json"),
        ("x.y.parquet", "x.y.truth.json"),
    ],
)
def test_truth_path(name: str, expected: str) -> None:
    assert truth_path(name).name == expected


@pytest.mark.parametrize("name", ["posts.xlsx", "posts", ".csv", "posts.csv.zst"])
def test_unsupported_extension(name: str) -> None:
    with pytest.raises(UsageError, match=r"unsupported extension; use one of \.csv, \.csv\.gz"):
        output_format(name)


def test_output_directory_is_created(tmp_path: Path) -> None:
    result = simulate_export("quiet-day", tmp_path / "new" / "dir" / "q.jsonl", seed=0, posts=10)
    assert result.path.is_file() and result.truth_path.is_file()


def test_read_truth_errors(tmp_path: Path) -> None:
    with pytest.raises(InputMissingError, match=r"truth file .*missing\.truth\.json"):
        read_truth(tmp_path / "missing.truth.json")
    bad = tmp_path / "bad.truth.json"
    bad.write_text("{not json")
    with pytest.raises(DataError, match=r"is not a valid truth document"):
        read_truth(bad)


def test_json_strings_match_json_dumps() -> None:
    import pyarrow as pa

    from detector.simulate.export import json_strings

    weird = [
        'a"b',
        "back\\slash",
        "nl\nx",
        "cr\rx",
        "tab\tx",
        "\x00\x01\x1f",
        "emoji 😂 é",
        "\u2028",
        "",
        "\b\f",
        'mixed "\n\x02\\',
    ]
    assert json_strings(pa.array(weird)).to_pylist() == [
        json.dumps(w, ensure_ascii=False) for w in weird
    ]


def test_jsonl_lines_are_json_dumps_lines(tmp_path: Path) -> None:
    result = simulate_export("exchange-outage", tmp_path / "x.jsonl", seed=2, posts=3000)
    frame = _read(tmp_path / "x.jsonl")
    expected = "".join(
        json.dumps(row, ensure_ascii=False) + "\n" for row in frame.to_dict(orient="records")
    )
    assert result.path.read_text(encoding="utf-8") == expected
