"""Defects a new user found following the README (tester-fresh, session 22), each pinned.

1. Scoring the power-outage folder counted 3,645 tweets twice: ``power_outage_10k.csv``
   (columns ``row, Datetime, Text``: no id, no author) repeats tweets of the other files,
   and neither dedupe mode matched a post without id and author to its copy with them.
4. README's ``--positive complained`` example gave a model that ``score`` always called
   "not an outage model".
5. ``detect-series --mode offline`` on TCPD's lga_passengers: the 2001-09 fall was one
   incident still open 14 years later whose "peak" was the series' maximum.
6. README had no command for the power-outage streams.
7. ``score --help`` left out exit code 69.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from support import run_cli as run

from detector.incidents import detect

README = Path(__file__).resolve().parents[1] / "README.md"
LGA = Path("/work/shared/data/series/tcpd/datasets/lga_passengers.json")


# -- 7 ---------------------------------------------------------------------------------
def test_score_help_lists_exit_69(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["score", "--help"], capsys)
    assert code == 0
    codes = out.split("Exit codes:")[1].split("Options:")[0]
    assert "69 the --scheduler cannot be reached" in " ".join(codes.split())


# -- 5 ---------------------------------------------------------------------------------
def _fall_then_trend(n: int = 468, at: int = 296) -> pd.Series:
    """A level with a sharp fall at *at* that recovers in 30 steps and then climbs above
    the old level for good (as air passengers after 2001-09)."""
    rng = np.random.default_rng(5)
    values = 100.0 + rng.normal(0.0, 4.0, n)
    values[at : at + 30] = np.linspace(40.0, 100.0, 30) + rng.normal(0.0, 4.0, 30)
    values[at + 30 :] += 25.0
    index = pd.date_range("1977-01-01", periods=n, freq="MS", tz="UTC")
    return pd.Series(values, index=index)


class _OneCut:
    """A segmentation that finds one change point, at *at* (the segmenter's answer on
    lga_passengers: the fall and the later rise in one segment)."""

    at = 296
    penalty_ = 1.0

    def fit(self, signal: np.ndarray) -> _OneCut:
        self.n = len(signal)
        return self

    def predict(self) -> list[int]:
        return [self.at, self.n]


def test_offline_metric_fall_reports_its_trough_and_ends_at_the_level(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    series = _fall_then_trend()
    monkeypatch.setattr(detect, "Segmenter", lambda *a, **k: _OneCut())
    found = detect.detect_series(series, mode="offline", model="robust")
    assert len(found.incidents) == 1
    inc = found.incidents[0]
    assert inc.started_at == series.index[296]
    assert inc.peak_posts < inc.baseline_posts  # a fall: its extreme is below the level
    assert inc.peak_at < series.index[296 + 30]
    assert inc.status == "resolved"
    assert series.index[296] < inc.resolved_at <= series.index[296 + 36]
    assert inc.resolved_at in found.change_points


def test_metric_departure() -> None:
    x = np.array([-9.0, -8.0, -7.0, 0.0, 6.0, 8.0, 9.0, 9.0])
    assert detect.metric_departure(x, 0.0, 1.0, 1) == (-1, 3)
    # a shift that lasts, with noise at its end, keeps its whole run
    y = np.array([5.0, 6.0, 5.0, 4.0, 6.0, -0.5])
    assert detect.metric_departure(y, 0.0, 1.0, 1) == (1, 6)


@pytest.mark.skipif(not LGA.is_file(), reason="shared TCPD data not present")
def test_lga_passengers_offline(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["detect-series", str(LGA), "--mode", "offline"], capsys)
    assert code == 0
    result: dict[str, Any] = json.loads(out)
    (inc,) = result["incidents"]
    assert inc["started_at"].startswith("2001-09")
    assert inc["peak_at"].startswith("2001-")
    assert inc["peak_posts"] < inc["baseline_posts"]
    assert inc["status"] == "resolved"
    assert inc["resolved_at"] < "2004"


# -- 1 ---------------------------------------------------------------------------------
_SAME = "Rockport Trn 122 is operating 10-15 minutes behind schedule due to a power outage"
_BEFORE = "Be prepared for power outages before they happen!"


def _exports(folder: Path) -> list[Path]:
    """Two exports of the same tweets: one with ids and authors (three accounts posting
    one text in one second), one in another layout (``row, Datetime, Text``) copying them
    and holding posts of its own (one text twice in a second, without author)."""
    tweets = [
        ("1185", "SalemMBTA", _SAME, "2019-10-17 11:02:03+00:00"),
        ("1186", "NewburyportLine", _SAME, "2019-10-17 11:02:03+00:00"),
        ("1187", "mbta_alerts", _SAME, "2019-10-17 11:02:03+00:00"),
        (
            "1188",
            "chrispian",
            "Ok, enough power outage. Mobile hotspot engaged.",
            "2019-10-19 23:49:04+00:00",
        ),
    ] + [
        (
            f"2{i:03d}",
            f"user{i}",
            f"no power on street {i} again",
            f"2019-10-18 0{i % 10}:00:00+00:00",
        )
        for i in range(12)
    ]
    full = pd.DataFrame(tweets, columns=["Id", "Username", "Text", "Date"])
    copies = full.iloc[:4][["Date", "Text"]].rename(columns={"Date": "Datetime"})
    own = pd.DataFrame(
        {
            "Datetime": ["2019-10-18 09:00:00+00:00"] * 2 + ["2019-10-18 10:00:00+00:00"],
            "Text": [_BEFORE, _BEFORE, "power outage in Dorchester"],
        }
    )
    light = pd.concat([copies, own], ignore_index=True)
    light.insert(0, "row", range(len(light)))
    a, b = folder / "ne_bomb_cyclone_during_tweets.csv", folder / "power_outage_10k.csv"
    full.to_csv(a, index=False)
    light.to_csv(b, index=False)
    return [a, b]


def _read(paths: list[Path], dedupe: str, folder: Path) -> tuple[Any, pd.DataFrame, pd.DataFrame]:
    from detector.ingest import read_posts

    dups = folder / f"duplicates-{dedupe}-{paths[0].stem}.csv"
    run = read_posts(paths, chunksize=5, dedupe=dedupe, duplicates_path=dups)
    posts = pd.concat(list(run), ignore_index=True)
    return run, posts, pd.read_csv(dups, dtype=str)


@pytest.mark.parametrize("dedupe", ["id", "text"])
def test_copies_without_id_or_author_are_duplicates(tmp_path: Path, dedupe: str) -> None:
    full, light = _exports(tmp_path)
    run, posts, dups = _read([full, light], dedupe, tmp_path)
    s = run.stats
    assert s.rows_read == 16 + 7
    assert s.rows_read == s.rows_ok + s.rows_duplicate + s.rows_quarantined
    # the four copies, each of a post of the full export; the three accounts' posts stay
    # (with --dedupe text, copies of one text in one minute without author are one post)
    copies = dups[dups["source_file"] == str(light)]
    assert sorted(copies["line"].astype(int))[:4] == [2, 3, 4, 5]
    paired = copies[copies["key"] == "text+time"]
    assert len(paired) == (4 if dedupe == "id" else 2)
    assert set(paired["duplicate_of_file"]) == {str(full)}
    assert (posts["text"] == _SAME).sum() == 3
    # the light export's own posts are not copies of anything: with --dedupe id the same
    # text twice in a second without author stays two posts (whole rows differ)
    assert (posts["text"] == _BEFORE).sum() == (2 if dedupe == "id" else 1)
    assert "power outage in Dorchester" in set(posts["text"])


@pytest.mark.parametrize("dedupe", ["id", "text"])
def test_copies_are_found_whatever_the_file_order(tmp_path: Path, dedupe: str) -> None:
    full, light = _exports(tmp_path)
    forward, posts, _ = _read([full, light], dedupe, tmp_path)
    backward, back_posts, dups = _read([light, full], dedupe, tmp_path)
    assert backward.stats.rows_ok == forward.stats.rows_ok
    assert backward.stats.rows_duplicate == forward.stats.rows_duplicate
    # read first, the copies stay and the posts with ids and authors they copy go (with
    # --dedupe text the three copies of one text in one minute are one post: it stands for
    # one of the three accounts' posts)
    copies = dups[dups["key"] == "text+time"]
    assert set(copies["source_file"]) == {str(full)}
    assert len(copies) == (4 if dedupe == "id" else 2)
    assert (back_posts["text"] == _SAME).sum() == (posts["text"] == _SAME).sum() == 3


@pytest.mark.parametrize("dedupe", ["id", "text"])
@pytest.mark.parametrize("reverse", [False, True])
def test_shares_pair_copies_as_one_reader(tmp_path: Path, dedupe: str, reverse: bool) -> None:
    """The Dask engine's two passes and shuffle find the same copies as one reader."""
    from test_ingest_shares import _read_in_shares

    from detector.ingest import read_posts

    paths = _exports(tmp_path)[:: -1 if reverse else 1]
    one = read_posts(paths, chunksize=20, dedupe=dedupe, duplicates_path=tmp_path / "d.csv")
    expected = pd.concat(list(one), ignore_index=True)
    files, posts, run, _, duplicates = _read_in_shares(paths, dedupe, tmp_path)
    assert len(files) > len(paths)  # byte ranges
    pd.testing.assert_frame_equal(posts, expected)
    pd.testing.assert_frame_equal(duplicates, pd.read_csv(tmp_path / "d.csv", dtype=str))
    assert (duplicates["key"] == "text+time").sum() == (4 if dedupe == "id" else 2)
    assert run.stats == one.stats


