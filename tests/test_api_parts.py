"""Parts of the API that need no model: settings, metrics, key checks, batching, errors."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from detector.api import handlers
from detector.api.metrics import Metrics
from detector.api.middleware import BodyLimitMiddleware, MetricsMiddleware
from detector.api.schemas import PostsIn
from detector.api.scoring import MicroBatcher
from detector.api.security import key_matches
from detector.api.settings import ENV_NAMES, Settings
from detector.errors import UsageError


# -- settings -----------------------------------------------------------------------
def test_settings_come_from_outage_variables() -> None:
    s = Settings.from_env(
        {
            "OUTAGE_DB": "sqlite:////tmp/x.db",
            "OUTAGE_API_KEY": "k",
            "OUTAGE_READS_OPEN": "false",
            "OUTAGE_BUCKET": "1min",
            "OUTAGE_LATE_BUCKETS": "4",
            "OUTAGE_WEBHOOKS": "https://hooks.example/a,http://127.0.0.1:9/b",
            "OUTAGE_MAX_BODY": "4096",
        }
    )
    assert (s.db_path, s.api_key, s.reads_open, s.bucket_seconds) == ("/tmp/x.db", "k", False, 60)
    assert s.late_buckets == 4 and s.max_body == 4096
    assert s.webhooks == ("https://hooks.example/a", "http://127.0.0.1:9/b")


def test_settings_round_trip_through_the_environment() -> None:
    s = Settings(db="/tmp/y.db", api_key="k", webhooks=("http://127.0.0.1:9/a",), late_buckets=0)
    assert Settings.from_env(s.to_env()) == s
    assert set(s.to_env()) <= set(ENV_NAMES.values())


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"OUTAGE_BUCKET": "fast"}, "'OUTAGE_BUCKET' setting must be a duration like '5min'"),
        ({"OUTAGE_BUCKET": "7min"}, "divide a day"),
        ({"OUTAGE_READS_OPEN": "maybe"}, "'OUTAGE_READS_OPEN' setting must be a bool"),
        ({"OUTAGE_LATE_BUCKETS": "two"}, "'OUTAGE_LATE_BUCKETS' setting must be a int"),
        ({"OUTAGE_LATE_BUCKETS": "-1"}, "'OUTAGE_LATE_BUCKETS' setting is out of range"),
        ({"OUTAGE_WEBHOOKS": "file:///etc/passwd"}, "must hold http\\(s\\) URLs"),
        ({"OUTAGE_DB": ":memory:"}, "must be a file path"),
        ({"OUTAGE_DB": "postgres://x/y"}, "must be a file path or a sqlite:///path URL"),
        ({"OUTAGE_READS_OPEN": "no"}, "only when an API key is configured"),
        ({"OUTAGE_DB_SYNC": "sometimes"}, "one of OFF, NORMAL, FULL, EXTRA"),
    ],
)
def test_bad_settings_name_the_variable(env: dict[str, str], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        Settings.from_env(env)


# -- schemas ------------------------------------------------------------------------
def test_post_times_without_offset_are_utc_and_out_of_range_times_are_refused() -> None:
    ok = PostsIn.model_validate(
        {"posts": [{"id": 1, "text": "x", "created_at": "2026-01-02T03:04:05+02:00"}]}
    )
    assert ok.posts[0].created_at.isoformat() == "2026-01-02T01:04:05+00:00"
    with pytest.raises(ValueError, match="between 1970-01-01 and 2100-01-01"):
        PostsIn.model_validate({"posts": [{"id": "a", "text": "x", "created_at": "2200-01-01"}]})
    with pytest.raises(ValueError, match="at most 1000 items"):
        PostsIn.model_validate(
            {"posts": [{"id": str(i), "text": "x", "created_at": 0} for i in range(1001)]}
        )


# -- security -----------------------------------------------------------------------
def test_key_comparison() -> None:
    assert key_matches("secret", "secret")
    assert not key_matches("secret", "Secret")
    assert not key_matches("secret", "")
    assert not key_matches("sécret", "secret")  # non-ASCII keys compare as bytes


# -- micro-batching -----------------------------------------------------------------
def test_requests_waiting_together_share_one_call_and_keep_their_order() -> None:
    calls: list[list[int]] = []
    gate = threading.Event()

    def fn(items: list[int]) -> list[int]:
        gate.wait(5)
        calls.append(items)
        return [10 * x for x in items]

    async def main() -> list[list[int]]:
        batcher: MicroBatcher[int, int] = MicroBatcher(fn, max_items=4)
        first = asyncio.ensure_future(batcher.submit([1]))
        await asyncio.sleep(0.01)  # the first call is running (blocked on the gate)
        rest = [asyncio.ensure_future(batcher.submit([x, x + 1])) for x in (2, 4, 6)]
        await asyncio.sleep(0.01)
        gate.set()
        out = await asyncio.gather(first, *rest)
        batcher.close()
        return out

    assert asyncio.run(main()) == [[10], [20, 30], [40, 50], [60, 70]]
    assert calls == [[1], [2, 3, 4, 5], [6, 7]]  # at most 4 items per call


def test_inline_batching_joins_requests_read_in_the_same_loop_turn() -> None:
    calls: list[list[int]] = []

    def fn(items: list[int]) -> list[int]:
        calls.append(items)
        return [-x for x in items]

    async def main() -> list[list[int]]:
        batcher: MicroBatcher[int, int] = MicroBatcher(fn, inline=True)
        out = await asyncio.gather(*(batcher.submit([x]) for x in range(5)))
        batcher.close()
        return out

    assert asyncio.run(main()) == [[0], [-1], [-2], [-3], [-4]]
    assert calls == [[0, 1, 2, 3, 4]]


def test_an_error_reaches_every_waiter_of_the_batch_and_the_batcher_goes_on() -> None:
    def fn(items: list[int]) -> list[int]:
        if 0 in items:
            raise ValueError("boom")
        return items

    async def main() -> tuple[BaseException | list[int], ...]:
        batcher: MicroBatcher[int, int] = MicroBatcher(fn)
        results = await asyncio.gather(batcher.submit([0]), return_exceptions=True)
        again = await batcher.submit([5])
        batcher.close()
        return (*results, again)

    failed, again = asyncio.run(main())
    assert isinstance(failed, ValueError) and again == [5]


# -- middleware and error handlers ----------------------------------------------------
@dataclass
class TinyServer:
    """A small app with the API's handlers and middleware, served over real HTTP."""

    http: httpx.Client
    app: FastAPI

    def post(self, path: str, **kwargs: object) -> httpx.Response:
        return self.http.post(path, **kwargs)  # type: ignore[arg-type]

    def get(self, path: str) -> httpx.Response:
        return self.http.get(path)


