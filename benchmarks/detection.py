"""Detection benchmark: NAB realTweets, simulated outages, cost per update (and TCPD).

Run: ``.venv/bin/python benchmarks/detection.py [--seeds N]``; prints a summary and
writes ``benchmarks/results/detection.json``. Everything runs with the default
parameters of :class:`SeasonalBaseline` and :class:`OnlineDetector`, in online mode
(each bucket judged from the past only), with no per-series tuning. Baselines
measured in the same run: NAB's null detector (0 by definition), a fixed 3-sigma
threshold on the same baseline, and re-running ruptures Pelt on a trailing day.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from detector.changepoint.online import OnlineDetector, detect_online
from detector.evaluation.events import event_metrics
from detector.evaluation.nab import (
    PROFILES,
    normalized_score,
    read_nab,
    rising_edges,
    score_series,
)
from detector.series.baseline import SeasonalBaseline
from detector.simulate.volume import simulate_counts

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
RESULTS = REPO / "benchmarks" / "results" / "detection.json"


def _online(counts: pd.Series, **params) -> tuple[np.ndarray, np.ndarray]:
    """Baseline and detector together, causally (the baseline freezes during alarms)."""
    expected, _, _, alarm = detect_online(counts, **params)
    return alarm, expected.to_numpy()


def _three_sigma(counts: pd.Series, expected: np.ndarray) -> np.ndarray:
    """Naive comparison: alarm whenever a count exceeds expected + 3 sqrt(expected) + 1."""
    return counts.to_numpy(dtype=float) > expected + 3 * np.sqrt(expected) + 1


def nab() -> dict:
    series = read_nab(DATA / "series" / "nab_realtweets")
    per_profile: dict[str, list] = {p: [] for p in PROFILES}
    naive: list = []
    rows = []
    delays_start, delays_label, weeks, fps = [], [], 0.0, 0
    for name, item in series.items():
        values = item["values"]
        counts = pd.Series(values.to_numpy(dtype=float), index=values.index.tz_localize("UTC"))
        alarm, expected = _online(counts)
        detections = rising_edges(alarm)
        for profile in PROFILES:
            per_profile[profile].append(
                score_series(detections, values.index, item["windows"], profile)
            )
        naive.append(
            score_series(
                rising_edges(_three_sigma(counts, expected)), values.index, item["windows"]
            )
        )
        s = per_profile["standard"][-1]
        step = values.index[1] - values.index[0]
        for (lo, _hi), first, label in zip(
            s.window_rows, s.first_detection, item["labels"], strict=True
        ):
            if first is None:
                continue
            delays_start.append((first - lo) * step / pd.Timedelta(minutes=1))
            delays_label.append((values.index[first] - label) / pd.Timedelta(minutes=1))
        w = len(values) * step / pd.Timedelta(days=7)
        weeks += w
        fps += s.false_positives
        rows.append(
            {
                "series": name,
                "raw_standard": round(s.raw, 3),
                "windows": s.n_windows,
                "windows_detected": s.windows_detected,
                "false_positives": s.false_positives,
                "false_alarms_per_week": round(s.false_positives / w, 2),
            }
        )
    return {
        "score": {p: round(normalized_score(v), 1) for p, v in per_profile.items()},
        "target_standard": 85.0,
        "published_standard": {"ARTime": 84.3, "CAD OSE": 76.4, "HTM": 72.6, "ADVec": 52.2},
        "baseline_three_sigma_standard": round(normalized_score(naive), 1),
        "windows": sum(r["windows"] for r in rows),
        "windows_detected": sum(r["windows_detected"] for r in rows),
        "median_delay_from_window_start_min": float(np.median(delays_start))
        if delays_start
        else None,
        "median_delay_from_label_min": float(np.median(delays_label)) if delays_label else None,
        "false_alarms_per_series_week": round(fps / weeks, 2),
        "series": rows,
    }


def nab_threshold_sensitivity(thresholds=(6.5, 8.0, 12.0, 16.0)) -> list[dict]:
    """Standard NAB score if the default threshold were different (same for all series).

    Reported to show the trade-off, not used to choose anything per series.
    """
    series = read_nab(DATA / "series" / "nab_realtweets")
    prepared = []
    for item in series.values():
        values = item["values"]
        counts = pd.Series(values.to_numpy(dtype=float), index=values.index.tz_localize("UTC"))
        prepared.append((counts, values.index, item["windows"]))
    rows = []
    for h in thresholds:
        scores = []
        for counts, index, windows in prepared:
            alarm, _ = _online(counts, threshold=h, ceiling=max(16.0, 2 * h))
            scores.append(score_series(rising_edges(alarm), index, windows))
        rows.append(
            {
                "threshold": h,
                "standard": round(normalized_score(scores), 1),
                "windows_detected": sum(s.windows_detected for s in scores),
                "false_positives": sum(s.false_positives for s in scores),
            }
        )
    return rows


def nab_decorrelated() -> dict:
    """NAB with ``decorrelate=True`` (an opt-in of the detector, not the default)."""
    series = read_nab(DATA / "series" / "nab_realtweets")
    scores = []
    for item in series.values():
        values = item["values"]
        counts = pd.Series(values.to_numpy(dtype=float), index=values.index.tz_localize("UTC"))
        alarm, _ = _online(counts, decorrelate=True)
        scores.append(score_series(rising_edges(alarm), values.index, item["windows"]))
    return {
        "standard": round(normalized_score(scores), 1),
        "windows_detected": sum(s.windows_detected for s in scores),
        "false_positives": sum(s.false_positives for s in scores),
    }


def simulated(seeds: int) -> dict:
    cells = []
    groups: dict[str, dict] = {
        g: {"delays": [], "detected": 0, "total": 0, "false_alarms": 0, "weeks": 0.0}
        for g in ("all", "low_traffic", "high_traffic")
    }
    onset_hits, onset_total = 0, 0
    detect_series = _optional("detector.incidents.detect", "detect_series")
    for base in (0.2, 0.5, 1.0, 20.0, 50.0):
        for rise in (3.0, 5.0, 10.0, 20.0):
            m_cell = []
            for seed in range(seeds):
                counts, truth = simulate_counts(seed, days=7, base_rate=base, rise=rise)
                alarm, _ = _online(counts)
                m = event_metrics(pd.Series(alarm, index=counts.index), truth)
                m_cell.append(m)
                if detect_series is not None:
                    try:
                        found = detect_series(counts, mode="online")
                        step = counts.index[1] - counts.index[0]
                        for t in truth:
                            onset_total += 1
                            starts = [
                                i.started_at
                                for i in found.incidents
                                if t["onset"] - 6 * step <= i.detected_at <= t["resolved"]
                            ]
                            if starts and abs(starts[0] - t["onset"]) <= 2 * step:
                                onset_hits += 1
                    except Exception as err:  # another engineer's code: report, don't die
                        print(f"detect_series failed: {err!r}", file=sys.stderr)
                        detect_series = None
            d = [x for m in m_cell for x in m.delays_buckets]
            det = sum(m.detected for m in m_cell)
            n = sum(m.n_incidents for m in m_cell)
            fa = sum(m.false_alarms for m in m_cell)
            wk = sum(m.weeks for m in m_cell)
            cells.append(
                {
                    "base_rate": base,
                    "rise": rise,
                    "detection_rate": round(det / n, 3),
                    "median_delay_buckets": float(np.median(d)) if d else None,
                    "false_alarms_per_week": round(fa / wk, 2),
                }
            )
            for name in ("all", "low_traffic" if base <= 1.0 else "high_traffic"):
                g = groups[name]
                g["delays"] += d
                g["detected"] += det
                g["total"] += n
                g["false_alarms"] += fa
                g["weeks"] += wk
    summary = {
        name: {
            "detection_rate": round(g["detected"] / g["total"], 3),
            "median_delay_buckets": float(np.median(g["delays"])),
            "delay_quartiles_buckets": [float(q) for q in np.percentile(g["delays"], [25, 75])],
            "false_alarms_per_service_week": round(g["false_alarms"] / g["weeks"], 2),
            "incidents": g["total"],
        }
        for name, g in groups.items()
    }
    out = {
        "seeds_per_cell": seeds,
        **summary["all"],
        "low_traffic": summary["low_traffic"],
        "high_traffic": summary["high_traffic"],
        "targets": {"detection_rate": 0.95, "median_delay_buckets": 2, "false_alarms_per_week": 1},
        "cells": cells,
    }
    if onset_total:
        out["onset_within_2_buckets"] = round(onset_hits / onset_total, 3)
    return out


def _best_of(repeats: int, fn) -> float:
    """Smallest wall time of ``repeats`` runs (the machine is shared: the minimum is
    the least disturbed measurement)."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def cost() -> dict:
    n = 20000
    counts = np.random.default_rng(0).poisson(5.0, n).astype(float).tolist()

    def detector_only() -> None:
        update = OnlineDetector().update
        for x in counts:
            update(x, 5.0)

    index = pd.date_range("2026-01-05", periods=n, freq="5min", tz="UTC")
    stamps = list(index)

    def live_pipeline() -> None:  # what the live API does per service and bucket
        base, det = SeasonalBaseline(), OnlineDetector()
        for ts, x in zip(stamps, counts, strict=True):
            det.update(x, base.expected(ts))
            base.update(x, ts, anomalous=det.anomalous)

    series = pd.Series(counts, index=index)
    detector_us = _best_of(5, detector_only) / n * 1e6
    pipeline_us = _best_of(3, live_pipeline) / n * 1e6
    batch_us = _best_of(3, lambda: detect_online(series)) / n * 1e6
    import ruptures as rpt

    day = np.asarray(counts[:288]).reshape(-1, 1)
    pen = 3 * math.log(288) * float(np.var(day))
    pelt_ms = _best_of(3, lambda: rpt.Pelt(model="l2").fit(day).predict(pen=pen)) * 1e3
    return {
        "online_update_us": round(detector_us, 2),
        "live_baseline_plus_detector_us": round(pipeline_us, 2),
        "batch_detect_online_us_per_bucket": round(batch_us, 2),
        "target_update_us": 20.0,
        "pelt_trailing_day_ms": round(pelt_ms, 1),
        "ratio_pelt_to_online": round(pelt_ms * 1e3 / detector_us),
        "ratio_pelt_to_live_pipeline": round(pelt_ms * 1e3 / pipeline_us),
    }


