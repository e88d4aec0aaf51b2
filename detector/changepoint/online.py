"""Online alarm on counts: a quasi-Poisson CUSUM with a status ladder and hysteresis.

Each bucket brings a count ``x`` and the baseline's expectation ``mu`` (judged from
the past). The detector accumulates the log-likelihood ratio of "the rate has
risen to ``rho * mu``" against "the rate is ``mu``"::

    llr = (x * log(rho) - (rho - 1) * mu) / phi
    S   = min(ceiling, max(0, S + min(llr, max_step)))

``phi`` is the variance-to-mean ratio of recent residuals (1 for Poisson counts,
tens for Twitter mention volume), so the same defaults fit sparse complaint
counts and large overdispersed counts. It is learned from normal buckets only: a
residual waits 12 buckets before it enters the estimate and is dropped if an
alarm rises meanwhile (the onset of an outage must not widen the noise model),
and residuals beyond ``dispersion_clip`` standard deviations are clipped.

The rise it looks for is ``shift`` standard deviations,
``rho = 1 + shift * sqrt(phi / mu)``, kept between ``min_rise`` and ``max_rise``:
on a large count that is a small relative change, on a sparse one a large one, as
the evidence allows (but a sparse series still looks for a rise of ``max_rise``
times, not for the 10x that ``shift`` alone would ask of 0.2 posts per bucket).
For large counts this is the classic Gaussian CUSUM on standardised residuals
with reference value ``shift / 2``; for sparse ones it is the Poisson CUSUM.

``max_step`` caps what one bucket can add, so a short burst of posts (one user
venting in a thread) cannot raise the alarm alone; ``ceiling`` caps the statistic
so that the alarm falls soon after the volume returns to normal. The status
ladder, like Downdetector's: ``possible`` when ``S >= possible``, ``outage`` once
``S >= threshold``; the outage alarm is lowered only after ``S`` stayed under
``release`` for ``hold`` buckets (hysteresis: one quiet bucket does not end it).

Defaults: under the model, Wald's bound gives ``ARL0 >= exp(threshold)`` buckets
between false alarms; ``threshold=7.5`` is ~1,800 buckets, about 6 days at 5-minute
buckets. ``max_step=2.5`` means at least three buckets of evidence, so a burst of
posts lasting 5-10 minutes does not raise the alarm alone (the price: the alarm
comes 2 buckets after the onset at best; ``threshold=8`` would ask for four
buckets, a bucket later, with a third of the false alarms on simulated data).
``shift=4``, ``max_rise=4`` and the dispersion settings were then chosen once on
the development data (simulated outages at 0.2-50 posts per bucket, and the NAB
Twitter series), never per series; ``benchmarks/detection.py`` measures the trade-offs.

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

from detector.errors import DataError, UsageError

STATUSES = ("ok", "possible", "outage")
#: Buckets a residual waits before it enters the dispersion estimate.
_LAG = 12
#: Buckets at the very start whose evidence is ignored (no history yet).
_START = 12
#: Pseudo-posts of Poisson noise (dispersion 1) the dispersion estimate starts from.
_PRIOR = 10.0


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
        Largest evidence one bucket can add.
    ceiling
        Largest value of the statistic (so the alarm ends soon after the outage).
    warmup
        Buckets at the start while the baseline is young (it has not seen a whole
        day yet): the alarm needs twice the evidence (at most ``ceiling``), and
        none at all in the first 12 buckets.
    dispersion_halflife
        Half-life, in buckets, of the dispersion estimate.
    min_expected
        Floor on the expectation, so an empty history (expected 0) stays usable.
    dispersion_clip
        Residuals beyond this many standard deviations are clipped before they
        update the dispersion (large: heavy tails widen the noise model).

    Read-only state: ``alarm``, ``status``, ``score`` (the statistic ``S``),
    ``n_updates``, ``dispersion``.

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
        "warmup",
        "dispersion_halflife",
        "min_expected",
        "dispersion_clip",
        "_clip2",
        "_decay",
        "_warm_threshold",
        "_score",
        "_alarm",
        "_quiet",
        "_n",
        "_disp_num",
        "_disp_den",
        "_pending",
    )

    def __init__(
        self,
        *,
        threshold: float = 7.5,
        possible: float = 4.0,
        release: float = 2.0,
        hold: int = 3,
        shift: float = 4.0,
        min_rise: float = 1.5,
        max_rise: float = 4.0,
        max_step: float = 2.5,
        ceiling: float = 16.0,
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
        self.warmup = warmup
        self.dispersion_halflife = dispersion_halflife
        self.min_expected = min_expected
        self.dispersion_clip = dispersion_clip
        _check_params(self)
        self._clip2 = dispersion_clip * dispersion_clip
        self._decay = 0.5 ** (1.0 / dispersion_halflife)
        self._warm_threshold = min(2.0 * threshold, ceiling)
        self._reset()

    def _reset(self) -> None:
        self._score = 0.0
        self._alarm = False
        self._quiet = 0
        self._n = 0
        self._disp_num = 0.0
        self._disp_den = 0.0
        # residuals wait _LAG buckets before they teach the noise model: if an alarm
        # rises meanwhile they belonged to the outage's onset and are dropped
        self._pending: deque[tuple[float, float]] = deque()

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
        return "possible" if self._score >= self.possible else "ok"

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
        """Current variance-to-mean estimate of the counts (1 = Poisson)."""
        phi = (self._disp_num + _PRIOR) / (self._disp_den + _PRIOR)
        return phi if phi > 1.0 else 1.0

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
        phi = (self._disp_num + _PRIOR) / (self._disp_den + _PRIOR)
        if phi < 1.0:
            phi = 1.0
        rho = 1.0 + self.shift * math.sqrt(phi / mu)
        if rho < self.min_rise:
            rho = self.min_rise
        elif rho > self.max_rise:
            rho = self.max_rise
        llr = (x * math.log(rho) - (rho - 1.0) * mu) / phi
        if llr > self.max_step:
            llr = self.max_step
        score = self._score + llr
        if score < 0.0:
            score = 0.0
        elif score > self.ceiling:
            score = self.ceiling
        self._n += 1
        if self._n <= self.warmup:
            if self._n <= _START:
                score = 0.0  # no history at all: the expectation means nothing yet
            raise_at = self._warm_threshold
        else:
            raise_at = self.threshold
        self._score = score

        if not self._alarm:
            # learn the noise only from normal buckets; clip so one spike cannot dominate
            residual = x - mu
            r2 = residual * residual
            cap = self._clip2 * phi * mu + 1.0
            pending = self._pending
            pending.append((r2 if r2 < cap else cap, mu))
            if len(pending) > _LAG:
                r2, m = pending.popleft()
                decay = self._decay
                self._disp_num = self._disp_num * decay + r2
                self._disp_den = self._disp_den * decay + m
            if score >= raise_at:
                self._alarm = True
                self._quiet = 0
                pending.clear()
        elif score < self.release:
            self._quiet += 1
            if self._quiet >= self.hold:
                self._alarm = False
        else:
            self._quiet = 0
        return self


def run_online(
    counts: Sequence[float] | np.ndarray,
    expected: Sequence[float] | np.ndarray,
    **params: Any,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Run :class:`OnlineDetector` over a whole series: ``(status, score, alarm)`` arrays.

    Exactly what the streaming detector says bucket by bucket (it runs it).

    >>> status, score, alarm = run_online([2, 2, 2, 30, 30, 30, 30, 30], [2.0] * 8, warmup=0)
    >>> status.tolist()
    ['ok', 'ok', 'ok', 'ok', 'possible', 'outage', 'outage', 'outage']
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
    for name in ("hold", "warmup"):
        value = getattr(det, name)
        if not (isinstance(value, int) and not isinstance(value, bool) and value >= 0):
            raise UsageError(f"The {name!r} parameter must be an integer >= 0. Got {value!r}.")
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


__all__ = ["STATUSES", "OnlineDetector", "run_online"]
