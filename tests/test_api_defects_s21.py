"""Defects a tester of ``serve`` found (session 21): ``all services`` counted twice by
``score``, a sender's ``ALL SERVICES`` that could not be read, ``/v1/series`` edge rows
that depended on the window, a "24 h" that held up to 25 hours, a stale latest judged
bucket without its date, and id messages about "items".

The API runs in a thread and is reached over real HTTP (a fresh database per test); ``score``
runs in-process too.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from httpx import Client
from support import real_http
from test_api_server import model_ref  # noqa: F401 - the fixture the app loads its model with

from detector.api.app import create_app
from detector.api.intake import ALL_SERVICES
from detector.api.settings import Settings
from detector.api.statuspage import service_page
from detector.batch.accumulate import SeriesAccumulator
from detector.incidents.wording import Zone


@pytest.fixture
def api(tmp_path: Path, model_ref: str | None) -> Iterator[Client]:  # noqa: F811
    """A fresh server (writes open) on its own database file."""
    app = create_app(Settings(db=str(tmp_path / "state.db"), model=model_ref))
    with real_http(app) as client:
        yield client


def post(client: Client, posts: list[dict[str, Any]]) -> dict[str, Any]:
    answer = client.post("/v1/posts", json={"posts": posts})
    assert answer.status_code == 200, answer.text
    return answer.json()


def series(client: Client, **params: str) -> list[dict[str, Any]]:
    answer = client.get("/v1/series", params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()["rows"]


def page_text(client: Client, path: str) -> str:
    answer = client.get(path)
    assert answer.status_code == 200, answer.text
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", answer.text)))


# -- 1: a post whose service is "all services" counts there once, in both doors --------
T = "2025-03-01T10:00:00Z"
SERVICE_NAMES = ["Zoom", "ALL SERVICES", ALL_SERVICES, ""]


def test_score_and_the_api_count_the_same_posts_in_all_services(
    api: Client,
    tmp_path: Path,
    model_ref: str | None,  # noqa: F811
) -> None:
    from detector.batch.pipeline import ScoreOptions, score

    rows = [(f"a{i}", T, "zoom is down", name) for i, name in enumerate(SERVICE_NAMES)]
    export = tmp_path / "posts.csv"
    with export.open("w", newline="") as f:
        csv.writer(f).writerows([("id", "created_at", "text", "svc"), *rows])
    out = tmp_path / "out"
    score(ScoreOptions(inputs=(export,), out=out, service_col="svc", model=model_ref, workers=1))
    batch = pd.read_csv(out / "series.csv")
    post(
        api,
        [
            {"id": i, "text": text, "created_at": at, **({"service": svc} if svc else {})}
            for i, at, text, svc in rows
        ],
    )
    for name in (ALL_SERVICES, "ALL SERVICES", "Zoom"):
        (mine,) = series(api, service=name, since=T, until=T)
        (theirs,) = batch.loc[batch["service"] == name].to_dict("records")
        assert (mine["outage_posts"], mine["all_posts"]) == (
            theirs["outage_posts"],
            theirs["all_posts"],
        ), name
    # every post once in 'all services'; the sender's 'ALL SERVICES' is a service of its own
    overall = batch.loc[batch["service"] == ALL_SERVICES, "all_posts"].tolist()
    assert overall == [len(rows)]
    assert batch.loc[batch["service"] == "ALL SERVICES", "all_posts"].tolist() == [1]


def test_the_accumulator_counts_a_named_all_services_once_on_every_path() -> None:
    at = pd.to_datetime([T] * 4 + ["2025-03-01T10:01:00Z"], utc=True)
    scored = pd.DataFrame(
        {
            "services": pd.array(
                ["Zoom", ALL_SERVICES, "ALL SERVICES", f"Zoom|{ALL_SERVICES}", None],
                dtype="string",
            ),
            "created_at": at,
            "is_outage": [True, True, False, True, False],
        }
    )
    want = [
        ("ALL SERVICES", 0, 1),
        ("Zoom", 2, 2),
        (ALL_SERVICES, 3, 4),
        (ALL_SERVICES, 0, 1),
    ]
    for add in ("add_scored", "_add_exploded"):
        acc = SeriesAccumulator("1min")
        getattr(acc, add)(scored)
        got = acc.sparse()[["service", "outage_posts", "all_posts"]]
        assert [tuple(r) for r in got.itertuples(index=False)] == want, add
    one = SeriesAccumulator("1min")
    one.add(scored.iloc[:2].rename(columns={"services": "service"}))
    assert one.sparse()[["service", "all_posts"]].values.tolist() == [
        ["Zoom", 1],
        [ALL_SERVICES, 2],
    ]


# -- 2: a service a sender named "ALL SERVICES" is read by that name -------------------
def test_a_service_named_like_all_services_in_capitals_is_read_by_its_own_name(
    api: Client,
) -> None:
    post(
        api,
        [
            {"id": "c1", "text": "zoom is down", "created_at": T, "service": "ALL SERVICES"},
            {"id": "c2", "text": "zoom is down", "created_at": T, "service": "Zoom"},
        ],
    )
    listed = {s["name"] for s in api.get("/v1/services").json()["services"]}
    assert {"ALL SERVICES", ALL_SERVICES, "Zoom"} <= listed
    status = api.get("/v1/services/ALL%20SERVICES/status").json()
    assert status["service"] == "ALL SERVICES"
    answer = api.get("/v1/series", params={"service": "ALL SERVICES", "since": T, "until": T})
    assert answer.json()["service"] == "ALL SERVICES"
    assert [r["all_posts"] for r in answer.json()["rows"]] == [1]
    assert api.get("/v1/incidents", params={"service": "ALL SERVICES"}).status_code == 200
    # the status page links to it, and the link opens it
    assert 'href="/services/ALL%20SERVICES"' in api.get("/").text
    heading = re.search(r"<h1>([^<]*)", api.get("/services/ALL%20SERVICES").text)
    assert heading is not None and heading.group(1).strip() == "ALL SERVICES"
    # other case variants still mean the aggregate, which counts both posts
    other = api.get("/v1/series", params={"service": "All Services", "since": T, "until": T})
    assert other.json()["service"] == ALL_SERVICES
    assert [r["all_posts"] for r in other.json()["rows"]] == [2]


# -- 3: /v1/series rows are whole buckets, the same in every window --------------------
MINUTES = [0, 1, 3, 6, 8, 20, 31, 44]


def _minute(m: int) -> str:
    return f"2025-03-01T{10 + m // 60:02d}:{m % 60:02d}:00Z"


def test_a_coarse_series_row_is_the_whole_bucket_whatever_the_window(api: Client) -> None:
    texts = ["zoom is down", "hello"] + ["hello"] * (len(MINUTES) - 2)
    post(
        api,
        [
            {"id": f"s{m}", "text": t, "created_at": _minute(m), "service": "Zoom"}
            for m, t in zip(MINUTES, texts, strict=True)
        ],
    )
    ask = {"service": "Zoom", "bucket": "5min"}
    first = series(api, **ask, since=_minute(2), until=_minute(6))
    second = series(api, **ask, since=_minute(5), until=_minute(10))
    assert [r["bucket_start"] for r in first] == [_minute(0), _minute(5)]
    assert first[0]["all_posts"] == 3  # the 10:00 bucket whole, 10:00 and 10:01 included
    assert first[1] == second[0]  # the 10:05 bucket, asked as the last and as the first row
    assert first[1]["all_posts"] == 2
    assert first[1]["baseline"] is not None  # judged: its baseline is compared too
    # any window gives every bucket it holds as the whole day's series gives it
    whole = {r["bucket_start"]: r for r in series(api, **ask, since=_minute(0), until=_minute(44))}
    for since, until in [(1, 7), (4, 21), (9, 33), (12, 44), (26, 27)]:
        for row in series(api, **ask, since=_minute(since), until=_minute(until)):
            assert row == whole[row["bucket_start"]], (since, until, row)
    # paging with since = the previous until repeats the seam bucket with the same values
    page_1 = series(api, **ask, since=_minute(0), until=_minute(22))
    page_2 = series(api, **ask, since=_minute(22), until=_minute(44))
    assert page_1[-1] == page_2[0]


# -- 5, 6: the status page's 24 hours and the latest judged bucket ---------------------
DAY_1 = "2025-03-01T10:05:00Z"
DAY_2 = "2025-03-02T10:50:00Z"


@pytest.fixture
def a_day_apart(api: Client) -> dict[str, Any]:
    """Slack posts 24 h 45 min apart; the answer to the second."""
    post(
        api, [{"id": "k1", "text": "slack is fine today", "created_at": DAY_1, "service": "Slack"}]
    )
    return post(
        api, [{"id": "k2", "text": "slack is fine today", "created_at": DAY_2, "service": "Slack"}]
    )


def test_the_status_page_24_hour_columns_hold_exactly_the_last_24_hours(
    api: Client, a_day_apart: dict[str, Any]
) -> None:
    text = page_text(api, "/")
    row = re.search(r"Slack (\S+ )?- (\d+) (\d+)", text)
    assert row is not None, text
    assert row.group(3) == "1"  # the post of 24 h 45 min before now is not counted
    from detector.api.statusdata import overview

    runtime = api.app.state.runtime  # type: ignore[attr-defined]
    view = overview(runtime.db, runtime.scorer.catalog)
    (slack,) = [r for r in view.rows if r.name == "Slack"]
    assert slack.all_posts == 1 and len(slack.hourly) == 24
    assert sum(slack.hourly) == slack.outage_posts


def test_the_latest_judged_bucket_is_the_newest_closed_one(
    api: Client, a_day_apart: dict[str, Any]
) -> None:
    judged = pd.Timestamp(a_day_apart["judged_until"])
    status = api.get("/v1/services/Slack/status").json()
    assert pd.Timestamp(status["bucket_start"]) == judged - pd.Timedelta(minutes=1)
    assert (status["outage_posts"], status["all_posts"], status["status"]) == (0, 0, "ok")
    assert status["score"] == 0.0
    (row,) = series(
        api, service="Slack", since=status["bucket_start"], until=status["bucket_start"]
    )
    assert (row["outage_posts"], row["all_posts"], row["status"]) == (0, 0, "ok")
    assert row["baseline"] == status["baseline"]
    text = page_text(api, "/services/Slack")
    assert f"Latest judged bucket ({status['bucket_start'][11:16]}): 0 outage of 0 posts" in text


def test_a_latest_judged_bucket_of_another_day_shows_its_date() -> None:
    status = {"status": "ok", "bucket_start": DAY_1, "outage_posts": 1, "all_posts": 1,
              "baseline": 0.0}  # fmt: skip
    now = pd.Timestamp(DAY_2)
    html = service_page(
        "Slack", status, pd.DataFrame(), [], Zone(), now=now, judged=now - pd.Timedelta("3min")
    )
    assert "Latest judged bucket (10:05 UTC, 1 Mar 2025): 1 outage of 1 posts" in unescape(html)
    same_day = {**status, "bucket_start": "2025-03-02T10:47:00Z"}
    html = service_page("Slack", same_day, pd.DataFrame(), [], Zone(), now=now, judged=None)
    assert "Latest judged bucket (10:47): " in unescape(html)


# -- 7: what an id may be ---------------------------------------------------------------
RULE = "an id must be a string of 1 to 256 characters or an integer"


@pytest.mark.parametrize(
    ("value", "got"),
    [
        (1.5, "a decimal number"),
        ("", "an empty string"),
        ("s" * 257, "257 characters"),
        (None, "null"),
        (True, "a boolean"),
    ],  # fmt: skip
)
@pytest.mark.parametrize("path", ["/v1/posts", "/v1/classify"])
def test_a_bad_post_id_is_422_saying_what_an_id_may_be(
    api: Client, path: str, value: object, got: str
) -> None:
    if path == "/v1/classify" and value is None:
        return  # a post to classify may leave its id out
    body = {"posts": [{"id": value, "text": "x", "created_at": T}]}
    answer = api.post(path, json=body)
    assert answer.status_code == 422
    assert answer.json()["detail"] == f"posts.0.id: {RULE} (got {got})"
    assert "item" not in answer.text


def test_integer_and_string_ids_are_still_accepted(api: Client) -> None:
    body = {"posts": [{"id": 17, "text": "x", "created_at": T}, {"id": "s" * 256, "text": "x",
                                                                 "created_at": T}]}  # fmt: skip
    assert api.post("/v1/posts", json=body).json()["accepted"] == 2
