"""Detection quality on replayed real posts, through the real command line.

Run: ``.venv/bin/python benchmarks/replay.py [--seed 0] [--baseline-ref 7bd8663]
[--buckets 1min,5min,15min]``; prints a table and writes
``benchmarks/results/replay.json``.

1. **Replay export** (seeded): 8 services x 7 days, traffic 3 to 120 posts an hour
   with the hour-of-day rhythm of the real airline stream
   (``streams/airline_tweets_feb2015.csv``) and Poisson noise. Every post is a real
   labelled text (``posts/labeled_posts*.csv``): normal traffic draws from the
   ``other``/``complaint`` texts plus a 5-10% share (per service) of ``outage`` texts,
   so outage posts have a nonzero baseline. 16 outages are injected (2 per service,
   4 of them on the first day after 4+ hours of history): extra ``outage`` texts at a
   peak of 3x-20x the service's mean outage-post rate (``--rise-of outage``) or of its
   mean volume of all posts (``--rise-of all``, as the simulator's scenarios define a
   rise; by default both exports are built and measured), a ramp of 2-8 minutes, a slow
   fade while the outage lasts (to half the peak after a few hours), and an
   exponential tail after it is resolved; durations 30 min to 6 h. The larger rises go
   to the smaller services (a 3x rise on 3 posts an hour is invisible to anyone),
   every service gets one rise from the lower and one from the upper half. Four
   false-alarm traps: one author repeating outage complaints for 5-15 minutes.
   Texts are drawn per service without replacement until the pool is used up and
   are addressed to the service (``@svc ...``), so few texts reappear from another
   author (an engine may treat that as a repost; the shares are in the results).
2. **Engines**: ``python -m detector score EXPORT --out DIR --service-col service
   --bucket B`` on the working tree and on a ``git worktree`` of ``--baseline-ref``
   (default ``7bd8663``, the last commit before the new incident engine), both with
   this interpreter, ``PYTHONPATH`` and the working directory set to the checkout
   (the imported ``detector.__file__`` is checked and recorded). A failed run is
   reported, not raised.
3. **Scoring**: an outage is detected when an incident of its service has
   ``detected_at`` in ``[onset - 10 min, resolved]``; delay = ``detected_at - onset``
   of the first such incident, onset error = ``started_at - onset``. An incident is a
   false alarm when it is no detection and not raised on the outage's tail
   (``detected_at`` after ``resolved`` while the tail lasts, counted as ``late``);
   alarms raised on a trap are false alarms and also counted apart. Rates are per
   service-week; the first day (short exports) is reported on its own.

Targets (issue 9): >= 95% detected, median delay <= 10 min, <= 1 false alarm per
service-week.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO, SHARED, write_result  # noqa: E402

START = pd.Timestamp("2024-03-04T00:00:00Z")  # a Monday
DAYS = 7
LEVELS = (3, 6, 10, 20, 35, 50, 80, 120)  # posts an hour, one service each
N_BURSTS = 4
MATCH_BEFORE = pd.Timedelta(minutes=10)  # a detection may precede the onset by this
TARGETS = {"detection_rate": 0.95, "median_delay_min": 10.0, "false_alarms_per_service_week": 1.0}
DEFAULT_REF = "7bd8663"


# --------------------------------------------------------------------------- export


def hour_profile() -> np.ndarray:
    """Relative traffic per minute of the day (mean 1), from the airline stream."""
    stream = pd.read_csv(SHARED / "streams" / "airline_tweets_feb2015.csv")
    times = pd.to_datetime(stream["created_at_local_pst"], format="%m/%d/%Y %H:%M")
    hours = np.bincount(times.dt.hour, minlength=24).astype(float)
    hours = (np.roll(hours, 1) + 2 * hours + np.roll(hours, -1)) / 4  # circular smoothing
    hours /= hours.mean()
    centres = np.arange(24) * 60 + 30
    minute = np.arange(1440)
    return np.interp(minute, centres, hours, period=1440)


def text_pools() -> tuple[np.ndarray, np.ndarray]:
    """Real labelled texts: (outage, other-or-complaint)."""
    frames = [
        pd.read_csv(SHARED / "posts" / name, usecols=["text", "label"])
        for name in ("labeled_posts.csv", "labeled_posts_extra.csv")
    ]
    posts = pd.concat(frames, ignore_index=True).dropna()
    posts["text"] = posts["text"].str.replace(r"\s+", " ", regex=True).str.strip()
    posts = posts[posts["text"].str.len() > 0].drop_duplicates("text")
    outage = posts.loc[posts["label"] == "outage", "text"].to_numpy()
    rest = posts.loc[posts["label"].isin(["other", "complaint"]), "text"].to_numpy()
    return outage, rest


class Cycler:
    """Draw from a pool without replacement; reshuffle when it is used up."""

    def __init__(self, pool: np.ndarray, rng: np.random.Generator) -> None:
        self.pool, self.rng = pool, rng
        self.order, self.pos = rng.permutation(len(pool)), 0

    def take(self, n: int) -> list[str]:
        out: list[str] = []
        while len(out) < n:
            if self.pos == len(self.order):
                self.order, self.pos = self.rng.permutation(len(self.pool)), 0
            step = min(n - len(out), len(self.order) - self.pos)
            out.extend(self.pool[self.order[self.pos : self.pos + step]])
            self.pos += step
        return out


def outage_shape(minutes: np.ndarray, onset: int, resolved: int, ramp: int, tau: float):
    """Relative intensity (peak 1) of an outage's extra outage posts at each minute."""
    t = minutes - onset
    inside = np.clip(t / ramp, 0.0, 1.0) * (0.5 + 0.5 * np.exp(-np.maximum(t - ramp, 0) / 120.0))
    at_end = float(
        min((resolved - onset) / ramp, 1.0)
        * (0.5 + 0.5 * np.exp(-max(resolved - onset - ramp, 0) / 120.0))
    )
    tail = at_end * np.exp(-np.maximum(minutes - resolved, 0) / tau)
    shape = np.where(minutes < resolved, inside, tail)
    shape[(minutes < onset) | (minutes >= resolved + 4 * tau)] = 0.0
    return shape


