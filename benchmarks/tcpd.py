"""TCPD benchmark: offline segmentation with default parameters, F1 (margin 5) and covering.

Reads the Turing Change Point Dataset from ``../shared/data/series/tcpd`` (never
copied), segments every series with :class:`detector.changepoint.segment.Segmenter`
at its defaults (automatic penalty, nothing set per series) and scores it with
:mod:`detector.evaluation.tcpd` (van den Burg & Williams, 2020). Baselines measured
in the same run: "zero" (no change point) and ruptures' own ``Binseg``/``Pelt`` with
the published default-style penalty (``3 log n`` on the unit-variance series, MBIC).

Data handling, as in TCPDBench: each dimension is z-scored; missing values
(``uk_coal_employ`` has two) are linearly interpolated; the multivariate series
(``run_log``, 2 dims) is segmented on all its dimensions (the first-dimension score
is reported beside it).

The figure a user gets is measured through the command itself: every univariate
series except the five ``quality_control_*`` warm-up series that TCPD's annotators
trained on (26 series) is written to a CSV with a synthetic daily time index and
run through ``outage-detector detect-series --mode offline --bucket 1D`` with
defaults (in-process, click's runner); its change points are scored as above. The
same run checks that they equal the library's default segmentation on the same
values (``auto`` resolves to ``robust`` there: :func:`despike`, then ``Segmenter()``).

``run()`` (imported by ``benchmarks/detection.py``, a few seconds) returns the default
result and the zero / ruptures Binseg baselines; ``python benchmarks/tcpd.py`` also
measures ruptures' Pelt baseline (minutes) and the grid of search methods
x costs x penalty factors that the defaults were chosen from, a leave-one-out
estimate of the penalty choice, and writes ``benchmarks/results/tcpd.json``.
``--quick`` skips the grid and prints its result instead of writing it.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import ruptures as rpt

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import SHARED, write_result  # noqa: E402

from detector.changepoint import penalty as penalty_module  # noqa: E402
from detector.changepoint.robust import despike  # noqa: E402
from detector.changepoint.segment import Segmenter  # noqa: E402
from detector.evaluation.tcpd import (  # noqa: E402
    TcpdSeries,
    covering,
    f_measure,
    from_breakpoints,
    load_tcpd,
)

TCPD = SHARED / "series" / "tcpd"
PUBLISHED = {
    "binseg_default": {"f1": 0.698, "cover": 0.672},
    "pelt_default": {"f1": 0.674, "cover": 0.652},
    "zero": {"f1": 0.645, "cover": 0.566},
    "oracle_best": {"f1": 0.886, "cover": 0.784},
}
TARGET = {"f1": 0.75, "cover": 0.70}

Predictor = Callable[[np.ndarray], list[int]]


def prepare(values: np.ndarray, *, dims: str = "all") -> np.ndarray:
    """Interpolate missing values, keep ``all`` or the ``first`` dimension, z-score each.

    >>> prepare(np.array([[1.0], [np.nan], [3.0]]))[:, 0].round(3).tolist()
    [-1.225, 0.0, 1.225]
    """
    x = np.array(values, dtype=float)
    if dims == "first":
        x = x[:, :1]
    idx = np.arange(len(x))
    for j in range(x.shape[1]):
        col = x[:, j]
        bad = np.isnan(col)
        if bad.any():
            col[bad] = np.interp(idx[bad], idx[~bad], col[~bad])
    std = x.std(axis=0)
    return (x - x.mean(axis=0)) / np.where(std > 0, std, 1.0)


def score(series: list[TcpdSeries], predict: Predictor, *, dims: str = "all") -> dict[str, Any]:
    """Mean F1 and covering of ``predict`` over ``series``, with the per-series values."""
    per: dict[str, dict[str, float]] = {}
    for s in series:
        x = prepare(s.values, dims=dims)
        cps = from_breakpoints(predict(x), s.n_obs)
        per[s.name] = {
            "f1": round(float(f_measure(s.annotations, cps)), 4),
            "cover": round(covering(s.annotations, cps, s.n_obs), 4),
            "n_cps": len(cps),
        }
    return {
        "f1": round(float(np.mean([v["f1"] for v in per.values()])), 4),
        "cover": round(float(np.mean([v["cover"] for v in per.values()])), 4),
        "per_series": per,
    }


def segmenter(**kwargs: Any) -> Predictor:
    """A predictor running ``Segmenter(**kwargs)`` with the automatic penalty."""

    def predict(x: np.ndarray) -> list[int]:
        return Segmenter(**kwargs).fit(x).predict()

    return predict


def ruptures_default(cls: type) -> Predictor:
    """ruptures' search with ``l2`` and the MBIC-style ``3 log n`` penalty (unit variance)."""

    def predict(x: np.ndarray) -> list[int]:
        pen = 3.0 * np.log(len(x)) * x.shape[1]
        algo = cls(model="l2", min_size=2, jump=1).fit(x)
        return [int(b) for b in algo.predict(pen=pen)]

    return predict


