"""Save an incident engine's whole state and load it back exactly, without pickle.

The live API keeps each service's :class:`~detector.incidents.tracker.IncidentTracker`
in memory and rebuilds it at start. Replaying the stored counts rebuilds it only as far
back as the replay reaches, while the engine's baseline remembers weeks: a restart would
change later incidents. So the API stores a snapshot of each engine now and then, and a
restart loads it and replays only the buckets judged after it.

A snapshot is zlib-compressed JSON. Runs of floats or integers are packed as
little-endian 8-byte values (exact, and an eighth of their text size); timestamps,
tuples, deques and the engine's own objects are tagged. Loading builds nothing but
those values and the three classes listed in :data:`_CLASSES`, so a snapshot from an
untrusted file cannot run code. A snapshot records the fingerprint of a fresh engine
with the same settings: after an upgrade that changed the engine, :func:`load` refuses
the old snapshot (:class:`SnapshotError`) and the caller replays instead.

>>> t = IncidentTracker("Gmail")
>>> for minute in range(120):
...     _ = t.update(minute * 60, 1, 5)
>>> u = load(dump(t), IncidentTracker("Gmail"))
>>> t.update(7200, 40, 45).evidence == u.update(7200, 40, 45).evidence
True
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import struct
import zlib
from collections import deque
from dataclasses import fields
from typing import Any

import pandas as pd

from detector.incidents.incident import Incident
from detector.incidents.tracker import IncidentTracker
from detector.series.baseline import SeasonalBaseline

__all__ = ["SnapshotError", "dump", "fingerprint", "load"]

#: Objects a snapshot may hold besides plain values (their ``__dict__`` is stored).
_CLASSES: dict[str, type] = {
    "IncidentTracker": IncidentTracker,
    "SeasonalBaseline": SeasonalBaseline,
}
_PACKED = 8  # lists at least this long of one number type are packed


#: Largest snapshot unpacked (an engine at one-minute steps is about 0.3 MB).
MAX_BYTES = 64 << 20


def _same_kind(fresh: Any, loaded: Any) -> bool:
    """Whether *loaded* can stand where a fresh engine holds *fresh* (None: set later)."""
    if fresh is None or loaded is None:
        return True
    if isinstance(fresh, bool) or isinstance(loaded, bool):
        return type(fresh) is type(loaded)
    if isinstance(fresh, int | float) and isinstance(loaded, int | float):
        return True
    return type(fresh) is type(loaded)


class SnapshotError(ValueError):
    """A snapshot that cannot be loaded into this engine (damaged, or from another version)."""


def dump(tracker: IncidentTracker) -> bytes:
    """The state of *tracker* as compressed bytes (see :func:`load`).

    The engine must not be wired to a step callback (those are code, not state).
    """
    if tracker._on_step is not None:
        raise SnapshotError("an engine with a step callback cannot be saved")
    codec = _Codec()
    state = codec.encode(tracker)
    body = {"v": 1, "fingerprint": fingerprint(tracker), "incidents": codec.table, "state": state}
    return zlib.compress(json.dumps(body, separators=(",", ":")).encode(), 6)


def load(data: bytes, fresh: IncidentTracker) -> IncidentTracker:
    """Load a snapshot made by :func:`dump` for an engine configured as *fresh*.

    *fresh* is a new engine with the settings the caller uses now; it is returned
    holding the snapshot's state. Raises :class:`SnapshotError` when the bytes are
    damaged or the snapshot was made by an engine that starts differently (another
    version, other settings).
    """
    try:
        inflate = zlib.decompressobj()
        raw = inflate.decompress(data, MAX_BYTES)
        if inflate.unconsumed_tail:
            raise SnapshotError(f"larger than {MAX_BYTES} bytes unpacked: not an engine's state")
        body = json.loads(raw)
        if not isinstance(body, dict) or body.get("v") != 1:
            raise SnapshotError("not a snapshot of this format")
        if body.get("fingerprint") != fingerprint(fresh):
            raise SnapshotError("the snapshot was made by an engine with other settings")
        codec = _Codec()
        # one object per incident, shared as the engine shares it (open and in the list)
        codec.incidents = [
            Incident(**{k: codec.decode(v) for k, v in row.items()}) for row in body["incidents"]
        ]
        state = codec.decode(body["state"])
    except SnapshotError:
        raise
    except Exception as exc:  # anything a damaged file makes the decoder raise, even recursion
        raise SnapshotError(f"damaged snapshot ({type(exc).__name__}: {exc})"[:300]) from exc
    # (an engine sets a few attributes on its first steps: the snapshot may hold more)
    if type(state) is not IncidentTracker or not vars(fresh).keys() <= vars(state).keys():
        raise SnapshotError("the snapshot does not hold this engine's state")
    for name, value in vars(state).items():  # every attribute of the type a fresh one has
        if name in vars(fresh) and not _same_kind(getattr(fresh, name), value):
            raise SnapshotError(f"the snapshot's {name!r} is a {type(value).__name__}")
    if not vars(fresh._base).keys() <= vars(state._base).keys():
        raise SnapshotError("the snapshot does not hold this engine's baseline")
    vars(fresh).update(vars(state))
    return fresh


def fingerprint(tracker: IncidentTracker) -> str:
    """Hash of the settings *tracker* was built with: equal settings, equal hash.

    >>> fingerprint(IncidentTracker("a")) == fingerprint(IncidentTracker("a", threshold=9))
    False
    """
    config = {k: v for k, v in vars(tracker).items() if not k.startswith("_") or k in _CONFIG}
    config["_base"] = {k: getattr(tracker._base, k) for k in _BASE_CONFIG}
    text = json.dumps(_Codec().encode(config), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# Settings an engine fixes at construction (its public attributes are settings too; the
# rest of its dict is state).
_CONFIG = (
    "_s",
    "_peak_s",
    "_hold",
    "_warmup_s",
    "_lookback",
    "_max_gap_s",
    "_floor",
    "_windows",
    "_block",
    "_fine",
    "_hour",
    "_quiet_len",
    "_keep",
    "_env_decay",
    "_env_decay_late",
    "_env_lag",
)
_BASE_CONFIG = (
    "level_halflife",
    "season_halflife",
    "prior",
    "clip",
    "weekly",
    "freeze",
    "lag",
    "reanchor",
)


class _Codec:
    """Tagged JSON values; incidents go into one table and are referred to by number."""

    def __init__(self) -> None:
        self.table: list[dict[str, Any]] = []
        self.incidents: list[Incident] = []
        self._numbers: dict[int, int] = {}

    def encode(self, value: Any) -> Any:
        if value is None or isinstance(value, bool | str | int):
            return value
        if isinstance(value, float):
            return value if math.isfinite(value) else {"~f": repr(value)}
        if isinstance(value, list):
            return self._list(value)
        if isinstance(value, tuple):
            return {"~t": [self.encode(v) for v in value]}
        if isinstance(value, deque):
            return {"~q": self._list(list(value)), "max": value.maxlen}
        if isinstance(value, dict):
            return {"~m": [[self.encode(k), self.encode(v)] for k, v in value.items()]}
        if isinstance(value, pd.Timestamp):
            return {"~ts": value.value, "tz": None if value.tz is None else str(value.tz)}
        if isinstance(value, pd.Timedelta):
            return {"~td": value.value}
        if isinstance(value, Incident):
            number = self._numbers.get(id(value))
            if number is None:
                number = self._numbers[id(value)] = len(self.table)
                self.table.append(
                    {f.name: self.encode(getattr(value, f.name)) for f in fields(Incident)}
                )
            return {"~inc": number}
        name = type(value).__name__
        if _CLASSES.get(name) is type(value):
            return {"~o": name, "d": {k: self.encode(v) for k, v in vars(value).items()}}
        raise SnapshotError(f"cannot save a value of type {name}")

    def _list(self, values: list[Any]) -> Any:
        if len(values) >= _PACKED:
            if all(type(v) is float for v in values):
                return {"~d": _pack("<%dd", values)}
            if all(type(v) is int and -(2**63) <= v < 2**63 for v in values):
                return {"~i": _pack("<%dq", values)}
        return [self.encode(v) for v in values]

    def decode(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.decode(v) for v in value]
        if not isinstance(value, dict):
            return value
        if "~f" in value:
            return float(value["~f"])
        if "~d" in value:
            return _unpack("<%dd", value["~d"])
        if "~i" in value:
            return _unpack("<%dq", value["~i"])
        if "~t" in value:
            return tuple(self.decode(v) for v in value["~t"])
        if "~q" in value:
            return deque(self.decode(value["~q"]), value["max"])
        if "~m" in value:
            return {self.decode(k): self.decode(v) for k, v in value["~m"]}
        if "~ts" in value:
            return pd.Timestamp(value["~ts"], tz=value["tz"])
        if "~td" in value:
            return pd.Timedelta(value["~td"])
        if "~inc" in value:
            return self.incidents[value["~inc"]]
        if "~o" in value:
            cls = _CLASSES.get(value["~o"])
            if cls is None:
                raise SnapshotError(f"unknown object {value['~o']!r}")
            obj = object.__new__(cls)
            vars(obj).update({k: self.decode(v) for k, v in value["d"].items()})
            return obj
        raise SnapshotError(f"unknown value {sorted(value)!r}")


def _pack(fmt: str, values: list[Any]) -> str:
    return base64.b64encode(struct.pack(fmt % len(values), *values)).decode()


def _unpack(fmt: str, text: str) -> list[Any]:
    raw = base64.b64decode(text, validate=True)
    return list(struct.unpack(fmt % (len(raw) // 8), raw))
