"""Incidents: outage episodes built from alarms (when) and change points (since when).

An incident opens when a service's online alarm rises, is updated while it lasts and
is resolved when the volume returns to its baseline; its onset comes from the change
point, so ``started_at`` may lie before ``detected_at``.
"""

from detector.incidents.incident import FIELDS, Incident, iso

__all__ = ["FIELDS", "Incident", "iso"]
