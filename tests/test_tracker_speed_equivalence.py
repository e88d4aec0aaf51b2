"""The incident engine's hot loop, made cheaper, judges exactly as the plain code did.

``IncidentTracker.update/_advance`` and ``SeasonalBaseline._factors/_learn/
_peak_expected`` read state into locals, inline small helpers, skip windows whose posts
do not beat their first null and reuse what does not change within a step. The
reference below is the plain code they replaced (verbatim, as subclasses); both run
on the same seeded series and must agree bit for bit: every step's expectation,
evidence, status and warm-up flag, the incidents, and the state left behind.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from dataclasses import asdict
from typing import Any

import numpy as np
import pandas as pd
import pytest

from detector.changepoint.scan import rise_evidence
from detector.errors import DataError
from detector.incidents.tracker import (
    _LOCAL_LONG,
    _LOCAL_SHORT,
    _SLACK,
    BUDGET_WINDOW,
    IncidentTracker,
    _clock,
    _count,
    _epoch_seconds,
    _iso,
    track_series,
)
from detector.series.baseline import SeasonalBaseline


class _PlainBaseline(SeasonalBaseline):
    """The baseline's hot path as it was written before it was made cheaper."""

    def _factors(self, hod: float, dow: int) -> tuple[float, int, int, float, float]:
        key = (self._version, hod, dow)
        if key != self._factors_key:
            daily, lo, hi, frac = self._daily(hod)
            self._factors_value = (daily, lo, hi, frac, self._weekly(dow))
            self._factors_key = key
        return self._factors_value

    def _peak_expected(self) -> float:
        if self._level_den <= 0.0:
            return 0.0
        daily = max(self._daily(slot + 0.5)[0] for slot in range(24))
        weekly = max(self._weekly(dow) for dow in range(7))
        return self._level_num / self._level_den * daily * weekly

    def _learn(self, x: float, t: float, hod: float, dow: int, total: float | None) -> None:
        daily, lo, hi, frac, weekly = self._factors(hod, dow)
        outlier = False
        if self._t is not None:
            mu = self._level_num / self._level_den * daily * weekly
            upper = mu + self.clip * math.sqrt(self._dispersion() * mu) + 1.0
            if x > upper:
                x = upper
                outlier = True
            else:
                residual = x - mu
                self._disp_num += residual * residual
                self._disp_den += mu
            if 0.0 < t - self._t < self._step:
                self._step = t - self._t
            decay = 0.5 ** ((t - self._t) / self._level_hl)
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
        for slot, w in ((lo, 1.0 - frac), (hi, frac)):
            if w <= 0.0:
                continue
            if n[slot] > 0.0:
                d = 0.5 ** ((t - last[slot]) / hl)
                self._day_sum -= means[slot]
            else:
                d = 1.0
                self._day_k += 1
                anchor = self.reanchor and self._day_k == 24
            num[slot] = num[slot] * d + w * x
            n[slot] = n[slot] * d + w
            last[slot] = t
            means[slot] = num[slot] / n[slot]
            self._day_sum += means[slot]
        if self._day_sum < 0.0:
            self._day_sum = 0.0
        if self._first_t is None:
            self._first_t = t
        if self.reanchor and not self._anchored and t - self._first_t >= 86400.0:
            anchor = True
        if anchor:
            self._anchored = True
        if anchor and self._level_den > 0.0:
            self._level_num = self._day_sum / self._day_k * self._level_den
        if self.weekly:
            y = x / daily if daily > 0.0 else x
            if self._week_n[dow] > 0.0:
                d = 0.5 ** ((t - self._week_t[dow]) / hl)
                self._week_sum -= self._week_mean[dow]
            else:
                d = 1.0
                self._week_k += 1
            self._week_num[dow] = self._week_num[dow] * d + y
            self._week_n[dow] = self._week_n[dow] * d + 1.0
            self._week_t[dow] = t
            self._week_mean[dow] = self._week_num[dow] / self._week_n[dow]
            self._week_sum += self._week_mean[dow]
            if self._week_sum < 0.0:
                self._week_sum = 0.0
        self._t = t


