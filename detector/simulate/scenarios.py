"""Named scenarios: which services, how busy, which outages, when.

>>> sorted(SCENARIOS)
['exchange-outage', 'load', 'multi-outage', 'quiet-day']
>>> plan = build_plan("exchange-outage", seed=1)
>>> [(o["service"], str(o["onset"]), str(o["resolved"])) for o in plan.outages]
[('Exchange Online', '2025-03-12 14:05:00+00:00', '2025-03-13 03:30:00+00:00')]
>>> build_plan("quiet-day", seed=1).outages
[]
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from detector.errors import UsageError
from detector.simulate.plan import Plan, Scheduled, StreamSpec
from detector.simulate.rhythm import activity
from detector.simulate.services import SERVICES
from detector.simulate.shape import OutageShape, place_outages

#: Posts per day about each service on an average day: chatter, complaints that
#: are not outages, sporadic outage complaints (single users' glitches).
BASE_PER_DAY: dict[str, tuple[float, float, float]] = {
    "Exchange Online": (260, 40, 30),
    "Outlook": (800, 150, 60),
    "Microsoft Teams": (1000, 200, 70),
    "Gmail": (850, 120, 50),
    "Slack": (600, 100, 40),
    "Zoom": (600, 100, 40),
    "WhatsApp": (1700, 200, 80),
    "Instagram": (1900, 300, 80),
    "Netflix": (1500, 300, 50),
    "Spotify": (1300, 200, 40),
    "PayPal": (550, 330, 40),
    "Verizon": (650, 500, 100),
}
#: Posts per day that mention no service.
EVERYDAY_PER_DAY = 1300.0
#: Media reports per hour about an acknowledged outage at its plateau.
NEWS_PER_HOUR = 6.0


@dataclass(frozen=True)
class Scenario:
    """A named scenario: help text, default length, and how to build its plan."""

    name: str
    summary: str
    days: float
    build: Callable[..., Plan]


# --- building blocks ---------------------------------------------------------------------------


def _background(
    minutes: pd.DatetimeIndex, scale: dict[str, float] | float = 1.0
) -> tuple[list[StreamSpec], dict[str, np.ndarray]]:
    """Background streams for every service; also each service's all-post rate per minute."""
    streams: list[StreamSpec] = []
    totals: dict[str, np.ndarray] = {}
    for name, (chatter, complaint, glitch) in BASE_PER_DAY.items():
        service = SERVICES[name]
        factor = scale.get(name, 1.0) if isinstance(scale, dict) else scale
        shape = activity(minutes + pd.Timedelta(seconds=30), peak_hour=service.peak_hour)
        per_minute = factor * shape / 1440.0
        streams += [
            StreamSpec("chatter", name, chatter * per_minute),
            StreamSpec("complaint", name, complaint * per_minute),
            StreamSpec("outage", name, glitch * per_minute, symptoms=service.symptoms, named=0.9),
        ]
        totals[name] = (chatter + complaint + glitch) * per_minute
    factor = scale.get("everyday", 1.0) if isinstance(scale, dict) else scale
    everyday = EVERYDAY_PER_DAY * factor * activity(minutes + pd.Timedelta(seconds=30)) / 1440.0
    streams.append(StreamSpec("everyday", None, everyday))
    return streams, totals


def _status_posts(
    service: str, shape: OutageShape, ack: pd.Timestamp, rng: np.random.Generator
) -> list[Scheduled]:
    """The vendor's posts: acknowledgement, updates every 70-120 min, fix, resolution."""
    ref = ("EX" if service == "Exchange Online" else "INC") + str(int(rng.integers(100000, 999999)))
    posts = [Scheduled(ack, service, "ack", ref)]
    at = ack + pd.Timedelta(minutes=float(rng.uniform(70, 120)))
    while at < shape.mitigated - pd.Timedelta(minutes=30):
        posts.append(Scheduled(at.floor("min"), service, "update", ref, step=len(posts)))
        at += pd.Timedelta(minutes=float(rng.uniform(70, 120)))
    mitigating = max(shape.mitigated, ack + pd.Timedelta(minutes=5))
    posts.append(Scheduled(mitigating.floor("min"), service, "mitigating", ref))
    posts.append(Scheduled(shape.resolved + pd.Timedelta(minutes=4), service, "resolved", ref))
    return posts


