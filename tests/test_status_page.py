"""The live status page of ``serve``, as a person sees it in headless Chromium.

A real server (``python -m detector serve`` on a free loopback port, reads closed behind
an API key) is fed the shipped Exchange Online sample through ``POST /v1/posts`` in time
order, first up to two hours into the outage, then to the end. Chromium renders ``/``
and the service page; the checks are what a person would look for: Exchange Online
first with its outage status, the graph with onset and alarm marks, nothing fetched
from elsewhere, no raw e-mail address or phone number, and later the resolved
incident with its steps. Chromium tests skip, saying why, when it is absent.
"""

from __future__ import annotations

import base64
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pandas as pd
import pytest
from support import chromium, free_port, needs_chromium

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "data" / "samples" / "exchange-outage.csv"
SERVICE = "Exchange Online"
KEY = "status-key-42"
#: Fed first: the sample up to two hours into the outage (onset 14:05 UTC).
MIDWAY = pd.Timestamp("2025-03-12T16:05:00Z")
EMAIL = "jane.doe@example.com"
PHONE = "+1 (555) 201-3344"
#: Outage posts with personal data, in the outage's busiest minute (14:20 UTC).
PII_POSTS = [
    {
        "id": f"pii-{i}",
        # the incident's top terms (email, mail, o365, office, not, ugh): chosen as samples
        "text": f"Exchange Online is down, ugh: o365 email not working, office mail dead. "
        f"Reach me at {EMAIL} or {PHONE} #{i}",
        "created_at": "2025-03-12T14:20:00.000Z",
        "service": SERVICE,
    }
    for i in range(2)
]

#: Where screenshots go when asked for (``STATUS_SHOTS=docs``), to look at and commit.
SHOTS = os.environ.get("STATUS_SHOTS")


@dataclass
class Live:
    url: str
    proc: subprocess.Popen

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=120, headers={"X-API-Key": KEY})


def _posts(after: pd.Timestamp | None, upto: pd.Timestamp | None) -> list[dict]:
    frame = pd.read_csv(SAMPLE, dtype=str)
    times = pd.to_datetime(frame["created_at"], utc=True)
    keep = pd.Series(True, index=frame.index)
    if after is not None:
        keep &= times >= after
    if upto is not None:
        keep &= times < upto
    body = [
        {"id": r.id, "text": r.text, "created_at": r.created_at}
        for r in frame[keep].itertuples(index=False)
    ]
    if after is None:
        body += PII_POSTS
    return sorted(body, key=lambda p: p["created_at"])


