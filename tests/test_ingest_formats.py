"""Every input format, encoding and compression gives the same canonical posts."""

from __future__ import annotations

import bz2
import gzip
import json
import lzma
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard

from detector.ingest import CANONICAL_COLUMNS, CANONICAL_DTYPES, read_posts
from detector.ingest.formats import sniff

ROWS = [
    {
        "id": "1",
        "text": "outlook is down, café ☕",
        "created_at": "2024-05-01T09:00:00Z",
        "author_id": "a",
    },
    {
        "id": "2",
        "text": "teams won't load",
        "created_at": "2024-05-01T09:05:00+02:00",
        "author_id": "b",
    },
    {
        "id": "3",
        "text": "mail stuck; outbox",
        "created_at": "2024-05-01 09:10:00",
        "author_id": "c",
    },
]
EXPECTED = pd.DataFrame(
    {
        "id": ["1", "2", "3"],
        "text": [r["text"] for r in ROWS],
        "created_at": pd.to_datetime(
            ["2024-05-01 09:00:00", "2024-05-01 07:05:00", "2024-05-01 09:10:00"], utc=True
        ),
        "author": ["a", "b", "c"],
    }
)


def collect(paths, **kwargs):
    run = read_posts(paths, **kwargs)
    frames = list(run)
    frame = pd.concat(frames, ignore_index=True) if frames else None
    return frame, run


def csv_text(delim: str = ",") -> str:
    lines = [delim.join(["id", "text", "created_at", "author_id"])]
    for r in ROWS:
        text = f'"{r["text"]}"' if delim in r["text"] else r["text"]
        lines.append(delim.join([r["id"], text, r["created_at"], r["author_id"]]))
    return "\n".join(lines) + "\n"


def check(frame: pd.DataFrame) -> None:
    assert list(frame.columns) == list(CANONICAL_COLUMNS)
    assert frame.dtypes.astype(str).to_dict() == {
        c: ("str" if t == "str" else t) for c, t in CANONICAL_DTYPES.items()
    }
    pd.testing.assert_frame_equal(
        frame[["id", "text", "created_at", "author"]], EXPECTED, check_dtype=False
    )


@pytest.mark.parametrize(
    ("name", "delim", "encoding"),
    [
        ("utf8.csv", ",", "utf-8"),
        ("bom.csv", ",", "utf-8-sig"),
        ("utf16.csv", ",", "utf-16"),
        ("tabs.tsv", "\t", "utf-8"),
        ("semi.csv", ";", "utf-8"),
        ("pipes.txt", "|", "utf-16-be"),
    ],
)
def test_csv_delimiters_and_encodings(tmp_path: Path, name: str, delim: str, encoding: str) -> None:
    path = tmp_path / name
    path.write_bytes(csv_text(delim).encode(encoding))
    frame, run = collect(path)
    check(frame)
    assert frame["line"].tolist() == [2, 3, 4]
    assert frame["source_file"].unique().tolist() == [str(path)]
    assert sniff(path).delimiter == delim


