"""Issue 13 against real servers on free loopback ports: cost, process model, bad
parameters, exposure and unauthenticated load (`python -m detector serve` subprocesses)."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote_from_bytes

import httpx
import psutil
import pytest
from support import free_port
from test_api_server import (  # noqa: F401, F811 - model_ref is a fixture
    KEY,
    REPO,
    Server,
    gmail_story,
    model_ref,
)

NOW = int(time.time())


def _serving(
    factory: pytest.TempPathFactory, name: str, model: str | None, **kwargs: Any
) -> Iterator[Server]:
    """A server on a fresh database for a module's tests, stopped afterwards."""
    srv = Server(factory.mktemp(name) / "state.db", model, **kwargs).start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def open_server(
    tmp_path_factory: pytest.TempPathFactory,
    model_ref: str | None,  # noqa: F811
) -> Iterator[Server]:
    yield from _serving(
        tmp_path_factory,
        "open",
        model_ref,
        env={"OUTAGE_BODY_TIMEOUT": "1", "OUTAGE_MIN_BODY_RATE": "100000"},
    )


@pytest.fixture(scope="module")
def closed_server(
    tmp_path_factory: pytest.TempPathFactory,
    model_ref: str | None,  # noqa: F811
) -> Iterator[Server]:
    yield from _serving(
        tmp_path_factory,
        "closed",
        model_ref,
        args=["--api-key", KEY, "--reads-closed"],
        env={"OUTAGE_MAX_NEW_SERVICES": "5"},
    )


@pytest.fixture(scope="module")
def fresh_server(
    tmp_path_factory: pytest.TempPathFactory,
    model_ref: str | None,  # noqa: F811
) -> Iterator[Server]:
    """A server that is never sent a post (its database stays as `serve` made it)."""
    yield from _serving(tmp_path_factory, "fresh", model_ref, env={"OUTAGE_HEADER_TIMEOUT": "1"})


# -- review of issue 13: a fresh database, URL paths, header deadline -------------------
def test_the_aggregate_service_exists_before_the_first_post(fresh_server: Server) -> None:
    with fresh_server.client(None) as c:
        default = c.get("/v1/series")
        named = c.get("/v1/series", params={"service": "All Services", "bucket": "1h"})
        status = c.get("/v1/services/all%20services/status")
        unknown = c.get("/v1/services/no-such-service/status")
    assert default.status_code == 200, default.text
    assert default.json() == {"service": "all services", "bucket": "1min", "rows": []}
    assert named.status_code == 200 and named.json()["service"] == "all services"
    assert status.status_code == 200, status.text
    body = status.json()
    assert (body["service"], body["status"], body["all_posts"]) == ("all services", "ok", 0)
    assert body["open_incident"] is None and body["current_bucket_start"] is None
    assert unknown.status_code == 404 and "unknown service" in unknown.json()["detail"]


def test_a_path_segment_that_is_not_utf8_is_400(fresh_server: Server) -> None:
    with fresh_server.client(None) as c:
        answers = [c.get(f"/v1/services/{seg}/status") for seg in ("%FF", "%ED%B0%80", "a%C3")]
        accented = c.get("/v1/services/caf%C3%A9/status")  # valid UTF-8: an unknown service
    for answer in answers:
        assert answer.status_code == 400
        assert answer.json() == {"detail": "the URL path is not valid UTF-8 once percent-decoded"}
    assert accented.status_code == 404 and "'café'" in accented.json()["detail"]


def _read_until_closed(sock: socket.socket) -> bytes:
    answer = b""
    while chunk := sock.recv(4096):
        answer += chunk
    return answer


def _read_one_response(sock: socket.socket) -> bytes:
    answer = b""
    while b"\r\n\r\n" not in answer:
        answer += sock.recv(4096)
    head, _, body = answer.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":")[1]) for line in head.lower().split(b"\r\n")
        if line.startswith(b"content-length:")
    )  # fmt: skip
    while len(body) < length:
        body += sock.recv(4096)
    return head + b"\r\n\r\n" + body


def test_headers_that_never_finish_get_408_and_the_connection_closes(
    fresh_server: Server,
) -> None:
    host, port = fresh_server.url.removeprefix("http://").split(":")
    address = (host, int(port))
    with socket.create_connection(address, timeout=30) as partial:
        partial.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: 1")
        answer = _read_until_closed(partial)
    with socket.create_connection(address, timeout=30) as silent:
        silent_answer = _read_until_closed(silent)
    with socket.create_connection(address, timeout=30) as kept:  # a second request, unfinished
        kept.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        first = _read_one_response(kept)
        kept.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        second = _read_until_closed(kept)
    for got in (answer, silent_answer, second):
        assert got.startswith(b"HTTP/1.1 408 Request Timeout\r\n")
        assert got.endswith(
            b'{"detail": "the request headers arrived too slowly (OUTAGE_HEADER_TIMEOUT)"}'
        )
    assert first.startswith(b"HTTP/1.1 200")
    assert httpx.get(fresh_server.url + "/healthz").status_code == 200  # still serving