def zero(x: np.ndarray) -> list[int]:
    """No change point at all."""
    return [len(x)]


def _summary(result: dict[str, Any], seconds: float) -> dict[str, Any]:
    return {"f1": result["f1"], "cover": result["cover"], "seconds": round(seconds, 2)}


def _timed(series: list[TcpdSeries], predict: Predictor, **kw: Any) -> dict[str, Any]:
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        result = score(series, predict, **kw)
    return {**result, "seconds": round(time.perf_counter() - start, 2)}


def univariate(series: list[TcpdSeries]) -> list[TcpdSeries]:
    """The 26 univariate series TCPD evaluates on (no ``quality_control_*``, 1 dimension)."""
    return [
        s for s in series if s.values.shape[1] == 1 and not s.name.startswith("quality_control")
    ]


def cli_change_points(s: TcpdSeries, work: Path) -> tuple[list[int], dict[str, Any]]:
    """Change points (indices) of ``detect-series --mode offline --bucket 1D`` on ``s``."""
    import json

    import pandas as pd
    from click.testing import CliRunner

    from detector.cli.main import cli

    index = pd.date_range("2000-01-01", periods=s.n_obs, freq="D", tz="UTC")
    path = work / f"{s.name}.csv"
    pd.DataFrame({"day": index.strftime("%Y-%m-%d"), "value": s.values[:, 0]}).to_csv(
        path, index=False
    )
    args = ["detect-series", str(path), "--time-col", "day", "--value-col", "value"]
    result = CliRunner().invoke(cli, [*args, "--mode", "offline", "--bucket", "1D"])
    if result.exit_code != 0:
        raise RuntimeError(f"{s.name}: exit {result.exit_code}: {result.output.strip()}")
    out = json.loads(result.stdout)
    days = [int((pd.Timestamp(t) - index[0]) / pd.Timedelta("1D")) for t in out["change_points"]]
    return sorted(days), out


def through_cli(series: list[TcpdSeries]) -> dict[str, Any]:
    """F1 / cover of the command with defaults on the 26 univariate series, and the check
    that its change points equal the library default (despike + ``Segmenter()``)."""
    import tempfile

    per: dict[str, dict[str, Any]] = {}
    failures: dict[str, str] = {}
    same = 0
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for s in univariate(series):
            try:
                cps, out = cli_change_points(s, Path(tmp))
            except RuntimeError as err:
                failures[s.name] = str(err)
                continue
            x = prepare(s.values, dims="first")[:, 0]
            lib = from_breakpoints(Segmenter().fit(despike(x)).predict(), s.n_obs)
            same += lib == cps
            per[s.name] = {
                "f1": round(float(f_measure(s.annotations, cps)), 4),
                "cover": round(covering(s.annotations, cps, s.n_obs), 4),
                "n_cps": len(cps),
                "model": out["model"],
                "missing": out["missing"]["values"],
            }
    return {
        "command": "outage-detector detect-series FILE --time-col day --value-col value "
        "--mode offline --bucket 1D",
        "n_series": len(per) + len(failures),
        "f1": round(float(np.mean([v["f1"] for v in per.values()])), 4) if per else None,
        "cover": round(float(np.mean([v["cover"] for v in per.values()])), 4) if per else None,
        "failures": failures,
        "equal_to_library_default": f"{same}/{len(per)}",
        "seconds": round(time.perf_counter() - start, 2),
        "per_series": per,
    }


