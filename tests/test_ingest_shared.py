"""Ingest of the real exports in ../shared/data (skipped when the data is absent)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from detector.ingest import ColumnMapping, read_posts

pytestmark = pytest.mark.shared_data


def test_airline_tweets_every_row_accounted(shared_data: Path) -> None:
    path = shared_data / "streams" / "airline_tweets_feb2015.csv"
    run = read_posts(path, ColumnMapping(service="airline"))
    frame = pd.concat(list(run), ignore_index=True)
    reference = pd.read_csv(path, dtype=str)
    s = run.stats
    assert s.rows_read == len(reference)
    assert s.rows_read == s.rows_ok + s.rows_quarantined + s.rows_duplicate
    assert s.rows_duplicate == len(reference) - reference["tweet_id"].nunique()
    assert run.sources[0].columns["time"] == "created_at_local_pst"
    # "2/24/2015 11:35" is month-first; the file has no zone, so it is read as UTC.
    first = frame.iloc[0]
    assert first["created_at"] == pd.Timestamp("2015-02-24 11:35", tz="UTC")
    assert set(frame["service"]) == set(reference["airline"])


def test_power_outage_tweets_several_files(shared_data: Path) -> None:
    paths = sorted((shared_data / "streams" / "power_outage_tweets_2019").glob("*.csv"))[:3]
    run = read_posts(paths)
    frame = pd.concat(list(run), ignore_index=True)
    s = run.stats
    assert s.rows_read == sum(len(pd.read_csv(p, dtype=str)) for p in paths)
    assert s.rows_read == s.rows_ok + s.rows_quarantined + s.rows_duplicate
    assert frame["source_file"].nunique() == len(paths)
    assert str(frame["created_at"].dtype) == "datetime64[ns, UTC]"
    assert frame["created_at"].notna().all()


def test_comcast_complaints_text_is_found_by_its_name(shared_data: Path) -> None:
    """'Customer Complaint' holds the posts (it needed --text-col before session 16), and
    the Time column's clock times are joined with the Date column's dates."""
    path = shared_data / "streams" / "comcast_fcc_complaints_2015.csv"
    found = read_posts(path)
    frame = pd.concat(list(found), ignore_index=True)
    assert frame["text"].iloc[0] == "Comcast Cable Internet Speeds"
    assert frame["created_at"].iloc[0] == pd.Timestamp("2015-04-22 15:53:50", tz="UTC")
    run = read_posts(path, ColumnMapping(text="Customer Complaint", time="Date"))
    frame = pd.concat(list(run), ignore_index=True)
    assert run.stats.rows_read == len(pd.read_csv(path, dtype=str))
    assert frame["created_at"].notna().all()
