"""The incident record shared by batch scoring, the API and ``detect-series``.

>>> import pandas as pd
>>> inc = Incident(service="Gmail", started_at=pd.Timestamp("2026-11-18T14:05Z"),
...                detected_at=pd.Timestamp("2026-11-18T14:15Z"))
>>> inc.to_dict()["started_at"], inc.to_dict()["status"]
('2026-11-18T14:05:00Z', 'open')
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

import pandas as pd

Status = Literal["open", "resolved"]
Severity = Literal["warning", "major"]

#: Field order of incidents.json / incidents.csv, as DESIGN.md fixes it (+ ``related``).
FIELDS: tuple[str, ...] = (
    "service",
    "status",
    "started_at",
    "detected_at",
    "resolved_at",
    "peak_at",
    "peak_posts",
    "baseline_posts",
    "severity",
    "score",
    "symptoms",
    "top_terms",
    "sample_posts",
    "related",
    "warmup",
)


def iso(ts: pd.Timestamp | None) -> str | None:
    """ISO 8601 in UTC with a ``Z`` suffix, or ``None``.

    >>> iso(pd.Timestamp("2026-01-02 03:04:05", tz="UTC"))
    '2026-01-02T03:04:05Z'
    >>> iso(pd.Timestamp("2026-01-02 03:04:05")) is not None  # naive is read as UTC
    True
    """
    if ts is None or pd.isna(ts):
        return None
    ts = pd.Timestamp(ts)
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    return ts.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Incident:
    """One outage episode of one service.

    ``started_at`` is the estimated onset (from the change point, may precede
    ``detected_at``); ``detected_at`` is the bucket at which the alarm was raised;
    ``resolved_at`` the estimated return to the baseline. Those are the engine's, judged
    at its step whatever the reporting bucket. ``peak_posts`` is the count of the
    incident's peak bucket, ``peak_at`` that bucket's start (which may precede
    ``started_at`` when the bucket holds the onset) and ``baseline_posts`` the posts
    expected per bucket: in ``score`` the ``outage_posts``, ``bucket_start`` and
    ``baseline`` of the peak bucket's row in series.csv (see docs/architecture.md).
    """

    service: str
    started_at: pd.Timestamp
    detected_at: pd.Timestamp
    status: Status = "open"
    resolved_at: pd.Timestamp | None = None
    peak_at: pd.Timestamp | None = None
    peak_posts: float = 0.0
    baseline_posts: float = 0.0
    severity: Severity = "warning"
    score: float = 0.0
    symptoms: dict[str, float] = field(default_factory=dict)
    top_terms: list[str] = field(default_factory=list)
    sample_posts: list[str] = field(default_factory=list)
    related: list[str] = field(default_factory=list)
    #: Raised while the baseline was still learning (less than a day of history).
    warmup: bool = False

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict in :data:`FIELDS` order, times as ISO 8601 UTC strings."""
        raw = asdict(self)
        out: dict[str, Any] = {}
        for name in FIELDS:
            value = raw[name]
            if name.endswith("_at"):
                value = iso(value)
            elif isinstance(value, float):
                value = round(value, 4)
            out[name] = value
        return out

    def retimed(self, when: Callable[[pd.Timestamp], pd.Timestamp]) -> Incident:
        """A copy with each of its times (onset, alarm, resolution, peak) passed through
        *when*.

        >>> inc = Incident("Gmail", pd.Timestamp("2026-11-18T14:05Z"),
        ...                pd.Timestamp("2026-11-18T14:15Z"))
        >>> inc.retimed(lambda t: t + pd.Timedelta("1h")).to_dict()["detected_at"]
        '2026-11-18T15:15:00Z'
        """
        return replace(
            self,
            started_at=when(self.started_at),
            detected_at=when(self.detected_at),
            resolved_at=None if self.resolved_at is None else when(self.resolved_at),
            peak_at=None if self.peak_at is None else when(self.peak_at),
        )
