"""Online alarm on counts: a CUSUM for sustained rises plus a one-bucket tail test.

Each bucket brings a count ``x`` and the baseline's expectation ``mu`` (judged from
the past). Two tests run side by side:

* **CUSUM** (slow or small rises). The log-likelihood ratio of "the rate has risen
  to ``rho * mu``" against "the rate is ``mu``", in quasi-likelihood form::

      llr = (x * log(rho) - (rho - 1) * mu) / phi
      S   = min(ceiling, max(0, S + min(llr, max_step)))

  ``max_step`` caps what one bucket can add, so a short burst of posts (one user
  venting in a thread) cannot raise the alarm through the CUSUM alone.
* **Tail test** (large fast rises). The Chernoff bound on the upper tail of one
  bucket, against a rate already ``tail_rise`` times the expectation::

      m0 = tail_rise * mu;   D = (x * log(x / m0) - (x - m0)) / phi   (x > m0)

  ``P(X >= x) <= exp(-D)``; a bucket with ``D >= tail`` is *strong* (``tail=13.8``
  is ``p < 1e-6``). ``confirm`` strong buckets in a row raise the alarm at once
  (a jump from 0.4 to 15 posts per bucket: ``D`` is about 30 nats per bucket, so
  the alarm comes with the second bucket), whatever the CUSUM says.

``phi`` is the variance-to-mean ratio at ``mu`` of a negative-binomial noise model,
``var = mu * (1 + a * mu)``: 1 for sparse Poisson complaint counts, tens for large
overdispersed Twitter volume whose noise grows with the level. ``a`` is learned
from normal buckets expecting at least 0.3 posts (below that the extra variance is
invisible next to the Poisson one, and a single post would swamp the estimate): a
residual waits 12 buckets before it enters the estimate and is dropped if an alarm
rises meanwhile; residuals beyond ``dispersion_clip`` standard deviations are
clipped. It starts from a prior ``a = 0.05`` worth 24 buckets, so a series with a
few hours of history already has a usable noise model. Buckets expecting fewer
than 0.3 posts teach a quasi-Poisson variance-to-mean ratio instead (a quiet
series' bursts of posts), used as ``phi`` there when larger.

:attr:`OnlineDetector.anomalous` tells the baseline not to learn the bucket (the
alarm is up, the bucket is strong, or ``S >= possible``):
:func:`detect_online` runs both together.

The rise the CUSUM looks for is ``shift`` standard deviations,
``rho = 1 + shift * sqrt(phi / mu)``, kept between ``min_rise`` and ``max_rise``.

Status ladder, like Downdetector's: ``possible`` when ``S >= possible`` or the
bucket is strong; ``outage`` once ``S >= threshold`` or ``confirm`` strong buckets
in a row. The alarm is lowered after ``S`` stayed under ``release`` for ``hold``
buckets (hysteresis); after that, a new alarm needs ``refractory`` buckets first
(the same incident flaring up again is not a new incident). During the first
``warmup`` buckets (a day) the daily rhythm is unknown, so a slow rise cannot be
told from the morning ramp: only the tail test raises the alarm then (the CUSUM
says ``possible``).

Defaults, from the math and then checked once on the development data
(``benchmarks/detection.py``: simulated outages at 0.2-50 posts per bucket with
non-outage bursts of 4-15 minutes, and the NAB Twitter series), never per series:

* ``threshold=7``, ``max_step=2.4``: the CUSUM needs at least three buckets of
  evidence (``3 * 2.4 >= 7 > 2 * 2.4``), so a burst filling one or two buckets
  cannot raise it; Wald's bound gives ``ARL0 >= exp(7)``, ~1,100 buckets (~4 days
  at 5-minute buckets) between false alarms under the model.
* ``max_rise=3``: the CUSUM is tuned for the smallest rise that matters (3x, the
  hardest case at 0.2-1 posts per bucket); larger rises are the tail test's job.
* ``tail=13.8`` (``p < 1e-6`` per bucket), ``tail_rise=2.5``, ``confirm=2``: a
  non-outage burst of posts is at most ~2-4x the usual volume, so the tail test
  asks whether the count is far beyond even 2.5x; two such buckets in a row
  raise the alarm (about one false pair in 10^12 buckets under the noise model).
* ``refractory=36`` (3 hours at 5-minute buckets): outages last hours; a re-alarm
  soon after one fell is the same incident. ``hold=2``: two quiet buckets in a row
  end the alarm (one does not), and while the alarm is up, evidence of normal
  volume counts 1.5 times, so the alarm falls within ~5 buckets of the end.
* ``warmup=288`` (a day at 5-minute buckets), ``dispersion_clip=30``: heavy-tailed
  real volume (NAB) needs the wide clip, or the noise model is too narrow.

>>> det = OnlineDetector(warmup=0)  # a history already known to the baseline
>>> for x in [2, 1, 3, 2, 2, 1, 2, 3, 2, 2, 2, 1, 2, 2, 16, 18, 20, 19, 17]:
...     _ = det.update(x, expected=2.0)
>>> det.alarm, det.status, det.n_updates
(True, 'outage', 19)
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from detector.errors import DataError, UsageError

STATUSES = ("ok", "possible", "outage")
#: Buckets a residual waits before it enters the dispersion estimate.
_LAG = 12
#: Buckets at the very start whose evidence is ignored (no history yet).
_START = 12
#: Prior of the negative-binomial dispersion ``a`` (squared coefficient of variation).
_PRIOR_A = 0.05
#: Weight of that prior, in buckets at the current expectation.
_PRIOR_BUCKETS = 24.0
#: Buckets expecting fewer posts say almost nothing about ``a`` (the extra variance
#: ``a * mu**2`` is tiny next to the Poisson ``mu``) and one post there would swamp it.
_MIN_MU_A = 0.3
#: Below it, the variance-to-mean ratio of sparse buckets (bursts of posts in a
#: quiet series) is learned instead, from a Poisson prior worth this many posts.
_PRIOR_Q = 10.0
#: While the alarm is up, evidence of normal volume counts this many times over, so
#: the alarm falls soon after an outage (with the ceiling at 16 nats and rho = 3 at
#: 2 posts per bucket, a return to normal would otherwise take ~8 buckets; now ~5).
_FALL = 1.5
#: Largest lag-1 autocorrelation of the noise taken into account.
_MAX_AC = 0.8
#: Standardised residuals are clipped to this before they enter the autocorrelation.
_Z_CLIP = 4.0
#: The autocorrelation is learned from buckets expecting at least this many posts.
_MIN_MU_AC = 2.0


class OnlineDetector:
    """Streaming change detector for counts (river style: ``update(...) -> self``).

    Keyword-only parameters (stored unchanged):

    threshold
        CUSUM level (nats of evidence) at which the ``outage`` alarm is raised.
    possible
        Level at which the status becomes ``possible``.
    release, hold
        The alarm is lowered after ``hold`` buckets in a row with ``S < release``.
    shift
        The rise looked for, in standard deviations of the count.
    min_rise, max_rise
        Smallest and largest relative rise looked for (``min_rise <= rho <= max_rise``).
    max_step
        Largest evidence one bucket can add to the CUSUM.
    ceiling
        Largest value of the statistic (so the alarm ends soon after the outage).
    tail
        Nats of one-bucket tail evidence that make a bucket strong (13.8: p < 1e-6).
    tail_rise
        The tail test is against ``tail_rise`` times the expectation (a burst of
        posts up to that size is not evidence of an outage).
    confirm
        Strong buckets in a row that raise the alarm at once.
    refractory
        Buckets after an alarm fell during which no new alarm is raised.
    decorrelate
        Discount the CUSUM's evidence by the lag-1 autocorrelation ``r`` of the
        noise (learned from buckets expecting 2+ posts), by ``(1 - r) / (1 + r)``.
        Off by default: it suits drifting real volume (NAB: 34.8 -> 58.2) but costs
        simulated outages a little (detection 0.950 -> 0.948, median delay 2 -> 3).
    warmup
        Buckets at the start during which the CUSUM needs twice the evidence (at
        most ``ceiling``); 0 by default: the dispersion prior covers little history.
    dispersion_halflife
        Half-life, in buckets, of the dispersion estimate.
    min_expected
        Floor on the expectation, so an empty history (expected 0) stays usable.
    dispersion_clip
        Residuals beyond this many standard deviations are clipped before they
        update the dispersion (large: heavy tails widen the noise model).

    Read-only state: ``alarm``, ``status``, ``score`` (the statistic ``S``),
    ``n_updates``, ``dispersion``, ``anomalous`` (the baseline should not learn
    from this bucket).

    >>> det = OnlineDetector()
    >>> det.update(3, expected=2.5).status
    'ok'
    >>> det.update(-1, expected=2.5)
    Traceback (most recent call last):
    ...
    detector.errors.DataError: count must be a non-negative number, got -1 at bucket 1
    """

    __slots__ = (
        "threshold",
        "possible",
        "release",
        "hold",
        "shift",
        "min_rise",
        "max_rise",
        "max_step",
        "ceiling",
        "tail",
        "tail_rise",
        "confirm",
        "refractory",
        "decorrelate",
        "warmup",
        "dispersion_halflife",
        "min_expected",
        "dispersion_clip",
        "_clip2",
        "_decay",
        "_score",
        "_alarm",
        "_quiet",
        "_n",
        "_a_num",
        "_a_den",
        "_q_num",
        "_q_den",
        "_pending",
        "_ac_num",
        "_ac_den",
        "_prev_z",
        "_strong",
        "_cool",
        "_phi",
    )

    def __init__(
        self,
        *,
        threshold: float = 7.0,
        possible: float = 4.0,
        release: float = 2.0,
        hold: int = 2,
        shift: float = 4.0,
        min_rise: float = 1.5,
        max_rise: float = 3.0,
        max_step: float = 2.4,
        ceiling: float = 16.0,
        tail: float = 13.8,
        tail_rise: float = 2.5,
        confirm: int = 2,
        refractory: int = 36,
        decorrelate: bool = False,
        warmup: int = 288,
        dispersion_halflife: float = 864.0,
        min_expected: float = 0.05,
        dispersion_clip: float = 30.0,
    ) -> None:
        self.threshold = threshold
        self.possible = possible
        self.release = release
        self.hold = hold
        self.shift = shift
        self.min_rise = min_rise
        self.max_rise = max_rise
        self.max_step = max_step
        self.ceiling = ceiling
        self.tail = tail
        self.tail_rise = tail_rise
        self.confirm = confirm
        self.refractory = refractory
        self.decorrelate = decorrelate
        self.warmup = warmup
        self.dispersion_halflife = dispersion_halflife
        self.min_expected = min_expected
        self.dispersion_clip = dispersion_clip
        _check_params(self)
        self._clip2 = dispersion_clip * dispersion_clip
        self._decay = 0.5 ** (1.0 / dispersion_halflife)
        self._reset()

    def _reset(self) -> None:
        self._score = 0.0
        self._alarm = False
        self._quiet = 0
        self._n = 0
        self._a_num = 0.0  # decayed sum of (residual^2 - mu)
        self._a_den = 0.0  # decayed sum of mu^2
        self._q_num = 0.0  # sparse buckets: decayed sum of residual^2 ...
        self._q_den = 0.0  # ... over decayed sum of mu (quasi-Poisson dispersion)
        # residuals wait _LAG buckets before they teach the noise model: if an alarm
        # rises meanwhile they belonged to the outage's onset and are dropped
        self._pending: deque[tuple[float, float, float]] = deque()
        # lag-1 autocorrelation of standardised residuals (normal buckets only)
        self._ac_num = 0.0
        self._ac_den = 0.0
        self._prev_z: float | None = None
        self._strong = 0  # strong buckets in a row
        self._cool = 0  # buckets left in the refractory period
        self._phi = 1.0  # variance-to-mean ratio used for the last bucket

    # -- read-only state ---------------------------------------------------------
    @property
    def alarm(self) -> bool:
        """True while the outage alarm is raised."""
        return self._alarm

    @property
    def status(self) -> str:
        """``'ok'``, ``'possible'`` or ``'outage'``."""
        if self._alarm:
            return "outage"
        return "possible" if self._score >= self.possible or self._strong else "ok"

    @property
    def anomalous(self) -> bool:
        """True when the last bucket should not teach the baseline (alarm, strong, possible)."""
        return self._alarm or self._strong > 0 or self._score >= self.possible

    @property
    def score(self) -> float:
        """The CUSUM statistic: evidence (nats) that the rate has risen."""
        return self._score

    @property
    def n_updates(self) -> int:
        """Number of buckets seen."""
        return self._n

    @property
    def dispersion(self) -> float:
        """Variance-to-mean ratio used for the last bucket (1 = Poisson)."""
        return self._phi

    # -- the update ----------------------------------------------------------------
    def update(self, count: float, expected: float) -> OnlineDetector:
        """Judge one bucket: its ``count`` and the ``expected`` count from the past."""
        x = count if type(count) is float else _number(count, "count", self._n)
        mu = expected if type(expected) is float else _number(expected, "expected", self._n)
        if not (x >= 0.0 and x < math.inf):
            raise DataError(
                f"count must be a non-negative number, got {count!r} at bucket {self._n}"
            )
        if not (mu >= 0.0 and mu < math.inf):
            raise DataError(
                f"expected must be a non-negative number, got {expected!r} at bucket {self._n}"
            )
        if mu < self.min_expected:
            mu = self.min_expected
        mu2 = mu * mu
        prior = _PRIOR_BUCKETS * mu2
        a = (self._a_num + _PRIOR_A * prior) / (self._a_den + prior)
        if a < 0.0:
            a = 0.0
        phi = 1.0 + a * mu
        if mu < _MIN_MU_A:
            q = (self._q_num + _PRIOR_Q) / (self._q_den + _PRIOR_Q)
            if q > phi:
                phi = q
        self._phi = phi
        # CUSUM
        rho = 1.0 + self.shift * math.sqrt(phi / mu)
        if rho < self.min_rise:
            rho = self.min_rise
        elif rho > self.max_rise:
            rho = self.max_rise
        llr = (x * math.log(rho) - (rho - 1.0) * mu) / phi
        if self.decorrelate:
            # autocorrelated noise (a slow drift of the baseline's error) makes a run
            # of buckets look like more evidence than it is: the variance of a sum
            # of AR(1) residuals is (1 + r) / (1 - r) times that of independent ones
            r = self._ac_num / (self._ac_den + _PRIOR_BUCKETS)
            if r > 0.0:
                if r > _MAX_AC:
                    r = _MAX_AC
                llr *= (1.0 - r) / (1.0 + r)
        if llr > self.max_step:
            llr = self.max_step
        elif llr < 0.0 and self._alarm:
            llr *= _FALL  # the return to normal is judged faster than the rise
        score = self._score + llr
        if score < 0.0:
            score = 0.0
        elif score > self.ceiling:
            score = self.ceiling
        # one-bucket tail test against tail_rise * mu
        m0 = self.tail_rise * mu
        if x > m0 and (x * math.log(x / m0) - (x - m0)) / phi >= self.tail:
            strong = self._strong + 1
        else:
            strong = 0
        self._n += 1
        raise_at = self.threshold
        if self._n <= self.warmup:
            # the daily rhythm is not known yet: a slow rise cannot be told from the
            # morning ramp, so only the tail test (a large jump) raises the alarm
            raise_at = math.inf
        if self._n <= _START:
            score = 0.0  # no history at all: the expectation means nothing yet
            strong = 0
        self._score = score
        self._strong = strong

        if not self._alarm:
            # learn the noise only from normal buckets; clip so one spike cannot dominate
            residual = x - mu
            r2 = residual * residual
            cap = self._clip2 * phi * mu + 1.0
            pending = self._pending
            z = residual / math.sqrt(phi * mu)
            if z > _Z_CLIP:
                z = _Z_CLIP
            elif z < -_Z_CLIP:
                z = -_Z_CLIP
            pending.append((r2 if r2 < cap else cap, mu, z))
            if len(pending) > _LAG:
                r2, m, z = pending.popleft()
                decay = self._decay
                if m >= _MIN_MU_A:
                    self._a_num = self._a_num * decay + (r2 - m)
                    self._a_den = self._a_den * decay + m * m
                else:
                    self._q_num = self._q_num * decay + r2
                    self._q_den = self._q_den * decay + m
                if m >= _MIN_MU_AC:
                    if self._prev_z is not None:
                        self._ac_num = self._ac_num * decay + z * self._prev_z
                        self._ac_den = self._ac_den * decay + z * z
                    self._prev_z = z
                else:
                    self._prev_z = None
            if self._cool > 0:
                self._cool -= 1
            elif score >= raise_at or strong >= self.confirm:
                self._alarm = True
                self._quiet = 0
                if score < self.threshold:
                    self._score = self.threshold  # the tail test's evidence, CUSUM scale
                pending.clear()
                self._prev_z = None
        elif score < self.release and not strong:
            self._quiet += 1
            if self._quiet >= self.hold:
                self._alarm = False
                self._cool = self.refractory
        else:
            self._quiet = 0
        return self


def run_online(
    counts: Sequence[float] | np.ndarray,
    expected: Sequence[float] | np.ndarray,
    **params: Any,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Run :class:`OnlineDetector` over a whole series: ``(status, score, alarm)`` arrays.

    Exactly what the streaming detector says bucket by bucket (it runs it), for an
    expectation computed beforehand; :func:`detect_online` also runs the baseline.

    >>> status, score, alarm = run_online([2] * 14 + [30] * 4, [2.0] * 18)
    >>> status.tolist()[12:]
    ['ok', 'ok', 'possible', 'outage', 'outage', 'outage']
    """
    xs = np.asarray(counts, dtype="float64")
    mus = np.asarray(expected, dtype="float64")
    if xs.ndim != 1 or xs.shape != mus.shape:
        raise DataError(
            f"counts and expected must be 1-d and of the same length, got shapes "
            f"{xs.shape} and {mus.shape}."
        )
    det = OnlineDetector(**params)
    n = len(xs)
    status = np.empty(n, dtype=object)
    score = np.empty(n, dtype="float64")
    alarm = np.empty(n, dtype=bool)
    update = det.update
    for i, (x, mu) in enumerate(zip(xs.tolist(), mus.tolist(), strict=True)):
        update(x, mu)
        status[i] = det.status
        score[i] = det._score
        alarm[i] = det._alarm
    return status, score, alarm