def file_change_points(file: Path) -> tuple[list[int], dict[str, Any]]:
    """Change points (indices) of ``detect-series FILE.json --mode offline`` on a TCPD
    dataset file as it comes (its own times; a yearly or monthly series judged per
    period), each the position of the first point at or after the change."""
    import json

    import pandas as pd
    from click.testing import CliRunner

    from detector.cli.detect_series import read_table
    from detector.cli.main import cli
    from detector.ingest.timestamps import parse_times

    result = CliRunner().invoke(cli, ["detect-series", str(file), "--mode", "offline"])
    if result.exit_code != 0:
        raise RuntimeError(f"{file.stem}: {result.exception or result.output.strip()}")
    out = json.loads(result.stdout)
    times = parse_times(read_table(file)["time"])[0]  # the times as the command read them
    axis = pd.DatetimeIndex(times).as_unit("ns")
    points = pd.DatetimeIndex(pd.to_datetime(out["change_points"], utc=True)).as_unit("ns")
    return sorted({int(i) for i in axis.searchsorted(points)}), out


def through_files(series: list[TcpdSeries], path: Path = TCPD) -> dict[str, Any]:
    """F1 / cover of ``detect-series`` run on the 26 univariate dataset files themselves
    (what a user who downloads TCPD gets), beside :func:`through_cli`'s daily stand-in."""
    per: dict[str, dict[str, Any]] = {}
    failures: dict[str, str] = {}
    start = time.perf_counter()
    for s in univariate(series):
        try:
            cps, out = file_change_points(path / "datasets" / f"{s.name}.json")
        except RuntimeError as err:
            failures[s.name] = str(err)
            continue
        per[s.name] = {
            "f1": round(float(f_measure(s.annotations, cps)), 4),
            "cover": round(covering(s.annotations, cps, s.n_obs), 4),
            "n_cps": len(cps),
        }
    return {
        "command": "outage-detector detect-series DATASET.json --mode offline",
        "n_series": len(per) + len(failures),
        "f1": round(float(np.mean([v["f1"] for v in per.values()])), 4) if per else None,
        "cover": round(float(np.mean([v["cover"] for v in per.values()])), 4) if per else None,
        "failures": failures,
        "seconds": round(time.perf_counter() - start, 2),
        "per_series": per,
    }


def run(path: Path = TCPD, *, pelt: bool = False) -> dict[str, Any]:
    """Default Segmenter vs zero and ruptures' Binseg (and Pelt: ~3 min) on TCPD."""
    series = load_tcpd(path)
    default = _timed(series, segmenter())
    multi = [s for s in series if s.values.shape[1] > 1]
    first_dim = _timed(multi, segmenter(), dims="first")
    all_dims = {k: v for k, v in default["per_series"].items() if k in first_dim["per_series"]}
    baselines = {
        "zero": _timed(series, zero),
        "ruptures_binseg_l2_mbic": _timed(series, ruptures_default(rpt.Binseg)),
    }
    if pelt:
        baselines["ruptures_pelt_l2_mbic"] = _timed(series, ruptures_default(rpt.Pelt))
    uni = univariate(series)
    cli = through_cli(series)
    files = through_files(series, path)
    uni_baselines = {
        "Segmenter() without despike": _timed(uni, segmenter()),
        "zero": _timed(uni, zero),
        "ruptures_binseg_l2_mbic": _timed(uni, ruptures_default(rpt.Binseg)),
    }
    cli_met = not cli["failures"] and cli["f1"] >= TARGET["f1"] and cli["cover"] >= TARGET["cover"]
    return {
        "univariate_26_through_cli": {
            **cli,
            "target": TARGET,
            "met": cli_met,
            "baselines_same_series": {
                k: _summary(v, v["seconds"]) for k, v in uni_baselines.items()
            },
        },
        "univariate_26_dataset_files": files,
        "n_series": len(series),
        "default": {
            "config": "Segmenter(): window search, width 20, l2 cost, penalised-path rule, "
            "pruned, automatic penalty (all 32 series, z-scored, no despike)",
            **default,
        },
        "target": TARGET,
        "met": default["f1"] >= TARGET["f1"] and default["cover"] >= TARGET["cover"],
        "baselines": {k: _summary(v, v["seconds"]) for k, v in baselines.items()},
        "published_default_univariate": PUBLISHED,
        "multivariate": {"all_dims": all_dims, "first_dim": first_dim["per_series"]},
    }


