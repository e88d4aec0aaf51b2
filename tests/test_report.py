"""report.html: content, escaping, self-containment, the quiet day and the size cap."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest

from detector.batch.report import (
    CSP,
    MAX_BARS,
    MAX_SECTIONS,
    downsample,
    render_report,
    write_report,
)
from detector.errors import SchemaError, UsageError

EVIL = "<script>alert(1)</script>"
START = "2026-11-18 00:00"


def poisson_series(service: str, base: float, days: int = 2, seed: int = 7, bump=None):
    """A seeded 5-min Poisson series; ``bump=(start, end, extra)`` adds an outage."""
    rng = np.random.default_rng(seed)
    t = pd.date_range(START, periods=days * 288, freq="5min", tz="UTC")
    lam = np.full(len(t), base)
    if bump:
        a, b, extra = bump
        lam[(t >= pd.Timestamp(a)) & (t < pd.Timestamp(b))] += extra
    y = rng.poisson(lam)
    return pd.DataFrame(
        {
            "service": service,
            "bucket_start": t,
            "outage_posts": y,
            "all_posts": y + rng.poisson(20, len(t)),
            "baseline": base,
        }
    )


def exchange_incident(**changes) -> dict:
    incident = {
        "service": "Exchange Online",
        "status": "resolved",
        "started_at": "2026-11-18T14:05:00Z",
        "detected_at": "2026-11-18T14:15:00Z",
        "resolved_at": "2026-11-19T02:30:00Z",
        "peak_at": "2026-11-18T14:40:00Z",
        "peak_posts": 41,
        "baseline_posts": 2.1,
        "severity": "major",
        "score": 18.2,
        "symptoms": {"access": 0.6, "messaging": 0.4},
        "top_terms": ["email", "outbox"],
        "sample_posts": ["can't access my email", f"stuck in the outbox {EVIL}"],
        "related": ["Outlook"],
    }
    incident.update(changes)
    return incident


SUMMARY = {
    "rows_read": 120_345,
    "rows_scored": 118_000,
    "rows_quarantined": 2_000,
    "rows_duplicate": 345,
    "incidents": 1,
    "seconds": 12.34,
    "inputs": ["/data/export.csv"],
    "model": "tfidf-lr",
}


@pytest.fixture(scope="module")
def series() -> pd.DataFrame:
    return pd.concat(
        [
            poisson_series(
                "Exchange Online", 2.0, bump=("2026-11-18 14:05Z", "2026-11-19 02:30Z", 25)
            ),
            poisson_series("all services", 5.0, seed=8),
        ],
        ignore_index=True,
    )


@pytest.fixture(scope="module")
def page(series) -> str:
    return render_report(series=series, incidents=[exchange_incident()], summary=SUMMARY)


class Collector(HTMLParser):
    """Every start tag with its attributes, and the text of the incident table's rows."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.rows: list[list[str]] = []
        self.text: list[str] = []
        self._in_table = False
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if tag == "table" and attributes.get("class") == "incidents":
            self._in_table = True
        elif self._in_table and tag == "tr":
            self.rows.append([])
        elif self._in_table and tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "table":
            self._in_table = False
        elif tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data):
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)


def parse(html: str) -> Collector:
    collector = Collector()
    collector.feed(html)
    collector.close()
    return collector


def test_headline_states_the_facts(page):
    parsed = parse(page)
    text = " ".join(" ".join(parsed.text).split())
    assert (
        "1 incident: Exchange Online (major): detected 14:15 UTC, 18 Nov 2026, 10 min after "
        "the estimated onset at 14:05; peak 41 outage posts / 5 min (2.1 expected); "
        "resolved 02:30 UTC, 19 Nov 2026."
    ) in text


def test_incident_table_has_one_row_per_incident(series):
    outlook = exchange_incident(
        service="Outlook",
        status="open",
        severity="warning",
        started_at="2026-11-18T16:00:00Z",
        detected_at="2026-11-18T16:20:00Z",
        resolved_at=None,
        peak_posts=12,
        baseline_posts=1,
        related=[],
    )
    html = render_report(series=series, incidents=[outlook, exchange_incident()], summary=SUMMARY)
    rows = parse(html).rows
    assert rows[0][:4] == ["#", "service", "status", "severity"]
    assert rows[1:] == [
        [
            "1",
            "Exchange Online",
            "resolved",
            "major",
            "2026-11-18 14:05",
            "2026-11-18 14:15",
            "10 min",
            "2026-11-19 02:30",
            "41",
            "2.1",
            "Outlook",
        ],
        [
            "2",
            "Outlook",
            "open",
            "warning",
            "2026-11-18 16:00",
            "2026-11-18 16:20",
            "20 min",
            "open",
            "12",
            "1",
            "-",
        ],
    ]