def detect_online(
    counts: pd.Series,
    totals: pd.Series | None = None,
    *,
    baseline: dict[str, Any] | None = None,
    **params: Any,
) -> tuple[pd.Series, np.ndarray, np.ndarray, np.ndarray]:
    """Baseline and detector together, causally: ``(expected, status, score, alarm)``.

    Bucket by bucket, exactly as the live loop does it::

        mu = base.expected(ts, total=total, count=x)
        det.update(x, mu)
        base.update(x, ts, total=total, anomalous=det.anomalous)

    so the baseline does not learn an outage as normal while the alarm is up.
    ``baseline``: keyword arguments of
    :class:`~detector.series.baseline.SeasonalBaseline`; ``params``: those of
    :class:`OnlineDetector`.

    >>> idx = pd.date_range("2026-01-05", periods=60, freq="5min", tz="UTC")
    >>> counts = pd.Series([0.0, 1.0] * 20 + [15.0] * 20, index=idx)
    >>> expected, status, score, alarm = detect_online(counts)
    >>> int(np.argmax(alarm)), round(float(expected.iloc[-1]), 2)  # frozen at normal
    (41, 0.5)
    """
    from detector.series.baseline import SeasonalBaseline

    base = SeasonalBaseline(**(baseline or {}))
    det = OnlineDetector(**params)
    status: list[str] = []
    score: list[float] = []
    alarm: list[bool] = []

    def judge(x: float, mu: float) -> bool:
        det.update(x, mu)
        status.append(det.status)
        score.append(det._score)
        alarm.append(det._alarm)
        return det._alarm or det._strong > 0 or det._score >= det.possible

    base.fit(counts, totals, judge=judge)
    return (
        base.expected_,
        np.array(status, dtype=object),
        np.array(score, dtype="float64"),
        np.array(alarm, dtype=bool),
    )


