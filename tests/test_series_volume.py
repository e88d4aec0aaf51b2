"""Volume series: exact counts, zero filling, the pseudo-service, bucket validation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from detector.errors import DataError, SchemaError, UsageError
from detector.series.volume import ALL_SERVICES, COLUMNS, VolumeCounter, volume_series


def _posts() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "service": ["Gmail", "Gmail", "Outlook", None, "Gmail"],
            "created_at": pd.to_datetime(
                [
                    "2026-01-05 10:00:10",
                    "2026-01-05 10:04:59",
                    "2026-01-05 10:07:00",
                    "2026-01-05 10:16:00",
                    "2026-01-05 10:19:59",
                ],
                utc=True,
            ),
            "is_outage": [True, True, False, True, False],
        }
    )


def test_exact_counts_zero_filled_per_service() -> None:
    frame = volume_series(_posts(), bucket="5min")
    assert list(frame.columns) == list(COLUMNS)
    assert str(frame["bucket_start"].dtype) == "datetime64[ns, UTC]"
    assert frame["outage_posts"].dtype == np.int64 and frame["all_posts"].dtype == np.int64
    got = {
        name: (group.outage_posts.tolist(), group.all_posts.tolist())
        for name, group in frame.groupby("service", sort=False)
    }
    assert got == {
        ALL_SERVICES: ([2, 0, 0, 1], [2, 1, 0, 2]),
        "Gmail": ([2, 0, 0, 0], [2, 0, 0, 1]),
        "Outlook": ([0, 0, 0, 0], [0, 1, 0, 0]),
    }
    starts = frame.loc[frame.service == "Gmail", "bucket_start"].dt.strftime("%H:%M").tolist()
    assert starts == ["10:00", "10:05", "10:10", "10:15"]


def test_exploded_post_counts_once_in_all_services() -> None:
    posts = pd.DataFrame(
        {
            "id": ["a", "a", "b"],
            "service": ["Outlook", "Azure", "Azure"],
            "created_at": pd.to_datetime(["2026-01-05 10:01"] * 3, utc=True),
            "is_outage": [True, True, False],
        }
    )
    frame = volume_series(posts, bucket="1h").set_index("service")
    assert frame.loc[ALL_SERVICES, ["outage_posts", "all_posts"]].tolist() == [1, 2]
    assert frame.loc["Azure", ["outage_posts", "all_posts"]].tolist() == [1, 2]


def test_empty_frame_has_the_columns() -> None:
    empty = _posts().iloc[:0]
    frame = volume_series(empty)
    assert list(frame.columns) == list(COLUMNS) and len(frame) == 0


@pytest.mark.parametrize("bucket", ["fast", "30s", "25h", "2D", 5])
def test_bucket_must_be_an_offset_between_1min_and_1d(bucket: object) -> None:
    with pytest.raises(
        UsageError,
        match=r"The 'bucket' parameter must be a pandas offset "
        r"between 1min and 1D like '5min'\. Got .* instead\.",
    ):
        volume_series(_posts(), bucket=bucket)  # type: ignore[arg-type]


def test_fast_bucket_message_is_exact() -> None:
    with pytest.raises(UsageError) as info:
        volume_series(_posts(), bucket="fast")
    assert str(info.value) == (
        "The 'bucket' parameter must be a pandas offset between 1min and 1D like '5min'. "
        "Got 'fast' instead."
    )


def test_missing_columns_and_times_are_reported() -> None:
    with pytest.raises(SchemaError, match="missing: is_outage"):
        volume_series(_posts().drop(columns="is_outage"))
    bad = _posts()
    bad.loc[2, "created_at"] = pd.NaT
    with pytest.raises(DataError, match="missing time at row 2"):
        volume_series(bad)


def test_counter_matches_batch_counts() -> None:
    posts = _posts()
    counter = VolumeCounter("5min")
    for row in posts.itertuples():
        counter.add(row.service, row.created_at, row.is_outage)
    rows = counter.close_until(pd.Timestamp("2026-01-05 10:20", tz="UTC"))
    streamed = pd.DataFrame(rows, columns=list(COLUMNS))
    batch = volume_series(posts)
    merged = batch.merge(streamed, on=["service", "bucket_start"], how="left", suffixes=("", "_s"))
    # the counter starts a service at its first post; the batch zero-fills before it
    before_first = merged["outage_posts_s"].isna()
    assert merged.loc[before_first, ["outage_posts", "all_posts"]].eq(0).all().all()
    assert before_first.sum() == 1  # Outlook's 10:00 bucket
    kept = merged[~before_first]
    assert kept["outage_posts"].tolist() == kept["outage_posts_s"].astype(int).tolist()
    assert kept["all_posts"].tolist() == kept["all_posts_s"].astype(int).tolist()
    assert len(streamed) == len(kept)


def test_counter_emits_each_bucket_once_and_drops_late_posts() -> None:
    counter = VolumeCounter("5min", lateness="5min")
    t0 = pd.Timestamp("2026-01-05 10:00", tz="UTC")
    counter.add("Gmail", t0, True)
    # the 10:00 bucket ends at 10:05 but may still receive posts until 10:10
    assert counter.close_until(t0 + pd.Timedelta("9min")) == []
    counter.add("Gmail", t0 + pd.Timedelta("4min"), True)
    first = counter.close_until(t0 + pd.Timedelta("10min"))
    assert [(r[0], r[2], r[3]) for r in first] == [(ALL_SERVICES, 2, 2), ("Gmail", 2, 2)]
    assert counter.close_until(t0 + pd.Timedelta("10min")) == []
    counter.add("Gmail", t0 + pd.Timedelta("1min"), True)
    assert counter.n_late == 1
    later = counter.close_until(t0 + pd.Timedelta("20min"))
    assert [(r[0], r[1].strftime("%H:%M"), r[2]) for r in later] == [
        (ALL_SERVICES, "10:05", 0),
        ("Gmail", "10:05", 0),
        (ALL_SERVICES, "10:10", 0),
        ("Gmail", "10:10", 0),
    ]


def test_counter_rejects_bad_parameters() -> None:
    with pytest.raises(UsageError, match="'bucket' parameter"):
        VolumeCounter("2D")
    with pytest.raises(UsageError, match="'lateness' parameter"):
        VolumeCounter("5min", lateness="soon")


def test_a_post_naming_all_services_counts_there_once() -> None:
    """As score and the API count it: one row per bucket for 'all services', not two."""
    posts = pd.DataFrame(
        {
            "service": ["all services", "A", None],
            "is_outage": [True, True, False],
            "created_at": pd.to_datetime(["2026-01-05 10:00"] * 3, utc=True),
        }
    )
    frame = volume_series(posts, bucket="10min")
    assert frame[["service", "outage_posts", "all_posts"]].values.tolist() == [
        ["all services", 2, 3],
        ["A", 1, 1],
    ]