def _feed(live: Live, body: list[dict]) -> None:
    with live.client() as client:
        for i in range(0, len(body), 500):
            answer = client.post("/v1/posts", json={"posts": body[i : i + 500]})
            assert answer.status_code == 200, answer.text
        # Detection may finish in the background: wait until it has judged the last
        # minutes and stopped moving (every post counts for 'all services', so its
        # progress is the detector's; a quiet last minute may stay open for late posts).
        last = pd.Timestamp(body[-1]["created_at"]).floor("min")
        deadline = time.monotonic() + 120
        seen = None
        while True:
            status = client.get("/v1/services/all services/status").json()
            judged = status.get("bucket_start")
            if judged and pd.Timestamp(judged) >= last - pd.Timedelta(minutes=10):
                if judged == seen:
                    return
                seen = judged
            assert time.monotonic() < deadline, f"detection did not catch up: {status}"
            time.sleep(0.5)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    work = tmp_path_factory.mktemp("status")
    env = {k: v for k, v in os.environ.items() if not k.startswith("OUTAGE_")}
    port = free_port()
    cmd = [sys.executable, "-m", "detector", "serve", "--port", str(port), "--db",
           str(work / "state.db"), "--api-key", KEY, "--reads-closed"]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stderr=subprocess.DEVNULL)
    server = Live(f"http://127.0.0.1:{port}", proc)
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, "server exited"
            try:
                if httpx.get(server.url + "/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.2)
        _feed(server, _posts(None, MIDWAY))
        yield server
    finally:
        proc.terminate()
        proc.wait(timeout=30)


# -- helpers: the browser and the DOM ---------------------------------------------------
def _with_key(url: str) -> str:
    """The URL with the key as Basic-auth password, as a person's browser would send it."""
    return url.replace("http://", f"http://viewer:{KEY}@", 1)


def _dom(tmp_path: Path, url: str) -> str:
    run = chromium(tmp_path, "--dump-dom", _with_key(url), timeout=90)
    assert "<svg" in run.stdout or "<table" in run.stdout, run.stderr[-2000:]
    return run.stdout


def _shot(tmp_path: Path, url: str, name: str, height: int) -> Path:
    target = Path(SHOTS) if SHOTS else tmp_path
    target.mkdir(parents=True, exist_ok=True)
    shot = target / name
    run = chromium(
        tmp_path, f"--screenshot={shot}", f"--window-size=1280,{height}", _with_key(url), timeout=90
    )
    assert shot.is_file(), run.stderr[-2000:]
    return shot


class Page(HTMLParser):
    """Start tags with attributes, visible text, and the service table's rows."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.rows: list[list[str]] = []
        self._table: str | None = None
        self._cell: list[str] | None = None
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if tag in ("style", "title"):
            self._hidden += 1
        elif tag == "table":
            self._table = attributes.get("class")
        elif tag == "tr" and self._table == "services":
            self.rows.append([])
        elif tag in ("td", "th") and self._table == "services":
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("style", "title"):
            self._hidden -= 1
        elif tag == "table":
            self._table = None
        elif tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data):
        if self._hidden:
            return
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)

    @property
    def words(self) -> str:
        return " ".join(" ".join(self.text).split())


def _parse(html: str) -> Page:
    page = Page()
    page.feed(html)
    page.close()
    return page


def _fetches_nothing(html: str, page: Page) -> None:
    """No script, no external reference: every link stays on this server."""
    for tag, attributes in page.tags:
        assert tag not in ("script", "link", "img", "iframe", "object", "embed", "base"), tag
        for name, value in attributes.items():
            assert not name.startswith("on"), (tag, name)
            if name in ("src", "href", "xlink:href", "action"):
                assert value is not None and value.startswith(("/", "#", "?")), (tag, value)
    assert "<style" in html and "@import" not in html and "url(" not in html


# -- access ---------------------------------------------------------------------------
def test_the_page_follows_reads_closed(live: Live) -> None:
    refused = httpx.get(live.url + "/")
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"].startswith("Basic realm=")
    assert "reads need the API key" in refused.json()["detail"]
    assert "a browser: as the password" in refused.json()["detail"]
    wrong = "Basic " + base64.b64encode(b"viewer:nope").decode()
    assert httpx.get(live.url + "/", headers={"Authorization": wrong}).status_code == 401
    for headers in (
        {"X-API-Key": KEY},
        {"Authorization": f"Bearer {KEY}"},
        {"Authorization": "Basic " + base64.b64encode(f"viewer:{KEY}".encode()).decode()},
    ):
        page = httpx.get(live.url + "/", headers=headers)
        assert page.status_code == 200, headers
        assert page.headers["content-type"].startswith("text/html")
        assert page.headers["content-security-policy"].startswith("default-src 'none'")
        # the JSON answers and the docs the page links to take the key the same ways
        for path in ("/v1/incidents", "/docs", "/openapi.json"):
            assert httpx.get(live.url + path, headers=headers).status_code == 200, path
    assert httpx.get(live.url + "/v1/incidents").headers["www-authenticate"].startswith("Basic")


def test_bad_zone_and_unknown_service_say_what_is_wrong(live: Live) -> None:
    with live.client() as client:
        bad = client.get("/", params={"tz": "Mars/Olympus"})
        assert bad.status_code == 400
        assert "IANA time zone like 'Europe/Berlin'" in bad.json()["detail"]
        missing = client.get("/services/No Such Service")
        assert missing.status_code == 404
        assert "unknown service &#x27;No Such Service&#x27;" in missing.text


# -- what a person sees -----------------------------------------------------------------
@needs_chromium
def test_the_list_shows_exchange_online_first_with_its_outage(live: Live, tmp_path: Path) -> None:
    html = _dom(tmp_path, live.url + "/")
    page = _parse(html)
    assert page.rows[0][:2] == ["status", "service"]
    first = page.rows[1]
    assert first[:2] == ["outage", SERVICE], page.rows[:4]
    assert first[2].startswith("major open since 14:0"), first
    # the rest: worst status first, then most outage posts
    rank = {"outage": 0, "possible": 1, "ok": 2}
    named = [r for r in page.rows[1:] if r[1] != "all services"]
    keys = [(rank[r[0]], -int(r[3].replace(",", ""))) for r in named]
    assert keys == sorted(keys)
    assert "with an outage: Exchange Online (major, since 14:0" in page.words, page.words[:400]
    assert "times in UTC" in page.words
    _fetches_nothing(html, page)
    _shot(tmp_path, live.url + "/", "status-list.png", 1100)


@needs_chromium
def test_the_service_page_shows_the_graph_with_onset_and_alarm(live: Live, tmp_path: Path) -> None:
    url = f"{live.url}/services/Exchange%20Online"
    html = _dom(tmp_path, url)
    page = _parse(html)
    words = page.words
    assert f"{SERVICE} outage" in words
    assert "Outage. major incident open since 14:0" in words
    assert html.count('<svg class="chart"') == 1
    assert re.search(r">onset 14:0\d</text>", html), "no onset mark"
    assert re.search(r">alarm 14:[01]\d</text>", html), "no alarm mark"
    assert "time (UTC)" in html and "expected (baseline)" in html and "judged outage" in html
    for heading in ("Open incident", "Symptoms", "Top terms", "Sample posts", "Steps"):
        assert heading.lower() in words.lower(), heading
    assert "opened" in words
    # personal data of the posts is shown redacted, never raw
    assert "[email]" in html and "[phone]" in html
    assert EMAIL not in html and "201-3344" not in html
    _fetches_nothing(html, page)
    _shot(tmp_path, url, "status-service.png", 1500)


@needs_chromium
def test_a_local_zone_is_shown_and_named(live: Live, tmp_path: Path) -> None:
    html = _dom(tmp_path, f"{live.url}/services/Exchange%20Online?tz=Europe/Berlin")
    words = _parse(html).words
    assert "times in Europe/Berlin (CET)" in words
    assert re.search(r">onset 15:0\d</text>", html)  # 14:0x UTC is 15:0x CET
    assert "time (Europe/Berlin)" in html
    assert 'href="/?tz=Europe%2FBerlin"' in html


def test_after_the_fix_the_incident_is_resolved_with_its_steps(live: Live) -> None:
    _feed(live, _posts(MIDWAY, None))
    with live.client() as client:
        listing = client.get("/").text
        service = client.get("/services/Exchange Online").text
    rows = _parse(listing).rows
    assert rows[1][:2] == ["ok", SERVICE]  # back to ok, still the most outage posts
    assert re.match(r"major 14:0\d.(2[0-3]|0[0-3]):\d\d UTC", rows[1][2]), rows[1]
    words = _parse(service).words
    assert "No problem detected." in words and "Latest incident" in words
    steps = re.search(r"open 14:\d\d(, escalate 14:\d\d)?, resolve \d\d:\d\d", words)
    assert steps, words[-2000:]
    assert EMAIL not in service and PHONE not in service


def test_a_service_name_with_a_slash_has_its_page(live: Live) -> None:
    post = {"id": "slash-1", "text": "chat is down", "created_at": "2025-03-12T15:00:00Z",
            "service": "Team/Chat <b>"}  # fmt: skip
    with live.client() as client:
        assert client.post("/v1/posts", json={"posts": [post]}).status_code == 200
        listing = client.get("/").text
        assert 'href="/services/Team%2FChat%20%3Cb%3E"' in listing
        page = client.get("/services/Team%2FChat%20%3Cb%3E")
    assert page.status_code == 200
    assert "<h1>Team/Chat &lt;b&gt; <span" in page.text
