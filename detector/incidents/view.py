"""The typed view of an incident that the pages show: one shape for batch and live.

An :class:`IncidentView` is built from an :class:`~detector.incidents.incident.Incident`
or from its dict form (``incidents.json``, an API answer): times become UTC
``Timestamp`` s, symptoms become shares sorted by size, and sample posts are redacted
(:func:`~detector.text.redact.redact`) whatever their source already did. The live
API adds the incident's steps (``open``, ``escalate``, ``resolve``) as
:class:`IncidentStep` s.

>>> view = IncidentView.from_record({
...     "service": "Gmail", "started_at": "2026-11-18T14:05:00Z",
...     "detected_at": "2026-11-18T14:15:00Z", "symptoms": {"access": 3, "app": 1},
...     "sample_posts": ["mail jo@example.com: inbox down"],
...     "history": [{"kind": "open", "at": "2026-11-18T14:15:00Z", "severity": "warning"}]})
>>> view.status, view.delay, view.symptoms
('open', Timedelta('0 days 00:10:00'), (('access', 0.75), ('app', 0.25)))
>>> view.sample_posts
('mail [email]: inbox down',)
>>> [(s.kind, s.at.strftime("%H:%M")) for s in view.steps]
[('open', '14:15')]
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd

from detector.errors import SchemaError
from detector.incidents.wording import number
from detector.text.redact import redact

TIMES = ("started_at", "detected_at", "resolved_at", "peak_at")


@dataclass(frozen=True)
class IncidentStep:
    """One step of an incident's life: ``open``, ``escalate`` or ``resolve``."""

    kind: str
    #: Event time of the step (the bucket the detector judged).
    at: pd.Timestamp
    severity: str = "warning"
    score: float | None = None


@dataclass(frozen=True)
class IncidentView:
    """What a page shows of one incident (times in UTC, shares in 0-1, redacted posts)."""

    service: str
    status: str
    severity: str
    started_at: pd.Timestamp | None
    detected_at: pd.Timestamp | None
    resolved_at: pd.Timestamp | None = None
    peak_at: pd.Timestamp | None = None
    peak_posts: float | None = None
    baseline_posts: float | None = None
    score: float | None = None
    #: ``(symptom, share)`` pairs, largest share first.
    symptoms: tuple[tuple[str, float], ...] = ()
    top_terms: tuple[str, ...] = ()
    sample_posts: tuple[str, ...] = ()
    related: tuple[str, ...] = ()
    warmup: bool = False
    steps: tuple[IncidentStep, ...] = ()
    #: Position on its page (1, 2, ...), 0 until numbered.
    number: int = 0

    @classmethod
    def from_record(cls, raw: Any, index: int = 0, *, source: str = "incident") -> IncidentView:
        """Read an ``Incident`` or its dict; errors name the incident (``#index+1``) and field."""
        if not isinstance(raw, Mapping) and hasattr(raw, "to_dict"):
            raw = raw.to_dict()
        if not isinstance(raw, Mapping) or "service" not in raw:
            raise SchemaError(f"{source}: incident #{index + 1} has no 'service' field.")
        service = str(raw["service"])
        times: dict[str, pd.Timestamp | None] = {}
        for name in TIMES:
            try:
                times[name] = to_time(raw.get(name))
            except (ValueError, TypeError) as exc:
                raise SchemaError(
                    f"{source}: incident #{index + 1} ({service}) has an unreadable "
                    f"{name}: expected an ISO 8601 time or null. Got {raw.get(name)!r} instead."
                ) from exc
        symptoms = raw.get("symptoms") or {}
        return cls(
            service=service,
            status=str(raw.get("status") or ("resolved" if times["resolved_at"] else "open")),
            severity=str(raw.get("severity") or "warning"),
            peak_posts=number(raw.get("peak_posts")),
            baseline_posts=number(raw.get("baseline_posts")),
            score=number(raw.get("score")),
            symptoms=shares(symptoms if isinstance(symptoms, Mapping) else {}),
            top_terms=_strings(raw.get("top_terms")),
            sample_posts=tuple(redact(p) for p in _strings(raw.get("sample_posts"))),
            related=_strings(raw.get("related")),
            warmup=bool(raw.get("warmup")),
            steps=_steps(raw.get("history") or raw.get("steps")),
            **times,
        )

    def numbered(self, position: int) -> IncidentView:
        """This view with its place on the page."""
        return replace(self, number=position)

    @property
    def start(self) -> pd.Timestamp | None:
        """Where the incident sits in time: the onset, else the alarm."""
        return self.started_at or self.detected_at

    @property
    def delay(self) -> pd.Timedelta | None:
        """From the estimated onset to the alarm."""
        if self.detected_at is None or self.started_at is None:
            return None
        return self.detected_at - self.started_at

    @property
    def is_open(self) -> bool:
        """Whether the incident is still going on."""
        return self.status == "open"


def to_time(value: Any) -> pd.Timestamp | None:
    """A UTC ``Timestamp`` from ISO text, epoch-free values or ``None``/NaN/"".

    >>> to_time("2026-11-18T14:05:00Z"), to_time(None), to_time(float("nan"))
    (Timestamp('2026-11-18 14:05:00+0000', tz='UTC'), None, None)
    """
    if value is None or value == "" or (isinstance(value, float) and value != value):
        return None
    ts = pd.Timestamp(value)
    if pd.isna(ts):
        return None
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def shares(values: Mapping[str, Any]) -> tuple[tuple[str, float], ...]:
    """``(label, share)`` sorted by share; counts or percentages are turned into shares.

    >>> shares({"app": 1, "access": 3})
    (('access', 0.75), ('app', 0.25))
    """
    clean = [(str(k), max(number(v) or 0.0, 0.0)) for k, v in values.items()]
    total = sum(v for _, v in clean)
    if total > 1.0001:
        clean = [(k, v / total) for k, v in clean]
    return tuple(sorted(clean, key=lambda kv: (-kv[1], kv[0])))


def _strings(value: Any) -> tuple[str, ...]:
    values = [value] if isinstance(value, str) else (value or [])
    return tuple(str(v) for v in values if v is not None)


def _steps(raw: Any) -> tuple[IncidentStep, ...]:
    steps = []
    for item in raw or []:
        if not isinstance(item, Mapping):
            continue
        try:
            at = to_time(item.get("at"))
        except (ValueError, TypeError):
            continue
        if at is None:
            continue
        steps.append(
            IncidentStep(
                kind=str(item.get("kind") or "step"),
                at=at,
                severity=str(item.get("severity") or "warning"),
                score=number(item.get("score")),
            )
        )
    return tuple(steps)


__all__ = ["IncidentStep", "IncidentView", "shares", "to_time"]
