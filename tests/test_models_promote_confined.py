"""`models promote` never points DEFAULT outside the registry (issue 13, item 6)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from detector.cli.main import main


@pytest.fixture()
def registry(tmp_path: Path, repo_root: Path) -> Path:
    """A registry inside a folder that itself looks like a model (holds a card.json)."""
    root = tmp_path / "outer" / "models"
    root.mkdir(parents=True)
    shutil.copytree(repo_root / "models" / "outage-v2", root / "outage-v2")
    shutil.copy(repo_root / "models" / "outage-v2" / "card.json", tmp_path / "outer" / "card.json")
    (root / "DEFAULT").write_text("outage-v2\n")
    return root


@pytest.mark.parametrize("name", ["..", "../models/outage-v2", "/tmp", "outage-v2/..", "./.."])
def test_promote_refuses_names_outside_the_registry(
    registry: Path, name: str, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.chdir(registry)
    with pytest.raises(SystemExit) as stop:
        main(["models", "--models-dir", ".", "promote", name, "--force"])
    assert stop.value.code == 64
    assert f"promote takes a model name under the registry. Got '{name}' instead." in (
        capsys.readouterr().err
    )
    assert (registry / "DEFAULT").read_text().strip() == "outage-v2"


def test_promote_refuses_a_link_that_leaves_the_registry(
    registry: Path, tmp_path: Path, capsys
) -> None:
    outside = tmp_path / "elsewhere"
    shutil.copytree(registry / "outage-v2", outside)
    (registry / "linked").symlink_to(outside, target_is_directory=True)
    with pytest.raises(SystemExit) as stop:
        main(["models", "--models-dir", str(registry), "promote", "linked", "--force"])
    assert stop.value.code == 64
    assert "'linked' is a link to" in capsys.readouterr().err
    assert (registry / "DEFAULT").read_text().strip() == "outage-v2"
