"""Saving an incident engine and loading it back: exact, safe, refused when it does not fit."""

from __future__ import annotations

import json
import zlib

import numpy as np
import pandas as pd
import pytest

from detector.incidents.snapshot import SnapshotError, dump, fingerprint, load
from detector.incidents.tracker import IncidentTracker

START = 1_767_225_600  # 2026-01-01T00:00:00Z


def engine(**settings: object) -> IncidentTracker:
    return IncidentTracker("Gmail", step=pd.Timedelta(minutes=1), **settings)


def series(days: int = 4) -> np.ndarray:
    """Posts per minute with a 100-minute surge every 2,000 minutes."""
    minute = np.arange(days * 1440)
    surge = (minute % 2000 > 1500) & (minute % 2000 < 1600)
    return np.random.default_rng(1).poisson(np.where(surge, 25, 2))


def test_a_loaded_engine_judges_every_later_step_exactly_as_the_original() -> None:
    original, copy_ = engine(), None
    outcomes: list[bool] = []
    for i, x in enumerate(series()):
        if i and i % 997 == 0:  # saved and loaded again, inside and outside incidents
            copy_ = load(dump(original), engine())
        if i % 50 == 7:
            continue  # missing steps count as zeros
        at, total = START + 60 * i, int(x) + 3
        original.update(at, int(x), total)
        if copy_ is not None:
            copy_.update(at, int(x), total)
            outcomes.append(
                (original.status, original.expected, original.evidence, original.pop_events())
                == (copy_.status, copy_.expected, copy_.evidence, copy_.pop_events())
            )
    assert len(outcomes) > 4000 and all(outcomes)
    assert len(original.incidents) == 3 and original.incidents == copy_.incidents
    assert dump(original) == dump(copy_)


def test_the_open_incident_stays_the_one_in_the_list_after_loading() -> None:
    original = engine()
    for i, x in enumerate(series()[:1540]):  # stops inside the first surge
        original.update(START + 60 * i, int(x), int(x) + 3)
    assert original.open_incident is not None
    loaded = load(dump(original), engine())
    assert loaded.open_incident is loaded.incidents[-1]
    assert loaded.open_incident == original.open_incident


def test_a_snapshot_of_an_engine_with_other_settings_is_refused() -> None:
    state = dump(engine())
    with pytest.raises(SnapshotError, match="other settings"):
        load(state, engine(threshold=12.0))
    with pytest.raises(SnapshotError, match="other settings"):
        load(state, IncidentTracker("Gmail", step=pd.Timedelta(minutes=5)))
    assert fingerprint(engine()) == fingerprint(engine())


def test_damaged_or_foreign_snapshots_are_refused_without_running_anything() -> None:
    with pytest.raises(SnapshotError, match="damaged snapshot"):
        load(b"not a snapshot", engine())
    body = json.loads(zlib.decompress(dump(engine())))
    body["state"] = {"~o": "Popen", "d": {"args": ["touch", "/tmp/pwned"]}}
    with pytest.raises(SnapshotError, match="unknown object 'Popen'"):
        load(zlib.compress(json.dumps(body).encode()), engine())
    body["state"] = {"~eval": "1"}
    with pytest.raises(SnapshotError, match="unknown value"):
        load(zlib.compress(json.dumps(body).encode()), engine())
    body["state"] = [1, 2]
    with pytest.raises(SnapshotError, match="does not hold this engine's state"):
        load(zlib.compress(json.dumps(body).encode()), engine())


def test_an_engine_wired_to_a_callback_cannot_be_saved() -> None:
    wired = engine()
    wired._on_step = lambda t, x, total: None
    with pytest.raises(SnapshotError, match="step callback"):
        dump(wired)


def test_any_damage_is_a_snapshot_error_never_a_crash() -> None:
    deep = zlib.compress(b"[" * 100_000 + b"]" * 100_000)
    with pytest.raises(SnapshotError, match="damaged snapshot"):
        load(deep, engine())
    body = json.loads(zlib.decompress(dump(engine())))
    state = body["state"]
    state["d"]["_base"] = 5  # the right shape, a wrong type inside
    with pytest.raises(SnapshotError, match="'_base' is a int"):
        load(zlib.compress(json.dumps(body).encode()), engine())
    body["state"] = {"~o": "IncidentTracker", "d": [1]}
    with pytest.raises(SnapshotError, match="damaged snapshot"):
        load(zlib.compress(json.dumps(body).encode()), engine())
    bomb = zlib.compress(b" " * (65 << 20))  # 65 MB of spaces in 65 KB
    with pytest.raises(SnapshotError, match="larger than"):
        load(bomb, engine())
