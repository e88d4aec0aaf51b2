"""link(): incidents of services under a common provider that overlap in time."""

from __future__ import annotations

import pandas as pd

from detector.incidents.incident import Incident
from detector.incidents.related import link, overlap
from detector.text.catalog import Catalog

T = pd.Timestamp("2026-01-05 10:00", tz="UTC")


def _inc(service: str, start_min: int, end_min: int | None) -> Incident:
    end = None if end_min is None else T + pd.Timedelta(minutes=end_min)
    return Incident(
        service,
        T + pd.Timedelta(minutes=start_min),
        T,
        resolved_at=end,
        status="open" if end is None else "resolved",
    )


def test_links_overlapping_services_with_a_common_provider() -> None:
    catalog = Catalog.load()
    incs = [
        _inc("Outlook", 0, 60),
        _inc("Microsoft Teams", 30, None),  # open: lasts to the end
        _inc("Gmail", 10, 50),  # overlaps, but no common provider with Microsoft
        _inc("Outlook", 200, 260),  # same service, later
        _inc("Microsoft Teams", 300, 320),  # no overlap with any Outlook incident
    ]
    link(incs, catalog)
    assert [i.related for i in incs] == [
        ["Microsoft Teams"],
        ["Outlook"],
        [],
        ["Microsoft Teams"],  # the open Teams incident still runs
        [],
    ]


def test_unknown_services_are_not_linked_and_no_duplicates() -> None:
    catalog = Catalog.load()
    incs = [
        _inc("Outlook", 0, 60),
        _inc("My Intranet", 0, 60),
        _inc("Microsoft Teams", 0, 60),
        _inc("Microsoft Teams", 10, 70),
    ]
    link(incs, catalog)
    assert incs[0].related == ["Microsoft Teams"]
    assert incs[1].related == []


def test_overlap_is_half_open() -> None:
    assert not overlap(_inc("A", 0, 10), _inc("B", 10, 20))
    assert overlap(_inc("A", 0, 11), _inc("B", 10, 20))
