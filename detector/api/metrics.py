"""Request metrics in the Prometheus text format (version 0.0.4), without a client library.

Counts requests by method, route template and status, and a latency histogram per
route. These live in the worker's memory: with ``--workers N`` each scrape sees the
worker that answered it (the ``worker`` label tells which). Gauges taken from the
database (posts ingested, open incidents) are the same in every worker.

>>> m = Metrics(worker="1")
>>> m.observe("GET", "/healthz", 200, 0.003)
>>> text = m.render({"outage_open_incidents": ("gauge", "Open incidents.", 2)})
>>> 'outage_http_requests_total{method="GET",route="/healthz",status="200",worker="1"} 1' in text
True
>>> 'outage_http_request_duration_seconds_bucket{route="/healthz",worker="1",le="0.005"} 1' in text
True
>>> "outage_open_incidents 2" in text
True
"""

from __future__ import annotations

import threading
from collections import defaultdict

#: Upper bounds (seconds) of the latency histogram.
BUCKETS: tuple[float, ...] = (
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
)  # fmt: skip


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


class Metrics:
    """Thread-safe request counters and latency histograms of one worker."""

    def __init__(self, worker: str = "0") -> None:
        self.worker = worker
        self._lock = threading.Lock()
        self._requests: dict[tuple[str, str, int], int] = defaultdict(int)
        self._hist: dict[str, list[int]] = {}
        self._sum: dict[str, float] = defaultdict(float)
        self._count: dict[str, int] = defaultdict(int)

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        """Record one finished request."""
        with self._lock:
            self._requests[(method, route, status)] += 1
            hist = self._hist.get(route)
            if hist is None:
                hist = self._hist[route] = [0] * len(BUCKETS)
            for i, bound in enumerate(BUCKETS):
                if seconds <= bound:
                    hist[i] += 1
                    break
            self._sum[route] += seconds
            self._count[route] += 1

    def render(self, gauges: dict[str, tuple[str, str, float]] | None = None) -> str:
        """The exposition text; *gauges* maps a name to ``(type, help, value)``."""
        w = _escape(self.worker)
        lines = [
            "# HELP outage_http_requests_total HTTP requests by method, route and status.",
            "# TYPE outage_http_requests_total counter",
        ]
        with self._lock:
            for (method, route, status), n in sorted(self._requests.items()):
                lines.append(
                    f'outage_http_requests_total{{method="{_escape(method)}",'
                    f'route="{_escape(route)}",status="{status}",worker="{w}"}} {n}'
                )
            lines += [
                "# HELP outage_http_request_duration_seconds Request latency by route.",
                "# TYPE outage_http_request_duration_seconds histogram",
            ]
            for route, hist in sorted(self._hist.items()):
                r = _escape(route)
                total = 0
                for bound, n in zip(BUCKETS, hist, strict=True):
                    total += n
                    lines.append(
                        f'outage_http_request_duration_seconds_bucket{{route="{r}",worker="{w}",'
                        f'le="{bound:g}"}} {total}'
                    )
                lines.append(
                    f'outage_http_request_duration_seconds_bucket{{route="{r}",worker="{w}",'
                    f'le="+Inf"}} {self._count[route]}'
                )
                lines.append(
                    f'outage_http_request_duration_seconds_sum{{route="{r}",worker="{w}"}} '
                    f"{self._sum[route]:.6f}"
                )
                lines.append(
                    f'outage_http_request_duration_seconds_count{{route="{r}",worker="{w}"}} '
                    f"{self._count[route]}"
                )
        for name, (kind, help_text, value) in sorted((gauges or {}).items()):
            lines += [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}", f"{name} {value:g}"]
        return "\n".join(lines) + "\n"
