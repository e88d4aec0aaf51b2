"""Defects a tester integrating the API found (session 18), against real servers on free
loopback ports (`python -m detector serve`), real database files and the real CLI."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from support import free_port
from test_api_hardening import (  # noqa: F401 - model_ref: a fixture the servers use
    _serve,
    closed_server,
    model_ref,
    open_server,
)
from test_api_server import Server

from detector.api.alerts import enqueue
from detector.api.db import Database
from detector.api.intake import ALL_SERVICES
from detector.api.live import LiveDetector
from detector.api.metrics import Metrics
from detector.api.queries import list_incidents
from detector.api.settings import Settings
from detector.errors import UsageError

RANGE = "Value error, must be between 1970-01-01 and 2100-01-01 (UTC)"
#: The one post this module ingests (open_server): 2015-02-24T19:53:00Z.
POST = {"id": "s18-1", "text": "is gmail down?", "created_at": "2015-02-24T19:53:00Z"}
POST_EPOCH = 1_424_807_580


def _ingest_the_post(server: Server) -> None:
    with server.client(None) as c:
        assert c.post("/v1/posts", json={"posts": [POST]}).status_code == 200


# -- 1: times at the edge of the datetime range, with an offset -------------------------
EDGE_TIMES = [
    (
        "post",
        "/v1/posts",
        {"json": {"posts": [{**POST, "created_at": "0001-01-01T00:30:00+01:00"}]}},
        f"posts.0.created_at: {RANGE}",
    ),
    (
        "post",
        "/v1/classify",
        {"json": {"posts": [{"text": "gmail down", "created_at": "9999-12-31T23:59:59-01:00"}]}},
        f"posts.0.created_at: {RANGE}",
    ),
    (
        "post",
        "/v1/detect",
        {
            "json": {
                "series": [
                    {"time": "0001-01-01T00:00:00+01:00", "value": 1},
                    {"time": "2026-01-01T00:01:00Z", "value": 2},
                ]
            }
        },
        f"series.0.time: {RANGE}",
    ),
    (
        "get",
        "/v1/incidents",
        {"params": {"since": "0001-01-01T00:00:00+01:00"}},
        f"query parameter 'since': {RANGE}",
    ),
    (
        "get",
        "/v1/series",
        {"params": {"until": "9999-12-31T23:59:59-01:00"}},
        f"query parameter 'until': {RANGE}",
    ),
]


@pytest.mark.parametrize(("method", "path", "kwargs", "detail"), EDGE_TIMES)
def test_a_time_with_an_offset_at_the_edge_of_the_date_range_is_422(
    open_server: Server,  # noqa: F811 - the imported fixture
    method: str,
    path: str,
    kwargs: dict,
    detail: str,
) -> None:
    with open_server.client(None) as c:
        got = getattr(c, method)(path, **kwargs)
    assert got.status_code == 422, got.text  # was 500 (OverflowError)
    assert got.json()["detail"] == detail


# -- 2: the incidents limit counts what is returned --------------------------------------
def _incident(con: sqlite3.Connection, service: str, started: int, detected: int,
              resolved: int | None) -> int:  # fmt: skip
    cur = con.execute(
        "INSERT INTO incidents (service, status, started_at, detected_at, resolved_at, "
        "peak_at, severity) VALUES (?, ?, ?, ?, ?, ?, 'warning')",
        (
            service,
            "open" if resolved is None else "resolved",
            started,
            detected,
            resolved,
            detected,
        ),  # fmt: skip
    )
    return int(cur.lastrowid)


@pytest.fixture
def hidden_aggregates(tmp_path: Path) -> Iterator[tuple[Database, dict[str, int]]]:
    """A named incident, 150 newer 'all services' incidents it explains (hidden from the
    list), and one newer 'all services' incident nothing explains (listed)."""
    db = Database(tmp_path / "state.db", bucket_seconds=60)
    with db.write() as con:
        ids = {"named": _incident(con, "Gmail", 0, 10, 5000)}
        for i in range(150):
            _incident(con, ALL_SERVICES, 1000 + i, 1000 + i, 1200 + i)
        ids["alone"] = _incident(con, ALL_SERVICES, 6000, 6001, 6100)
    yield db, ids
    db.close()


def test_the_incidents_limit_counts_incidents_returned_not_rows_read(
    hidden_aggregates: tuple[Database, dict[str, int]],
) -> None:
    from detector.text.catalog import Catalog

    db, ids = hidden_aggregates
    catalog = Catalog.load(None)

    def listed(limit: int, **kw: object) -> list[int]:
        return [i["id"] for i in list_incidents(db, catalog, limit=limit, **kw)]

    # newest detection first; the 150 explained 'all services' incidents are not listed
    assert listed(100) == [ids["alone"], ids["named"]]
    assert listed(2) == [ids["alone"], ids["named"]]  # was [alone]: LIMIT before the filter
    assert listed(1) == [ids["alone"]]
    assert listed(1, since=4000) == [ids["alone"]]
    assert listed(1, status="resolved", since=1500) == [ids["alone"]]
    assert listed(2, since=4000) == [ids["alone"], ids["named"]]
    # a service filter lists its own incidents, 'all services' ones included
    assert len(listed(1000, service=ALL_SERVICES)) == 151
    assert listed(3, service=ALL_SERVICES)[0] == ids["alone"]


# -- 3: /metrics values are exact ---------------------------------------------------------
def test_metrics_print_integers_exactly_and_floats_in_full() -> None:
    text = Metrics().render(
        {
            "outage_event_time_seconds": ("gauge", "Watermark.", 1_424_807_580),
            "outage_posts_ingested_total": ("counter", "Posts.", 1_234_567),
            "outage_ratio": ("gauge", "A float.", 0.123456789),
        }
    )
    lines = text.splitlines()
    assert "outage_event_time_seconds 1424807580" in lines  # was 1.42481e+09
    assert "outage_posts_ingested_total 1234567" in lines  # was 1.23457e+06
    assert "outage_ratio 0.123456789" in lines  # was 0.123457


def test_the_served_watermark_is_the_exact_epoch(
    open_server: Server,  # noqa: F811 - the imported fixture
) -> None:
    _ingest_the_post(open_server)
    with open_server.client(None) as c:
        lines = c.get("/metrics").text.splitlines()
    assert f"outage_event_time_seconds {POST_EPOCH}" in lines


# -- 4: the OpenAPI document says what the server answers ---------------------------------
ERROR_REF = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}
KEY_SCHEMES = [{"ApiKey": []}, {"Bearer": []}, {"Basic": []}]


def test_openapi_documents_error_bodies_statuses_and_the_key(
    closed_server: Server,  # noqa: F811 - the imported fixture
) -> None:
    with closed_server.client() as c:
        doc = c.get("/openapi.json").json()
        # the bodies the document promises
        refused = c.post("/v1/posts", json={}, headers={"X-API-Key": "nope"})
        invalid = c.post("/v1/posts", json={})
    schemas = doc["components"]["schemas"]
    assert "HTTPValidationError" not in schemas and "ValidationError" not in schemas
    assert schemas["ErrorOut"]["required"] == ["detail"]
    assert schemas["ErrorOut"]["properties"]["detail"]["type"] == "string"
    assert doc["components"]["securitySchemes"] == {
        "ApiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
        "Bearer": {"type": "http", "scheme": "bearer", "description": "The API key as the token."},
        "Basic": {
            "type": "http",
            "scheme": "basic",
            "description": "The API key as the password, any user name (for browsers).",
        },
    }
    expected = {
        ("post", "/v1/posts"): ["200", "400", "401", "408", "413", "415", "422"],
        ("post", "/v1/classify"): ["200", "400", "401", "408", "413", "415", "422", "503"],
        ("post", "/v1/detect"): ["200", "400", "401", "408", "413", "415", "422", "503"],
        ("get", "/v1/incidents"): ["200", "400", "401", "404", "422"],
        ("get", "/v1/series"): ["200", "400", "401", "404", "422"],
        ("get", "/v1/services/{name}/status"): ["200", "400", "401", "404", "422"],
        ("get", "/v1/services"): ["200", "400", "401"],
        ("get", "/metrics"): ["200", "400", "401"],
        ("get", "/healthz"): ["200", "400"],
    }
    found = {
        (m, p): list(op["responses"]) for p, ops in doc["paths"].items() for m, op in ops.items()
    }
    assert found == expected
    for (method, path), statuses in expected.items():
        op = doc["paths"][path][method]
        for status in statuses[1:]:
            assert op["responses"][status]["content"] == ERROR_REF, (path, status)
        # reads are closed on this server: every operation but /healthz needs the key
        assert op.get("security") == (None if path == "/healthz" else KEY_SCHEMES), path
    assert refused.status_code == 401 and list(refused.json()) == ["detail"]
    assert invalid.status_code == 422 and list(invalid.json()) == ["detail", "errors"]
    # integer ids are accepted, so documented; classify does not echo created_at
    assert schemas["PostIn"]["properties"]["id"]["anyOf"] == [
        {"type": "string", "maxLength": 256, "minLength": 1},
        {"type": "integer"},
    ]
    assert "echoed back only" not in schemas["ClassifyPost"]["description"]
    assert "``created_at`` is accepted" in schemas["ClassifyPost"]["description"]


def test_openapi_makes_the_key_optional_where_the_settings_do_not_need_it(
    tmp_path: Path,
) -> None:
    from detector.api.app import create_app

    doc = create_app(Settings(db=str(tmp_path / "s.db"), api_key="k")).openapi()
    posts, incidents = doc["paths"]["/v1/posts"]["post"], doc["paths"]["/v1/incidents"]["get"]
    assert posts["security"] == KEY_SCHEMES and "401" in posts["responses"]
    # reads open: the key may be sent (Swagger UI's Authorize) but is not needed, no 401
    assert incidents["security"] == [*KEY_SCHEMES, {}] and "401" not in incidents["responses"]


# -- 5: the alert says the width its peak is counted in -----------------------------------
def test_the_alert_text_says_peak_posts_are_per_5_minutes_at_1_minute_buckets(
    tmp_path: Path,
) -> None:
    db = Database(tmp_path / "state.db", bucket_seconds=60)
    t0 = 1_763_200_800  # 2025-11-15T10:00:00Z
    # a day and a half of 1 outage post every 5 minutes, then 15 minutes of 12 a minute
    counts = [1 if i % 5 == 0 else 0 for i in range(2160)] + [12] * 15 + [0] * 60
    with db.write() as con:
        for i, n in enumerate(counts):
            for name in ("Gmail", ALL_SERVICES):
                con.execute(
                    "INSERT INTO counts (service, bucket, all_posts, outage_posts) "
                    "VALUES (?, ?, ?, ?)",
                    (name, t0 + 60 * i, n + 1, n),
                )
        for name in ("Gmail", ALL_SERVICES):
            con.execute(
                "INSERT INTO services VALUES (?, ?, ?)", (name, t0, t0 + 60 * (len(counts) - 1))
            )
        con.execute("INSERT INTO counters VALUES ('max_event', ?)", (t0 + 60 * len(counts),))
    urls = ("http://127.0.0.1:9/a",)
    live = LiveDetector(
        db, Settings(db="unused.db"), on_events=lambda con, ev: enqueue(con, ev, urls)
    )
    live.catch_up()
    bodies = [json.loads(p) for (p,) in db.read().execute("SELECT payload FROM deliveries")]
    db.close()
    opened = next(b for b in bodies if b["event"]["kind"] == "open")
    peak = opened["event"]["peak_posts"]
    assert 12 < peak <= 60  # more than any one minute holds: a 5-minute count
    assert f"peak {peak:g} outage posts per 5 min, baseline" in opened["text"]
    assert "per bucket" not in opened["text"]


# -- 6: a --db in a missing folder is 73 and names the option -----------------------------
def test_a_database_in_a_missing_folder_is_73_naming_db_and_outage_db(tmp_path: Path) -> None:
    db = tmp_path / "no_such_folder" / "state.db"
    run = _serve(["--port", str(free_port())], db)
    assert run.returncode == 73, run.stderr  # was 64, naming only OUTAGE_DB
    assert run.stderr == (
        f"error: cannot create the database '{db}' (--db / OUTAGE_DB): its folder "
        f"'{db.parent}' does not exist\n"
    )
    assert list(tmp_path.iterdir()) == []


# -- 7: clearer messages, HEAD -------------------------------------------------------------
@pytest.mark.parametrize(
    ("headers", "got"),
    [
        (
            {"Content-Type": "application/x-www-form-urlencoded"},
            "got 'application/x-www-form-urlencoded'",
        ),
        ({"Content-Type": "text/plain"}, "got 'text/plain'"),
        ({}, "none was sent"),
    ],
)
def test_a_json_body_sent_without_a_json_content_type_is_415_saying_so(
    open_server: Server,  # noqa: F811 - the imported fixture
    headers: dict[str, str],
    got: str,
) -> None:
    body = json.dumps({"posts": [POST]}).encode()
    with httpx.Client(base_url=open_server.url, timeout=30) as c:
        answer = c.post("/v1/posts", content=body, headers=headers)
    assert answer.status_code == 415, answer.text  # was 422 "a valid dictionary ..."
    assert answer.json() == {
        "detail": f"the request body must be JSON sent with 'Content-Type: application/json' "
        f"({got})"
    }


def test_a_body_that_is_not_utf8_is_400_saying_so(
    open_server: Server,  # noqa: F811 - the imported fixture
) -> None:
    body = b'{"posts":[{"id":"2","text":"caf\xe9 wifi down","created_at":"2015-02-24T19:53:00Z"}]}'
    with open_server.client(None) as c:
        got = c.post("/v1/posts", content=body, headers={"Content-Type": "application/json"})
    offset = body.index(b"\xe9")
    assert got.status_code == 400  # was "There was an error parsing the body"
    assert got.json() == {
        "detail": f"the request body is not valid UTF-8 (byte 0xe9 at offset {offset}: "
        "invalid continuation byte); send JSON encoded as UTF-8"
    }


def test_since_after_the_newest_post_names_the_until_it_was_compared_with(
    open_server: Server,  # noqa: F811 - the imported fixture
) -> None:
    _ingest_the_post(open_server)
    with open_server.client(None) as c:
        implied = c.get("/v1/series", params={"since": "2015-02-25T00:00:00Z"})
        given = c.get(
            "/v1/series", params={"since": "2015-02-25T00:00:00Z", "until": "2015-02-24T00:00:00Z"}
        )
    assert implied.status_code == 422
    assert implied.json()["detail"] == (
        "query parameter 'since' (2015-02-25T00:00:00Z) must not be after 'until', which "
        "defaults to the newest post's time (2015-02-24T19:53:00Z)"
    )
    assert given.json()["detail"] == "query parameter 'since' must not be after 'until'"


def test_head_is_answered_where_get_is(
    open_server: Server,  # noqa: F811 - the imported fixture
) -> None:
    with open_server.client(None) as c:
        for path in ("/healthz", "/", "/v1/services"):
            get, head = c.get(path), c.head(path)
            assert head.status_code == 200, path  # was 405
            assert (
                head.content == b"" and head.headers["content-type"] == get.headers["content-type"]
            )
        posts = c.head("/v1/posts")  # a POST-only route: still 405
        metrics = c.get("/metrics").text
    assert posts.status_code == 405
    assert 'outage_http_requests_total{method="HEAD",route="/healthz",status="200"}' in metrics


# -- 8: an empty API key is refused ---------------------------------------------------------
EMPTY_KEY = (
    "The API key ('--api-key' / 'OUTAGE_API_KEY') is empty (an unset shell variable?): give "
    "a key, or leave the option and the variable out to run with writes open."
)


def test_an_empty_api_key_is_refused_with_exit_64(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    # README: serve --api-key "$KEY" with KEY unset; was a server with writes open
    run = _serve(["--port", str(free_port()), "--api-key", ""], db)
    assert (run.returncode, run.stderr) == (64, f"error: {EMPTY_KEY}\n")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("value", ["", "  "])
def test_an_empty_api_key_variable_is_refused(value: str) -> None:
    with pytest.raises(UsageError) as refused:
        Settings.from_env({"OUTAGE_API_KEY": value})
    assert str(refused.value) == EMPTY_KEY
    assert Settings.from_env({}).api_key is None  # no key at all: writes open, as before


# -- the posts table keeps each post's services as a JSON list ------------------------------
def test_stored_service_names_keep_a_bar(open_server: Server) -> None:  # noqa: F811
    """Names were joined with '|': 'Foo|Bar' and ['Foo', 'Bar'] were stored alike."""
    post = {"id": "bar-1", "text": "is it down?", "created_at": "2015-02-24T19:54:00Z"}
    with open_server.client(None) as c:
        assert c.post("/v1/posts", json={"posts": [{**post, "service": "Foo|Bar"}]}).is_success
    with sqlite3.connect(open_server.db) as con:
        [(stored,)] = con.execute("SELECT services FROM posts WHERE id = 'bar-1'").fetchall()
    assert json.loads(stored) == ["Foo|Bar"]