# -- item 5: exposure (first: it needs event time before the posts dated now) ---
def test_open_endpoints_show_no_paths_pids_or_raw_contacts(open_server: Server) -> None:
    story = gmail_story("pii")
    for post in story:
        if "down" in post["text"]:
            post["text"] += " mail jo.doe@example.com or call +1 (555) 201-3344"
    with open_server.client(None) as c:
        for start in range(0, len(story), 500):
            assert c.post("/v1/posts", json={"posts": story[start : start + 500]}).is_success
        found: list[dict] = []
        deadline = time.time() + 30
        while time.time() < deadline and not found:
            found = c.get("/v1/incidents", params={"service": "Gmail"}).json()["incidents"]
            time.sleep(0.2)
        health = c.get("/healthz")
        metrics = c.get("/metrics").text
        evil = c.get("/healthz", headers={"Host": "evil.example"})
        docs = c.get("/docs")
        redoc = c.get("/redoc")
        asset = c.get("/docs-assets/swagger-ui-bundle.js")
    samples = " ".join(found[0]["sample_posts"])
    assert "[email]" in samples and "[phone]" in samples
    assert "example.com" not in samples and "201-3344" not in samples
    assert str(open_server.db) not in health.text and "database" not in health.json()
    assert "pid" not in metrics and "worker" not in metrics
    assert evil.status_code == 400 and "Host header" in evil.json()["detail"]
    assert docs.status_code == 200 and "/docs-assets/swagger-ui-bundle.js" in docs.text
    assert "https://" not in docs.text and "https://" not in redoc.text
    assert asset.status_code == 200 and len(asset.content) > 100_000


# -- item 1: back-dated posts of new services -------------------------------------------
def test_back_dated_posts_of_a_thousand_new_services_cost_one_judged_bucket_each(
    open_server: Server,
) -> None:
    old = NOW - int(6.5 * 86400)
    with open_server.client(None) as c:
        now = c.post(
            "/v1/posts", json={"posts": [{"id": "now", "text": "hello", "created_at": NOW}]}
        )
        assert now.status_code == 200
        body = [
            {"id": f"old-{i}", "text": "is it down?", "created_at": old + i, "service": f"svc-{i}"}
            for i in range(1000)
        ]
        answer = c.post("/v1/posts", json={"posts": body})
        assert answer.status_code == 200, answer.text
        assert answer.json()["accepted"] == 1000
        assert c.get("/healthz").status_code == 200
    with sqlite3.connect(open_server.db) as con:
        judged = con.execute(
            "SELECT count(*) FROM counts WHERE service LIKE 'svc-%' AND status IS NOT NULL"
        ).fetchone()[0]
        rows = con.execute("SELECT count(*) FROM counts").fetchone()[0]
    assert judged <= 1000  # one bucket per new service, not one per bucket since then
    assert rows < 3000


def test_a_batch_with_too_many_new_services_is_refused_whole(closed_server: Server) -> None:
    posts = [
        {"id": f"n-{i}", "text": "x", "created_at": NOW - 60, "service": f"new-{i}"}
        for i in range(6)
    ]
    with closed_server.client() as c:
        refused = c.post("/v1/posts", json={"posts": posts})
        assert refused.status_code == 422
        assert (
            "at most 5 may be new per request (OUTAGE_MAX_NEW_SERVICES)" in refused.json()["detail"]
        )
        assert c.post("/v1/posts", json={"posts": posts[:5]}).json()["accepted"] == 5


# -- item 3: odd parameters are 4xx --------------------------------------------------------
def test_lone_surrogates_and_huge_buckets_are_4xx_with_a_message(open_server: Server) -> None:
    raw = '{"posts":[{"id":"\\udc00","text":"x","created_at":"2026-01-01T00:00:00Z"}]}'
    with open_server.client(None) as c:
        bad_id = c.post("/v1/posts", content=raw, headers={"content-type": "application/json"})
        assert bad_id.status_code == 422
        assert (
            "posts.0.id" in bad_id.json()["detail"] and "lone surrogate" in bad_id.json()["detail"]
        )
        text = raw.replace('"id":"\\udc00","text":"x"', '"id":"a","text":"\\ud800 down"')
        classify = c.post(
            "/v1/classify", content=text, headers={"content-type": "application/json"}
        )
        assert classify.status_code == 422
        huge = c.get("/v1/series", params={"bucket": "10000000000000000000000s"})
        assert huge.status_code == 422 and "query parameter 'bucket'" in huge.json()["detail"]
        wide = c.get("/v1/series", params={"bucket": "1000000000D"})
        assert wide.status_code == 422
        encoded = c.get("/v1/incidents?service=%ED%B0%80")
        assert encoded.status_code == 400 and "not valid UTF-8" in encoded.json()["detail"]
        path = c.get("/v1/services/%ED%B0%80/status")
        assert 400 <= path.status_code < 500