def test_accounting_numbers_are_shown(page):
    text = " ".join(" ".join(parse(page).text).split())
    for shown in ("120,345 rows read", "118,000 scored", "2,000 quarantined", "345 duplicates"):
        assert shown in text
    assert "12.3 seconds" in text
    assert "Every row is accounted for" in text


def test_accounting_gap_is_called_out(series):
    summary = {**SUMMARY, "rows_read": 120_350}
    html = render_report(series=series, incidents=[], summary=summary)
    assert "Accounting gap: 5 rows read are neither scored, quarantined nor duplicate." in html
    summary = {**SUMMARY, "rows_read": 120_344}
    html = render_report(series=series, incidents=[], summary=summary)
    assert "Accounting gap: scored + quarantined + duplicates exceed rows read by 1." in html


def test_post_text_is_escaped(page):
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script" not in page.lower()


def test_service_names_and_terms_are_escaped():
    evil_service = '<img src=x onerror="alert(1)">'
    series = poisson_series(evil_service, 2.0, bump=("2026-11-18 14:05Z", "2026-11-18 18:00Z", 20))
    incident = exchange_incident(
        service=evil_service,
        top_terms=['"><svg onload=alert(2)>', "ok"],
        symptoms={"<u>access</u>": 1.0},
        related=["</td><script>x()</script>"],
    )
    html = render_report(series=series, incidents=[incident], summary=SUMMARY, title="<i>t</i>")
    parsed = parse(html)
    assert [tag for tag, _ in parsed.tags if tag in ("img", "script", "i", "u")] == []
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html
    assert "&quot;&gt;&lt;svg onload=alert(2)&gt;" in html
    assert "&lt;u&gt;access&lt;/u&gt;" in html
    text = "".join(parsed.text)
    assert "<i>t</i>" in text
    assert evil_service in text and "</td><script>x()</script>" in text


def test_html_is_self_contained_and_has_no_handlers(page):
    parsed = parse(page)
    assert ("meta", {"http-equiv": "Content-Security-Policy", "content": CSP}) in parsed.tags
    for tag, attributes in parsed.tags:
        assert tag not in ("script", "link", "img", "iframe", "object", "embed")
        for name, value in attributes.items():
            assert not name.startswith("on"), (tag, name)
            if name in ("src", "href", "xlink:href", "action"):
                assert value.startswith(("#", "data:")), (tag, name, value)
    assert not re.search(r"https?://", page)


def test_incident_chart_marks_onset_alarm_and_resolution(page):
    assert page.count('<svg class="chart"') == 1
    for label in ("onset 14:05", "alarm 14:15", "resolved 02:30"):
        assert f">{label}</text>" in page
    assert "outage posts / 5 min" in page
    assert "time (UTC)" in page


def test_quiet_day_says_so_and_shows_all_services(series):
    html = render_report(
        series=series, incidents=[], summary={**SUMMARY, "incidents": 0}, bucket="5min"
    )
    text = " ".join(" ".join(parse(html).text).split())
    assert (
        "No incidents. No alarm was raised for 1 service over 2 days of posts "
        "(2026-11-18 00:00 to 2026-11-20 00:00 UTC)."
    ) in text
    assert "Outage posts, all services" in text
    assert html.count('<svg class="chart"') == 1


def test_quiet_day_without_all_services_series_sums_services():
    series = pd.concat([poisson_series("A", 1.0), poisson_series("B", 2.0, seed=3)])
    html = render_report(series=series, incidents=[], summary=SUMMARY)
    assert "No alarm was raised for 2 services" in html
    assert html.count('<svg class="chart"') == 1


def test_posts_give_overall_counts_only():
    rng = np.random.default_rng(0)
    n = 5_000
    posts = pd.DataFrame(
        {
            "service": "Exchange Online",
            "created_at": pd.Timestamp("2026-11-18", tz="UTC"),
            "text": [f"secret post {i}" for i in range(n)],
            "is_outage": np.arange(n) < 1_000,
            "outage_prob": rng.random(n),
            "symptom": np.where(np.arange(n) < 750, "access", "messaging"),
        }
    )
    html = render_report(
        series=poisson_series("all services", 3.0), incidents=[], summary=SUMMARY, posts=posts
    )
    assert "1,000 of 5,000 posts (20.0%) were classified as outage reports." in html
    assert ">75%</text>" in html and ">25%</text>" in html
    assert "secret post" not in html