# -- 4 and 6 ---------------------------------------------------------------------------
def _readme_commands() -> list[str]:
    """The README's ``outage-detector`` commands, continuation lines joined."""
    text = README.read_text().replace("\\\n", " ")
    return [
        line.split("#")[0].strip()
        for line in text.splitlines()
        if line.lstrip().startswith("outage-detector ")
    ]


def test_readme_training_flow_gives_an_outage_model() -> None:
    """Following the README's train/evaluate/promote example gives a model that score
    takes for an outage model (no "not an outage model" warning): its positive class is
    the default, outage; another class is explained as what it is."""
    from detector.text.registry import positive_class_warning

    flow = [c for c in _readme_commands() if "my_labels.csv" in c or "holdout.csv" in c]
    assert len(flow) == 3  # train, evaluate, models promote
    for command in flow:
        words = command.split()
        positive = words[words.index("--positive") + 1] if "--positive" in words else "outage"
        assert positive_class_warning({"name": "mine", "positive": positive}) is None, command
    text = " ".join(README.read_text().split())
    assert "rename that value to outage before training" in text


def test_readme_scores_the_power_outage_streams() -> None:
    commands = [c for c in _readme_commands() if "power_outage_tweets_2019" in c]
    assert commands and commands[0].startswith("outage-detector score ")
    text = " ".join(README.read_text().split())
    assert "power_outage_10k.csv (row, Datetime, Text: no id, # no author)" in text
    assert "key text+time" in text
