"""Link incidents of services that fail together under a common upstream provider.

Two incidents are related when they belong to different services, overlap in time
(an open incident lasts until the end of the data) and the services share an
upstream provider in the catalog (a service counts as its own provider, so Outlook
and Microsoft 365 are linked, and so are Outlook and Microsoft Teams via Microsoft
365). Each incident's ``related`` lists the other services, sorted, once each.

>>> import pandas as pd
>>> from detector.incidents.incident import Incident
>>> class Chains:  # the part of detector.text.catalog.Catalog that link() uses
...     up = {"Outlook": ["Microsoft 365", "Azure"], "Teams": ["Microsoft 365", "Azure"],
...           "Gmail": ["Google Cloud"]}
...     def common_provider(self, a, b):
...         ups = {b, *self.up[b]}
...         return next((p for p in (a, *self.up[a]) if p in ups), None)
>>> t = pd.Timestamp("2026-01-05 10:00", tz="UTC")
>>> incs = [Incident("Outlook", t, t), Incident("Teams", t + pd.Timedelta("20min"), t),
...         Incident("Gmail", t, t)]
>>> link(incs, Chains())
>>> [(i.service, i.related) for i in incs]
[('Outlook', ['Teams']), ('Teams', ['Outlook']), ('Gmail', [])]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import pandas as pd

from detector.incidents.incident import Incident

_FOREVER = pd.Timestamp.max.tz_localize("UTC")


class ProviderLookup(Protocol):
    """What :func:`link` needs from a catalog."""

    def common_provider(self, a: str, b: str) -> str | None: ...


def _utc(ts: Any) -> pd.Timestamp:
    ts = pd.Timestamp(ts)
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def _span(inc: Incident) -> tuple[pd.Timestamp, pd.Timestamp]:
    end = _FOREVER if inc.resolved_at is None else _utc(inc.resolved_at)
    return _utc(inc.started_at), end


def overlap(a: Incident, b: Incident) -> bool:
    """True when the two incidents' ``[started_at, resolved_at)`` intervals intersect."""
    (a0, a1), (b0, b1) = _span(a), _span(b)
    return a0 < b1 and b0 < a1


def _provider(catalog: ProviderLookup, a: str, b: str) -> str | None:
    try:
        return catalog.common_provider(a, b)
    except KeyError:  # a service the catalog does not know has no known provider
        return None


def link(incidents: Sequence[Incident], catalog: ProviderLookup) -> None:
    """Fill ``related`` of every incident in place (see the module docstring)."""
    related: list[set[str]] = [set(inc.related) for inc in incidents]
    cache: dict[tuple[str, str], str | None] = {}
    for i, a in enumerate(incidents):
        for j in range(i + 1, len(incidents)):
            b = incidents[j]
            if a.service == b.service or not overlap(a, b):
                continue
            key = (a.service, b.service)
            if key not in cache:
                cache[key] = _provider(catalog, a.service, b.service)
            if cache[key] is not None:
                related[i].add(b.service)
                related[j].add(a.service)
    for inc, names in zip(incidents, related, strict=True):
        inc.related = sorted(names)


__all__ = ["ProviderLookup", "link", "overlap"]