@pytest.mark.slow
def test_fuzzed_query_parameters_never_get_a_server_error(open_server: Server) -> None:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    failures: list[tuple[str, dict, int]] = []
    value = st.text(max_size=40) | st.from_regex(r"-?[0-9]{1,30}[a-zA-Z]{0,4}", fullmatch=True)
    client = open_server.client(None)

    @given(
        route=st.sampled_from(
            ["/v1/series", "/v1/incidents", "/v1/services/Gmail/status", "/v1/services"]
        ),
        params=st.dictionaries(
            st.sampled_from(["service", "since", "until", "bucket", "status", "limit"]),
            value,
            max_size=4,
        ),
    )
    @settings(max_examples=150, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    def check(route: str, params: dict[str, str]) -> None:
        # a lone surrogate cannot be sent as text: it goes as its raw (invalid) bytes
        query = "&".join(
            f"{k}={quote_from_bytes(v.encode('utf-8', 'surrogatepass'))}" for k, v in params.items()
        )
        response = client.get(f"{route}?{query}" if query else route)
        if response.status_code >= 500:
            failures.append((route, params, response.status_code))

    try:
        check()
    finally:
        client.close()
    assert failures == []


# -- item 2: process model and exit codes ----------------------------------------------
def _serve(args: list[str], db: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OUTAGE_")}
    return subprocess.run(
        [sys.executable, "-m", "detector", "serve", "--db", str(db), *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_taken_port_is_exit_69_in_one_line_without_banner_or_database(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        run = _serve(["--port", str(port)], tmp_path / "state.db")
    assert run.returncode == 69
    assert run.stderr == (
        f"error: port {port} on 127.0.0.1 is already in use (another server?); "
        "choose another with --port\n"
    )
    assert list(tmp_path.iterdir()) == []


def test_an_unusable_database_or_address_is_one_line_and_69_or_71(tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database" * 100)
    run = _serve(["--port", str(free_port())], junk)
    assert run.returncode == 69 and len(run.stderr.strip().splitlines()) == 1
    assert "cannot be used" in run.stderr and junk.read_bytes().startswith(b"this is not")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["junk.db"]  # no lock file left
    (tmp_path / "junk.db.write.lock").write_bytes(b"")  # one a server made earlier: kept
    assert _serve(["--port", str(free_port())], junk).returncode == 69
    assert sorted(p.name for p in tmp_path.iterdir()) == ["junk.db", "junk.db.write.lock"]
    run = _serve(["--host", "203.0.113.7", "--port", str(free_port())], tmp_path / "s.db")
    assert run.returncode == 71 and run.stderr.startswith("error: cannot listen on 203.0.113.7")
    assert not (tmp_path / "s.db").exists()


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux /proc")
def test_a_database_that_cannot_be_created_is_73_in_one_line(tmp_path: Path) -> None:
    # /proc takes no new files (ENOENT), as a read-only filesystem takes none (EROFS)
    run = _serve(["--port", str(free_port())], Path("/proc/outage-test.db"))
    assert run.returncode == 73, run.stderr
    assert run.stderr == (
        "error: cannot create the database '/proc/outage-test.db': No such file or "
        "directory (/proc/outage-test.db.write.lock)\n"
    )


def test_serve_help_shows_the_defaults_the_settings_use() -> None:
    from click.testing import CliRunner

    from detector.api.settings import Settings
    from detector.cli.serve import serve

    text = " ".join(CliRunner().invoke(serve, ["--help"], terminal_width=10_000).output.split())
    defaults = Settings.from_env({})
    assert f"[env OUTAGE_BUCKET; default: {defaults.bucket}]" in text
    assert f"[env OUTAGE_DB; default: {defaults.db}]" in text
    assert "[env OUTAGE_READS_OPEN; default: open]" in text and defaults.reads_open
    assert "[env OUTAGE_API_KEY; default: none]" in text and defaults.api_key is None
    assert "[env OUTAGE_MODEL; default: the default model]" in text and defaults.model is None
    assert "default 5min" not in text


@pytest.mark.slow
def test_workers_die_with_their_master_and_metrics_sum_every_worker(
    tmp_path: Path,
    model_ref: str | None,  # noqa: F811
) -> None:
    srv = Server(tmp_path / "state.db", model_ref, args=["--workers", "2"]).start()
    assert srv.proc is not None
    workers = psutil.Process(srv.proc.pid).children(recursive=True)
    with srv.client(None) as c:
        for _ in range(40):  # answered by either worker
            assert c.get("/healthz").status_code == 200
        metrics = c.get("/metrics").text
    line = next(
        x
        for x in metrics.splitlines()
        if x.startswith("outage_http_requests_total") and 'route="/healthz"' in x
    )
    assert float(line.split()[-1]) >= 40  # one scrape sees both workers
    assert "pid" not in metrics and "worker=" not in metrics
    port = srv.url.rsplit(":", 1)[1]
    srv.kill()  # SIGKILL of the master only
    gone, alive = psutil.wait_procs(workers, timeout=15)
    assert alive == []
    cmd_port = int(port)  # the same port is free again
    proc = subprocess.Popen(
        [sys.executable, "-m", "detector", "serve", "--port", str(cmd_port), "--db",
         str(tmp_path / "state.db"), *(["--model", model_ref] if model_ref else [])],
        cwd=REPO, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.time() + 120
        ok = False
        while time.time() < deadline and proc.poll() is None and not ok:
            try:
                ok = httpx.get(f"http://127.0.0.1:{cmd_port}/healthz", timeout=2).is_success
            except httpx.HTTPError:
                time.sleep(0.2)
        assert ok, proc.stderr.read() if proc.poll() is not None else "no answer"
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)


def test_docs_follow_closed_reads_and_health_shows_no_path(closed_server: Server) -> None:
    with closed_server.client(None) as anonymous:
        for path in ("/docs", "/redoc", "/openapi.json", "/metrics"):
            assert anonymous.get(path).status_code == 401, path
        health = anonymous.get("/healthz")
    assert health.status_code == 200 and str(closed_server.db) not in health.text
    with closed_server.client() as c:
        assert c.get("/openapi.json").json()["info"]["title"] == "outage-detector"
        assert c.get("/docs").status_code == 200


# -- item 4: unauthenticated load ------------------------------------------------------------
def test_a_slow_body_gets_408_and_the_connection_closes(open_server: Server) -> None:
    host, port = open_server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=20) as raw:
        raw.sendall(
            b"POST /v1/classify HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b'Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"posts":'
        )
        answer = b""
        while chunk := raw.recv(4096):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 408")
    assert b"arrived too slowly" in answer


def _concurrent_posts(
    server: Server, path: str, payload: str, n: int
) -> tuple[list[httpx.Response], list[httpx.Response]]:
    """*n* concurrent POSTs of *payload* to *path*, and 5 ``/healthz`` asked meanwhile."""
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(n) as pool:
        futures = [
            pool.submit(
                httpx.post,
                server.url + path,
                content=payload,
                headers={"content-type": "application/json"},
                timeout=120,
            )
            for _ in range(n)
        ]
        health = [httpx.get(server.url + "/healthz", timeout=30) for _ in range(5)]
        return health, [f.result() for f in futures]


def test_large_classify_requests_run_beside_a_healthy_healthz(open_server: Server) -> None:
    big = {"posts": [{"text": "gmail is down again, cannot log in " * 100}] * 1000}
    health, answers = _concurrent_posts(open_server, "/v1/classify", json.dumps(big), 4)
    assert all(h.status_code == 200 for h in health)
    # each is answered, or turned away with 503 and Retry-After when the worker is busy
    assert all(a.status_code in (200, 503) for a in answers)
    assert any(a.status_code == 200 for a in answers)
    assert all(a.headers.get("retry-after") == "1" for a in answers if a.status_code == 503)


def test_concurrent_long_detect_requests_are_capped(open_server: Server) -> None:
    """Two detect requests run at once per worker (OUTAGE_MAX_BUSY 8 / 4); more get 503."""
    start = NOW - 30_000 * 60
    series = [
        {"time": start + 60 * i, "value": 5 + (i % 7) + (40 if i > 20_000 else 0)}
        for i in range(30_000)
    ]
    payload = json.dumps({"series": series, "mode": "offline"})
    health, answers = _concurrent_posts(open_server, "/v1/detect", payload, 6)
    assert all(h.status_code == 200 for h in health)
    assert sorted({a.status_code for a in answers}) == [200, 503]
    busy = [a for a in answers if a.status_code == 503]
    assert all(a.headers["retry-after"] == "1" for a in busy)
    assert "busy with other detect requests" in busy[0].json()["detail"]
    done = [a.json() for a in answers if a.status_code == 200]
    assert all(d["change_points"] for d in done)
