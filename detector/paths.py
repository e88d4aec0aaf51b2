"""Where the project's shipped files live: the service catalog, samples, models.

In a source checkout (and an editable install) they are the repository's own
``data/`` and ``models/`` folders; a regular wheel install puts copies under
``<prefix>/share/outage-detector/``.

>>> project_path("data", "services.json").name
'services.json'
"""

from __future__ import annotations

import sys
from pathlib import Path

_CHECKOUT = Path(__file__).resolve().parents[1]
_INSTALLED = Path(sys.prefix) / "share" / "outage-detector"


def project_root() -> Path:
    """The folder that holds ``data/`` and ``models/`` (checkout first, then install)."""
    if (_CHECKOUT / "data").is_dir():
        return _CHECKOUT
    return _INSTALLED


def project_path(*parts: str) -> Path:
    """Path of a shipped file, e.g. ``project_path("data", "samples", "quiet-day.csv")``."""
    return project_root().joinpath(*parts)


SAMPLES = ("exchange-outage", "quiet-day")