def _outage(
    plan: Plan,
    service: str,
    shape: OutageShape,
    plateau_rate: np.ndarray,
    ack_minutes: float,
    rng: np.random.Generator,
    *,
    symptoms: dict[str, float] | None = None,
    named: float = 0.85,
    multi: float = 0.02,
    partners: tuple[str, ...] = (),
    aliases: dict[str, float] | None = None,
    rise: float,
) -> None:
    """Add an outage to *plan*: complaint stream, media reports, vendor posts, truth."""
    minutes = plan.minute_index
    level = shape.level(minutes + pd.Timedelta(seconds=30))
    # the vendor speaks before its fix lands (unless the outage is very short)
    ack_minutes = max(min(ack_minutes, shape.rise_minutes + shape.plateau_minutes - 5), 30.0)
    ack = (shape.onset + pd.Timedelta(minutes=ack_minutes)).floor("min")
    plan.streams.append(
        StreamSpec(
            "outage",
            service,
            plateau_rate * level,
            symptoms=symptoms or SERVICES[service].symptoms,
            named=named,
            multi=multi,
            partners=partners,
            aliases=aliases or {},
        )
    )
    news = NEWS_PER_HOUR / 60.0 * level * (minutes >= ack)
    plan.streams.append(StreamSpec("news", service, np.asarray(news, dtype=float)))
    plan.scheduled += _status_posts(service, shape, ack, rng)
    plan.outages.append(
        {
            "service": service,
            "onset": shape.onset,
            "vendor_ack": ack,
            "mitigated": shape.mitigated.floor("min"),
            "resolved": shape.resolved,
            "rise": round(float(rise), 2),
        }
    )


def _bursts(
    plan: Plan, rng: np.random.Generator, specs: list[tuple[str, str, float]], days: float
) -> None:
    """Non-outage bursts (a new season, a price hike, a viral post): more chatter or
    complaints for a few hours, shaped like an outage but with no outage complaints."""
    minutes = plan.minute_index
    by_key = {(s.kind, s.service): s for s in plan.streams}
    for service, kind, factor in specs:
        base = by_key[(kind, service)].rate
        onset = plan.start + pd.Timedelta(hours=float(rng.uniform(6, max(days * 24 - 8, 7))))
        shape = OutageShape(onset.floor("min"), 20.0, float(rng.uniform(60, 180)), 60.0)
        extra = (factor - 1.0) * base * shape.level(minutes + pd.Timedelta(seconds=30))
        plan.streams.append(StreamSpec(kind, service, extra))


def _minutes(days: float) -> int:
    return int(round(days * 1440))


# --- the scenarios -------------------------------------------------------------------------