def _number(value: object, name: str, at: int) -> float:
    if isinstance(value, bool):
        raise DataError(f"{name} must be a non-negative number, got {value!r} at bucket {at}")
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError) as err:
        raise DataError(
            f"{name} must be a non-negative number, got {value!r} at bucket {at}"
        ) from err


def _check_params(det: OnlineDetector) -> None:
    positive = (
        "threshold",
        "shift",
        "max_step",
        "tail",
        "tail_rise",
        "dispersion_halflife",
        "dispersion_clip",
    )
    for name in positive:
        value = getattr(det, name)
        if not (isinstance(value, int | float) and not isinstance(value, bool) and value > 0):
            raise UsageError(f"The {name!r} parameter must be a positive number. Got {value!r}.")
    for name in ("possible", "release", "min_expected"):
        value = getattr(det, name)
        if not (isinstance(value, int | float) and not isinstance(value, bool) and value >= 0):
            raise UsageError(f"The {name!r} parameter must be a number >= 0. Got {value!r}.")
    if not isinstance(det.decorrelate, bool):
        raise UsageError(
            f"The 'decorrelate' parameter must be True or False. Got {det.decorrelate!r}."
        )
    for name in ("hold", "warmup", "refractory"):
        value = getattr(det, name)
        if not (isinstance(value, int) and not isinstance(value, bool) and value >= 0):
            raise UsageError(f"The {name!r} parameter must be an integer >= 0. Got {value!r}.")
    if not (
        isinstance(det.confirm, int) and not isinstance(det.confirm, bool) and det.confirm >= 1
    ):
        raise UsageError(f"The 'confirm' parameter must be an integer >= 1. Got {det.confirm!r}.")
    if not det.release <= det.possible <= det.threshold <= det.ceiling:
        raise UsageError(
            "The levels must satisfy release <= possible <= threshold <= ceiling. Got "
            f"release={det.release!r}, possible={det.possible!r}, "
            f"threshold={det.threshold!r}, ceiling={det.ceiling!r}."
        )
    if not (isinstance(det.min_rise, int | float) and det.min_rise > 1):
        raise UsageError(f"The 'min_rise' parameter must be > 1. Got {det.min_rise!r}.")
    if not (isinstance(det.max_rise, int | float) and det.max_rise >= det.min_rise):
        raise UsageError(
            f"The 'max_rise' parameter must be >= min_rise ({det.min_rise!r}). "
            f"Got {det.max_rise!r}."
        )


__all__ = ["STATUSES", "OnlineDetector", "detect_online", "run_online"]
