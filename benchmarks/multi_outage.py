"""The engine on the simulator's multi-outage scenario over many seeds (issue 9's check).

For each seed: ``simulate --scenario multi-outage``, ``score`` it once (cached under
``--work``), then run the incident engine on the scored posts and compare with the
truth file: detection rate, delay from onset (median, p90), false alarms per
service-week, alarms raised before an onset of the same service (within 6 h), and
incidents detected in a 5-minute bucket with no outage post. The simulator is the
project's own: this checks the engine's rules, it is not evidence of quality on real
data (``benchmarks/replay.py`` and ``benchmarks/detection.py`` are).

    .venv/bin/python benchmarks/multi_outage.py --seeds 20
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from detector.batch.accumulate import SeriesAccumulator  # noqa: E402
from detector.batch.detection import detect_services  # noqa: E402
from detector.incidents.tracker import ENGINE_STEP  # noqa: E402


def _scored(seed: int, work: Path) -> Path:
    stem = work / f"mo{seed}"
    out = Path(f"{stem}-out")
    if not (out / "posts.parquet").exists():
        cli = [sys.executable, "-m", "detector"]
        csv = f"{stem}.csv"
        subprocess.run(
            [*cli, "simulate", "--scenario", "multi-outage", "--out", csv, "--seed", str(seed)],
            check=True,
            capture_output=True,
            cwd=REPO,
        )
        subprocess.run(
            [*cli, "score", csv, "--out", str(out)], check=True, capture_output=True, cwd=REPO
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--work", type=Path, default=Path("/tmp/outage-multi-outage"))
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks/results/multi_outage.json")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    n = found = false = early = empty = 0
    service_days = 0.0
    delays: list[float] = []
    for seed in range(1, args.seeds + 1):
        out = _scored(seed, args.work)
        truth = json.loads((args.work / f"mo{seed}.truth.json").read_text())
        posts = pd.read_parquet(
            out / "posts.parquet", columns=["created_at", "is_outage", "services"]
        )
        acc = SeriesAccumulator(ENGINE_STEP)
        acc.add_scored(posts)
        incidents, series = detect_services(acc.sparse(), bucket="5min")
        span = (pd.Timestamp(truth["end"]) - pd.Timestamp(truth["start"])).total_seconds() / 86400
        service_days += span * (series["service"].nunique() - 1)
        matched: set[int] = set()
        for outage in truth["outages"]:
            n += 1
            onset, end = pd.Timestamp(outage["onset"]), pd.Timestamp(outage["resolved"])
            hits = [
                i
                for i in incidents
                if i.service == outage["service"]
                and onset - pd.Timedelta("10min") <= i.detected_at <= end
            ]
            if hits:
                found += 1
                matched.add(id(hits[0]))
                delays.append((hits[0].detected_at - onset).total_seconds() / 60)
        index = series.set_index(["service", "bucket_start"])["outage_posts"]
        for inc in incidents:
            key = (inc.service, inc.detected_at.floor("5min"))
            empty += int(key in index.index and index.loc[key] == 0)
            if id(inc) in matched:
                continue
            false += 1
            early += int(
                any(
                    o["service"] == inc.service
                    and inc.detected_at
                    < pd.Timestamp(o["onset"])
                    <= inc.detected_at + pd.Timedelta("6h")
                    for o in truth["outages"]
                )
            )
        print(
            f"seed {seed}: {len(truth['outages'])} outages, {len(incidents)} incidents", flush=True
        )
    result = {
        "seeds": args.seeds,
        "outages": n,
        "detected": found,
        "detection_rate": round(found / n, 4),
        "median_delay_min": float(np.median(delays)),
        "p90_delay_min": round(float(np.percentile(delays, 90)), 1),
        "false_alarms": false,
        "false_alarms_per_service_week": round(false / service_days * 7, 3),
        "alarms_before_an_onset": early,
        "incidents_in_buckets_without_outage_posts": empty,
    }
    print(json.dumps(result, indent=2))
    args.out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
