"""Scan evidence that a count rate has risen: one test over windows of several lengths.

A live outage detector must raise its alarm minutes after a clear rise and only
after hours of a faint one. Instead of one bucket width, the rise is tested over
windows of several durations ending now (2 minutes to 6 hours): a window holding
``x`` posts where the baseline expected ``m`` is evidence of a rise to more than
``rho`` times the baseline when ``x`` is far above ``rho * m``.

The baseline itself is an estimate from ``c`` past posts (its decayed history).
The test conditions on that: given ``x + c`` posts, the share falling into the
window is binomial with ``p0 = rho m / (rho m + c)`` under "the window's rate is
``rho`` times the history's", and the evidence is the binomial deviance::

    D = x log(p / p0) + c log((1 - p) / (1 - p0)),   p = x / (x + c)

(0 when ``p <= p0``), divided by the over-dispersion ``phi``. With a long history
(``c`` large) it is the Poisson deviance ``x log(x / rho m) - (x - rho m)``; with a
young history it is weaker, so a baseline that has seen two hours cannot be
beaten by noise, while a jump from a level it has already seen still is.
``P(window this extreme) <= exp(-D)`` under the null (Chernoff).

>>> round(rise_evidence(49, 5.0, math.inf, rho=3.0), 2)  # 10x, long history
24.0
>>> round(rise_evidence(49, 5.0, 60.0, rho=3.0), 2)  # the same, 1 h of history
17.25
>>> rise_evidence(10, 5.0, math.inf, rho=3.0)  # 2x is not evidence of a 3x rise
0.0
>>> rise_evidence(1e21, 5.0, 1e4, rho=3.0) > rise_evidence(1e19, 5.0, 1e4, rho=3.0) > 0
True
>>> window_lengths(60)  # 1-minute steps: windows in minutes
[2, 3, 5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 240, 360]
>>> window_lengths(86400)  # daily steps
[1, 2, 3, 4, 6, 8, 12]
"""

from __future__ import annotations

import math

#: Window durations (seconds) scanned at fine steps: 2 minutes to 6 hours.
DURATIONS = (120, 180, 300, 600, 900, 1200, 1800, 2700, 3600, 5400, 7200, 10800, 14400, 21600)
#: Window lengths (steps) scanned at coarse steps (hourly, daily data).
STEP_COUNTS = (1, 2, 3, 4, 6, 8, 12)


def window_lengths(step_seconds: float) -> list[int]:
    """Window lengths in steps for a series whose steps are ``step_seconds`` wide.

    Fine steps (up to 5 minutes) scan :data:`DURATIONS`, so the answer is the same in
    time whatever the step; coarser steps scan :data:`STEP_COUNTS` steps.
    """
    if not step_seconds > 0:
        raise ValueError(f"step_seconds must be positive, got {step_seconds!r}")
    if step_seconds <= 300:
        return sorted({max(1, round(d / step_seconds)) for d in DURATIONS})
    return list(STEP_COUNTS)


def rise_evidence(x: float, m: float, c: float, *, rho: float, phi: float = 1.0) -> float:
    """Nats of evidence that a window's ``x`` posts exceed ``rho`` times its expectation ``m``.

    ``c``: posts behind the expectation (``math.inf``: known exactly); ``phi``: the
    variance-to-mean ratio of the noise (1 for Poisson).
    """
    mu = rho * m
    if x <= mu or mu <= 0.0:
        return 0.0
    if c == math.inf:
        return (x * math.log(x / mu) - (x - mu)) / phi
    n = x + c
    p0 = mu / (mu + c)
    p = x / n
    if p <= p0:
        return 0.0
    d = x * math.log(p / p0)
    if c > 0.0:
        q = 1.0 - p
        if q > 0.0:
            d += c * math.log(q / (1.0 - p0))
        else:  # x dwarfs c (1e21 posts on a history of 1e4): 1 - p rounds to 0
            d += c * (math.log(mu + c) - math.log(n))  # (1 - p) / (1 - p0) = (mu + c) / n
    return d / phi


__all__ = ["DURATIONS", "STEP_COUNTS", "rise_evidence", "window_lengths"]