class _PlainTracker(IncidentTracker):
    """The engine's step as it was written before it was made cheaper."""

    def __init__(self, service: str = "series", **params: Any) -> None:
        super().__init__(service, **params)
        self._base.__class__ = _PlainBaseline

    def update(self, at: Any, count: float, total: float | None = None) -> IncidentTracker:
        t = _epoch_seconds(at)
        x = _count(count, "count", t)
        tot = None if total is None else _count(total, "total", t)
        s = self._s
        if t % s and s <= 86400:
            t -= t % s
        last = self._last_t
        if last is not None:
            if t <= last:
                raise DataError(f"steps must come in time order: {_iso(t)}")
            if self.is_data_gap(last, t):
                self._restart(last + s)
            else:
                for missing in range(last + s, t, s):
                    self._advance(missing, 0.0, 0.0 if tot is not None else None)
        self._advance(t, x, tot)
        return self

    def is_data_gap(self, last: int, t: int) -> bool:
        s = self._s
        if t - last - s > self._max_gap_s:
            return True
        if self._first_t is None or last - self._first_t < self._warmup_s:
            return False
        missing_steps = range(last + s, t, s)
        if not missing_steps:
            return False
        expected, base, floor = 0.0, self._base, self._floor
        peak = base._peak_expected()
        if len(missing_steps) * (peak if peak > floor else floor) * _SLACK < self.silence_posts:
            return False
        for missing in missing_steps:
            mu = base._expected(*_clock(missing))
            expected += mu if mu > floor else floor
            if expected >= self.silence_posts:
                return True
        return False

    def _advance(self, t: int, x: float, total: float | None) -> None:
        base = self._base
        if self._first_t is None:
            self._first_t = t
        self._last_t = t
        self._n += 1
        hod, dow = _clock(t)
        mu = base._expected(hod, dow)
        self._expected = mu
        floor = self._floor
        mu_f = mu if mu > floor else floor
        hist = base._level_num
        exposure = base._level_den
        blind = exposure <= 0.0
        if hist < floor * exposure:
            hist = floor * exposure
        other = 0.0 if total is None else max(total - x, 0.0)
        self._ts.append(t)
        self._xs.append(x)
        self._mus.append(mu_f)
        self._cx.append(self._cx[-1] + x)
        self._cm.append(self._cm[-1] + mu_f)
        self._co.append(self._co[-1] + other)
        self._since = 0 if blind else self._since + 1
        zeros = self._zeros = self._zeros + 1 if x == 0.0 else 0
        if len(self._xs) > 2 * self._keep:
            self._trim()
        warming = t - self._first_t < self._warmup_s
        ratio = base._ratio_num / (base._ratio_den + 1.0) if total is not None else 0.0
        if self._alarms and t - self._alarms[0][0] > BUDGET_WINDOW:
            self._learn_budget(t)
        level = self.alarm_level
        best, alarm_len = 0.0, 0
        cx, cm, co = self._cx, self._cm, self._co
        end = len(cx) - 1
        for n, rho, bonus in self._windows[bisect_right(self._lengths, zeros) if zeros else 0 :]:
            if n > self._since:
                break
            wx = cx[end] - cx[end - n]
            if wx <= 0.0:
                continue
            wm = cm[end] - cm[end - n]
            null = (self.rise_short if warming else rho) * wm
            if warming and 2 * n <= self._since and 2 * n <= end:
                grow = _LOCAL_LONG if n * self._s >= 3600 else _LOCAL_SHORT
                local = grow * (cx[end - n] - cx[end - 2 * n])
                if local > null:
                    null = local
            if ratio > 0.0:
                wo = co[end] - co[end - n]
                surge = self.rise_long * ratio * (wo - 2.0 * math.sqrt(wo))
                if surge > null:
                    null = surge
            d = rise_evidence(wx, null, hist, rho=1.0) * bonus
            if d > best:
                best = d
            if (
                not alarm_len
                and d >= level
                and wx >= self.min_posts
                and x > 0.0
                and (not self._fine or max(self._xs[-n:]) * 2.0 <= wx or self._spike(n, level))
                and self._spread_out(n, wx, wm, null, hist, bonus, level)
            ):
                alarm_len = n
        self._evidence = best
        was_open = self._open is not None
        if self._open is None and alarm_len:
            self._raise(t, best, warming)
        elif self._open is not None:
            self._follow(t, x, best)
        if self._open is not None:
            self._status = "outage"
        else:
            self._status = "possible" if best >= self.possible else "ok"
        anomalous = self._status != "ok"
        self._learn_envelope(best, was_open)
        base._update(x, float(t), hod, dow, total, anomalous)
        if self._on_step is not None:
            self._on_step(t, x, total)


def _plain_track(
    times: np.ndarray, counts: np.ndarray, totals: np.ndarray | None, **params: Any
) -> tuple[_PlainTracker, dict[str, list[Any]]]:
    """What ``track_series`` records, from the plain engine (epoch-second times)."""
    tracker = _PlainTracker("svc", **params)
    rows: dict[str, list[Any]] = {k: [] for k in ("at", "count", "total", "expected")}
    rows.update(status=[], evidence=[], warming_up=[])

    def record(t: int, x: float, total: float | None) -> None:
        rows["at"].append(t)
        rows["count"].append(x)
        rows["total"].append(0.0 if total is None else total)
        rows["expected"].append(tracker._expected)
        rows["status"].append(tracker._status)
        rows["evidence"].append(tracker._evidence)
        rows["warming_up"].append(tracker.warming_up)

    tracker._on_step = record
    tots = [None] * len(times) if totals is None else totals.tolist()
    for t, x, total in zip(times.tolist(), counts.tolist(), tots, strict=True):
        tracker.update(t, x, total)
    return tracker, rows


