"""The posts an incident is enriched from depend on its own service's incidents only.

The local engine's workers enrich each service right after judging it, reading
``posts.parquet`` for that service alone; a run on one process reads it for all
services at once. Both must describe an incident with the same posts.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from detector.batch.accumulate import SeriesAccumulator
from detector.batch.detection import detect_services, enrich_incidents, load_incident_posts
from detector.batch.outputs import posts_writer
from detector.batch.pipeline import _arrow_schema
from detector.cli.main import main
from detector.incidents.incident import Incident
from detector.incidents.tracker import ENGINE_STEP
from detector.paths import project_path

SAMPLE = project_path("data", "samples", "exchange-outage.csv")

START = pd.Timestamp("2025-03-01", tz="UTC")


def _posts(path: Path) -> None:
    """Three days of posts, one a minute, naming Gmail, Slack or both (in row groups
    of 1,000 rows, so batches split the services' posts)."""
    n = 3 * 24 * 60
    rng = np.random.default_rng(3)
    names = np.array(["Gmail", "Slack", "Gmail|Slack", None], dtype=object)
    frame = pd.DataFrame(
        {
            "id": [str(i) for i in range(n)],
            "created_at": START + pd.to_timedelta(np.arange(n), unit="min"),
            "text": [f"post {i}" for i in range(n)],
            "service": None,
            "is_outage": rng.random(n) < 0.5,
            "outage_prob": rng.random(n).astype("float32"),
            "symptom": rng.choice(["app", "access", "messaging"], n),
            "label": "outage",
            "services": names[rng.integers(0, 4, n)],
            "author": None,
            "is_repost": False,
            "source_file": "posts.csv",
            "line": np.arange(2, n + 2),
        }
    )
    schema = _arrow_schema()
    with posts_writer(path, schema) as writer:
        for start in range(0, n, 1000):
            part = frame.iloc[start : start + 1000]
            writer.write_table(pa.Table.from_pandas(part, schema=schema, preserve_index=False))


def _incident(service: str, hours: int, length: int) -> Incident:
    start = START + pd.Timedelta(hours=hours)
    return Incident(
        service=service,
        started_at=start,
        detected_at=start + pd.Timedelta(minutes=5),
        status="resolved",
        resolved_at=start + pd.Timedelta(hours=length),
    )


def test_a_services_posts_are_the_same_loaded_alone_or_with_others(tmp_path: Path) -> None:
    path = tmp_path / "posts.parquet"
    _posts(path)
    gmail = [_incident("Gmail", 20, 2), _incident("Gmail", 50, 1)]
    slack = [_incident("Slack", 30, 3)]
    together = load_incident_posts(path, gmail + slack, cap=300)
    for alone in (
        load_incident_posts(path, gmail, cap=300),
        load_incident_posts(path, slack, cap=300),
    ):
        service = alone["service"].iloc[0]
        mine = together[together["service"] == service].reset_index(drop=True)
        pd.testing.assert_frame_equal(alone.reset_index(drop=True), mine)
    counts = together["service"].value_counts().to_dict()
    assert counts == {"Gmail": 300, "Slack": 300}  # each sampled down to the cap
    # in input order, and only within the half day around the service's own incidents
    for service, incidents in (("Gmail", gmail), ("Slack", slack)):
        rows = together[together["service"] == service]
        assert rows["created_at"].is_monotonic_increasing
        margin = pd.Timedelta(hours=12)
        near = np.zeros(len(rows), dtype=bool)
        for inc in incidents:
            near |= (
                (rows["created_at"] >= inc.started_at - margin)
                & (rows["created_at"] <= inc.resolved_at + margin)
            ).to_numpy()
        assert near.all()


def test_under_the_cap_every_post_in_the_windows_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "posts.parquet"
    _posts(path)
    slack = [_incident("Slack", 30, 3)]
    rows = load_incident_posts(path, slack, cap=100_000)
    frame = pd.read_parquet(path)
    window = frame[
        (frame["created_at"] >= START + pd.Timedelta(hours=18))
        & (frame["created_at"] <= START + pd.Timedelta(hours=45))
        & frame["services"].fillna("").str.contains("Slack")
    ]
    assert rows["text"].tolist() == window["text"].tolist()
    assert list(rows.columns) == [
        "created_at",
        "text",
        "services",
        "is_outage",
        "outage_prob",
        "symptom",
        "service",
    ]


def test_an_incident_with_no_posts_in_its_window_is_enriched_empty(tmp_path: Path) -> None:
    path = tmp_path / "posts.parquet"
    _posts(path)
    late = _incident("Gmail", 24 * 10, 1)  # a week after the last post
    rows = load_incident_posts(path, [late])
    assert rows.empty and "text" in rows.columns
    (filled,) = enrich_incidents([late], path)
    assert (filled.symptoms, filled.top_terms, filled.sample_posts) == ({}, [], [])


def test_enrichment_is_the_same_in_one_task_or_several(tmp_path: Path) -> None:
    """``score`` on the shipped sample, then detection again from its posts: the
    incidents (with symptoms, terms and samples) do not depend on how the services are
    grouped for enrichment, and equal the run's own ``incidents.json``."""
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as done:
        main(["score", str(SAMPLE), "--out", str(out), "-q"])
    assert done.value.code == 0
    posts = pd.read_parquet(out / "posts.parquet")
    counts = SeriesAccumulator(ENGINE_STEP)
    counts.add_scored(posts)
    sparse = counts.sparse()
    runs = [
        detect_services(sparse, posts_path=out / "posts.parquet", enrich_tasks=tasks)[0]
        for tasks in (1, 2, 5)
    ]
    dicts = [[inc.to_dict() for inc in run] for run in runs]
    assert dicts[0] == dicts[1] == dicts[2]
    written = json.loads((out / "incidents.json").read_text())["incidents"]
    for d in written:
        d["related"] = []  # filled by the run's linking step, after detection
    assert dicts[0] == written
    assert {d["service"] for d in written} == {"Exchange Online", "Outlook"}
    assert all(d["symptoms"] and d["top_terms"] and d["sample_posts"] for d in written)


def test_an_open_incident_reads_its_posts_to_the_end(tmp_path: Path) -> None:
    path = tmp_path / "posts.parquet"
    _posts(path)
    open_ = _incident("Slack", 30, 3)
    open_.status, open_.resolved_at = "open", None  # still going when the export ends
    rows = load_incident_posts(path, [open_], cap=100_000)
    frame = pd.read_parquet(path)
    slack = frame[frame["services"].fillna("").str.contains("Slack")]
    after = slack[slack["created_at"] >= START + pd.Timedelta(hours=18)]
    assert rows["text"].tolist() == after["text"].tolist()
    assert rows["created_at"].max() == slack["created_at"].max()  # the last post, 2 days on


def test_services_read_as_a_dictionary_select_the_same_rows_as_plain_strings() -> None:
    """``load_incident_posts`` reads ``services`` as a dictionary and matches each
    service against its distinct values: the same rows as matching every plain value,
    across chunks with different dictionaries, escaped names and missing values."""
    from detector.batch.detection import _plain_services, _rows_of

    values = ["Gmail", "Slack", "Gmail|Slack", None, "M \\| O|Gmail", "GmailX", "M \\| O"]
    times = pd.date_range("2025-03-01", periods=len(values) * 3, freq="h", tz="UTC")
    plain = pa.table(
        {
            "created_at": pa.array(times),
            "services": pa.chunked_array([values, values[::-1], values[2:] + values[:2]]),
        }
    )
    encoded = plain.set_column(1, "services", plain.column("services").dictionary_encode())
    spans = [(times[2], times[9]), (times[15], times[-1])]
    for service in ["Gmail", "Slack", "M | O", "all services"]:
        want = _rows_of(plain, service, spans)
        got = _rows_of(encoded, service, spans)
        assert pa.chunked_array(got).to_pylist() == pa.chunked_array(want).to_pylist(), service
    assert _plain_services(encoded).equals(plain)
    assert _plain_services(plain) is plain