GRID_METHODS: list[tuple[str, dict[str, Any]]] = [
    ("window w=10", {"method": "window", "width": 10}),
    ("window w=20", {"method": "window", "width": 20}),
    ("window w=40", {"method": "window", "width": 40}),
    ("binseg", {"method": "binseg"}),
    ("binseg path", {"method": "binseg", "rule": "path"}),
    ("seeded", {"method": "seeded"}),
    ("bottomup", {"method": "bottomup"}),
    ("pelt", {"method": "pelt"}),
    ("dynp", {"method": "dynp"}),
]
GRID_COSTS = ["l2", "l1", "normal", "rbf"]
SLOW = {("dynp", "l1"), ("dynp", "rbf"), ("dynp", "normal"), ("pelt", "l1"), ("pelt", "rbf")}
#: Searches that exist only on prefix sums here (l2, normal, poisson).
PREFIX_ONLY = {"seeded", "binseg path"}


def grid(series: list[TcpdSeries]) -> dict[str, Any]:
    """Every search method x cost at the automatic penalty, and the penalty factor sweep."""
    table: dict[str, Any] = {}
    for label, kwargs in GRID_METHODS:
        for cost in GRID_COSTS:
            if (kwargs["method"], cost) in SLOW:
                table[f"{label} / {cost}"] = "skipped: over 10 min with ruptures on TCPD"
                continue
            if label in PREFIX_ONLY and cost != "l2":
                table[f"{label} / {cost}"] = "n/a: prefix-sum costs only (normal: 1-D only)"
                continue
            result = _timed(series, segmenter(model=cost, **kwargs))
            table[f"{label} / {cost}"] = _summary(result, result["seconds"])
            print(label, cost, table[f"{label} / {cost}"], flush=True)
    sweep: dict[str, Any] = {}
    per_beta: dict[float, dict[str, Any]] = {}
    original = penalty_module.BETA, penalty_module.GLOBAL_BETA
    try:
        for beta in (0.5, 1.0, 1.5, 2.0, 3.0, 4.0):
            penalty_module.BETA = penalty_module.GLOBAL_BETA = beta
            for label, kwargs in [
                ("window w=20", {"width": 20}),
                ("binseg", {"method": "binseg"}),
                ("seeded", {"method": "seeded"}),
            ]:
                result = _timed(series, segmenter(**kwargs))
                sweep[f"{label} beta={beta}"] = _summary(result, result["seconds"])
                if label == "window w=20":
                    per_beta[beta] = result["per_series"]
    finally:
        penalty_module.BETA, penalty_module.GLOBAL_BETA = original
    return {"methods_x_costs": table, "penalty_beta_sweep": sweep, "loo": _loo(per_beta)}


def _loo(per_beta: dict[float, dict[str, Any]]) -> dict[str, Any]:
    """Leave-one-series-out: pick beta on 31 series by mean F1, score the held-out one."""
    names = list(next(iter(per_beta.values())))
    f1s, covers, picks = [], [], []
    for held in names:
        best = max(
            per_beta,
            key=lambda b: np.mean([per_beta[b][n]["f1"] for n in names if n != held]),
        )
        picks.append(best)
        f1s.append(per_beta[best][held]["f1"])
        covers.append(per_beta[best][held]["cover"])
    return {
        "f1": round(float(np.mean(f1s)), 4),
        "cover": round(float(np.mean(covers)), 4),
        "betas_picked": sorted(set(picks)),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip the method x cost grid")
    parser.add_argument("--data", type=Path, default=TCPD, help="TCPD folder")
    args = parser.parse_args(argv)
    payload = run(args.data, pelt=not args.quick)
    if args.quick:  # a partial run: printed, never written over the full result
        print(json.dumps(payload, indent=2, default=str))
        return
    payload["grid"] = grid(load_tcpd(args.data))
    write_result("tcpd", payload)


if __name__ == "__main__":
    main()