def _bits(values: Any) -> bytes:
    return np.asarray(values, dtype="float64").tobytes()


_STATE = [
    "_first_t",
    "_last_t",
    "_n",
    "_ts",
    "_xs",
    "_mus",
    "_cx",
    "_cm",
    "_co",
    "_since",
    "_zeros",
    "_quiet",
    "_not_before",
    "_envelope",
    "_pending",
    "_alarms",
    "_budget_level",
    "_status",
    "_expected",
    "_evidence",
    "_events",
]
_BASE_STATE = [
    "_t",
    "_step",
    "_level_num",
    "_level_den",
    "_disp_num",
    "_disp_den",
    "_day_num",
    "_day_n",
    "_day_t",
    "_day_mean",
    "_day_sum",
    "_day_k",
    "_week_num",
    "_week_n",
    "_week_t",
    "_week_mean",
    "_week_sum",
    "_week_k",
    "_ratio_num",
    "_ratio_den",
    "_first_t",
    "_anchored",
    "_frozen_since",
    "_pending",
    "_version",
    "_seen_t",
    "n_updates_",
    "_factors_key",
    "_factors_value",
]


def _assert_same(
    times: np.ndarray, counts: np.ndarray, totals: np.ndarray | None, **params: Any
) -> int:
    """Both engines on the series: identical in every bit; returns the incidents found."""
    fast = track_series(times, counts, totals, service="svc", **params)
    plain, rows = _plain_track(times, counts, totals, **params)
    steps = fast.steps
    assert [int(at.timestamp()) for at in steps["at"]] == rows["at"]
    for column in ("count", "total", "expected", "evidence"):
        assert _bits(steps[column]) == _bits(rows[column]), column
    assert steps["status"].tolist() == rows["status"]
    assert steps["warming_up"].tolist() == rows["warming_up"]
    assert [asdict(i) for i in fast.incidents] == [asdict(i) for i in plain.incidents]
    assert [repr(i) for i in fast.incidents] == [repr(i) for i in plain.incidents]
    for name in _STATE:
        assert repr(getattr(fast.tracker, name)) == repr(getattr(plain, name)), name
    for name in _BASE_STATE:
        assert repr(getattr(fast.tracker._base, name)) == repr(getattr(plain._base, name)), name
    assert repr(fast.tracker._base._peak_expected()) == repr(plain._base._peak_expected())
    return len(fast.incidents)


def _rate(minutes: np.ndarray, level: float) -> np.ndarray:
    hour = (minutes / 60.0) % 24.0
    return level * (0.3 + 0.7 * (1.0 + np.sin((hour - 9.0) / 24.0 * 2.0 * np.pi)))


