"""Shared fixtures: where the real shared data lives, and a skip when it is absent."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("OUTAGE_SHARED_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Path of ``../shared/data``; skips the test with a clear reason when it is absent."""
    if not (SHARED_DATA / "README.md").is_file():
        pytest.skip(
            f"real shared data not found at {SHARED_DATA} "
            "(set OUTAGE_SHARED_DATA to its path to run this test)"
        )
    return SHARED_DATA


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """Root of the project checkout."""
    return REPO
