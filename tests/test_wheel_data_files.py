"""A regular (non-editable) install ships every model folder the checkout ships.

``pip install .`` copies ``data/`` and ``models/`` files through ``[tool.setuptools.data-files]``
in ``pyproject.toml`` (see :mod:`detector.paths`). When the default model became
``outage-v2`` the list still named only ``outage-v1``, so a wheel install had a
``DEFAULT`` naming a model it did not contain and every ``score`` failed with
"no default model". These tests read the same table setuptools reads.
"""

from __future__ import annotations

import fnmatch
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _data_files() -> dict[str, list[str]]:
    with open(ROOT / "pyproject.toml", "rb") as f:
        return tomllib.load(f)["tool"]["setuptools"]["data-files"]


def _installed(path: Path) -> str | None:
    """Where *path* (relative to the checkout) lands under ``<prefix>``, or None."""
    rel = path.relative_to(ROOT).as_posix()
    for target, patterns in _data_files().items():
        if any(fnmatch.fnmatchcase(rel, pattern) for pattern in patterns):
            return f"{target}/{path.name}"
    return None


def _shipped_model_files() -> list[Path]:
    return sorted(p for p in (ROOT / "models").rglob("*") if p.is_file())


def test_every_shipped_model_file_is_installed_where_paths_looks() -> None:
    files = _shipped_model_files()
    assert files, "the checkout ships no model files"
    missing = [p.relative_to(ROOT).as_posix() for p in files if _installed(p) is None]
    assert missing == []
    for p in files:
        expected = "share/outage-detector/" + p.relative_to(ROOT).as_posix()
        assert _installed(p) == expected


def test_the_default_model_is_installed() -> None:
    default = (ROOT / "models" / "DEFAULT").read_text().strip()
    for name in ("card.json", "model.skops"):
        path = ROOT / "models" / default / name
        assert path.is_file(), path
        assert _installed(path) == f"share/outage-detector/models/{default}/{name}"


@pytest.mark.parametrize("name", ["services.json", "seed_posts.csv"])
def test_catalog_and_seed_posts_are_installed(name: str) -> None:
    assert _installed(ROOT / "data" / name) == f"share/outage-detector/data/{name}"