def _optional(module: str, name: str):
    try:
        return getattr(__import__(module, fromlist=[name]), name)
    except (ImportError, AttributeError):
        return None


def tcpd() -> dict | None:
    path = REPO / "benchmarks" / "tcpd.py"
    if not path.is_file():
        return None
    spec = importlib.util.spec_from_file_location("tcpd_benchmark", path)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)  # type: ignore[union-attr]
        return module.run() if hasattr(module, "run") else None
    except Exception as err:  # another engineer's script: report, don't die
        return {"error": repr(err)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, default=10, help="seeds per simulated cell")
    args = parser.parse_args()
    result = {
        "nab": nab(),
        "nab_threshold_sensitivity": nab_threshold_sensitivity(),
        "nab_decorrelated": nab_decorrelated(),
        "simulated": simulated(args.seeds),
        "cost": cost(),
        "tcpd": tcpd(),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2, default=str))
    n, s, c = result["nab"], result["simulated"], result["cost"]
    print(
        f"NAB realTweets: {n['score']} (target standard >= 85; naive 3-sigma "
        f"{n['baseline_three_sigma_standard']}); windows {n['windows_detected']}/{n['windows']}; "
        f"delay from start {n['median_delay_from_window_start_min']} min, from label "
        f"{n['median_delay_from_label_min']} min; "
        f"FA/series-week {n['false_alarms_per_series_week']}"
    )
    print(
        f"Simulated: detection {s['detection_rate']} (>= 0.95), median delay "
        f"{s['median_delay_buckets']} buckets (<= 2), FA/week {s['false_alarms_per_service_week']} "
        f"(<= 1), onset within 2 buckets {s.get('onset_within_2_buckets')}"
    )
    print(f"    low traffic (0.2-1/bucket): {s['low_traffic']}")
    print(f"    high traffic (20-50/bucket): {s['high_traffic']}")
    for cell in s["cells"]:
        print("   ", cell)
    print(f"NAB with other thresholds (not used): {result['nab_threshold_sensitivity']}")
    print(f"NAB with decorrelate=True (opt-in, not used): {result['nab_decorrelated']}")
    print(
        f"Cost: detector {c['online_update_us']} us/update (<= 20); live baseline + detector "
        f"{c['live_baseline_plus_detector_us']} us; Pelt on a trailing day "
        f"{c['pelt_trailing_day_ms']} ms ({c['ratio_pelt_to_online']}x the detector)"
    )
    print(f"TCPD: {result['tcpd']}")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