def plan_outages(rng: np.random.Generator) -> list[dict[str, Any]]:
    """16 outages: rises and durations spread, 4 on the first day, none overlapping."""
    n = len(LEVELS)
    factors = np.geomspace(3, 20, 2 * n)
    durations = np.geomspace(30, 360, 2 * n)
    rng.shuffle(durations)
    first_day = {int(rng.integers(2 * k, 2 * k + 2)) for k in range(4)}  # one per traffic pair
    plan: list[dict[str, Any]] = []
    for i in range(n):  # i: services in ascending traffic; bigger rises on smaller ones
        pair = [
            {"factor": float(factors[n - 1 - i]), "duration": float(durations[2 * i])},
            {"factor": float(factors[2 * n - 1 - i]), "duration": float(durations[2 * i + 1])},
        ]
        rng.shuffle(pair)
        taken: list[tuple[int, int]] = []
        for k, item in enumerate(pair):
            dur = int(round(item["duration"]))
            tau = float(np.clip(dur / 6, 5, 30))
            span = dur + int(4 * tau)
            early = i in first_day and k == 0
            lo, hi = (4 * 60, 20 * 60) if early else (1440, DAYS * 1440 - span - 60)
            for _ in range(10_000):
                onset = int(rng.integers(lo, hi))
                if all(onset > b + 360 or onset + span + 360 < a for a, b in taken):
                    break
            else:  # pragma: no cover - the week is long enough
                raise RuntimeError("could not place an outage")
            taken.append((onset, onset + span))
            plan.append(
                {
                    "service_index": i,
                    "onset_min": onset,
                    "resolved_min": onset + dur,
                    "tail_end_min": onset + span,
                    "factor": round(item["factor"], 2),
                    "duration_min": dur,
                    "ramp_min": int(rng.integers(2, 9)),
                    "tail_tau_min": round(tau, 1),
                    "first_day": early,
                }
            )
    return plan


