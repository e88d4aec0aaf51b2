"""`outage-detector models` (placeholder until its capability lands)."""

from __future__ import annotations

import click


def register(cli: click.Group) -> None:
    """Add this module's command(s) to *cli*."""