START = int(pd.Timestamp("2026-03-02", tz="UTC").value // 10**9)  # a Monday


def _series(
    seed: int, days: float, level: float, step: int = 60
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Seeded per-step counts with a daily rhythm, outages, a traffic surge, a data gap."""
    rng = np.random.default_rng(seed)
    n = int(days * 86400 // step)
    minutes = np.arange(n) * (step / 60.0)
    rate = _rate(minutes, level) * (step / 60.0)
    for day, hours, rise in ((1.6, 2.0, 8.0), (2.4, 0.5, 25.0), (3.3, 5.0, 2.5)):
        inside = (minutes >= day * 1440) & (minutes < day * 1440 + hours * 60)
        rate = np.where(inside, rate * rise, rate)
    counts = rng.poisson(rate).astype(float)
    others = rng.poisson(rate * 30.0 + 1.0).astype(float)
    surge = (minutes >= 2.8 * 1440) & (minutes < 2.8 * 1440 + 120)  # a football match
    others = np.where(surge, others * 6.0, others)
    counts[(minutes >= 3.6 * 1440) & (minutes < 3.6 * 1440 + 240)] = 0.0  # a feed outage
    others[counts == 0.0] = 0.0
    keep = counts > 0.0  # the sparse form score gives: only the steps with posts
    times = START + np.arange(n, dtype="int64") * step
    return times[keep], counts[keep], counts[keep] + others[keep]


@pytest.mark.parametrize(
    ("seed", "level", "params"),
    [
        (1, 6.0, {}),  # busy: most windows are skipped at their first null
        (2, 0.15, {}),  # sparse: silences between posts, judged through the peak bound
        (11, 0.01, {}),  # a rate below the floor
        (3, 0.6, {"warmup": "3h", "silence_posts": 4.0}),  # short silences are data gaps
        (4, 3.0, {"threshold": 0.0, "possible": 0.0}),  # a bar at 0: no window is skipped
        (5, 2.0, {"spread": 0.0, "spike_posts": 0.0, "budget": 0.0, "scan_bonus": 0.0}),
    ],
)
def test_the_engine_judges_every_step_as_the_plain_code(
    seed: int, level: float, params: dict[str, Any]
) -> None:
    times, counts, totals = _series(seed, 4.5, level)
    found = _assert_same(times, counts, totals, step="1min", peak_bucket="15min", **params)
    if seed == 1:
        assert found  # the outages are raised: the comparison covers open incidents too


def test_without_totals_and_at_five_minute_steps_too() -> None:
    times, counts, _ = _series(6, 5.0, 8.0, step=300)
    _assert_same(times, counts, None, step="5min", peak_bucket="1h")
    times, counts, totals = _series(7, 3.0, 1.0, step=3600)
    _assert_same(times, counts, totals, step="1h", peak_bucket="1D")


def test_two_weeks_of_daily_bursts_and_a_gap_inside_an_outage() -> None:
    """The false-alarm budget (alarms two weeks back), the envelope's late memory, an
    outage cut by missing data, and totals below the counts."""
    rng = np.random.default_rng(12)
    step = 300
    minutes = np.arange(16 * 288) * 5.0
    usual = _rate(minutes, 2.0) * 5.0
    burst = (minutes % 1440 >= 720) & (minutes % 1440 < 780)  # every day at noon
    outage = (minutes >= 10 * 1440 + 480) & (minutes < 10 * 1440 + 600)
    rate = np.where(burst, usual * 6.0, np.where(outage, usual * 10.0, usual))
    counts = rng.poisson(rate).astype(float)
    totals = np.maximum(counts + rng.poisson(usual * 20.0) - 100.0, 0.0)
    times = START + np.arange(len(counts), dtype="int64") * step
    keep = (counts > 0.0) & ~((minutes >= 10 * 1440 + 540) & (minutes < 11.5 * 1440))
    found = _assert_same(times[keep], counts[keep], totals[keep], step="5min")
    assert found >= 3


def test_a_gap_longer_than_max_gap_restarts_both_the_same_way() -> None:
    times, counts, totals = _series(8, 4.0, 4.0)
    late = times >= START + 2 * 86400
    times = np.where(late, times + 2 * 86400, times)  # two days without a row
    _assert_same(times, counts, totals, step="1min")


def _states(seed: int) -> list[_PlainBaseline]:
    """Baselines part-way through seeded series (young, weekly off, every rhythm)."""
    rng = np.random.default_rng(seed)
    out: list[_PlainBaseline] = []
    for weekly, n in ((True, 0), (True, 5), (True, 400), (False, 3000), (True, 12000)):
        base = _PlainBaseline(weekly=weekly, lag=60, reanchor=True)
        t = float(START)
        for i in range(n):
            hod, dow = _clock(int(t))
            base._update(float(rng.poisson(2.0 + i % 7)), t, hod, dow, 9.0, i % 97 == 0)
            t += 60.0 * (1 + (i % 13 == 0) * 30)
        out.append(base)
    return out


def test_factors_and_peak_are_the_plain_formulas_bit_for_bit() -> None:
    for base in _states(9):
        plain = _PlainBaseline.__new__(_PlainBaseline)
        vars(plain).update(
            {k: (list(v) if isinstance(v, list) else v) for k, v in vars(base).items()}
        )
        for minute in range(0, 7 * 1440, 7):
            hod, dow = _clock(START + minute * 60)
            base._factors_key = plain._factors_key = (-1, 0.0, 0)
            got = SeasonalBaseline._factors(base, hod, dow)
            assert repr(got) == repr(plain._factors(hod, dow))
            again = SeasonalBaseline._factors(base, (hod + 3.0) % 24.0, dow)  # same weekday
            plain._factors_key = (-1, 0.0, 0)
            assert repr(again) == repr(plain._factors((hod + 3.0) % 24.0, dow))
        assert repr(SeasonalBaseline._peak_expected(base)) == repr(plain._peak_expected())


def test_the_peak_of_an_overflowed_slot_is_the_plain_formula_too() -> None:
    base = _states(10)[2]
    for value in (1e308, math.inf):
        base._day_num[5] = value
        base._day_num[11] = value
        fast = SeasonalBaseline._peak_expected(base)
        assert repr(fast) == repr(_PlainBaseline._peak_expected(base))
