"""The real server (`python -m detector serve` in a subprocess) over HTTP on loopback.

Uses the real classifier: the shipped default model when there is one, else a model
trained once per session with `outage-detector train` on a small generated CSV.
"""

from __future__ import annotations

import csv
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from support import free_port

REPO = Path(__file__).resolve().parents[1]
KEY = "test-key-123"
T0 = 1_763_460_000  # 2025-11-18T10:00:00Z, a bucket start well in the past
BS = 300

OUTAGE_TEXTS = [
    "gmail is down, can't access my email at all",
    "is gmail down? emails not loading since this morning",
    "gmail outage again, cannot log in",
    "gmail not working for anyone else? error on every page",
]
OTHER_TEXTS = [
    "had a lovely lunch with my team today",
    "new blog post about gardening is up",
    "watching the football tonight with friends",
]


# -- the model ------------------------------------------------------------------------
def _training_csv(path: Path) -> None:
    rng = random.Random(7)
    services = ["gmail", "outlook", "slack", "zoom", "netflix", "dropbox", "github", "teams"]
    outage = [
        "{s} is down, can't access anything",
        "is {s} down? not loading at all",
        "{s} outage again, cannot log in",
        "{s} not working, error every time",
        "can't connect to {s}, servers down?",
        "{s} down for anyone else? nothing loads",
    ]
    complaint = [
        "{s} support is useless, waited an hour",
        "charged twice by {s}, want a refund",
        "{s} raised the price again, terrible",
        "the new {s} design is awful",
    ]
    other = [
        "love the new {s} feature",
        "lunch with friends then a walk in the park",
        "reading a good book this weekend",
        "team meeting moved to friday",
        "great game last night",
    ]
    with path.open("w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["text", "label"])
        for label, templates, n in (("outage", outage, 90), ("complaint", complaint, 60),
                                    ("other", other, 120)):  # fmt: skip
            for i in range(n):
                text = rng.choice(templates).format(s=rng.choice(services))
                out.writerow([f"{text} #{i}" if i % 3 == 0 else text, label])


@pytest.fixture(scope="session")
def model_ref(tmp_path_factory: pytest.TempPathFactory) -> str | None:
    """``None`` (the shipped default model) when it works, else a model trained here."""
    from detector.text.modelstore import load_model

    try:
        load_model(None).predict_posts(["is gmail down?"])
        return None
    except Exception:  # no usable default model: train a small one with the CLI
        pass
    work = tmp_path_factory.mktemp("model")
    data = work / "train.csv"
    _training_csv(data)
    out = work / "model"
    cmd = [sys.executable, "-m", "detector", "train", "--data", str(data), "--out", str(out)]
    run = subprocess.run(cmd + ["--cv", "2"], cwd=REPO, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    return str(out)


# -- a running server -----------------------------------------------------------------
@dataclass
class Server:
    db: Path
    model: str | None
    args: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    proc: subprocess.Popen | None = None
    url: str = ""

    def start(self) -> Server:
        port = free_port()
        cmd = [sys.executable, "-m", "detector", "serve", "--port", str(port), "--db",
               str(self.db), *self.args]  # fmt: skip
        if self.model:
            cmd += ["--model", self.model]
        env = {k: v for k, v in os.environ.items() if not k.startswith("OUTAGE_")}
        self.proc = subprocess.Popen(
            cmd, cwd=REPO, env={**env, **self.env}, stderr=subprocess.PIPE, text=True
        )
        self.url = f"http://127.0.0.1:{port}"
        deadline = time.time() + 120
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"server exited: {self.proc.stderr.read()}")
            try:
                if httpx.get(self.url + "/healthz", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise AssertionError("server did not answer /healthz within 120 s")

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()

    def client(self, key: str | None = KEY) -> httpx.Client:
        return httpx.Client(
            base_url=self.url, headers={"X-API-Key": key} if key else {}, timeout=60
        )


class Receiver(BaseHTTPRequestHandler):
    """A webhook target that fails its first request, then records bodies."""

    bodies: list[dict] = []
    calls = 0

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        length = int(self.headers["Content-Length"])
        body = json.loads(self.rfile.read(length))
        type(self).calls += 1
        status = 500 if type(self).calls == 1 else 200
        if status == 200:
            type(self).bodies.append(body)
        self.send_response(status)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def webhook() -> Iterator[tuple[str, type[Receiver]]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hook", Receiver
    server.shutdown()


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, model_ref: str | None, webhook
) -> Iterator[Server]:
    url, _ = webhook
    srv = Server(
        tmp_path_factory.mktemp("api") / "state.db",
        model_ref,
        args=["--api-key", KEY, "--webhook", url],
        env={"OUTAGE_WEBHOOK_BACKOFF": "0.05"},
    ).start()
    yield srv
    srv.stop()


def posts_for(bucket: int, n_outage: int, n_other: int, prefix: str) -> list[dict]:
    """*n_outage* outage and *n_other* other posts about Gmail in bucket number *bucket*."""
    out = []
    for i in range(n_outage + n_other):
        text = OUTAGE_TEXTS[i % 4] if i < n_outage else OTHER_TEXTS[i % 3]
        out.append(
            {
                "id": f"{prefix}-{bucket}-{i}",
                "text": text,
                "created_at": T0 + bucket * BS + (i * BS) // (n_outage + n_other + 1),
                "service": "Gmail",
            }
        )
    return out


def open_incidents(c: httpx.Client, service: str) -> list[dict]:
    """*service*'s open incidents once there are some (60 s at most): judging runs beside
    the requests, a request does not wait for the background loop to finish a round."""
    deadline = time.time() + 60
    while True:
        found = c.get("/v1/incidents", params={"status": "open", "service": service}).json()
        if found["incidents"] or time.time() > deadline:
            return found["incidents"]
        time.sleep(0.1)


#: Quiet buckets before the surge (a day and an hour: past the engine's warm-up).
SURGE_FROM = 300


def gmail_story(prefix: str, surge: int = 10) -> list[dict]:
    """Quiet Gmail buckets (1 outage post, 1 other), then *surge* buckets of 30 outage posts."""
    posts: list[dict] = []
    for b in range(SURGE_FROM):
        posts += posts_for(b, 1, 1, prefix)
    for b in range(SURGE_FROM, SURGE_FROM + surge):
        posts += posts_for(b, 30, 4, prefix)
    return posts


# -- tests ------------------------------------------------------------------------------
def test_health_and_the_model_verdicts_the_other_tests_rely_on(server: Server) -> None:
    with server.client(None) as c:
        health = c.get("/healthz").json()
        assert health["status"] == "ok" and health["detection_leader"] is True
        got = c.post(
            "/v1/classify",
            json={
                "posts": [{"text": t, "id": i} for i, t in enumerate(OUTAGE_TEXTS + OTHER_TEXTS)]
            },  # fmt: skip
        )
    assert got.status_code == 200
    verdicts = got.json()["posts"]
    assert [v["id"] for v in verdicts] == [str(i) for i in range(7)]
    assert [v["is_outage"] for v in verdicts] == [True] * 4 + [False] * 3
    assert verdicts[0]["services"] == ["Gmail"] and verdicts[4]["services"] == []
    assert all(0.0 <= v["outage_prob"] <= 1.0 for v in verdicts)
    assert verdicts[0]["symptom"] is not None and verdicts[4]["symptom"] is None


def test_writes_need_the_key_and_reads_are_open(server: Server) -> None:
    batch = {"posts": posts_for(0, 1, 0, "auth")}
    with server.client(None) as c:
        missing = c.post("/v1/posts", json=batch)
        wrong = c.post("/v1/posts", json=batch, headers={"X-API-Key": "nope"})
        bearer = c.post("/v1/posts", json=batch, headers={"Authorization": f"Bearer {KEY}"})
        read = c.get("/v1/incidents")
    assert missing.status_code == 401 and "need the API key" in missing.json()["detail"]
    assert wrong.status_code == 401 and wrong.json() == {"detail": "the API key is not valid"}
    assert bearer.status_code == 200 and read.status_code == 200


def test_a_resent_batch_is_not_counted_twice(server: Server) -> None:
    batch = {"posts": posts_for(0, 3, 3, "idem")}
    with server.client() as c:
        first = c.post("/v1/posts", json=batch).json()
        again = c.post("/v1/posts", json=batch).json()
        # a batch with an id repeated inside it counts that post once
        twice = c.post("/v1/posts", json={"posts": posts_for(0, 1, 0, "dup") * 2}).json()
    assert (first["accepted"], first["duplicates"]) == (6, 0)
    assert (again["accepted"], again["duplicates"]) == (0, 6)
    assert (twice["received"], twice["accepted"], twice["duplicates"]) == (2, 1, 1)


def test_blank_posts_are_not_counted_and_blank_or_spaced_names_are_cleaned(
    server: Server,
) -> None:
    posts = posts_for(0, 1, 1, "blank")
    posts[0]["service"] = "  Foo/Bar  "  # spaces around a name are not part of it
    posts[1]["service"] = "   "  # names nothing: the catalog decides (Gmail in the text)
    posts[1]["text"] = "gmail is fine today"
    posts.append({**posts[1], "id": "blank-empty", "text": "  \n "})
    with server.client() as c:
        got = c.post("/v1/posts", json={"posts": posts}).json()
        names = {s["name"] for s in c.get("/v1/services").json()["services"]}
        status = c.get("/v1/services/Foo/Bar/status")
    assert (got["received"], got["accepted"], got["duplicates"], got["blank"]) == (3, 2, 0, 1)
    assert "Foo/Bar" in names and not any(n.strip() != n or not n.strip() for n in names)
    assert status.status_code == 200 and status.json()["service"] == "Foo/Bar"


def test_an_incident_from_posted_posts_shows_in_incidents_status_series_and_alerts(
    server: Server, webhook
) -> None:
    _, receiver = webhook
    story = gmail_story("story")
    with server.client() as c:
        for start in range(0, len(story), 500):
            answer = c.post("/v1/posts", json={"posts": story[start : start + 500]})
            assert answer.status_code == 200, answer.text
        open_incidents(c, "Gmail")
        incidents = c.get("/v1/incidents", params={"service": "gmail"}).json()["incidents"]
        status = c.get("/v1/services/Gmail/status").json()
        series = c.get(
            "/v1/series", params={"service": "Gmail", "bucket": "10min", "since": T0}
        ).json()
        listed = c.get("/v1/incidents", params={"status": "open"}).json()["incidents"]
        metrics = c.get("/metrics").text
    (inc,) = incidents
    surge = T0 + SURGE_FROM * BS
    assert inc["service"] == "Gmail" and inc["status"] == "open"
    assert _epoch(inc["started_at"]) == surge and _epoch(inc["detected_at"]) > surge
    assert inc["peak_posts"] >= 30 and inc["severity"] == "major"
    assert inc["sample_posts"] and set(inc["sample_posts"]) <= set(OUTAGE_TEXTS)
    assert inc["symptoms"] and abs(sum(inc["symptoms"].values()) - 1) < 1e-3
    # raised minutes into the surge as a warning, major once an hour holds 20+ posts
    assert [h["kind"] for h in inc["history"]] == ["open", "escalate"]
    assert [i["id"] for i in listed] == [inc["id"]]  # 'all services' is explained by Gmail
    assert status["status"] == "outage" and status["open_incident"]["id"] == inc["id"]
    # the open bucket is the one event time is in now: the story's newest post's minute
    newest = max(p["created_at"] for p in story)
    assert _epoch(status["current_bucket_start"]) == newest - newest % 60
    # the server judges one-minute buckets (the engine's step): 30 posts per 5 minutes
    assert status["outage_posts"] >= 4 and status["baseline"] < 2
    rows = {r["bucket_start"]: r for r in series["rows"]}
    first = rows["2025-11-18T10:00:00Z"]
    assert first["outage_posts"] >= 2 and first["all_posts"] >= 4 and first["status"] == "ok"
    assert "outage_open_incidents 2" in metrics  # Gmail and 'all services'
    assert "outage_posts_ingested_total" in metrics
    assert 'route="/v1/posts",status="200"' in metrics
    deadline = time.time() + 30
    while time.time() < deadline and len(receiver.bodies) < 2:
        time.sleep(0.1)
    assert receiver.calls == 3  # the first attempt got a 500 and was retried
    # 'all services' repeats Gmail's incident: not alerted; the retried open may come last
    alert, escalation = sorted(receiver.bodies, key=lambda b: b["event"]["kind"] != "open")
    assert alert["event"]["kind"] == "open" and alert["event"]["service"] == "Gmail"
    assert alert["text"].startswith("[outage-detector] Gmail: incident OPENED (warning)")
    assert escalation["event"]["kind"] == "escalate"
    with sqlite3.connect(server.db) as con:
        attempts = con.execute(
            "SELECT ok, http_status FROM delivery_attempts ORDER BY id LIMIT 2"
        ).fetchall()
    assert attempts == [(0, 500), (1, 200)]


def _epoch(iso: str) -> int:
    import pandas as pd

    return int(pd.Timestamp(iso).timestamp())


LONG_TEXT = {"posts": [{"id": "a", "text": "x" * 5001, "created_at": T0}]}
FUTURE = {"posts": [{"id": "a", "text": "x", "created_at": "2099-01-01"}]}
TOO_MANY = {"posts": [{"text": "x"}] * 1001}
BAD_REQUESTS = [
    ("post", "/v1/posts", {"content": b"{not json"}, 400, "not valid JSON"),
    ("post", "/v1/posts", {"json": {"posts": "many"}}, 422, "posts: Input should be a valid list"),
    ("post", "/v1/posts", {"json": {"posts": []}}, 422, "posts: List should have at least 1"),
    ("post", "/v1/posts", {"json": LONG_TEXT}, 422, "posts.0.text: String should have at most"),
    ("post", "/v1/posts", {"json": FUTURE}, 422, "posts.0.created_at: 2099-01-01T00:00:00Z is"),
    ("post", "/v1/posts", {"content": b"[" * (6 << 20)}, 413, "the limit is 5242880 bytes"),
    ("post", "/v1/classify", {"json": TOO_MANY}, 422, "posts: List should have at most 1000"),
    ("get", "/v1/services/NoSuchService/status", {}, 404, "GET /v1/services lists"),
    ("get", "/v1/incidents", {"params": {"service": "nope"}}, 404, "unknown service 'nope'"),
    ("get", "/v1/incidents", {"params": {"status": "burning"}}, 422, "query parameter 'status'"),
    ("get", "/v1/incidents", {"params": {"since": "9999-01-01"}}, 422, "between 1970-01-01"),
    ("get", "/v1/series", {"params": {"bucket": "90s"}}, 422, "multiple of the server's bucket"),
    ("get", "/v1/series", {"params": {"since": "yesterday"}}, 422, "query parameter 'since'"),
]


@pytest.mark.parametrize(("method", "path", "kwargs", "status", "detail"), BAD_REQUESTS)
def test_bad_requests_get_4xx_with_a_message(
    server: Server, method: str, path: str, kwargs: dict, status: int, detail: str
) -> None:
    with server.client() as c:
        if "content" in kwargs:
            kwargs = {**kwargs, "headers": {"content-type": "application/json"}}
        got = getattr(c, method)(path, **kwargs)
    assert got.status_code == status, got.text
    assert detail in got.json()["detail"]
    assert "Traceback" not in got.text


def test_services_lists_catalog_names_and_status_accepts_aliases(server: Server) -> None:
    with server.client(None) as c:
        names = {s["name"]: s for s in c.get("/v1/services").json()["services"]}
        alias = c.get("/v1/services/ms teams/status")
    assert names["Gmail"]["in_catalog"] and "Microsoft Teams" in names
    assert alias.status_code == 200 and alias.json()["service"] == "Microsoft Teams"
    assert alias.json()["status"] == "ok" and alias.json()["open_incident"] is None


def test_detect_finds_the_step_in_a_posted_series(server: Server) -> None:
    quiet = SURGE_FROM + 30
    values = [3, 2, 4, 3, 2, 3, 3, 4, 2, 3] * (quiet // 10) + [40] * 10
    series = [{"time": T0 + i * BS, "value": v} for i, v in enumerate(values)]
    with server.client(None) as c:
        got = c.post("/v1/detect", json={"series": series, "service": "mine"})
        offline = c.post("/v1/detect", json={"series": series, "mode": "offline"})
        flat = c.post("/v1/detect", json={"series": [{"time": T0, "value": 1}] * 2})
    assert got.status_code == 200, got.text
    (inc,) = got.json()["incidents"]
    assert inc["service"] == "mine" and _epoch(inc["detected_at"]) >= T0 + (quiet // 10) * 10 * BS
    assert offline.status_code == 200 and offline.json()["change_points"]
    assert flat.status_code == 422 and "same time" in flat.json()["detail"]


@pytest.mark.slow
def test_sigkill_during_ingest_loses_no_acknowledged_post_and_keeps_incidents_open(
    tmp_path: Path, model_ref: str | None, request: pytest.FixtureRequest
) -> None:
    srv = Server(tmp_path / "state.db", model_ref).start()
    request.addfinalizer(srv.stop)  # a failing assertion leaves no server behind
    story = gmail_story("kill")
    batches = [story[i : i + 500] for i in range(0, len(story), 500)]
    with srv.client() as c:
        for batch in batches:
            assert c.post("/v1/posts", json={"posts": batch}).status_code == 200
        (before,) = open_incidents(c, "Gmail")
    more = [posts_for(SURGE_FROM + 10 + b, 30, 4, "more") for b in range(20)]
    acked: list[int] = []

    def feed() -> None:
        with srv.client() as c:
            for batch in more:
                try:
                    answer = c.post("/v1/posts", json={"posts": batch})
                except httpx.HTTPError:
                    return
                acked.append(answer.json()["accepted"])

    thread = threading.Thread(target=feed)
    thread.start()
    while len(acked) < 3:
        time.sleep(0.01)
    srv.kill()  # SIGKILL mid-stream
    thread.join()
    assert 3 <= len(acked) < len(more)

    srv.start()  # same database file
    with srv.client() as c:
        after = c.get("/v1/incidents", params={"status": "open", "service": "Gmail"}).json()
        counted = _counter(c.get("/metrics").text, "outage_posts_ingested_total")
        assert counted >= len(story) + sum(acked)  # every acknowledged post is counted
        assert [i["id"] for i in after["incidents"]] == [before["id"]]
        # resending everything counts only what the crash left out
        for batch in more:
            assert c.post("/v1/posts", json={"posts": batch}).status_code == 200
        total = _counter(c.get("/metrics").text, "outage_posts_ingested_total")
    srv.stop()
    assert total == len(story) + sum(len(b) for b in more)
    with sqlite3.connect(srv.db) as con:
        assert con.execute("SELECT count(*) FROM posts").fetchone()[0] == total
        summed = con.execute(
            "SELECT sum(all_posts) FROM counts WHERE service = 'all services'"
        ).fetchone()[0]
    assert summed == total


def _counter(metrics: str, name: str) -> int:
    line = next(x for x in metrics.splitlines() if x.startswith(name + " "))
    return int(float(line.split()[1]))


@pytest.mark.slow
def test_two_workers_share_one_state_and_one_detection_leader(
    tmp_path: Path, model_ref: str | None
) -> None:
    srv = Server(tmp_path / "state.db", model_ref, args=["--workers", "2"]).start()
    story = gmail_story("two")
    try:
        with srv.client() as c:
            for start in range(0, len(story), 100):  # batches land on either worker
                assert c.post("/v1/posts", json={"posts": story[start : start + 100]}).is_success
            again = c.post("/v1/posts", json={"posts": story[:100]}).json()
            deadline = time.time() + 30
            found: list[dict] = []
            while time.time() < deadline and not found:
                found = c.get("/v1/incidents", params={"service": "Gmail"}).json()["incidents"]
                time.sleep(0.2)
            metrics = c.get("/metrics").text
    finally:
        srv.stop()
    assert again["duplicates"] == 100
    assert len(found) == 1 and _epoch(found[0]["started_at"]) == T0 + SURGE_FROM * BS
    assert _counter(metrics, "outage_posts_ingested_total") == len(story)
    with sqlite3.connect(srv.db) as con:
        assert con.execute("SELECT count(*) FROM incidents WHERE service = 'Gmail'").fetchone() == (
            1,
        )


@pytest.mark.slow
def test_schema_driven_fuzzing_finds_no_server_error(server: Server) -> None:
    """Generated requests for every operation of the app's own OpenAPI: no 5xx.

    Last in this file: it sends random posts to the module's server.
    """
    import schemathesis
    from hypothesis import HealthCheck, Phase, given, settings

    schema = schemathesis.openapi.from_url(server.url + "/openapi.json")
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=8,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        def check(case) -> None:  # noqa: ANN001 - a schemathesis Case
            response = case.call(base_url=server.url, headers={"X-API-Key": KEY}, timeout=60)
            if response.status_code >= 500:
                failures.append((case.method, case.formatted_path, response.text[:300]))

        check()
    assert failures == [], "\n".join(map(str, failures))


def test_a_request_sent_as_soon_as_the_banner_shows_is_answered(tmp_path: Path) -> None:
    port = free_port()
    cmd = [sys.executable, "-m", "detector", "serve", "--port", str(port),
           "--db", str(tmp_path / "state.db")]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith("OUTAGE_")}
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stderr=subprocess.PIPE, text=True)
    try:
        banner = proc.stderr.readline()
        assert banner.startswith("outage-detector API on http://127.0.0.1:"), banner
        # no retry: the port listens from the banner on, the request waits for the app
        got = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=120)
        assert got.status_code == 200
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=20)