def service_name(level: int) -> str:
    return f"svc{level:03d}"


def build_export(
    seed: int, folder: Path, rise_of: str = "outage"
) -> tuple[Path, Path, dict[str, Any]]:
    """Write ``replay.csv`` and ``replay.truth.json`` into *folder*; return them + facts."""
    rng = np.random.default_rng(seed)
    profile = hour_profile()
    outage_pool, rest_pool = text_pools()
    minutes = np.arange(DAYS * 1440)
    rhythm = profile[minutes % 1440]
    plan = plan_outages(rng)
    rows: list[pd.DataFrame] = []
    services = []
    for i, level in enumerate(LEVELS):
        name = service_name(level)
        share = float(rng.uniform(0.05, 0.10))
        services.append({"service": name, "posts_per_hour": level, "outage_share": share})
        per_min = rng.poisson(level / 60 * rhythm)
        n = int(per_min.sum())
        is_outage = rng.random(n) < share
        extra_rate = np.zeros(len(minutes))
        for item in (p for p in plan if p["service_index"] == i):
            usual = share * level if rise_of == "outage" else level  # per hour
            peak = (item["factor"] - 1) * usual / 60
            item["usual_outage_posts_per_hour"] = round(share * level, 2)
            extra_rate += peak * outage_shape(
                minutes,
                item["onset_min"],
                item["resolved_min"],
                item["ramp_min"],
                item["tail_tau_min"],
            )
            item["service"] = name
        extra = rng.poisson(extra_rate)
        minute_of = np.concatenate([np.repeat(minutes, per_min), np.repeat(minutes, extra)])
        outage_flag = np.concatenate([is_outage, np.ones(int(extra.sum()), dtype=bool)])
        injected = np.concatenate([np.zeros(n, dtype=bool), np.ones(int(extra.sum()), dtype=bool)])
        texts = np.empty(len(minute_of), dtype=object)
        texts[outage_flag] = Cycler(outage_pool, rng).take(int(outage_flag.sum()))
        texts[~outage_flag] = Cycler(rest_pool, rng).take(int((~outage_flag).sum()))
        n_authors = max(50, len(minute_of) // 3)
        authors = rng.integers(0, n_authors, len(minute_of))
        rows.append(
            pd.DataFrame(
                {
                    "second": minute_of * 60 + rng.integers(0, 60, len(minute_of)),
                    "author_id": [f"u{i}-{a}" for a in authors],
                    "text": [f"@{name} {t}" for t in texts],
                    "service": name,
                    "label": np.where(outage_flag, "outage", "rest"),
                    "injected": injected,
                }
            )
        )
    bursts = plan_bursts(rng, plan, outage_pool)
    for k, burst in enumerate(bursts):
        level = LEVELS[burst["service_index"]]
        name = burst["service"] = service_name(level)
        t, end = burst["start_min"] * 60, burst["end_min"] * 60
        seconds, said = [], set()
        cycle = burst.pop("texts")
        j = 0
        while t < end:
            text = cycle[j % len(cycle)]
            if (text, t // 60) not in said:  # never the same text twice in a minute
                said.add((text, t // 60))
                seconds.append((t, text))
            j += 1
            t += int(rng.integers(20, 61))
        burst["posts"] = len(seconds)
        rows.append(
            pd.DataFrame(
                {
                    "second": [s for s, _ in seconds],
                    "author_id": f"burst-{k}",
                    "text": [f"@{name} {x}" for _, x in seconds],
                    "service": name,
                    "label": "outage",
                    "injected": False,
                }
            )
        )
    posts = pd.concat(rows, ignore_index=True)
    posts["minute"] = posts["second"] // 60
    posts = posts.drop_duplicates(["author_id", "text", "minute"])  # never by chance
    posts = posts.sort_values(["second", "service"], kind="stable").reset_index(drop=True)
    posts["id"] = [f"r{seed}-{k:07d}" for k in range(len(posts))]
    created = START + pd.to_timedelta(posts["second"], unit="s")
    posts["created_at"] = created.dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    folder.mkdir(parents=True, exist_ok=True)
    export = folder / "replay.csv"
    posts[["id", "created_at", "author_id", "text", "service"]].to_csv(export, index=False)

    def iso(minute: float) -> str:
        return (START + pd.Timedelta(minutes=float(minute))).strftime("%Y-%m-%dT%H:%M:%SZ")

    for p in plan:
        own = posts[(posts["service"] == p["service"]) & posts["injected"]]
        since = own["minute"] - p["onset_min"]
        since = since[(since >= 0) & (own["minute"] < p["tail_end_min"])]
        p["injected_posts"] = len(since)
        p["injected_first_15min"] = int((since < 15).sum())
    truth = {
        "rise_of": rise_of,
        "outages": [
            {
                "service": p["service"],
                "onset": iso(p["onset_min"]),
                "resolved": iso(p["resolved_min"]),
                "tail_end": iso(p["tail_end_min"]),
                **{k: p[k] for k in _OUTAGE_FACTS},
            }
            for p in sorted(plan, key=lambda p: p["onset_min"])
        ],
        "bursts": [
            {
                "service": b["service"],
                "start": iso(b["start_min"]),
                "end": iso(b["end_min"]),
                "posts": b["posts"],
            }
            for b in bursts
        ],
    }
    truth_path = folder / "replay.truth.json"
    truth_path.write_text(json.dumps(truth, indent=2) + "\n")
    key = posts["text"].str.lower()
    first_author = posts.groupby(key)["author_id"].transform("first")
    repeated = first_author != posts["author_id"]
    facts = {
        "posts": len(posts),
        "outage_labelled_posts": int((posts["label"] == "outage").sum()),
        "injected_outage_posts": int(posts["injected"].sum()),
        "trap_posts": int(posts["author_id"].str.startswith("burst-").sum()),
        "repeated_text_other_author_share": round(float(repeated.mean()), 4),
        "repeated_text_other_author_share_outage": round(
            float(repeated[posts["label"] == "outage"].mean()), 4
        ),
        "services": services,
        "outages": truth["outages"],
        "bursts": truth["bursts"],
    }
    return export, truth_path, facts


_OUTAGE_FACTS = (
    "factor",
    "duration_min",
    "ramp_min",
    "first_day",
    "usual_outage_posts_per_hour",
    "injected_posts",
    "injected_first_15min",
)


def plan_bursts(
    rng: np.random.Generator, plan: list[dict[str, Any]], outage_pool: np.ndarray
) -> list[dict[str, Any]]:
    """One author repeating 2-4 outage texts for 5-15 min, away from real outages."""
    bursts: list[dict[str, Any]] = []
    for i in rng.choice(len(LEVELS), N_BURSTS, replace=False):
        busy = [(p["onset_min"], p["tail_end_min"]) for p in plan if p["service_index"] == i]
        for _ in range(10_000):
            start = int(rng.integers(1440, DAYS * 1440 - 60))
            if all(start > b + 180 or start + 15 + 180 < a for a, b in busy):
                break
        length = int(rng.integers(5, 16))
        texts = list(rng.choice(outage_pool, int(rng.integers(2, 5)), replace=False))
        bursts.append(
            {
                "service_index": int(i),
                "start_min": start,
                "end_min": start + length,
                "texts": texts,
            }
        )
    return bursts


# --------------------------------------------------------------------------- engines


def run_score(
    checkout: Path, export: Path, out: Path, bucket: str, timeout: float
) -> dict[str, Any]:
    """``python -m detector score`` with *checkout*'s package; never raises."""
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    cmd = [sys.executable, "-m", "detector", "score", str(export), "--out", str(out)]
    cmd += ["--service-col", "service", "--bucket", bucket]
    start = time.perf_counter()
    try:
        proc = subprocess.run(
            cmd, cwd=checkout, env=env, capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return {"ok": False, "error": f"timed out after {timeout:.0f} s"}
    seconds = round(time.perf_counter() - start, 1)
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
        return {"ok": False, "exit": proc.returncode, "seconds": seconds, "error": "\n".join(tail)}
    try:
        raw = json.loads((out / "incidents.json").read_text())
    except (OSError, ValueError) as exc:
        return {"ok": False, "seconds": seconds, "error": f"incidents.json: {exc}"}
    incidents = raw.get("incidents", []) if isinstance(raw, dict) else raw
    summary: dict[str, Any] = {}
    with contextlib.suppress(OSError, ValueError):
        summary = json.loads((out / "summary.json").read_text())
    return {"ok": True, "seconds": seconds, "summary": summary, "incidents": incidents}


def package_file(checkout: Path) -> str:
    """Which ``detector/__init__.py`` a run in *checkout* imports."""
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    code = "import detector; print(detector.__file__)"
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=checkout, env=env, capture_output=True, text=True
    )
    return proc.stdout.strip() if proc.returncode == 0 else f"import failed: {proc.stderr[-300:]}"


# --------------------------------------------------------------------------- scoring


def _time(value: Any) -> pd.Timestamp | None:
    if value in (None, ""):
        return None
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError):
        return None
    if pd.isna(stamp):
        return None
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def _stats(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"median": None, "p90": None}
    return {
        "median": round(float(np.median(values)), 1),
        "p90": round(float(np.percentile(values, 90)), 1),
    }


def evaluate(incidents: list[dict[str, Any]], truth: dict[str, Any]) -> dict[str, Any]:
    """Detections, delays, onset errors and false alarms of one run against *truth*."""
    first_day_end = START + pd.Timedelta(days=1)
    outages = [
        {
            **o,
            "t_onset": _time(o["onset"]),
            "t_resolved": _time(o["resolved"]),
            "t_tail": _time(o["tail_end"]),
        }
        for o in truth["outages"]
    ]
    bursts = [
        {**b, "t_start": _time(b["start"]), "t_end": _time(b["end"])} for b in truth["bursts"]
    ]
    items = []
    for inc in incidents:
        detected = _time(inc.get("detected_at")) or _time(inc.get("started_at"))
        items.append(
            {
                "service": str(inc.get("service")),
                "detected": detected,
                "started": _time(inc.get("started_at")),
                "role": "false_alarm",
            }
        )
    per_outage = []
    for o in outages:
        hits = [
            it
            for it in items
            if it["service"] == o["service"]
            and it["detected"] is not None
            and o["t_onset"] - MATCH_BEFORE <= it["detected"] <= o["t_resolved"]
        ]
        for it in hits:
            it["role"] = "detection" if it is min(hits, key=lambda x: x["detected"]) else "repeat"
        for it in items:
            if (
                it["role"] == "false_alarm"
                and it["service"] == o["service"]
                and it["detected"] is not None
                and o["t_resolved"] < it["detected"] <= o["t_tail"]
            ):
                it["role"] = "late"
        row: dict[str, Any] = {
            "service": o["service"],
            "onset": o["onset"],
            **{k: o[k] for k in _OUTAGE_FACTS if k != "ramp_min"},
            "detected": bool(hits),
        }
        if hits:
            first = min(hits, key=lambda x: x["detected"])
            row["delay_min"] = round((first["detected"] - o["t_onset"]).total_seconds() / 60, 1)
            if first["started"] is not None:
                err = (first["started"] - o["t_onset"]).total_seconds() / 60
                row["onset_error_min"] = round(err, 1)
        per_outage.append(row)
    for it in items:
        it["on_trap"] = it["role"] == "false_alarm" and any(
            it["service"] == b["service"]
            and it["detected"] is not None
            and b["t_start"] <= it["detected"] <= b["t_end"] + pd.Timedelta(hours=1)
            for b in bursts
        )

    def summarise(rows: list[dict[str, Any]], alarms: list[dict[str, Any]], weeks: float):
        hit = [r for r in rows if r["detected"]]
        delays = [r["delay_min"] for r in hit]
        onset = [abs(r["onset_error_min"]) for r in hit if "onset_error_min" in r]
        fa = [a for a in alarms if a["role"] == "false_alarm"]
        return {
            "outages": len(rows),
            "detected": len(hit),
            "detection_rate": round(len(hit) / len(rows), 3) if rows else None,
            "delay_min": _stats(delays),
            "onset_abs_error_min": _stats(onset),
            "false_alarms": len(fa),
            "false_alarms_on_traps": sum(a["on_trap"] for a in fa),
            "false_alarms_per_service_week": round(len(fa) / (len(LEVELS) * weeks), 2),
            "late_alarms": sum(a["role"] == "late" for a in alarms),
            "repeat_alarms": sum(a["role"] == "repeat" for a in alarms),
        }

    result = summarise(per_outage, items, DAYS / 7)
    result["incidents"] = len(items)
    day1 = [it for it in items if it["detected"] is not None and it["detected"] < first_day_end]
    result["first_day"] = summarise([r for r in per_outage if r["first_day"]], day1, 1 / 7)
    result["targets_met"] = {
        "detection_rate": (result["detection_rate"] or 0) >= TARGETS["detection_rate"],
        "median_delay_min": result["delay_min"]["median"] is not None
        and result["delay_min"]["median"] <= TARGETS["median_delay_min"],
        "false_alarms_per_service_week": result["false_alarms_per_service_week"]
        <= TARGETS["false_alarms_per_service_week"],
    }
    result["per_outage"] = per_outage
    result["false_alarm_times"] = [
        {"service": it["service"], "detected_at": str(it["detected"]), "on_trap": it["on_trap"]}
        for it in items
        if it["role"] == "false_alarm"
    ]
    return result


# --------------------------------------------------------------------------- main


def _fmt(value: Any) -> str:
    return "-" if value is None else str(value)


def print_table(runs: list[dict[str, Any]]) -> None:
    head = (
        f"{'engine':<27}{'bucket':>7}{'detected':>10}{'median':>8}{'p90':>7}{'onset|e|':>9}"
        f"{'FA/svc-wk':>10}{'traps':>6}{'late':>5}{'day1 det':>9}{'day1 FA':>8}{'sec':>7}"
    )
    print(head)
    print("-" * len(head))
    for run in runs:
        name = f"{run['engine']} ({run['ref']})"[:26]
        if not run["ok"]:
            print(f"{name:<27}{run['bucket']:>7}  FAILED: {run['error'].splitlines()[-1][:80]}")
            continue
        r, d1 = run["result"], run["result"]["first_day"]
        print(
            f"{name:<27}{run['bucket']:>7}{r['detected']:>5}/{r['outages']:<4}"
            f"{_fmt(r['delay_min']['median']):>8}{_fmt(r['delay_min']['p90']):>7}"
            f"{_fmt(r['onset_abs_error_min']['median']):>9}"
            f"{r['false_alarms_per_service_week']:>10}{r['false_alarms_on_traps']:>6}"
            f"{r['late_alarms']:>5}{d1['detected']:>5}/{d1['outages']:<3}{d1['false_alarms']:>8}"
            f"{run['seconds']:>7}"
        )


def git(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--baseline-ref", default=DEFAULT_REF, help="'' to skip the baseline")
    parser.add_argument("--buckets", default="1min,5min,15min", help="comma-separated widths")
    parser.add_argument("--baseline-buckets", default=None, help="default: same as --buckets")
    parser.add_argument("--skip-current", action="store_true", help="measure the baseline only")
    parser.add_argument(
        "--rise-of",
        default="outage,all",
        help="comma-separated: 'outage' (an outage's 3x-20x multiplies the service's usual"
        " outage posts) and/or 'all' (its usual volume of all posts, as the simulator's"
        " scenarios do); one export each",
    )
    parser.add_argument("--keep", type=Path, help="write the exports and run outputs here")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per score run")
    parser.add_argument("--no-write", action="store_true", help="do not write results/replay.json")
    args = parser.parse_args(argv)

    def widths(text: str) -> list[str]:
        return [b.strip() for b in text.split(",") if b.strip()]

    variants = widths(args.rise_of)
    if not set(variants) <= {"outage", "all"}:
        parser.error("--rise-of takes 'outage', 'all' or both")
    head = git("rev-parse", "--short", "HEAD").stdout.strip()
    dirty = bool(git("status", "--porcelain", "--", "detector").stdout.strip())
    runs: list[dict[str, Any]] = []
    exports: dict[str, Any] = {}
    imported: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="replay-") as tmp:
        work = args.keep or Path(tmp)
        engines: list[tuple[str, str, Path | None, list[str]]] = []
        if not args.skip_current:
            ref = f"{head}+changes" if dirty else head
            engines.append(("current", ref, REPO, widths(args.buckets)))
        worktree = None
        if args.baseline_ref:
            worktree = Path(tmp) / "baseline-worktree"
            added = git("worktree", "add", "--detach", str(worktree), args.baseline_ref)
            if added.returncode != 0:
                print(f"baseline worktree failed: {added.stderr.strip()}", file=sys.stderr)
                worktree = None
            base = widths(args.baseline_buckets or args.buckets)
            engines.append(("previous", args.baseline_ref, worktree, base))
        try:
            for engine, ref, checkout, _ in engines:
                if checkout is not None:
                    imported[engine] = package_file(checkout)
                    print(f"{engine} ({ref}) imports {imported[engine]}")
            for variant in variants:
                started = time.perf_counter()
                folder = work / f"export-{variant}"
                export, truth_path, facts = build_export(args.seed, folder, variant)
                truth = json.loads(truth_path.read_text())
                exports[variant] = {**facts, "truth": truth}
                print(
                    f"replay export (rise of {variant} posts): {facts['posts']:,} posts"
                    f" ({facts['injected_outage_posts']:,} injected outage posts,"
                    f" {facts['trap_posts']} trap posts) in"
                    f" {time.perf_counter() - started:.1f} s -> {export}"
                )
                for engine, ref, checkout, buckets in engines:
                    for bucket in buckets:
                        out = work / f"out-{variant}-{engine}-{bucket}"
                        if checkout is None:
                            run = {"ok": False, "error": "no checkout", "seconds": None}
                        else:
                            run = run_score(checkout, export, out, bucket, args.timeout)
                        record: dict[str, Any] = {
                            "rise_of": variant,
                            "engine": engine,
                            "ref": ref,
                            "bucket": bucket,
                        }
                        record.update({k: v for k, v in run.items() if k != "incidents"})
                        if run["ok"]:
                            record["result"] = evaluate(run["incidents"], truth)
                        runs.append(record)
                        status = "ok" if run["ok"] else f"FAILED ({run['error'].splitlines()[-1]})"
                        print(f"  {engine} {bucket}: {status} in {run.get('seconds')} s")
        finally:
            if worktree is not None:
                git("worktree", "remove", "--force", str(worktree))
                git("worktree", "prune")

    for variant in variants:
        what = "outage posts" if variant == "outage" else "volume of all posts"
        print(f"\nrise over the service's usual {what} (seed {args.seed}):")
        print_table([r for r in runs if r["rise_of"] == variant])
    print(
        "\ndelays and onset error in minutes (median, p90); FA = false alarms; traps = FA on"
        " one-author bursts; late = raised on an outage's tail after it was resolved"
    )
    if not args.no_write:
        payload = {
            "command": "python -m detector score EXPORT --out DIR --service-col service --bucket B",
            "seed": args.seed,
            "targets": TARGETS,
            "match_rule": "detected_at in [onset - 10 min, resolved]",
            "imported": imported,
            "exports": exports,
            "runs": runs,
        }
        path = write_result_quiet("replay", payload)
        print(f"\nwrote {path}")
    return 0


def write_result_quiet(name: str, payload: dict[str, Any]) -> Path:
    """``_common.write_result`` without echoing the (long) JSON to the terminal."""
    import io

    with contextlib.redirect_stdout(io.StringIO()):
        return write_result(name, payload)


if __name__ == "__main__":
    raise SystemExit(main())
