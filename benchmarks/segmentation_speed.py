"""Offline segmentation speed: 100,000 points in under 0.5 s (target), against ruptures.

Measured in one run on the same signal (counts around 4 per bucket with six 3x
excursions of 300 buckets, seeded):

* ``Segmenter()`` (window search, l2, automatic penalty) and the other prefix-sum
  searches (binseg, seeded; l2 and poisson) on 100,000 points, with how many of the
  12 true changes each finds (within 5 points);
* ruptures' ``Pelt(model="l2")`` and ``Binseg(model="l2")`` on shorter prefixes of the
  same signal (500 / 1,000 / 2,000 points), extrapolated to 100,000 points with the
  growth exponent measured between the two longest prefixes (Pelt is quadratic when
  changes are rare, as here); ``--ruptures-100k`` runs ruptures' Binseg and Window on
  the full series instead (minutes);
* ``ruptures-rs`` 0.1.1 (a Rust drop-in on PyPI) when it is importable: it was
  evaluated and is not a dependency (see the report); its Pelt and Binseg on the
  same 100,000 points are listed beside ours for reference.

Writes ``benchmarks/results/segmentation_speed.json``.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import ruptures as rpt

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import write_result  # noqa: E402

from detector.changepoint.segment import Segmenter  # noqa: E402

N = 100_000
TARGET_SECONDS = 0.5


def signal(n: int = N, seed: int = 0) -> tuple[np.ndarray, list[int]]:
    """Counts around 4 per bucket with a 3x excursion of 300 buckets every 16,000."""
    rng = np.random.default_rng(seed)
    rate = np.full(n, 4.0)
    truth = []
    for start in range(5000, n - 300, 16000):
        rate[start : start + 300] *= 3
        truth += [start, start + 300]
    return rng.poisson(rate).astype(float), truth


def found(bkps: list[int], truth: list[int], margin: int = 5) -> int:
    """How many true changes have a breakpoint within ``margin`` points."""
    return sum(any(abs(b - t) <= margin for b in bkps[:-1]) for t in truth)


def _time(fn: Any, repeat: int = 3) -> tuple[float, Any]:
    best, out = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def ours(x: np.ndarray, truth: list[int]) -> dict[str, Any]:
    rows = {}
    for label, kwargs in [
        ("Segmenter() window/l2 (default)", {}),
        ("window/l2, ruptures' stopping rule", {"rule": "ruptures"}),
        ("window/poisson", {"model": "poisson"}),
        ("binseg/l2", {"method": "binseg"}),
        ("binseg/poisson", {"method": "binseg", "model": "poisson"}),
        ("seeded/poisson", {"method": "seeded", "model": "poisson"}),
    ]:
        seconds, bkps = _time(lambda kw=kwargs: Segmenter(**kw).fit(x).predict(), repeat=3)
        rows[label] = {
            "seconds": round(seconds, 4),
            "n_bkps": len(bkps) - 1,
            "true_changes_found": f"{found(bkps, truth)}/{len(truth)}",
        }
        print(label, rows[label], flush=True)
    return rows


def ruptures_scaling(x: np.ndarray, sizes: tuple[int, ...]) -> dict[str, Any]:
    rows: dict[str, Any] = {}
    for name, cls in [("Pelt", rpt.Pelt), ("Binseg", rpt.Binseg)]:
        times = []
        for n in sizes:
            part = x[:n]
            pen = 3 * np.var(part) * np.log(n)
            seconds, _ = _time(
                lambda p=part, q=pen, c=cls: (
                    c(model="l2", min_size=2, jump=1).fit(p).predict(pen=q)
                ),
                repeat=1,
            )
            times.append(seconds)
        exponent = float(np.log(times[-1] / times[-2]) / np.log(sizes[-1] / sizes[-2]))
        extrapolated = times[-1] * (N / sizes[-1]) ** exponent
        rows[f"ruptures {name}(l2)"] = {
            "measured": {str(n): round(t, 3) for n, t in zip(sizes, times, strict=True)},
            "growth_exponent": round(exponent, 2),
            "extrapolated_100k_seconds": round(extrapolated, 1),
        }
        print(name, rows[f"ruptures {name}(l2)"], flush=True)
    return rows


def ruptures_rs(x: np.ndarray) -> dict[str, Any]:
    try:
        rrs = importlib.import_module("ruptures_rs")
    except ImportError:
        return {"available": False}
    pen = 3 * np.var(x) * np.log(len(x))
    out: dict[str, Any] = {"available": True, "version": getattr(rrs, "__version__", "?")}
    for name in ("Binseg", "Pelt"):
        seconds, bkps = _time(
            lambda n=name: getattr(rrs, n)(model="l2", min_size=2, jump=1).fit(x).predict(pen=pen),
            repeat=1,
        )
        out[f"{name}(l2) 100k seconds"] = round(seconds, 3)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="500,1000,2000", help="ruptures prefix sizes")
    parser.add_argument("--ruptures-100k", action="store_true", help="run ruptures on 100k")
    args = parser.parse_args(argv)
    x, truth = signal()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        rows = ours(x, truth)
        baseline = ruptures_scaling(x, tuple(int(s) for s in args.sizes.split(",")))
        if args.ruptures_100k:
            for name, algo in [
                ("Binseg", rpt.Binseg(model="l2", jump=1)),
                ("Window", rpt.Window(width=20, model="l2", jump=1)),
            ]:
                seconds, _ = _time(
                    lambda a=algo: a.fit(x).predict(pen=3 * np.var(x) * np.log(N)), 1
                )
                baseline[f"ruptures {name}(l2) 100k measured"] = round(seconds, 1)
    default = rows["Segmenter() window/l2 (default)"]["seconds"]
    pelt = baseline["ruptures Pelt(l2)"]["extrapolated_100k_seconds"]
    write_result(
        "segmentation_speed",
        {
            "n_points": N,
            "target_seconds": TARGET_SECONDS,
            "ours": rows,
            "ruptures": baseline,
            "ruptures_rs": ruptures_rs(x),
            "default_seconds": default,
            "met": default < TARGET_SECONDS,
            "speedup_vs_ruptures_pelt_extrapolated": round(pelt / default, 0),
        },
    )


if __name__ == "__main__":
    main()
