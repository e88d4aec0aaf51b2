"""The status page's HTML from typed data, without a server: order, zones, escaping, redaction."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from detector.api.statusdata import Overview, ServiceRow
from detector.api.statuspage import MAX_ROWS, overview_page, service_page
from detector.errors import UsageError
from detector.incidents.html import CSP
from detector.incidents.incident import Incident
from detector.incidents.view import IncidentView
from detector.incidents.wording import Zone

T = pd.Timestamp
NOW = T("2026-11-18 16:02Z")
EVIL = '<img src=x onerror="alert(1)">'


def rows() -> list[ServiceRow]:
    return [
        ServiceRow("Gmail", "ok", 40, 900),
        ServiceRow("Slack", "possible", 12, 300),
        ServiceRow(
            "Exchange Online", "outage", 400, 600, (0, 3, 50), T("2026-11-18 14:05Z"), "major"
        ),
        ServiceRow("Zoom", "ok", 40, 1200),
        ServiceRow(EVIL, "ok", 1, 2),
    ]


def test_services_are_sorted_by_status_then_volume() -> None:
    ranked = [r.name for r in sorted(rows(), key=lambda r: r.rank)]
    assert ranked == ["Exchange Online", "Slack", "Zoom", "Gmail", EVIL]


def test_the_list_names_the_outage_the_zone_and_escapes_names() -> None:
    data = Overview(NOW, NOW, tuple(sorted(rows(), key=lambda r: r.rank)), None, ("Akamai",))
    html = overview_page(data, Zone())
    assert "1 service with an outage:</strong> Exchange Online (major, since 14:05 UTC" in html
    assert "times in UTC" in html and '<meta http-equiv="refresh" content="60">' in html
    assert f'content="{CSP}"' in html
    assert EVIL not in html and "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html
    assert html.index("Exchange Online") < html.index("Slack") < html.index("Zoom")
    assert '<a href="/services/Akamai">Akamai</a>' in html
    berlin = overview_page(data, Zone("Europe/Berlin"), refresh=0)
    assert "since 15:05 CET, 18 Nov 2026" in berlin and "times in Europe/Berlin (CET)" in berlin
    assert 'href="/services/Exchange%20Online?tz=Europe%2FBerlin&amp;refresh=0"' in berlin
    assert 'http-equiv="refresh"' not in berlin


def test_no_posts_yet_is_said_plainly() -> None:
    html = overview_page(Overview(None, None, (), None, ()), Zone())
    assert "No posts yet." in html and "No service had posts in the last 24 hours." in html


def _day() -> pd.DataFrame:
    t = pd.date_range(NOW - pd.Timedelta("1D") + pd.Timedelta("5min"), NOW, freq="5min")
    t = t.floor("5min")
    y = np.where(t >= T("2026-11-18 14:05Z"), 20.0, 1.0)
    status = np.where(t >= T("2026-11-18 14:10Z"), "outage", "ok").astype(object)
    status[-1] = None  # not judged yet
    baseline = np.full(len(t), 1.0)
    baseline[-1] = np.nan
    return pd.DataFrame(
        {"bucket_start": t, "outage_posts": y, "all_posts": y + 5, "baseline": baseline,
         "status": status}
    )  # fmt: skip


def _incident(**changes) -> dict:
    raw = {
        "service": "Exchange Online",
        "status": "open",
        "severity": "major",
        "started_at": "2026-11-18T14:05:00Z",
        "detected_at": "2026-11-18T14:09:00Z",
        "peak_at": "2026-11-18T14:20:00Z",
        "peak_posts": 26,
        "baseline_posts": 0.3,
        "score": 40.0,
        "symptoms": {"app": 0.5, "access": 0.5},
        "top_terms": ["outbox", EVIL],
        "sample_posts": ["mail me at jo.doe@example.com or +44 20 7946 0958, outbox stuck"],
        "history": [
            {"kind": "open", "at": "2026-11-18T14:09:00Z", "severity": "warning", "score": 14.1},
            {"kind": "escalate", "at": "2026-11-18T14:12:00Z", "severity": "major", "score": 27},
        ],
    }
    raw.update(changes)
    return raw


def test_the_service_page_draws_the_day_marks_the_incident_and_redacts() -> None:
    status = {"status": "outage", "bucket_start": "2026-11-18T16:01:00Z", "outage_posts": 3,
              "all_posts": 5, "baseline": 0.1}  # fmt: skip
    html = service_page("Exchange Online", status, _day(), [_incident()], Zone(), now=NOW,
                        judged=NOW)  # fmt: skip
    assert "Outage.</strong> major incident open since 14:05 UTC, 18 Nov 2026" in html
    assert html.count('<svg class="chart"') == 1
    for mark in ("onset 14:05", "alarm 14:09"):
        assert f">{mark}</text>" in html
    assert ">judged outage</text>" in html and "time (UTC)" in html
    assert "<b>opened</b> (warning, score 14.1)" in html
    assert "<b>escalated</b> (major, score 27.0)" in html
    assert "open 14:09, escalate 14:12" in html
    assert "[email]" in html and "[phone]" in html
    assert "jo.doe@example.com" not in html and "7946" not in html
    assert EVIL not in html


def test_a_resolved_incident_is_the_latest_and_the_status_is_ok() -> None:
    done = _incident(status="resolved", resolved_at="2026-11-18T15:40:00Z")
    status = {"status": "ok", "bucket_start": None}
    html = service_page("Exchange Online", status, _day(), [done], Zone("Asia/Tokyo"), now=NOW,
                        judged=NOW)  # fmt: skip
    assert "No problem detected.</strong>" in html
    assert "The last incident resolved 00:40 JST, 19 Nov 2026." in html
    assert "Latest incident" in html and ">resolved 00:40</text>" in html
    assert "time (Asia/Tokyo)" in html and "resolved (Asia/Tokyo)" in html


def test_the_view_reads_an_incident_record_as_well_as_its_dict() -> None:
    inc = Incident(
        service="Gmail",
        started_at=T("2026-11-18 14:05Z"),
        detected_at=T("2026-11-18 14:15Z"),
        sample_posts=["call 0151 2345 6789"],
    )
    view = IncidentView.from_record(inc)
    assert view == IncidentView.from_record(inc.to_dict())
    assert view.sample_posts == ("call [phone]",) and view.is_open


def test_an_unknown_zone_is_refused_with_the_parameter_named() -> None:
    with pytest.raises(UsageError, match="'tz' parameter must be an IANA time zone.*'Nowhere/X'"):
        Zone("Nowhere/X")


def test_a_long_list_is_capped_with_a_note() -> None:
    many = tuple(ServiceRow(f"svc{i:04d}", "ok", 1000 - i, 2000) for i in range(MAX_ROWS + 5))
    html = overview_page(Overview(NOW, NOW, many, None, ()), Zone())
    assert html.count('<span class="st ok">') == MAX_ROWS
    assert f"Showing the {MAX_ROWS} services with the worst status" in html
    assert "svc0000" in html and f"svc{MAX_ROWS:04d}" not in html
