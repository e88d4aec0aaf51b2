"""Why the engine misses simulated outages: per outage, the evidence it had and the bar.

Run: ``.venv/bin/python benchmarks/detection_misses.py [--seeds 10] [--repo PATH]``; writes
``benchmarks/results/detection_misses.json`` (``--repo``: diagnose the engine of another
checkout, e.g. a ``git worktree`` of an older commit, on the same outages).

The outages are those of ``benchmarks/detection.py`` (``simulate_counts``, 7 days, 5-minute
buckets, base 0.2-50 posts a bucket x rise 3-20, two outages a series). Each outage is fed
to the engine exactly as ``detect-series`` does (one tracker step per bucket) and reported
with: detected or not, delay and onset error (buckets), onset hour (UTC; the simulated
traffic is lowest at night), duration, excess posts over the simulator's true rate, the
Poisson evidence of the whole outage against that true rate (what an oracle that knew the
rate would have), the largest evidence the engine saw during the outage and its bar
(``alarm_level``) at that step, and the engine's learned baseline over the true rate.
The summary compares missed and detected outages (medians), counts misses per cell
and per time of day, and says per base rate how ``detection.py``'s onset check ends
(ok, missed, an earlier alarm already up, onset early or late by more than 2 buckets).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "benchmarks" / "results" / "detection_misses.json"
BASES = (0.2, 0.5, 1.0, 20.0, 50.0)
RISES = (3.0, 5.0, 10.0, 20.0)
STEP = pd.Timedelta(minutes=5)


def _outages(seeds: int) -> list[dict[str, Any]]:
    from detector.evaluation.events import event_metrics
    from detector.incidents.tracker import IncidentTracker
    from detector.simulate.rhythm import activity
    from detector.simulate.volume import simulate_counts

    rows = []
    for base in BASES:
        for rise in RISES:
            for seed in range(seeds):
                counts, truth = simulate_counts(seed, days=7, base_rate=base, rise=rise)
                tracker = IncidentTracker("series", step=STEP)
                evidence, level, expected, outage = [], [], [], []
                for t, x in zip(counts.index, counts.to_numpy(dtype=float), strict=True):
                    bar = tracker.alarm_level  # the bar this step is judged against
                    tracker.update(t, x)
                    evidence.append(tracker.evidence)
                    level.append(bar)
                    expected.append(tracker.expected)
                    outage.append(tracker.status == "outage")
                ev, lv, ex = np.array(evidence), np.array(level), np.array(expected)
                alarm = pd.Series(outage, index=counts.index)
                true_rate = base * activity(counts.index + STEP / 2)
                for t in truth:
                    m = event_metrics(alarm, [t])
                    inside = (counts.index >= t["onset"]) & (counts.index < t["resolved"])
                    x, mu = float(counts[inside].sum()), float(true_rate[inside].sum())
                    k = int(np.argmax(ev[inside]))
                    hits = [
                        i
                        for i in tracker.incidents
                        if t["onset"] - 6 * STEP <= i.detected_at <= t["resolved"]
                    ]
                    rows.append(
                        {
                            "base": base,
                            "rise": rise,
                            "seed": seed,
                            "onset": t["onset"].isoformat(),
                            "onset_hour": t["onset"].hour,
                            "minutes": (t["resolved"] - t["onset"]) / pd.Timedelta(minutes=1),
                            "detected": bool(m.detected),
                            "delay_buckets": m.delays_buckets[0] if m.detected else None,
                            "onset_error_buckets": (hits[0].started_at - t["onset"]) / STEP
                            if hits
                            else None,
                            "onset_outcome": _onset_outcome(m.detected, hits, t["onset"]),
                            "excess_posts": round(x - mu, 1),
                            "oracle_evidence": round(x * np.log(x / mu) - (x - mu), 2)
                            if x > mu
                            else 0.0,
                            "max_evidence": round(float(ev[inside][k]), 2),
                            "bar_then": round(float(lv[inside][k]), 2),
                            "baseline_over_truth": round(float(ex[inside].sum()) / mu, 3),
                        }
                    )
    return rows


def _onset_outcome(detected: bool, hits: list[Any], onset: pd.Timestamp) -> str:
    """How ``detection.py``'s onset-within-2-buckets check ends for one outage.

    ``missed``; ``earlier_alarm`` (the alarm was up before the outage, raised more than
    6 buckets before its onset, so no incident is the outage's own); ``early`` / ``late``
    (the onset more than 2 buckets off); ``ok``.
    """
    if not detected:
        return "missed"
    if not hits:
        return "earlier_alarm"
    error = (hits[0].started_at - onset) / STEP
    if abs(error) <= 2:
        return "ok"
    return "early" if error < 0 else "late"


def _summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    df = pd.DataFrame(rows)
    cols = ["oracle_evidence", "max_evidence", "bar_then", "baseline_over_truth", "minutes"]
    missed, found = df[~df.detected], df[df.detected]
    night = df.onset_hour.map(lambda h: f"{h // 6 * 6:02d}-{h // 6 * 6 + 6:02d}h")
    onset_ok = df.onset_error_buckets.abs() <= 2
    return {
        "outages": len(df),
        "missed": len(missed),
        "missed_per_cell": {
            f"base {b}, rise {r}": int(n)
            for (b, r), n in missed.groupby(["base", "rise"]).size().items()
        },
        "detection_by_onset_hour_rises_3_5_low_traffic": {
            k: round(float(v), 3)
            for k, v in df[(df.rise <= 5) & (df.base <= 1)].groupby(night).detected.mean().items()
        },
        "median_missed": {c: float(missed[c].median()) for c in cols} if len(missed) else {},
        "median_detected": {c: float(found[c].median()) for c in cols},
        "onset_within_2_buckets_of_detected": round(float(onset_ok[df.detected].mean()), 3),
        "onset_outcome_per_base_rate": {
            f"base {b}": {k: int(v) for k, v in g.onset_outcome.value_counts().items()}
            for b, g in df.groupby("base")
        },
        "onset_errors_beyond_2_buckets": {
            "early": int((df.onset_error_buckets < -2).sum()),
            "late": int((df.onset_error_buckets > 2).sum()),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--repo", type=Path, default=REPO, help="checkout whose engine to run")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    sys.path.insert(0, str(args.repo.resolve()))
    import detector

    rows = _outages(args.seeds)
    result = {
        "engine": str(Path(detector.__file__).resolve().parent),
        "seeds_per_cell": args.seeds,
        "summary": _summary(rows),
        "outages": rows,
    }
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result["summary"], indent=2))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