def test_utf16_with_bom_is_detected(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(csv_text().encode("utf-16"))
    info = sniff(path)
    assert (info.encoding, info.bom) == ("utf-16-le", 2)


def test_latin1_fallback(tmp_path: Path) -> None:
    path = tmp_path / "latin.csv"
    text = csv_text().replace(" ☕", "")
    path.write_bytes(text.encode("latin-1"))
    frame, _ = collect(path)
    assert frame["text"].iloc[0] == "outlook is down, café"
    assert sniff(path).encoding in ("cp1252", "latin-1")


def test_latin1_only_bytes_fall_back_to_latin1(tmp_path: Path) -> None:
    path = tmp_path / "latin.csv"  # 0x81 is undefined in cp1252, so only Latin-1 decodes it
    path.write_bytes(b"id,text,created_at\n1,caf\xe9 \x81,2024-05-01T09:00:00Z\n")
    frame, _ = collect(path)
    assert sniff(path).encoding == "latin-1"
    assert frame["text"].iloc[0] == "café \x81"


def test_json_lines(tmp_path: Path) -> None:
    path = tmp_path / "posts.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in ROWS), "utf-8")
    frame, _ = collect(path)
    check(frame)
    assert frame["line"].tolist() == [1, 2, 3]


def test_json_array_and_api_v2_object(tmp_path: Path) -> None:
    plain = tmp_path / "posts.json"
    plain.write_text(json.dumps(ROWS, indent=2), "utf-8")
    v2 = tmp_path / "api.json"
    v2.write_text(
        json.dumps({"data": ROWS, "includes": {"users": []}, "meta": {"result_count": 3}}),
        "utf-8",
    )
    for path in (plain, v2):
        frame, _ = collect(path)
        check(frame)
        assert frame["line"].tolist() == [1, 2, 3]  # record numbers


def test_json_array_streams_across_small_blocks(tmp_path: Path) -> None:
    rows = [dict(r, id=str(i), text=f"post {i} " + "x" * 50) for i, r in enumerate(ROWS * 400)]
    path = tmp_path / "big.json"
    path.write_text(json.dumps({"meta": {"n": 1}, "data": rows}), "utf-8")
    frame, run = collect(path, chunksize=100)
    assert len(frame) == 1200 and frame["line"].tolist() == list(range(1, 1201))
    assert frame["id"].tolist() == [str(i) for i in range(1200)]


def test_parquet_by_batches(tmp_path: Path) -> None:
    path = tmp_path / "posts.parquet"
    pq.write_table(pa.Table.from_pylist(ROWS), path, row_group_size=2)
    frame, run = collect(path, chunksize=2)
    check(frame)
    assert frame["line"].tolist() == [1, 2, 3]


def test_parquet_native_timestamps_and_int_ids(tmp_path: Path) -> None:
    path = tmp_path / "typed.parquet"
    table = pa.table(
        {
            "id": pa.array([10**18 + 1, 10**18 + 2], pa.int64()),
            "text": ["a", "b"],
            "created_at": pa.array(
                [pd.Timestamp("2024-05-01 09:00", tz="UTC"), pd.Timestamp("2024-05-01 10:00")],
                pa.timestamp("us"),
            ),
        }
    )
    pq.write_table(table, path)
    frame, _ = collect(path)
    assert frame["id"].tolist() == ["1000000000000000001", "1000000000000000002"]
    assert frame["created_at"].tolist() == [
        pd.Timestamp("2024-05-01 09:00", tz="UTC"),
        pd.Timestamp("2024-05-01 10:00", tz="UTC"),
    ]


@pytest.mark.parametrize(
    "compress",
    [
        gzip.compress,
        lambda b: zstandard.ZstdCompressor().compress(b),
        bz2.compress,
        lzma.compress,
    ],
    ids=["gzip", "zstd", "bz2", "xz"],
)
def test_compression_by_magic_bytes_not_extension(tmp_path: Path, compress) -> None:
    path = tmp_path / "posts.csv"  # no .gz/.zst extension on purpose
    path.write_bytes(compress(csv_text().encode("utf-8")))
    frame, _ = collect(path)
    check(frame)
    jsonl = tmp_path / "posts.jsonl.any"
    jsonl.write_bytes(compress("".join(json.dumps(r) + "\n" for r in ROWS).encode()))
    frame, _ = collect(jsonl)
    check(frame)


def test_compressed_parquet(tmp_path: Path) -> None:
    plain = tmp_path / "p.parquet"
    pq.write_table(pa.Table.from_pylist(ROWS), plain)
    path = tmp_path / "p.parquet.zst"
    path.write_bytes(zstandard.ZstdCompressor().compress(plain.read_bytes()))
    frame, _ = collect(path)
    check(frame)


def test_multi_frame_zstd(tmp_path: Path) -> None:
    data = csv_text().encode()
    cut = data.index(b"\n", 40) + 1
    c = zstandard.ZstdCompressor()
    path = tmp_path / "two_frames.csv.zst"
    path.write_bytes(c.compress(data[:cut]) + c.compress(data[cut:]))
    frame, _ = collect(path)
    check(frame)


def test_several_files_keep_their_own_line_numbers(tmp_path: Path) -> None:
    a = tmp_path / "a.csv"
    a.write_text(csv_text(), "utf-8")
    b = tmp_path / "b.jsonl"
    rows = [dict(r, id=str(int(r["id"]) + 10)) for r in ROWS]
    b.write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")
    frame, run = collect([a, b])
    assert frame["source_file"].tolist() == [str(a)] * 3 + [str(b)] * 3
    assert frame["line"].tolist() == [2, 3, 4, 1, 2, 3]
    assert run.stats.rows_read == 6 and run.stats.rows_ok == 6
    assert [s.format for s in run.sources] == ["csv", "jsonl"]
    assert [s.stats.rows_ok for s in run.sources] == [3, 3]


def test_chunked_reading_matches_one_chunk(tmp_path: Path) -> None:
    lines = ["id,text,created_at"]
    for i in range(2000):
        text = f'"multi\nline {i}"' if i % 7 == 0 else f"post {i}"
        lines.append(f"{i},{text},2024-05-01T{i // 120 % 24:02d}:{i % 60:02d}:00Z")
    path = tmp_path / "many.csv"
    path.write_text("\n".join(lines) + "\n", "utf-8")
    small, _ = collect(path, chunksize=50)
    whole, _ = collect(path, chunksize=1_000_000)
    pd.testing.assert_frame_equal(small, whole)
    assert len(whole) == 2000
    # each multi-line record shifts every later line number by one
    expected = [2 + i + (i + 6) // 7 for i in range(2000)]
    assert whole["line"].tolist() == expected


def test_json_lines_mixed_types_and_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    path.write_text(
        '{"id": 1, "text": "a", "created_at": 1714554000}\n'
        "\n"
        '{"id": "x2", "text": "b", "created_at": "2024-05-01T09:00:01Z", "extra": {"k": 1}}\n'
        '{"id": 3, "text": 5, "created_at": 1714554002000}\n',
        "utf-8",
    )
    frame, run = collect(path)
    assert frame["line"].tolist() == [1, 3, 4]
    assert frame["id"].tolist() == ["1", "x2", "3"]
    assert frame["text"].tolist() == ["a", "b", "5"]
    assert frame["created_at"].tolist() == [
        pd.Timestamp("2024-05-01 09:00:00", tz="UTC"),
        pd.Timestamp("2024-05-01 09:00:01", tz="UTC"),
        pd.Timestamp("2024-05-01 09:00:02", tz="UTC"),
    ]


def test_large_integer_ids_keep_every_digit(tmp_path: Path) -> None:
    path = tmp_path / "ids.jsonl"
    path.write_text(
        "".join(
            f'{{"id": {1850000000000000001 + i}, "text": "t{i}", "created_at": "2024-05-01"}}\n'
            for i in range(3)
        ),
        "utf-8",
    )
    frame, _ = collect(path)
    assert frame["id"].tolist() == [str(1850000000000000001 + i) for i in range(3)]
