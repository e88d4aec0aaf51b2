"""What a simulated export contains, before any post is drawn: streams of posts with
their expected rate per minute, scheduled vendor posts, and the ground truth.

A :class:`Plan` is built by :mod:`detector.simulate.scenarios` and turned into
posts by :mod:`detector.simulate.posts`.

>>> import numpy as np, pandas as pd
>>> p = Plan("demo", pd.Timestamp("2025-03-12", tz="UTC"), 60,
...          [StreamSpec("everyday", None, np.full(60, 2.0))])
>>> round(p.expected_posts)
120
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

#: Kinds of post stream and what a reader would label them.
KINDS = {
    "outage": "outage complaint",
    "complaint": "complaint that is not an outage",
    "chatter": "post mentioning a service, not a complaint",
    "everyday": "post mentioning no service",
    "news": "media report about an outage",
}


@dataclass(frozen=True)
class StreamSpec:
    """One stream of posts: its kind, service, expected posts per minute, and mix.

    For ``outage`` streams, ``symptoms`` weights the symptom of each post,
    ``named`` is the share of posts that name the service, and ``multi`` the
    share that also name one of ``partners``; ``aliases`` weights the services
    whose names a post uses (an Exchange Online failure is reported as "Outlook is
    down" too), by default the stream's own service.
    """

    kind: str
    service: str | None
    rate: np.ndarray
    symptoms: Mapping[str, float] = field(default_factory=dict)
    named: float = 1.0
    multi: float = 0.0
    partners: tuple[str, ...] = ()
    aliases: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Scheduled:
    """A post at a fixed time by the vendor's status account."""

    time: pd.Timestamp
    service: str
    phase: str  # ack | update | mitigating | resolved
    ref: str
    step: int = 0  # 1, 2, ... for the n-th post of a phase that tells a story in order


@dataclass
class Plan:
    """Everything needed to draw an export: time range, streams, scheduled posts, truth."""

    scenario: str
    start: pd.Timestamp
    minutes: int
    streams: list[StreamSpec]
    scheduled: list[Scheduled] = field(default_factory=list)
    outages: list[dict] = field(default_factory=list)
    posts: int | None = None  # exact number of posts wanted (None: Poisson)

    @property
    def expected_posts(self) -> float:
        """Expected number of posts (before drawing) including scheduled ones."""
        return float(sum(s.rate.sum() for s in self.streams)) + len(self.scheduled)

    @property
    def minute_index(self) -> pd.DatetimeIndex:
        """Start of each minute of the export (UTC)."""
        return pd.date_range(self.start, periods=self.minutes, freq="1min")


__all__ = ["KINDS", "Plan", "Scheduled", "StreamSpec"]
