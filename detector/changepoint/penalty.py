"""Automatic penalty: a BIC-type penalty scaled by the noise a pilot segmentation leaves.

A penalised segmentation adds a change point when it lowers the cost by more than
``pen``. For a Gaussian mean-shift cost (``l2``) the BIC penalty is ``sigma^2 log n``
per change; for the Poisson deviance it is ``phi log n`` with ``phi`` the dispersion
(1 for true Poisson counts). Both scales are unknown, and real series break the
textbook assumptions in two ways that both inflate the number of false changes:
the level shifts themselves (they make the raw variance useless as a noise scale)
and serial correlation (slow drifts and random walks look like many small shifts).

So the penalty is chosen in two passes, no hand-set value per series:

1. a *pilot* segmentation with a deliberately strict penalty (``PILOT_BETA`` times
   the raw scale times ``log n``) removes the big level shifts;
2. the residuals around the pilot's segment means give the noise scale (variance for
   ``l2``, Pearson dispersion for ``poisson``) and their lag-1 autocorrelation
   ``rho``; the scale is multiplied by the AR(1) long-run variance factor
   ``(1 + rho) / (1 - rho)`` (the variance of a segment mean under correlated noise)
   and the final penalty is ``beta * scale * log n`` (:func:`beta_for`: ``BETA`` for
   the window search, ``GLOBAL_BETA`` for the global ones).

The constants were chosen once on the development data (TCPD and simulated
outages; ``benchmarks/tcpd.py`` reports the evidence), not per series.

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> x = np.r_[np.zeros(100), np.full(100, 3.0)] + rng.normal(0, 1, 200)
>>> pen = select_penalty(x, "l2", pilot=lambda p: [100, 200])
>>> 3 < pen < 15
True
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

#: Pilot penalty factor (MBIC's 3 log n).
PILOT_BETA = 3.0
#: Final penalty factor on the long-run noise scale for the window search with
#: ruptures' stopping rule, which tests few peaks: 1.5 keeps false changes on flat
#: Poisson noise at 0-7% (n=100-5000) and scores F1 0.80 / cover 0.72 on TCPD (1.0:
#: 0.81 / 0.73 but up to 17% false changes on flat noise).
BETA = 1.5
#: The same for searches that weigh all their candidates (binseg, seeded, pelt, the
#: window search's penalised path): the best of many candidates has a null
#: distribution that grows with n, hence MBIC's factor 3 (no false change on flat
#: Poisson noise in our runs; window path on TCPD: F1 0.80 / cover 0.71).
GLOBAL_BETA = 3.0
#: The autocorrelation used for the long-run factor is clipped to [0, RHO_MAX].
RHO_MAX = 0.98

Pilot = Callable[[float], Sequence[int]]


def _segments(bkps: Sequence[int]) -> list[tuple[int, int]]:
    starts = [0, *bkps[:-1]]
    return list(zip(starts, bkps, strict=True))


def raw_scale(signal: np.ndarray, model: str, exposure: np.ndarray | None = None) -> float:
    """The noise scale of ``signal`` as if it had no change (for the pilot penalty).

    >>> raw_scale(np.array([[0.0], [2.0]]), "l2")
    1.0
    """
    x = signal.reshape(len(signal), -1)
    if model == "l2":
        return float(np.var(x, axis=0).sum())
    if model == "l1":
        return float(np.abs(x - np.median(x, axis=0)).mean(axis=0).sum())
    if model == "poisson":
        mu = x.mean(axis=0)
        expo = np.ones(len(x)) if exposure is None else np.asarray(exposure, dtype=float)
        rate = x.sum(axis=0) / expo.sum()
        expected = np.maximum(np.outer(expo, rate), 1e-12)
        pearson = float(np.mean((x - expected) ** 2 / expected))
        return float(max(min(pearson, step_dispersion(x, expo)), 1.0) * (mu > 0).sum())
    return float(x.shape[1])


def step_dispersion(x: np.ndarray, exposure: np.ndarray) -> float:
    """The Poisson dispersion of counts ``x`` (shape ``(n, d)``) from consecutive points,
    which a level shift barely touches (one pair of points per shift).

    Within a segment of rate ``lam``, neighbours put on their mean exposure
    ``m = (e_t + e_(t-1)) / 2`` (``y_t * m / e_t``) differ by noise alone, of variance
    ``phi * lam * m^2 * (1 / e_t + 1 / e_(t-1))``, ``lam`` read locally as
    ``(y_t + y_(t-1)) / (e_t + e_(t-1))``; ``phi`` is the sum of the squared differences
    over the sum of those variances at ``phi = 1`` (with a flat exposure:
    ``sum (y_t - y_(t-1))^2 / sum (y_t + y_(t-1))``). The dispersion around one rate
    (Pearson's) counts every level shift as noise: on counts whose level moves all the
    time (NAB's Twitter_volume_UPS: 102 against 12.5 from steps) the pilot penalty built
    on it was so strict that no change was ever found. ``inf`` for fewer than two points
    or no counts.

    >>> x = np.r_[np.tile([1.0, 3.0], 50), np.tile([19.0, 23.0], 50)][:, None]
    >>> pearson = np.mean((x - x.mean()) ** 2 / x.mean())  # the shift from 2 to 21 as noise
    >>> round(step_dispersion(x, np.ones(200)), 3), round(float(pearson), 2)
    (0.489, 8.07)
    """
    if len(x) < 2:
        return float("inf")
    e = np.maximum(np.asarray(exposure, dtype=float), 1e-12)[:, None]
    mid = (e[1:] + e[:-1]) / 2.0
    steps = x[1:] * (mid / e[1:]) - x[:-1] * (mid / e[:-1])
    variance = float(((x[1:] + x[:-1]) * mid * (1.0 / e[1:] + 1.0 / e[:-1]) / 2.0).sum())
    if variance <= 0.0:
        return float("inf")
    return float((steps**2).sum()) / variance


#: A point is a lone spike for the noise scales when it lies this far beyond both
#: neighbours: a count above ``SPIKE_RATIO * (larger neighbour + 1)`` (as rates when
#: there is an exposure); a metric more than ``SPIKE_SIGMAS`` robust step deviations
#: (MAD of consecutive differences) above the larger or below the smaller neighbour.
SPIKE_RATIO = 20.0
SPIKE_SIGMAS = 200.0


def clip_extremes(x: np.ndarray, model: str, exposure: np.ndarray | None = None) -> np.ndarray:
    """``x`` (shape ``(n, d)``) with lone, absurd spikes put back on their neighbours.

    The noise scales behind the penalty are means of squares, so one point can set
    them alone: a count of 10,000 among 3,000 five-minute counts of mean 8.5 (largest
    531) raised the pilot's dispersion from 11.7 to 2,820 and left no change point
    (``--model normal``: the variance from 150 to 33,400). The scales are therefore
    measured with every point that lies far beyond both its neighbours (see
    :data:`SPIKE_RATIO`, :data:`SPIKE_SIGMAS`) set to the neighbour it passed; the
    segmentation itself still sees ``x`` and finds the spike. Bursts real series hold
    (KO's 531 after 6, then 110) are far from these bounds and stay.

    >>> clip_extremes(np.array([[1.0], [5.0], [10000.0], [2.0]]), "poisson").ravel().tolist()
    [1.0, 5.0, 5.0, 2.0]
    >>> clip_extremes(np.array([[1.0], [5.0], [90.0], [2.0]]), "poisson").ravel().tolist()
    [1.0, 5.0, 90.0, 2.0]
    """
    n = len(x)
    if n < 3 or model not in ("poisson", "l2", "l1"):
        return x
    x = np.asarray(x, dtype=float)
    if model == "poisson":
        expo = np.ones(n) if exposure is None else np.asarray(exposure, dtype=float)
        e = np.maximum(expo, 1e-12)[:, None]
        y = x / e
        unit = 1.0 / e  # one count, as a rate
    else:
        y = x
        d = np.diff(y, axis=0)
        sigma = 1.4826 * np.median(np.abs(d - np.median(d, axis=0)), axis=0) / np.sqrt(2.0)
        unit = np.broadcast_to(sigma, y.shape)
    left = np.r_[y[1:2], y[:-1]]  # the first point's only neighbour is the second
    right = np.r_[y[1:], y[-2:-1]]
    hi = np.maximum(left, right)
    lo = np.minimum(left, right)
    if model == "poisson":
        spike_up = y > SPIKE_RATIO * (hi + unit)
        spike_down = np.zeros_like(spike_up)
    else:
        spike_up = (y - hi > SPIKE_SIGMAS * unit) & (unit > 0)
        spike_down = (lo - y > SPIKE_SIGMAS * unit) & (unit > 0)
    if not (spike_up.any() or spike_down.any()):
        return x
    y = np.where(spike_up, hi, np.where(spike_down, lo, y))
    return y * e if model == "poisson" else y


def residual_scale(
    signal: np.ndarray,
    bkps: Sequence[int],
    model: str,
    exposure: np.ndarray | None = None,
) -> tuple[float, float]:
    """Noise scale around the segment means of ``bkps`` and its lag-1 autocorrelation.

    >>> x = np.array([0.0, 1, 0, 1, 10, 11, 10, 11])
    >>> residual_scale(x, [4, 8], "l2")
    (0.25, -0.75)
    """
    x = signal.reshape(len(signal), -1)
    expo = np.ones(len(x)) if exposure is None else np.asarray(exposure, dtype=float)
    resid = np.empty_like(x)
    for start, end in _segments(bkps):
        seg = x[start:end]
        if model == "poisson":
            rate = seg.sum(axis=0) / expo[start:end].sum()
            mu = np.maximum(np.outer(expo[start:end], rate), 1e-12)
            resid[start:end] = (seg - mu) / np.sqrt(mu)
        elif model == "l1":
            resid[start:end] = seg - np.median(seg, axis=0)
        else:
            resid[start:end] = seg - seg.mean(axis=0)
    num = den = 0.0
    for start, end in _segments(bkps):
        seg = resid[start:end]
        num += float((seg[1:] * seg[:-1]).sum())
        den += float((seg * seg).sum())
    rho = num / den if den > 0 else 0.0
    if model == "l2":
        scale = float((resid**2).mean(axis=0).sum())
    elif model == "l1":
        scale = float(np.abs(resid).mean(axis=0).sum())
    elif model == "poisson":
        scale = float(max((resid**2).mean(), 1.0) * x.shape[1])
    else:
        scale = float(x.shape[1])
    return scale, rho


def long_run_factor(rho: float) -> float:
    """AR(1) long-run variance factor ``(1 + rho) / (1 - rho)``, rho clipped to [0, RHO_MAX].

    >>> long_run_factor(0.5), long_run_factor(-0.3)
    (3.0, 1.0)
    """
    r = min(max(rho, 0.0), RHO_MAX)
    return (1 + r) / (1 - r)


def beta_for(method: str, rule: str | None = None) -> float:
    """The final penalty factor for a search (read at call time).

    ``BETA`` only for the window search with ruptures' stopping rule (it stops at the
    first peak not worth the penalty, so few peaks are ever tested); ``GLOBAL_BETA``
    for every search that weighs all its candidates (binseg, seeded, pelt, the window
    search with the penalised path).

    >>> beta_for("window", "ruptures"), beta_for("window", "path"), beta_for("binseg")
    (1.5, 3.0, 3.0)
    """
    return BETA if method == "window" and rule == "ruptures" else GLOBAL_BETA


def select_penalty(
    signal: np.ndarray,
    model: str,
    *,
    pilot: Pilot,
    exposure: np.ndarray | None = None,
    beta: float | None = None,
    pilot_beta: float = PILOT_BETA,
) -> float:
    """Penalty for segmenting ``signal`` with cost ``model`` (see the module docstring).

    ``pilot(pen)`` must return the breakpoints (ruptures convention) of the same search
    at penalty ``pen``; it is called once, with the strict pilot penalty.
    """
    x = np.asarray(signal, dtype=float)
    x = x.reshape(len(x), -1)
    log_n = float(np.log(max(len(x), 2)))
    xs = clip_extremes(x, model, exposure)
    scale0 = raw_scale(xs, model, exposure)
    if scale0 <= 0:  # a constant signal: any positive penalty gives no change
        return log_n
    bkps = list(pilot(pilot_beta * scale0 * log_n))
    scale, rho = residual_scale(xs, bkps, model, exposure)
    scale = scale if scale > 0 else scale0
    beta = BETA if beta is None else beta
    return beta * scale * long_run_factor(rho) * log_n


__all__ = [
    "BETA",
    "GLOBAL_BETA",
    "PILOT_BETA",
    "SPIKE_RATIO",
    "SPIKE_SIGMAS",
    "RHO_MAX",
    "beta_for",
    "clip_extremes",
    "long_run_factor",
    "raw_scale",
    "residual_scale",
    "select_penalty",
    "step_dispersion",
]
