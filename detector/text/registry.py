"""The model registry: ``models/<name>/`` directories and which one is the default.

Layout (the root is ``models/`` of the checkout, or ``$OUTAGE_DETECTOR_MODELS``)::

    models/
      DEFAULT            one line: the name of the default model
      outage-v1/         model.skops + card.json (see :mod:`.modelstore`)
      my-retrained/      ...

Without a ``DEFAULT`` file the model named ``default`` is the default. Promoting a
model (``outage-detector models promote NAME``) rewrites ``DEFAULT``; no model
files are copied or moved, so a promotion is undone by promoting the old name.

A model reference (``--model``) is a name under the root or a directory path.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from detector.errors import InputMissingError, ModelError, UsageError
from detector.paths import project_path

__all__ = [
    "DEFAULT_FILE",
    "ModelInfo",
    "default_name",
    "list_models",
    "models_root",
    "resolve_model_dir",
    "set_default",
]

DEFAULT_FILE = "DEFAULT"
_FALLBACK_DEFAULT = "default"


def models_root(root: str | Path | None = None) -> Path:
    """The registry directory: *root*, else ``$OUTAGE_DETECTOR_MODELS``, else ``models/``.

    >>> models_root("/tmp/m")
    PosixPath('/tmp/m')
    """
    if root is not None:
        return Path(root)
    env = os.environ.get("OUTAGE_DETECTOR_MODELS")
    if env:
        return Path(env)
    return project_path("models")


def default_name(root: str | Path | None = None) -> str:
    """Name of the default model (``DEFAULT`` file, else ``"default"``)."""
    marker = models_root(root) / DEFAULT_FILE
    if marker.is_file():
        name = marker.read_text().strip()
        if name:
            return name
    return _FALLBACK_DEFAULT


def set_default(name: str, root: str | Path | None = None) -> None:
    """Make the registered model *name* the default."""
    base = models_root(root)
    if not (base / name / "card.json").is_file():
        raise InputMissingError(
            f"no model named '{name}' under {base} (available: {_available_text(base)})"
        )
    tmp = base / (DEFAULT_FILE + ".tmp")
    tmp.write_text(name + "\n")
    tmp.replace(base / DEFAULT_FILE)


@dataclass(frozen=True)
class ModelInfo:
    """One registered model, as ``models list`` shows it."""

    name: str
    path: Path
    created: str | None
    cv_f1: float | None
    is_default: bool

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return {
            "name": self.name,
            "created": self.created,
            "cv_f1": self.cv_f1,
            "default": self.is_default,
            "path": str(self.path),
        }


def list_models(root: str | Path | None = None) -> list[ModelInfo]:
    """Every model directory under the root (those with a ``card.json``), by name."""
    from detector.text.modelstore import read_card

    base = models_root(root)
    if not base.is_dir():
        return []
    default = default_name(base)
    found = []
    for path in sorted(p for p in base.iterdir() if (p / "card.json").is_file()):
        try:
            card = read_card(path)
        except ModelError:
            card = {}
        cv = card.get("cv") or {}
        f1 = cv.get("f1")
        found.append(
            ModelInfo(
                name=path.name,
                path=path,
                created=card.get("created"),
                cv_f1=float(f1) if isinstance(f1, int | float) else None,
                is_default=path.name == default,
            )
        )
    return found


def _available_text(base: Path) -> str:
    names = [m.name for m in list_models(base)]
    return ", ".join(names) if names else "none"


def resolve_model_dir(
    ref: str | Path | None = None, *, root: str | Path | None = None
) -> tuple[Path, str]:
    """Directory and name of a model reference (None = default, a name, or a path)."""
    base = models_root(root)
    if ref is None or str(ref) == "":
        name = default_name(base)
        directory = base / name
        if (directory / "card.json").is_file():
            return directory, name
        raise InputMissingError(
            f"no default model: looked for '{directory}' (models available under {base}: "
            f"{_available_text(base)}); train one with 'outage-detector train' or promote one"
        )
    text = str(ref)
    if "/" not in text and "\\" not in text and text not in (".", ".."):
        directory = base / text
        if (directory / "card.json").is_file():
            return directory, text
    path = Path(text).expanduser()
    if (path / "card.json").is_file():
        return path, path.resolve().name
    if path.is_file():
        raise UsageError(
            f"--model must be a model name or a model directory. Got the file '{text}' instead "
            f"(pass the directory that holds card.json)."
        )
    raise InputMissingError(
        f"no model '{text}': neither {base / text} nor the path '{text}' holds a card.json "
        f"(models available under {base}: {_available_text(base)})"
    )