def test_long_series_is_downsampled_and_small():
    services = ["all services", "Exchange Online", "Gmail"]
    big = pd.concat(
        [poisson_series(name, 3.0, days=300, seed=i) for i, name in enumerate(services)],
        ignore_index=True,
    )
    incidents = [
        exchange_incident(
            service=services[1 + i % 2],
            started_at=f"2027-{1 + i % 8:02d}-1{i % 9}T10:00:00Z",
            detected_at=f"2027-{1 + i % 8:02d}-1{i % 9}T10:10:00Z",
            resolved_at=f"2027-{1 + i % 8:02d}-2{i % 9}T10:00:00Z",
            sample_posts=["x" * 2_000] * 20,
        )
        for i in range(MAX_SECTIONS + 15)
    ]
    html = render_report(series=big, incidents=incidents, summary=SUMMARY)
    assert len(html.encode()) < 2_000_000
    assert html.count('<svg class="chart"') == MAX_SECTIONS
    assert "15 more incidents are listed in the table only" in html
    quiet = render_report(series=big, incidents=[], summary=SUMMARY)
    assert len(quiet.encode()) < 200_000
    assert "Buckets summed to 12 h to keep the chart readable." in quiet


def test_downsample_caps_bars_and_keeps_totals():
    frame = poisson_series("all services", 4.0, days=30)
    small, step = downsample(frame, pd.Timedelta("5min"))
    assert step == pd.Timedelta("2h")
    assert len(small) <= MAX_BARS
    assert small["outage_posts"].sum() == frame["outage_posts"].sum()
    assert small["baseline"].iloc[0] == pytest.approx(4.0 * 24)
    same, same_step = downsample(frame.iloc[:288], pd.Timedelta("5min"))
    assert same_step == pd.Timedelta("5min") and len(same) == 288


def test_chart_window_is_24_hours_around_the_incident():
    series = poisson_series(
        "Exchange Online", 2.0, days=4, bump=("2026-11-19 14:05Z", "2026-11-19 16:00Z", 20)
    )
    incident = exchange_incident(
        started_at="2026-11-19T14:05:00Z",
        detected_at="2026-11-19T14:15:00Z",
        resolved_at="2026-11-19T16:00:00Z",
    )
    html = render_report(series=series, incidents=[incident], summary=SUMMARY)
    chart = html[html.index('<svg class="chart"') :]
    ticks = re.findall(r'text-anchor="middle" fill="#222222">(\d\d:\d\d)</text>', chart)
    # onset 14:05 minus 11 h = 03:00 on the 19th, to 03:00 on the 20th, 3-hourly ticks
    assert ticks == [
        "03:00",
        "06:00",
        "09:00",
        "12:00",
        "15:00",
        "18:00",
        "21:00",
        "00:00",
        "03:00",
    ]


def test_missing_series_column_is_a_schema_error():
    frame = poisson_series("A", 1.0).drop(columns=["baseline"])
    with pytest.raises(SchemaError, match="lacks column\\(s\\) baseline"):
        render_report(series=frame, incidents=[], summary=SUMMARY)


def test_bad_bucket_is_a_usage_error(series):
    with pytest.raises(UsageError, match="'bucket' parameter of render_report.*Got 'fast'"):
        render_report(series=series, incidents=[], summary=SUMMARY, bucket="fast")


def test_unreadable_incident_time_names_the_field(series):
    with pytest.raises(SchemaError, match="incident #1 \\(Exchange Online\\).*detected_at"):
        render_report(
            series=series, incidents=[exchange_incident(detected_at="soon")], summary=SUMMARY
        )


def test_write_report_round_trip(tmp_path, series):
    kwargs = {"series": series, "incidents": [exchange_incident()], "summary": SUMMARY}
    path = write_report(tmp_path / "out" / "report.html", **kwargs)
    assert path.read_text(encoding="utf-8") == render_report(**kwargs)


def test_incident_records_and_missing_series_are_handled(series):
    from detector.incidents.incident import Incident

    record = Incident(
        service="Teams",
        started_at=pd.Timestamp("2026-11-18 09:00Z"),
        detected_at=pd.Timestamp("2026-11-18 09:10Z"),
        peak_posts=9.0,
    )
    html = render_report(series=series, incidents=[record], summary=SUMMARY)
    assert "No volume series for Teams in this run." in html
    assert parse(html).rows[1][:3] == ["1", "Teams", "open"]


def test_empty_run_still_renders():
    empty = pd.DataFrame(
        columns=["service", "bucket_start", "outage_posts", "all_posts", "baseline"]
    )
    text = " ".join(
        " ".join(parse(render_report(series=empty, incidents=[], summary={})).text).split()
    )
    assert "No incidents. No alarm was raised over the period." in text
    assert "The run produced no volume series." in text
    assert "- rows read" in text
