"""Ground truth beside a simulated export: ``<name>.truth.json``.

The document (``outages`` as in DESIGN.md, plus ``mitigated`` and ``rise`` per
outage, and where the data came from)::

    {"outages": [{"service", "onset", "vendor_ack", "resolved", "mitigated", "rise"}],
     "scenario": ..., "seed": ..., "start": ..., "end": ...}

Times are ISO 8601 UTC with a ``Z`` suffix.

>>> import pandas as pd
>>> iso(pd.Timestamp("2025-03-12 14:05", tz="UTC"))
'2025-03-12T14:05:00Z'
>>> doc = {"outages": [{"service": "Slack", "onset": "2025-03-12T14:05:00Z"}]}
>>> parse_truth(doc)["outages"][0]["onset"]
Timestamp('2025-03-12 14:05:00+0000', tz='UTC')
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from detector.errors import DataError, InputMissingError
from detector.simulate.plan import Plan

TIME_KEYS = ("onset", "vendor_ack", "mitigated", "resolved")


def iso(ts: pd.Timestamp) -> str:
    """*ts* as ISO 8601 in UTC with a ``Z`` suffix (seconds resolution)."""
    ts = pd.Timestamp(ts)
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    return ts.strftime("%Y-%m-%dT%H:%M:%SZ")


def truth_document(plan: Plan, seed: int) -> dict[str, Any]:
    """The truth of *plan* drawn with *seed*, ready for JSON."""
    outages = []
    for outage in plan.outages:
        entry: dict[str, Any] = {
            "service": outage["service"],
            "onset": iso(outage["onset"]),
            "vendor_ack": iso(outage["vendor_ack"]),
            "resolved": iso(outage["resolved"]),
        }
        if "mitigated" in outage:
            entry["mitigated"] = iso(outage["mitigated"])
        if "rise" in outage:
            entry["rise"] = outage["rise"]
        outages.append(entry)
    end = plan.start + pd.Timedelta(minutes=plan.minutes)
    return {
        "outages": outages,
        "scenario": plan.scenario,
        "seed": int(seed),
        "start": iso(plan.start),
        "end": iso(end),
    }


def write_truth(document: dict[str, Any], path: str | Path) -> Path:
    """Write *document* as pretty JSON (stable bytes) to *path*."""
    path = Path(path)
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def parse_truth(document: dict[str, Any]) -> dict[str, Any]:
    """A copy of a truth document with the outage times as UTC ``pd.Timestamp``."""
    out = dict(document)
    out["outages"] = [
        {k: (pd.Timestamp(v).tz_convert("UTC") if k in TIME_KEYS else v) for k, v in o.items()}
        for o in document.get("outages", [])
    ]
    return out


def read_truth(path: str | Path) -> dict[str, Any]:
    """Read a ``*.truth.json`` file; outage times come back as UTC ``pd.Timestamp``."""
    path = Path(path)
    if not path.is_file():
        raise InputMissingError(f"truth file {str(path)!r} does not exist or is not a file")
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        return parse_truth(document)
    except (ValueError, TypeError, AttributeError) as err:
        raise DataError(f"truth file {str(path)!r} is not a valid truth document: {err}") from err


__all__ = ["TIME_KEYS", "iso", "parse_truth", "read_truth", "truth_document", "write_truth"]