def _exchange(seed: int, days: float, *, outage: bool = True) -> Plan:
    start = pd.Timestamp("2025-03-12 06:00", tz="UTC")
    if not outage:
        start -= pd.Timedelta(days=1)
    plan = Plan("exchange-outage" if outage else "quiet-day", start, _minutes(days), [])
    streams, totals = _background(plan.minute_index)
    plan.streams += streams
    if not outage:
        return plan
    if days < 1:
        raise UsageError(
            f"The 'days' option of scenario exchange-outage must be >= 1 (the outage runs "
            f"from 14:05 to 03:30 the next day). Got {days!r} instead."
        )
    rng = np.random.default_rng([seed, 11])
    onset = pd.Timestamp("2025-03-12 14:05", tz="UTC")
    # fix rolls out from 20:30; exponential decay, resolved at 03:30 the next morning
    shape = OutageShape(onset, rise_minutes=12, plateau_minutes=373, decay_minutes=140)
    minutes = plan.minute_index + pd.Timedelta(seconds=30)
    act = activity(minutes, peak_hour=13.0)
    at_onset = activity(pd.DatetimeIndex([onset]), peak_hour=13.0)[0]
    peak_per_minute = 420.0 / 60.0  # complaints per minute right after onset
    plateau = peak_per_minute * (0.55 + 0.45 * act / at_onset)
    rise = 1 + peak_per_minute / totals["Exchange Online"][(onset - start) // pd.Timedelta("1min")]
    _outage(
        plan,
        "Exchange Online",
        shape,
        plateau,
        62,
        rng,
        symptoms={"messaging": 4, "access": 3.5, "app": 1, "connectivity": 1, "performance": 0.5},
        named=0.75,
        multi=0.04,
        partners=("Outlook", "Microsoft Teams"),
        aliases={"Exchange Online": 0.6, "Outlook": 0.4},
        rise=rise,
    )
    return plan


#: Traffic of the multi-outage scenario relative to :data:`BASE_PER_DAY`.
MULTI_SCALE = {
    "WhatsApp": 2.5,
    "Instagram": 2.0,
    "Netflix": 1.5,
    "Zoom": 0.08,
    "PayPal": 0.1,
    "Exchange Online": 0.15,
}
#: Outages of the multi-outage scenario, in order: service, rise over its usual volume.
MULTI_OUTAGES = (
    ("Slack", 20.0),
    ("WhatsApp", 5.0),
    ("Zoom", 8.0),
    ("PayPal", 3.0),
    ("Verizon", 10.0),
    ("Exchange Online", 12.0),
    ("Spotify", 4.0),
    ("Instagram", 15.0),
)


def _multi(seed: int, days: float) -> Plan:
    if days < 1.5:
        raise UsageError(
            f"The 'days' option of scenario multi-outage must be >= 1.5 (the first day is "
            f"outage-free history). Got {days!r} instead."
        )
    start = pd.Timestamp("2025-03-17 00:00", tz="UTC")
    plan = Plan("multi-outage", start, _minutes(days), [])
    streams, totals = _background(plan.minute_index, MULTI_SCALE)
    plan.streams += streams
    rng = np.random.default_rng([seed, 12])
    n = max(1, int(round(4 * (days - 1))))
    # two interleaved sequences so outages of different services may overlap in time
    shapes = place_outages(rng, start, days, (n + 1) // 2) + place_outages(
        rng, start + pd.Timedelta(hours=5), days - 5 / 24, n // 2
    )
    for k, shape in enumerate(sorted(shapes, key=lambda s: s.onset)):
        service, rise = MULTI_OUTAGES[k % len(MULTI_OUTAGES)]
        _outage(
            plan,
            service,
            shape,
            (rise - 1.0) * totals[service],
            float(rng.uniform(30, 90)),
            rng,
            rise=rise,
        )
    _bursts(
        plan,
        rng,
        [("Netflix", "chatter", 4.0), ("Spotify", "complaint", 6.0), ("Instagram", "chatter", 3.0)],
        days,
    )
    plan.outages.sort(key=lambda o: (o["onset"], o["service"]))
    return plan


def _load(seed: int, days: float) -> Plan:
    if days < 1.5:
        raise UsageError(
            f"The 'days' option of scenario load must be >= 1.5. Got {days!r} instead."
        )
    start = pd.Timestamp("2025-03-03 00:00", tz="UTC")
    plan = Plan("load", start, _minutes(days), [])
    streams, totals = _background(plan.minute_index)
    plan.streams += streams
    rng = np.random.default_rng([seed, 13])
    n = max(1, int(math.floor((days - 1) / 1.5)))
    names = list(BASE_PER_DAY)
    for shape in place_outages(rng, start, days, n):
        service = names[int(rng.integers(len(names)))]
        rise = float(rng.uniform(4, 15))
        _outage(
            plan,
            service,
            shape,
            (rise - 1.0) * totals[service],
            float(rng.uniform(30, 90)),
            rng,
            rise=rise,
        )
    n_bursts = max(1, int(days // 2))
    picks = rng.choice(len(names), size=n_bursts)
    _bursts(plan, rng, [(names[int(i)], "chatter", 4.0) for i in picks], days)
    return plan


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in [
        Scenario(
            "exchange-outage",
            "The seed case: one day (from 06:00 UTC) of posts about a dozen services; "
            "Exchange Online's mailbox servers fail at 14:05 UTC (can't access email, mail "
            "stuck, calendar invites failing), the vendor acknowledges about an hour later, "
            "a fix rolls out from 20:30 and service is restored at 03:30 the next day.",
            1.0,
            lambda seed, days: _exchange(seed, days),
        ),
        Scenario(
            "quiet-day",
            "The same services and traffic on the day before, with no outage.",
            1.0,
            lambda seed, days: _exchange(seed, days, outage=False),
        ),
        Scenario(
            "multi-outage",
            "Several days (default 3) with about four outages per day after the first day, "
            "from 3x to 20x the service's usual volume, on busy services (WhatsApp, "
            "Instagram) and quiet ones (Zoom, PayPal: a few posts per hour), plus "
            "non-outage bursts (a new season, a price hike, a viral post).",
            3.0,
            _multi,
        ),
        Scenario(
            "load",
            "Many posts for benchmarks: all services over --days (default 7) with an "
            "outage every 1.5 days; --posts sets the exact number of posts "
            "(default 1,000,000).",
            7.0,
            _load,
        ),
    ]
}

#: Default --posts of the load scenario.
LOAD_POSTS = 1_000_000


def build_plan(
    name: str, *, seed: int = 0, days: float | None = None, posts: int | None = None
) -> Plan:
    """The plan of scenario *name* (see :data:`SCENARIOS`) for *seed*.

    *days* overrides the scenario's length; *posts*, when given, fixes the exact
    number of posts (the load scenario defaults to :data:`LOAD_POSTS`).

    >>> try:
    ...     build_plan("nope")
    ... except UsageError as err:
    ...     print(err)
    Unknown scenario 'nope'. Choose one of: exchange-outage, load, multi-outage, quiet-day.
    """
    if name not in SCENARIOS:
        raise UsageError(
            f"Unknown scenario {name!r}. Choose one of: {', '.join(sorted(SCENARIOS))}."
        )
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise UsageError(f"The 'seed' option must be a non-negative integer. Got {seed!r}.")
    scenario = SCENARIOS[name]
    days = scenario.days if days is None else days
    if not (isinstance(days, (int, float)) and math.isfinite(days) and days > 0):
        raise UsageError(f"The 'days' option must be a number > 0. Got {days!r} instead.")
    if posts is None and name == "load":
        posts = LOAD_POSTS
    if posts is not None and (isinstance(posts, bool) or posts < 1):
        raise UsageError(f"The 'posts' option must be a positive integer. Got {posts!r}.")
    plan = scenario.build(int(seed), float(days))
    plan.posts = posts
    return plan


__all__ = ["BASE_PER_DAY", "LOAD_POSTS", "SCENARIOS", "Scenario", "build_plan"]
