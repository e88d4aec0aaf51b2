"""Every accepted time format lands on the exact UTC instant; bad times are not guessed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from detector.ingest import parse_times, read_posts
from detector.ingest.timestamps import parse_one

INSTANT = pd.Timestamp("2018-10-10 20:19:24", tz="UTC")

CASES = {
    "iso_z": "2018-10-10T20:19:24Z",
    "iso_offset": "2018-10-10T22:19:24+02:00",
    "iso_negative_offset": "2018-10-10T15:19:24-05:00",
    "iso_naive_is_utc": "2018-10-10T20:19:24",
    "iso_space_naive": "2018-10-10 20:19:24",
    "iso_space_offset": "2018-10-10 13:19:24 -0700",
    "epoch_s_string": "1539202764",
    "epoch_s_float_string": "1539202764.0",
    "epoch_ms_string": "1539202764000",
    "rfc2822": "Wed, 10 Oct 2018 20:19:24 +0000",
    "rfc2822_gmt": "Wed, 10 Oct 2018 20:19:24 GMT",
    "rfc2822_offset": "Wed, 10 Oct 2018 16:19:24 -0400",
    "x_legacy": "Wed Oct 10 20:19:24 +0000 2018",
    "x_legacy_offset": "Wed Oct 10 21:19:24 +0100 2018",
    "database_utc": "2018-10-10 20:19:24 UTC",
    "database_utc_fraction": "2018-10-10 20:19:24.000000 UTC",
    "database_gmt": "2018-10-10 20:19:24 GMT",
}


@pytest.mark.parametrize("value", list(CASES.values()), ids=list(CASES))
def test_each_format_whole_column(value: str) -> None:
    times, reasons = parse_times(pd.Series([value] * 3))
    assert str(times.dtype) == "datetime64[ns, UTC]"
    assert times.tolist() == [INSTANT] * 3
    assert reasons.tolist() == [None] * 3


@pytest.mark.parametrize("value", list(CASES.values()), ids=list(CASES))
def test_each_format_in_the_per_value_fallback(value: str) -> None:
    # The column is mostly ISO, so the odd format is parsed by the fallback.
    times, reasons = parse_times(pd.Series(["2020-01-01T00:00:00Z"] * 5 + [value]))
    assert times.iloc[-1] == INSTANT
    assert reasons[-1] is None


def test_mixed_formats_in_one_column() -> None:
    times, reasons = parse_times(pd.Series(list(CASES.values())))
    assert times.tolist() == [INSTANT] * len(CASES)


def test_numeric_epochs_seconds_and_milliseconds() -> None:
    values = pd.Series([1539202764, 1539202764123, 1539202764.5])
    times, reasons = parse_times(values)
    assert times.tolist() == [
        INSTANT,
        INSTANT + pd.Timedelta(milliseconds=123),
        INSTANT + pd.Timedelta(milliseconds=500),
    ]
    assert str(times.dtype) == "datetime64[ns, UTC]"


def test_native_datetimes() -> None:
    naive = pd.Series(pd.to_datetime(["2018-10-10 20:19:24"]))
    aware = pd.Series(pd.to_datetime(["2018-10-10 22:19:24"])).dt.tz_localize("Europe/Berlin")
    assert parse_times(naive)[0].tolist() == [INSTANT]
    assert parse_times(aware)[0].tolist() == [INSTANT]


def test_us_slash_dates_month_first_and_day_first() -> None:
    us, _ = parse_times(pd.Series(["2/24/2015 11:35", "2/24/2015 11:15"]))
    assert us.tolist()[0] == pd.Timestamp("2015-02-24 11:35", tz="UTC")
    eu, _ = parse_times(pd.Series(["24/02/2015 11:35:00", "03/02/2015 11:35:00"]))
    assert eu.tolist() == [
        pd.Timestamp("2015-02-24 11:35", tz="UTC"),
        pd.Timestamp("2015-02-03 11:35", tz="UTC"),
    ]


@pytest.mark.parametrize(
    ("values", "days"),
    [
        (["22-04-2015", "04-08-2015", "2015/08/04"], ["2015-04-22", "2015-08-04", "2015-08-04"]),
        (["01.03.2025", "24.12.2024", "03.04.25"], ["2025-03-01", "2024-12-24", "2025-04-03"]),
    ],
    ids=["dashes", "dots"],
)
def test_dashed_and_dotted_dates_are_day_first(values: list[str], days: list[str]) -> None:
    times, reasons = parse_times(pd.Series(values))
    assert times.tolist() == [pd.Timestamp(d, tz="UTC") for d in days]
    assert reasons.tolist() == [None] * 3


def test_dotted_dates_with_a_clock_and_a_month_past_12() -> None:
    clocked, _ = parse_times(
        pd.Series(["10.10.2018 22:19:24", "10.10.2018 22:19"]), tz="Europe/Berlin"
    )
    assert clocked.tolist() == [INSTANT, INSTANT - pd.Timedelta(seconds=24)]
    assert parse_one("10.10.2018 20:19:24") == INSTANT
    # a month past 12 is not a date: quarantined with its reason, not guessed
    _, bad = parse_times(pd.Series(["01.03.2025", "01.13.2025"]))
    assert bad.tolist() == [None, "unparseable time '01.13.2025'"]


@pytest.mark.parametrize(
    "value",
    ["1 Mar 2025 22:15", "01-Mar-2025 22:15", "Mar 1, 2025 22:15", "March 1, 2025 22:15"],
)
def test_month_names_as_spreadsheets_write_them(value: str) -> None:
    times, reasons = parse_times(pd.Series([value] * 3), tz="Europe/Berlin")
    assert times.tolist() == [pd.Timestamp("2025-03-01 21:15", tz="UTC")] * 3
    assert reasons.tolist() == [None] * 3
    day = value.rsplit(" ", 1)[0]
    assert parse_one(day) == pd.Timestamp("2025-03-01", tz="UTC")


def test_a_zone_word_is_kept_whatever_the_run_zone() -> None:
    times, _ = parse_times(pd.Series(["2018-10-10 20:19:24 UTC"] * 2), tz="Asia/Tokyo")
    assert times.tolist() == [INSTANT] * 2


def test_compact_dates_are_dates_not_epoch_seconds_of_1970() -> None:
    day = pd.Timestamp("2025-03-01", tz="UTC")
    for column in (pd.Series(["20250301", "20250302"]), pd.Series([20250301, 20250302])):
        times, reasons = parse_times(column)
        assert times.tolist() == [day, day + pd.Timedelta(days=1)]
        assert reasons.tolist() == [None, None]
        # a date is a day of the zone given, as any time written without a zone
        local, _ = parse_times(column, tz="Asia/Tokyo")
        assert local.tolist() == [day - pd.Timedelta(hours=9), day + pd.Timedelta(hours=15)]
    # epoch seconds beside them are still epochs; an 8-digit non-date is quarantined
    times, reasons = parse_times(pd.Series(["20250301", "1539202764", "20251301"]), tz="Asia/Tokyo")
    assert times.tolist()[:2] == [day - pd.Timedelta(hours=9), INSTANT]
    assert reasons.tolist() == [None, None, "unparseable time '20251301'"]
    assert parse_one("20250301") == day


def test_missing_and_unparseable_get_reasons_not_guesses() -> None:
    values = pd.Series(
        ["2018-10-10T20:19:24Z", None, "", "  ", "xyz", "2018-13-45", "99999999999999999999"]
    )
    times, reasons = parse_times(values)
    assert times.iloc[0] == INSTANT and times.iloc[1:].isna().all()
    assert reasons.tolist() == [
        None,
        "missing time",
        "missing time",
        "missing time",
        "unparseable time 'xyz'",
        "unparseable time '2018-13-45'",
        "unparseable time '99999999999999999999'",
    ]


def test_out_of_range_time() -> None:
    times, reasons = parse_times(pd.Series(["2300-01-01T00:00:00Z", "2018-10-10T20:19:24Z"]))
    assert reasons.tolist() == ["time out of range '2300-01-01T00:00:00Z'", None]
    assert times.iloc[1] == INSTANT


def test_index_is_kept() -> None:
    times, _ = parse_times(pd.Series(["2018-10-10T20:19:24Z"], index=[7]))
    assert times.index.tolist() == [7]


def test_parse_one_rejects_words() -> None:
    assert parse_one("yesterday") is None
    assert parse_one("") is None
    assert parse_one("1539202764") == INSTANT


def test_bad_times_are_quarantined_with_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text(
        "id,text,created_at\n1,ok,2018-10-10T20:19:24Z\n2,no time,\n3,bad time,xyz\n", "utf-8"
    )
    run = read_posts(path)
    frame = pd.concat(list(run))
    assert frame["id"].tolist() == ["1"]
    assert run.quarantine[["line", "reason"]].to_dict("records") == [
        {"line": 3, "reason": "missing time"},
        {"line": 4, "reason": "unparseable time 'xyz'"},
    ]
    assert run.quarantine["raw"].tolist() == ["2,no time,", "3,bad time,xyz"]
    assert np.all(run.quarantine["source_file"] == str(path))
