"""Expected count per bucket: what is normal for this service at this time.

:class:`SeasonalBaseline` learns, from the series' own past only, a recent level
times a time-of-day factor times a day-of-week factor::

    expected(t) = level(t) * daily(hour(t)) * weekly(weekday(t))

* ``level``: decayed sum of counts over decayed sum of the seasonal factors
  (half-life ``level_halflife``), so it is the recent deseasonalised rate.
* ``daily``: each hour-of-day slot keeps the decayed mean count of its buckets;
  its factor is that mean over the mean of all visited slots, shrunk toward 1 by
  ``prior`` posts, and read with linear interpolation between slot centres. This
  is unbiased whichever hours were seen first, so one day of history is enough
  for the daily rhythm (a few hours: the baseline is simply the recent level).
* ``weekly``: the same per weekday on deseasonalised counts, shrunk toward 1 by a
  day's worth of counts, so the weekly rhythm takes over in the second week.

All parts are ratios of exponentially decayed sums, well defined for sparse
Poisson counts where most buckets are zero. A count above
``expected + clip * sqrt(dispersion * expected) + 1`` (an outage, a burst) is
clipped before it moves the level, and teaches the rhythm and the dispersion
nothing (a Huber-type update).

Outages are not learned as normal: ``update(..., anomalous=True)`` (the detector's
alarm is up: :attr:`~detector.changepoint.online.OnlineDetector.anomalous`) makes
the bucket teach nothing, for at most ``freeze`` in a row (then a lasting change is
learned as the new normal, clipped). Each bucket also waits ``lag`` buckets before
it is learned, and the waiting buckets are dropped when one is flagged: the slow
onset of an outage, before the alarm rose, is not learned either. The batch path
does the same with ``fit(counts, anomalous=flags)`` or with a detector run
alongside, ``fit(counts, judge=...)``
(:func:`detector.changepoint.online.detect_online`).

The complaint share of all posts is the second signal: given ``totals`` (all
posts per bucket), the baseline also tracks how many complaints come per other
post, and when the other posts surge (a football match, a launch) the expectation
rises with them: ``expected = max(seasonal, ratio * other_low)`` where
``other_low = other - 2 sqrt(other)`` is a cautious reading of the surge (so
ordinary noise in the other posts does not raise it).

The batch path (``fit``) and the streaming path (``update``/``expected``) run the
same code, so they give the same numbers; ``expected_[i]`` is computed before the
count of bucket ``i`` is seen (causal).

>>> import pandas as pd
>>> index = pd.date_range("2026-01-05", periods=6, freq="5min", tz="UTC")
>>> base = SeasonalBaseline().fit(pd.Series([4, 6, 5, 5, 4, 6], index=index))
>>> [round(v, 2) for v in base.expected_]
[0.0, 4.0, 5.02, 5.01, 5.01, 4.76]
>>> stream = SeasonalBaseline()
>>> for t, x in zip(index, [4, 6, 5, 5, 4, 6]):
...     _ = stream.update(x, t)
>>> round(stream.expected(index[-1] + pd.Timedelta("5min")), 4) == round(base.expected_next_, 4)
True
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from detector.errors import DataError, NotFittedError, UsageError

_NS_PER_S = 1_000_000_000
_NS_PER_DAY = 86_400 * _NS_PER_S
_NS_PER_HOUR = 3600.0 * _NS_PER_S


def _seconds(value: str | float | pd.Timedelta, name: str) -> float:
    """A positive duration (``'6h'``, Timedelta or seconds) in seconds."""
    try:
        seconds = (
            float(value) if isinstance(value, int | float) else pd.Timedelta(value).total_seconds()
        )
    except (ValueError, TypeError) as err:
        raise UsageError(
            f"The {name!r} parameter must be a duration like '6h'. Got {value!r} instead."
        ) from err
    if not seconds > 0:
        raise UsageError(f"The {name!r} parameter must be positive. Got {value!r} instead.")
    return seconds


class SeasonalBaseline:
    """Causal expected count per bucket with daily and weekly rhythm.

    Parameters (keyword-only, stored unchanged):

    level_halflife
        How fast the recent level forgets (default ``'1D'``).
    season_halflife
        How fast the time-of-day and weekday factors forget (default ``'14D'``).
    prior
        Posts with which each hour-of-day factor is shrunk toward 1 (the weekday
        factors: a day's worth of counts more).
    clip
        Counts above ``expected + clip * sqrt(dispersion * expected) + 1`` are clipped
        to that value before they update the baseline.
    weekly
        Learn a day-of-week factor as well as the time-of-day factor.
    freeze
        Longest run of ``anomalous`` buckets that is not learned (default ``'2h'``).
    lag
        Buckets a count waits before it is learned (default 12: an hour at
        5-minute buckets); the first ``lag`` buckets of a series are learned at once.
    reanchor
        Once every hour of the day has been seen, or a day after the first bucket
        (whichever comes first; an alarm may have hidden some hours), set the level to
        the mean of the hour slots seen. The level learned before was divided by factors
        measured against part of a day (the night as "typical"); at high traffic it
        starts days low and the evening looks like an outage. Off by default (the
        previous online detector's baseline); the incident engine turns it on.

    Streaming: ``update(count, ts, total=None)`` after each bucket;
    ``expected(ts, total=None, count=None)`` for the bucket starting at ``ts``.
    Batch: ``fit(counts, totals=None)`` sets ``expected_`` (causal, what the stream
    would have said before each bucket), ``seasonal_`` (without the surge
    correction), ``expected_share_`` (complaint share of all posts, when totals are
    given) and ``expected_next_`` (the bucket after the last).

    >>> import pandas as pd
    >>> b = SeasonalBaseline()
    >>> t = pd.Timestamp("2026-01-05 10:00", tz="UTC")
    >>> for k in range(12):
    ...     _ = b.update(2, t + k * pd.Timedelta("5min"), total=26)
    >>> round(b.expected(t + pd.Timedelta("1h")), 3)
    2.0
    >>> round(b.expected(t + pd.Timedelta("1h"), total=27, count=3), 3)  # ordinary noise
    2.0
    >>> round(b.expected(t + pd.Timedelta("1h"), total=122, count=2), 1)  # 5x the chatter
    8.1
    """

    def __init__(
        self,
        *,
        level_halflife: str | float | pd.Timedelta = "1D",
        season_halflife: str | float | pd.Timedelta = "14D",
        prior: float = 5.0,
        clip: float = 3.0,
        weekly: bool = True,
        freeze: str | float | pd.Timedelta = "2h",
        lag: int = 12,
        reanchor: bool = False,
    ) -> None:
        self.level_halflife = level_halflife
        self.season_halflife = season_halflife
        self.prior = prior
        self.clip = clip
        self.weekly = weekly
        self.freeze = freeze
        self._freeze_s = _seconds(freeze, "freeze")
        self.lag = lag
        self.reanchor = reanchor
        if not (isinstance(lag, int) and not isinstance(lag, bool) and lag >= 0):
            raise UsageError(f"The 'lag' parameter must be an integer >= 0. Got {lag!r}.")
        self._lag = lag
        self._level_hl = _seconds(level_halflife, "level_halflife")
        self._season_hl = _seconds(season_halflife, "season_halflife")
        if not (isinstance(prior, int | float) and prior > 0):
            raise UsageError(f"The 'prior' parameter must be a positive number. Got {prior!r}.")
        if not (isinstance(clip, int | float) and clip > 0):
            raise UsageError(f"The 'clip' parameter must be a positive number. Got {clip!r}.")
        self._reset()

    def _reset(self) -> None:
        self._t: float | None = None  # time (s) of the last update
        self._step = math.inf  # bucket width (s): the smallest spacing of updates seen
        self._level_num = 0.0  # recent level: decayed sum of counts ...
        self._level_den = 0.0  # ... over decayed sum of seasonal factors
        self._disp_num = 0.0
        self._disp_den = 0.0
        # hour-of-day slots: decayed count sum and bucket weight; their mean count
        self._day_num = [0.0] * 24
        self._day_n = [0.0] * 24
        self._day_t = [0.0] * 24
        self._day_mean = [0.0] * 24
        self._day_sum = 0.0  # sum of the means of visited slots
        self._day_k = 0  # number of visited slots
        # weekdays: the same on deseasonalised counts (count / daily factor)
        self._week_num = [0.0] * 7
        self._week_n = [0.0] * 7
        self._week_t = [0.0] * 7
        self._week_mean = [0.0] * 7
        self._week_sum = 0.0
        self._week_k = 0
        self._ratio_num = 0.0
        self._ratio_den = 0.0
        self._first_t: float | None = None  # time (s) of the first learned bucket
        self._anchored = False
        self._frozen_since: float | None = None  # start of the current anomalous run
        # buckets wait ``lag`` updates before they are learned: dropped if the
        # detector flags an outage meanwhile (they were its onset)
        self._pending: deque[tuple[float, float, float, int, float | None]] = deque()
        self._version = 0  # buckets learned
        self._seen_t: float | None = None
        self.n_updates_ = 0
        self._last_ts: object = None
        self._last_when = (0.0, 0.0, 0)
        self._factors_key: tuple[int, float, int] = (-1, 0.0, 0)
        self._factors_value = (1.0, 0, 0, 0.0, 1.0)

    # -- the model, on plain floats (shared by both paths) -------------------------
    def _daily(self, hod: float) -> tuple[float, int, int, float]:
        """Time-of-day factor at ``hod`` (hours), linear between hourly slot centres.

        A slot's factor is its mean count over the mean of all visited slots' means,
        shrunk toward 1 by ``prior`` posts: unbiased whichever hours were seen first.

        The definition: :meth:`_factors`, on the engine's hot path, computes the same
        floats inline (a test holds it to it).
        """
        pos = hod - 0.5
        lo = math.floor(pos)
        frac = pos - lo
        lo %= 24
        hi = (lo + 1) % 24
        if self._day_k == 0:
            return 1.0, lo, hi, frac
        typical = self._day_sum / self._day_k
        prior = self.prior
        d_lo = (self._day_num[lo] + prior) / (self._day_n[lo] * typical + prior)
        d_hi = (self._day_num[hi] + prior) / (self._day_n[hi] * typical + prior)
        return d_lo + (d_hi - d_lo) * frac, lo, hi, frac

    def _weekly(self, dow: int) -> float:
        """Weekday factor (Monday 0); as :meth:`_daily`, the definition of what
        :meth:`_factors` computes inline."""
        if not self.weekly or self._week_k == 0:
            return 1.0
        typical = self._week_sum / self._week_k
        # a weekday needs about a day's worth of counts before it moves away from 1
        per_day = 86400.0 / (self._step if self._step < math.inf else 300.0)
        prior = typical * per_day + self.prior
        return (self._week_num[dow] + prior) / (self._week_n[dow] * typical + prior)

    def _dispersion(self) -> float:
        # variance / mean of recent residuals, shrunk toward Poisson (1) and never below it
        phi = (self._disp_num + self.prior) / (self._disp_den + self.prior)
        return phi if phi > 1.0 else 1.0

    def _surge(self, seasonal: float, total: float | None, count: float | None) -> float:
        if total is None or self._ratio_den <= 0.0:
            return seasonal
        other = total - (count or 0.0)
        if other <= 0.0:
            return seasonal
        cautious = other - 2.0 * math.sqrt(other)
        surge = self._ratio_num / (self._ratio_den + 1.0) * cautious
        return surge if surge > seasonal else seasonal

    def _factors(self, hod: float, dow: int) -> tuple[float, int, int, float, float]:
        """:meth:`_daily` and :meth:`_weekly` at ``hod``, ``dow``: the same expressions,
        inlined (the engine asks twice a step, once to expect and once to learn)."""
        # the live loop asks expected(ts), then update(x, ts) on the same state: reuse
        key = (self._version, hod, dow)
        last = self._factors_key
        if key == last:
            return self._factors_value
        pos = hod - 0.5
        lo = math.floor(pos)
        frac = pos - lo
        lo %= 24
        hi = (lo + 1) % 24
        day_k = self._day_k
        if day_k == 0:
            daily = 1.0
        else:
            typical = self._day_sum / day_k
            prior = self.prior
            num, n = self._day_num, self._day_n
            d_lo = (num[lo] + prior) / (n[lo] * typical + prior)
            d_hi = (num[hi] + prior) / (n[hi] * typical + prior)
            daily = d_lo + (d_hi - d_lo) * frac
        if last[0] == key[0] and last[2] == dow:
            weekly = self._factors_value[4]  # the same weekday on the same state
        elif not self.weekly or self._week_k == 0:
            weekly = 1.0
        else:  # _weekly(dow)
            typical = self._week_sum / self._week_k
            per_day = 86400.0 / (self._step if self._step < math.inf else 300.0)
            prior = typical * per_day + self.prior
            weekly = (self._week_num[dow] + prior) / (self._week_n[dow] * typical + prior)
        value = self._factors_value = (daily, lo, hi, frac, weekly)
        self._factors_key = key
        return value

    def _peak_expected(self) -> float:
        """An upper bound of :meth:`_expected` over every time of day and weekday: the
        largest hourly slot factor (the daily factor interpolates between two of them)
        times the largest weekday factor, on the level now."""
        if self._level_den <= 0.0:
            return 0.0
        daily = max(self._daily(slot + 0.5)[0] for slot in range(24))  # the slot centres
        weekly = max(self._weekly(dow) for dow in range(7))
        return self._level_num / self._level_den * daily * weekly

    def _expected(self, hod: float, dow: int) -> float:
        if self._level_den <= 0.0:
            return 0.0
        daily, _, _, _, weekly = self._factors(hod, dow)
        return self._level_num / self._level_den * daily * weekly

    def _update(
        self, x: float, t: float, hod: float, dow: int, total: float | None, anomalous: bool
    ) -> None:
        self.n_updates_ += 1
        self._seen_t = t
        if anomalous:
            since = self._frozen_since
            if since is None:
                self._frozen_since = since = t
            if t - since < self._freeze_s:
                # an outage (the detector's alarm) teaches nothing, nor do the
                # buckets still waiting to be learned (they were its onset)
                self._pending.clear()
                return
        else:
            self._frozen_since = None
        if self._version < self._lag:
            self._learn(x, t, hod, dow, total)  # a young baseline learns at once
            return
        pending = self._pending
        pending.append((x, t, hod, dow, total))
        if len(pending) > self._lag:
            self._learn(*pending.popleft())

    def _learn(self, x: float, t: float, hod: float, dow: int, total: float | None) -> None:
        # once a step in the engine: state is read into locals and written back, every
        # float computed by the same expression in the same order
        daily, lo, hi, frac, weekly = self._factors(hod, dow)
        outlier = False
        last_t = self._t
        if last_t is not None:
            mu = self._level_num / self._level_den * daily * weekly
            prior = self.prior  # _dispersion(), inlined
            phi = (self._disp_num + prior) / (self._disp_den + prior)
            upper = mu + self.clip * math.sqrt((phi if phi > 1.0 else 1.0) * mu) + 1.0
            if x > upper:
                # Huber-type: an outage must not become the new normal; it moves the
                # level a little (clipped) and teaches the rhythm nothing
                x = upper
                outlier = True
            else:  # outliers say nothing about the usual noise (and would ratchet it up)
                residual = x - mu
                self._disp_num += residual * residual
                self._disp_den += mu
            gap = t - last_t
            if 0.0 < gap < self._step:
                self._step = gap
            decay = 0.5 ** (gap / self._level_hl)
        else:
            decay = 1.0
        self._level_num = self._level_num * decay + x
        self._level_den = self._level_den * decay + daily * weekly
        self._disp_num *= decay
        self._disp_den *= decay
        if total is not None:
            self._ratio_num = self._ratio_num * decay + x
            self._ratio_den = self._ratio_den * decay + max(total - x, 0.0)

        self._version += 1
        if outlier:
            self._t = t
            return
        hl = self._season_hl
        anchor = False
        num, n, last, means = self._day_num, self._day_n, self._day_t, self._day_mean
        day_sum, day_k = self._day_sum, self._day_k
        for slot, w in ((lo, 1.0 - frac), (hi, frac)):
            if w <= 0.0:
                continue
            n_slot = n[slot]
            if n_slot > 0.0:
                d = 0.5 ** ((t - last[slot]) / hl)
                day_sum -= means[slot]
            else:
                d = 1.0
                day_k += 1
                anchor = self.reanchor and day_k == 24
            num_slot = num[slot] = num[slot] * d + w * x
            n_slot = n[slot] = n_slot * d + w
            last[slot] = t
            mean = means[slot] = num_slot / n_slot
            day_sum += mean
        if day_sum < 0.0:  # a sum of means >= 0, below 0 only by rounding: after
            day_sum = 0.0  # years of silence the means are ~0 and the rounding is all
        self._day_sum, self._day_k = day_sum, day_k
        if self._first_t is None:
            self._first_t = t
        if self.reanchor and not self._anchored and t - self._first_t >= 86400.0:
            # a day has passed: anchor on the hours seen, even if an alarm hid some of them
            # (their factor is 1, the day's mean); waiting for all 24 left the level of
            # a busy service ~30% low for days after a first-evening alarm
            anchor = True
        if anchor:
            self._anchored = True
        if anchor and self._level_den > 0.0:
            # the whole day has now been seen: see ``reanchor``
            self._level_num = day_sum / day_k * self._level_den
        if self.weekly:
            y = x / daily if daily > 0.0 else x
            week_n, week_mean = self._week_n, self._week_mean
            week_sum = self._week_sum
            n_dow = week_n[dow]
            if n_dow > 0.0:
                d = 0.5 ** ((t - self._week_t[dow]) / hl)
                week_sum -= week_mean[dow]
            else:
                d = 1.0
                self._week_k += 1
            num_dow = self._week_num[dow] = self._week_num[dow] * d + y
            n_dow = week_n[dow] = n_dow * d + 1.0
            self._week_t[dow] = t
            mean = week_mean[dow] = num_dow / n_dow
            week_sum += mean
            if week_sum < 0.0:  # as the daily sum: rounding only
                week_sum = 0.0
            self._week_sum = week_sum
        self._t = t

    # -- streaming ---------------------------------------------------------------
    def _when(self, ts: pd.Timestamp) -> tuple[float, float, int]:
        # the live loop asks expected(ts) then update(x, ts): convert the time once
        if ts is not self._last_ts:
            self._last_when = _when(ts)
            self._last_ts = ts
        return self._last_when

    def update(
        self,
        count: float,
        ts: pd.Timestamp,
        total: float | None = None,
        *,
        anomalous: bool = False,
    ) -> SeasonalBaseline:
        """Learn from the bucket starting at ``ts`` (``total``: all posts in it).

        ``anomalous=True`` (the detector's alarm is up, see
        :attr:`~detector.changepoint.online.OnlineDetector.anomalous`): the bucket
        teaches nothing, for at most ``freeze`` in a row (then a lasting change is
        learned as the new normal, with the usual clipping).
        """
        x = _check_count(count, self.n_updates_)
        t, hour, dow = self._when(ts)
        if self._seen_t is not None and t < self._seen_t:
            raise DataError(
                f"Buckets must arrive in time order: {pd.Timestamp(ts)} is before the last one."
            )
        self._update(x, t, hour, dow, None if total is None else float(total), anomalous)
        return self

    def expected(
        self, ts: pd.Timestamp, total: float | None = None, count: float | None = None
    ) -> float:
        """Expected count for the bucket starting at ``ts``, judged from the past.

        With ``total`` (all posts of that bucket, and ``count`` its complaints, so
        the other posts are ``total - count``), a general traffic surge raises it.
        """
        _, hour, dow = self._when(ts)
        seasonal = self._expected(hour, dow)
        return self._surge(seasonal, None if total is None else float(total), count)

    @property
    def dispersion(self) -> float:
        """Variance-to-mean ratio of recent residuals (1 = Poisson)."""
        return self._dispersion()

    @property
    def share(self) -> float:
        """Expected complaint share of all posts (0 until totals were seen)."""
        ratio = self._ratio_num / (self._ratio_den + 1.0)
        return ratio / (1.0 + ratio)

    # -- batch -------------------------------------------------------------------
    def fit(
        self,
        counts: pd.Series,
        totals: pd.Series | None = None,
        *,
        anomalous: Sequence[bool] | np.ndarray | None = None,
        judge: Callable[[float, float], bool] | None = None,
    ) -> SeasonalBaseline:
        """Run the stream over ``counts`` (UTC DatetimeIndex) and keep what it expected.

        ``anomalous``: per bucket, whether it must not be learned (as in
        :meth:`update`); or ``judge(count, expected) -> anomalous``, called for each
        bucket after its expectation is known (a detector run causally alongside:
        :func:`detector.changepoint.online.detect_online`).
        """
        index = _check_index(counts)
        values = counts.to_numpy(dtype="float64", na_value=np.nan)
        bad = np.flatnonzero(~(values >= 0))
        if len(bad):
            raise DataError(
                f"count must be a non-negative number, got {values[bad[0]]} at bucket {bad[0]}"
            )
        tot: list[float] | None = None
        if totals is not None:
            if len(totals) != len(counts) or not totals.index.equals(counts.index):
                raise DataError("totals must have the same index as counts.")
            tot = totals.to_numpy(dtype="float64").tolist()
        flags: list[bool] | None = None
        if anomalous is not None:
            flags = np.asarray(anomalous, dtype=bool).tolist()
            if len(flags) != len(values):
                raise DataError(
                    f"anomalous must have one flag per bucket ({len(values)}), got {len(flags)}."
                )
        self._reset()
        ns = index.as_unit("ns").asi8
        seconds = (ns.astype("float64") / 1e9).tolist()
        hours = ((ns % _NS_PER_DAY).astype("float64") / _NS_PER_HOUR).tolist()
        dows = ((ns // _NS_PER_DAY + 3) % 7).tolist()  # 1970-01-01 was a Thursday
        xs = values.tolist()
        seasonal = [0.0] * len(xs)
        expected = [0.0] * len(xs)
        shares = [0.0] * len(xs)
        for i, x in enumerate(xs):
            hour, dow = hours[i], dows[i]
            s = self._expected(hour, dow)
            seasonal[i] = s
            total = None if tot is None else tot[i]
            e = s if total is None else self._surge(s, total, x)
            expected[i] = e
            if total is not None:
                shares[i] = self.share
            if judge is not None:
                flag = bool(judge(x, e))
            elif flags is not None:
                flag = flags[i]
            else:
                flag = False
            self._update(x, seconds[i], hour, dow, total, flag)
        self.seasonal_ = pd.Series(seasonal, index=counts.index, name="seasonal")
        self.expected_ = pd.Series(expected, index=counts.index, name="baseline")
        self.expected_share_ = (
            pd.Series(shares, index=counts.index, name="share") if tot is not None else None
        )
        if len(index) >= 2:
            nxt = index[-1] + (index[-1] - index[-2])
            _, hod, dow = _when(nxt)
            self.expected_next_ = self._expected(hod, dow)
        else:
            self.expected_next_ = self._expected(0.0, 0) if len(index) else 0.0
        return self

    def predict(self) -> pd.Series:
        """The causal expectation of the fitted series (``expected_``)."""
        if not hasattr(self, "expected_"):
            raise NotFittedError("This SeasonalBaseline is not fitted yet: call fit(counts) first.")
        return self.expected_


def _check_index(counts: pd.Series) -> pd.DatetimeIndex:
    if not isinstance(counts, pd.Series):
        raise DataError(f"counts must be a pandas Series, got {type(counts).__name__}.")
    index = counts.index
    if not isinstance(index, pd.DatetimeIndex):
        raise DataError("counts must have a DatetimeIndex (bucket start times).")
    index = index.tz_localize("UTC") if index.tz is None else index.tz_convert("UTC")
    if len(index) > 1 and not index.is_monotonic_increasing:
        raise DataError("counts must be sorted by time (increasing bucket starts).")
    return index


def _check_count(count: float, at: int) -> float:
    try:
        x = float(count)
    except (TypeError, ValueError):
        x = math.nan
    if not x >= 0.0 or x == math.inf:
        raise DataError(f"count must be a non-negative number, got {count!r} at bucket {at}")
    return x


def _when(ts: pd.Timestamp) -> tuple[float, float, int]:
    """(seconds since the epoch, hour of day, weekday Monday=0) of a UTC bucket start.

    Plain integer arithmetic on the epoch nanoseconds: no time-zone conversion per
    bucket (naive times are read as UTC), and the same numbers as ``fit``.
    """
    value = ts.value if isinstance(ts, pd.Timestamp) else pd.Timestamp(ts).value
    return (
        value / 1e9,
        (value % _NS_PER_DAY) / _NS_PER_HOUR,
        (value // _NS_PER_DAY + 3) % 7,
    )
