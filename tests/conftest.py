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


@pytest.fixture()
def user_registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty user registry first on the model search path (``$OUTAGE_DETECTOR_MODELS``;
    the shipped models after it), with ``$HOME`` and ``$XDG_DATA_HOME`` under *tmp_path*
    so that nothing is written outside it."""
    root = tmp_path / "reg"
    root.mkdir()
    monkeypatch.setenv("OUTAGE_DETECTOR_MODELS", str(root))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    return root
