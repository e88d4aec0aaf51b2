"""Request metrics through ``prometheus_client``, in multiprocess mode under ``serve``.

Counts requests by method, route template and status, and a latency histogram per
route. ``outage-detector serve`` points ``PROMETHEUS_MULTIPROC_DIR`` at a fresh folder
before any worker starts, so every worker writes its samples there and one scrape of
``/metrics`` (answered by any worker) sums them all; no label names a process. Without
that variable (tests, an app built in-process) the metrics live in this object's own
registry. Gauges taken from the database (posts ingested, open incidents) are the same
in every worker and are added at render time.

>>> m = Metrics()
>>> m.observe("GET", "/healthz", 200, 0.003)
>>> text = m.render({"outage_open_incidents": ("gauge", "Open incidents.", 2)})
>>> 'outage_http_requests_total{method="GET",route="/healthz",status="200"} 1.0' in text
True
>>> 'outage_http_request_duration_seconds_bucket{le="0.005",route="/healthz"} 1.0' in text
True
>>> "outage_open_incidents 2" in text
True
"""

from __future__ import annotations

import math
import os

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

#: Upper bounds (seconds) of the latency histogram.
BUCKETS: tuple[float, ...] = (
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
)  # fmt: skip

#: The variable that switches ``prometheus_client`` to multiprocess mode.
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def multiprocess() -> bool:
    """Whether samples go to ``PROMETHEUS_MULTIPROC_DIR`` (set by ``serve``)."""
    folder = os.environ.get(MULTIPROC_ENV)
    return bool(folder) and os.path.isdir(folder)


class Metrics:
    """Request counters and latency histograms (thread-safe, as ``prometheus_client`` is)."""

    def __init__(self) -> None:
        self._registry = CollectorRegistry()
        self._requests = Counter(
            "outage_http_requests",
            "HTTP requests by method, route and status.",
            ("method", "route", "status"),
            registry=self._registry,
        )
        self._latency = Histogram(
            "outage_http_request_duration_seconds",
            "Request latency by route.",
            ("route",),
            buckets=BUCKETS,
            registry=self._registry,
        )

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        """Record one finished request."""
        self._requests.labels(method, route, str(status)).inc()
        self._latency.labels(route).observe(seconds)

    def render(self, gauges: dict[str, tuple[str, str, float]] | None = None) -> str:
        """The exposition text of every worker; *gauges* maps a name to ``(type, help, value)``."""
        if multiprocess():
            registry = CollectorRegistry()
            MultiProcessCollector(registry)
        else:
            registry = self._registry
        lines = [generate_latest(registry).decode().rstrip("\n")]
        for name, (kind, help_text, value) in sorted((gauges or {}).items()):
            lines += [
                f"# HELP {name} {help_text}",
                f"# TYPE {name} {kind}",
                f"{name} {sample_value(value)}",
            ]
        return "\n".join(lines) + "\n"


def sample_value(value: float) -> str:
    """A sample value in the Prometheus text format, without losing digits.

    Integers are written exactly (an epoch in seconds, a counter past a million);
    floats with ``repr`` precision (the shortest text that reads back the same).

    >>> sample_value(1424807580), sample_value(1234567), sample_value(0.1), sample_value(2.5e-7)
    ('1424807580', '1234567', '0.1', '2.5e-07')
    >>> sample_value(float("nan")), sample_value(float("-inf")), sample_value(True)
    ('NaN', '-Inf', '1')
    """
    if isinstance(value, int):
        return str(int(value))
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(float(value))