@pytest.fixture
def tiny_client() -> Iterator[TinyServer]:
    app = FastAPI()
    metrics = Metrics()

    @app.post("/v1/posts")
    async def posts(body: PostsIn) -> dict[str, int]:
        return {"n": len(body.posts)}

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret internals")

    handlers.install(app)
    app.add_middleware(BodyLimitMiddleware, max_body=2048)
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    app.state.metrics = metrics
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="critical"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
        yield TinyServer(http, app)
    server.should_exit = True
    thread.join(timeout=30)


def test_errors_are_json_with_a_clear_detail(tiny_client: TinyServer) -> None:
    bad_json = tiny_client.post(
        "/v1/posts", content=b'{"posts": [', headers={"content-type": "application/json"}
    )
    assert bad_json.status_code == 400
    assert bad_json.json()["detail"].startswith("the request body is not valid JSON")
    wrong = tiny_client.post("/v1/posts", json={"posts": [{"id": "a", "text": 5}]})
    assert wrong.status_code == 422
    assert wrong.json()["detail"] == (
        "posts.0.text: Input should be a valid string; posts.0.created_at: Field required"
    )
    crash = tiny_client.get("/boom")
    assert crash.status_code == 500
    assert crash.json()["detail"] == "internal error (RuntimeError); the server log has the details"
    assert "secret internals" not in crash.text


def test_bodies_over_the_limit_get_413_by_length_or_while_streaming(
    tiny_client: TinyServer,
) -> None:
    big = b"x" * 4096
    announced = tiny_client.post("/v1/posts", content=big)
    assert announced.status_code == 413
    assert "the limit is 2048 bytes" in announced.json()["detail"]

    def chunks():
        yield b'{"posts": ['
        yield b" " * 4096

    streamed = tiny_client.post(
        "/v1/posts", content=chunks(), headers={"content-type": "application/json"}
    )
    assert streamed.status_code == 413
    assert "the streamed body is larger" in streamed.json()["detail"]


def test_metrics_count_requests_by_route_template_and_status(tiny_client: TinyServer) -> None:
    tiny_client.post("/v1/posts", json={"posts": []})
    tiny_client.post("/v1/posts", content=b"x" * 4096)
    text = tiny_client.app.state.metrics.render()
    assert 'route="/v1/posts",status="422"} 1.0' in text
    assert 'route="unmatched",status="413"} 1.0' in text
    assert 'outage_http_request_duration_seconds_count{route="/v1/posts"} 1.0' in text
    assert "worker" not in text and "pid" not in text


# -- the serve command ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--bucket", "7min"], 64, "error: The 'OUTAGE_BUCKET' setting must be a duration"),
        (["--reads-closed"], 64, "only when an API key is configured"),
        (["--webhook", "ftp://x"], 64, "must hold http(s) URLs. Got 'ftp://x'"),
        (["--port", "99999"], 64, "99999 is not in the range 0<=x<=65535"),
        (
            ["--db", "/nonexistent/dir/s.db"],
            73,
            "(--db / OUTAGE_DB): its folder '/nonexistent/dir' does not exist",
        ),
        (["--model", "/nonexistent-model"], 66, "error: no model '/nonexistent-model'"),
    ],
)
def test_serve_refuses_bad_options_with_one_line_and_an_exit_code(
    args: list[str], code: int, message: str, tmp_path, monkeypatch, capsys
) -> None:
    from detector.cli.main import main

    for name in ENV_NAMES.values():
        monkeypatch.delenv(name, raising=False)
    if "--db" not in args:
        args = [*args, "--db", str(tmp_path / "s.db")]
    with pytest.raises(SystemExit) as stop:
        main(["serve", *args])
    err = capsys.readouterr().err
    assert stop.value.code == code
    assert message in err and len(err.strip().splitlines()) == 1
