"""An incident resolved where its alarm was raised says why, instead of looking like a glitch."""

from __future__ import annotations

import re

from detector.incidents.html import facts
from detector.incidents.view import IncidentView
from detector.incidents.wording import Zone


def _resolved_row(detected: str, resolved: str) -> str:
    view = IncidentView.from_record(
        {
            "service": "Kenya Power",
            "status": "resolved",
            "started_at": "2019-10-19T05:19:00Z",
            "detected_at": detected,
            "resolved_at": resolved,
            "peak_posts": 4,
            "baseline_posts": 0.05,
            "severity": "warning",
        }
    )
    text = re.sub(r"<[^>]+>", "|", facts(view, "posts / 5 min", Zone()))
    return re.search(r"resolved\|+[^|]*\|+[^|]*", text).group(0)


def test_an_alarm_on_the_tail_is_explained() -> None:
    row = _resolved_row("2019-10-19T07:08:00Z", "2019-10-19T07:08:00Z")
    assert "lasted 1 h 49 min; the alarm came on its tail, as the posts fell back" in row


def test_an_incident_resolved_after_its_alarm_says_only_how_long_it_lasted() -> None:
    row = _resolved_row("2019-10-19T05:30:00Z", "2019-10-19T07:08:00Z")
    assert row.endswith("lasted 1 h 49 min")
