"""The model registry: where models live, which one is the default, and their cards.

A model is a directory holding ``card.json`` and the model file it names (see
:mod:`.modelstore`). Models are looked up, by name, in an ordered search path that
is the same whatever folder a command runs from:

1. ``$OUTAGE_DETECTOR_MODELS`` when set (a folder of model directories);
2. the user's data folder, :func:`user_models_dir` (``$XDG_DATA_HOME`` or
   ``~/.local/share`` + ``outage-detector/models`` on Linux, the platform's
   equivalent elsewhere): where ``train --out NAME`` writes and ``models promote``
   records the default;
3. the shipped models (``models/`` of the checkout or of the installed package).

The first of these folders that exists and is writable for new models is the
*writable root* (:func:`writable_root`); the shipped models are never written.
Each root may hold a ``DEFAULT`` file naming the default model; the first root
with one wins, so a user's promotion overrides the shipped default without
touching it. Promoting rewrites ``DEFAULT``; no model files move, so a promotion is
undone by promoting the old name.

Passing ``root`` (``--models-dir``) pins the search path to that one folder.

This module reads cards but never loads model files, so :mod:`.modelstore` may
import it and not the other way round.

>>> search_path("/tmp/m")
[PosixPath('/tmp/m')]
>>> safe_model_file("model.skops")
'model.skops'
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from detector.errors import InputMissingError, ModelError, OutputError, UsageError
from detector.paths import project_path

__all__ = [
    "CARD_FILE",
    "DEFAULT_FILE",
    "MODEL_FILE",
    "ModelInfo",
    "default_name",
    "find_model",
    "is_name",
    "list_models",
    "models_root",
    "read_card",
    "resolve_model_dir",
    "safe_model_file",
    "search_path",
    "set_default",
    "shipped_root",
    "train_target",
    "user_models_dir",
    "writable_root",
]

DEFAULT_FILE = "DEFAULT"
MODEL_FILE = "model.skops"
CARD_FILE = "card.json"
_FALLBACK_DEFAULT = "default"
ENV_VAR = "OUTAGE_DETECTOR_MODELS"


# ---------------------------------------------------------------------------------------
# locations
# ---------------------------------------------------------------------------------------
def user_models_dir() -> Path:
    """The per-user models folder (it need not exist yet).

    >>> user_models_dir().parts[-2:]
    ('outage-detector', 'models')
    """
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        xdg = os.environ.get("XDG_DATA_HOME", "")
        base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".local" / "share"
    return base / "outage-detector" / "models"


def shipped_root() -> Path:
    """The models shipped with the package (checkout or installed copy)."""
    return project_path("models")


def search_path(root: str | Path | None = None) -> list[Path]:
    """Folders searched for models, in order (see the module docstring)."""
    if root is not None:
        return [Path(root)]
    roots: list[Path] = []
    env = os.environ.get(ENV_VAR)
    if env:
        roots.append(Path(env).expanduser())
    roots.extend([user_models_dir(), shipped_root()])
    unique: list[Path] = []
    for path in roots:
        if all(path.resolve() != seen.resolve() for seen in unique):
            unique.append(path)
    return unique


def writable_root(root: str | Path | None = None) -> Path:
    """Where new models and the ``DEFAULT`` marker are written: *root*, else the env
    folder, else the user's models folder (never the shipped models)."""
    if root is not None:
        return Path(root)
    env = os.environ.get(ENV_VAR)
    return Path(env).expanduser() if env else user_models_dir()


def models_root(root: str | Path | None = None) -> Path:
    """The first folder of the search path (kept for callers that show one folder).

    >>> models_root("/tmp/m")
    PosixPath('/tmp/m')
    """
    return search_path(root)[0]


def is_name(ref: str) -> bool:
    """True when *ref* is a bare model name rather than a path.

    >>> is_name("outage-v1"), is_name("models/x"), is_name(".."), is_name("")
    (True, False, False, False)
    """
    return bool(ref) and "/" not in ref and "\\" not in ref and ref not in (".", "..")


# ---------------------------------------------------------------------------------------
# cards
# ---------------------------------------------------------------------------------------
def safe_model_file(value: Any) -> str:
    """The card's ``model_file`` if it names a file directly inside the model folder.

    Absolute paths, ``..`` and sub-folders are refused (ModelError): a card must not
    make the loader read a file outside its own directory.

    >>> safe_model_file("../../etc/passwd")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    detector.errors.ModelError: the card's model_file '../../etc/passwd' is not a file name ...
    """
    text = MODEL_FILE if value is None else str(value)
    if (
        not text
        or text in (".", "..")
        or "/" in text
        or "\\" in text
        or "\x00" in text
        or Path(text).is_absolute()
        or Path(text).name != text
    ):
        raise ModelError(
            f"the card's model_file {text!r} is not a file name inside the model directory "
            "(absolute paths, '..' and sub-folders are refused)"
        )
    return text


def read_card(directory: str | Path) -> dict[str, Any]:
    """The parsed ``card.json`` of a model directory (ModelError when absent or broken)."""
    path = Path(directory) / CARD_FILE
    if not path.is_file():
        raise ModelError(f"model directory '{directory}' has no {CARD_FILE}")
    try:
        card = json.loads(path.read_text())
    except (OSError, ValueError) as err:
        raise ModelError(f"cannot read model card '{path}': {err}") from err
    if not isinstance(card, dict):
        raise ModelError(f"model card '{path}' is not a JSON object")
    return card


# ---------------------------------------------------------------------------------------
# names and the default
# ---------------------------------------------------------------------------------------
def find_model(name: str, root: str | Path | None = None) -> Path | None:
    """Directory of the model called *name* in the first root that has it, else None."""
    if not is_name(name):
        return None
    for base in search_path(root):
        if (base / name / CARD_FILE).is_file():
            return base / name
    return None


def default_name(root: str | Path | None = None) -> str:
    """Name of the default model: the first ``DEFAULT`` file of the search path whose
    model exists (else ``"default"``)."""
    first = None
    for base in search_path(root):
        marker = base / DEFAULT_FILE
        if marker.is_file():
            name = marker.read_text().strip()
            if name:
                if find_model(name, root) is not None:
                    return name
                first = first or name
    return first or _FALLBACK_DEFAULT


def set_default(name: str, root: str | Path | None = None) -> None:
    """Make the model *name* (anywhere on the search path) the default.

    The ``DEFAULT`` marker is written into :func:`writable_root`.
    """
    if find_model(name, root) is None:
        raise InputMissingError(
            f"no model named '{name}' under {_roots_text(root)} (available: "
            f"{_available_text(root)})"
        )
    base = writable_root(root)
    base.mkdir(parents=True, exist_ok=True)
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
    cv_pr_auc: float | None = None
    #: True when the card's CV held out whole groups (sources): comparable figures of
    #: unseen sources; False for random folds, which also score posts like the
    #: training ones (self-written seed posts, the same sources) and read higher; None
    #: when the card has no CV.
    cv_grouped: bool | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return {
            "name": self.name,
            "created": self.created,
            "cv_f1": self.cv_f1,
            "cv_pr_auc": self.cv_pr_auc,
            "cv_grouped": self.cv_grouped,
            "default": self.is_default,
            "path": str(self.path),
        }


def list_models(root: str | Path | None = None) -> list[ModelInfo]:
    """Every model on the search path (a name hidden by an earlier root is skipped), by name."""
    default = default_name(root)
    found: dict[str, ModelInfo] = {}
    for base in search_path(root):
        if not base.is_dir():
            continue
        for path in sorted(p for p in base.iterdir() if (p / CARD_FILE).is_file()):
            if path.name in found:
                continue
            try:
                card = read_card(path)
            except ModelError:
                card = {}
            cv = card.get("cv") or {}
            found[path.name] = ModelInfo(
                name=path.name,
                path=path,
                created=card.get("created"),
                cv_f1=_number(cv.get("f1")),
                is_default=path.name == default,
                cv_pr_auc=_number(cv.get("pr_auc")),
                cv_grouped=(cv.get("grouped") is True) if cv else None,
            )
    return [found[name] for name in sorted(found)]


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def _available_text(root: str | Path | None) -> str:
    names = [m.name for m in list_models(root)]
    return ", ".join(names) if names else "none"


def _roots_text(root: str | Path | None) -> str:
    return ", ".join(str(p) for p in search_path(root))


def resolve_model_dir(
    ref: str | Path | None = None, *, root: str | Path | None = None
) -> tuple[Path, str]:
    """Directory and name of a model reference (None = default, a name, or a path)."""
    if ref is None or str(ref) == "":
        name = default_name(root)
        directory = find_model(name, root)
        if directory is not None:
            return directory, name
        raise InputMissingError(
            f"no default model: looked for '{name}' (models available under {_roots_text(root)}: "
            f"{_available_text(root)}); train one with 'outage-detector train' or promote one"
        )
    text = str(ref)
    directory = find_model(text, root)
    if directory is not None:
        return directory, text
    path = Path(text).expanduser()
    if (path / CARD_FILE).is_file():
        return path, path.resolve().name
    if path.is_file():
        raise UsageError(
            f"--model must be a model name or a model directory. Got the file '{text}' instead "
            f"(pass the directory that holds card.json)."
        )
    raise InputMissingError(
        f"no model '{text}': no model of that name in {_roots_text(root)} and the path "
        f"'{text}' holds no card.json (models available under {_roots_text(root)}: "
        f"{_available_text(root)})"
    )


def _check_creatable(target: Path, out: str | Path) -> None:
    """OutputError (exit 73) unless the folder *target* can be created (or written into):
    checked before training, so a bad --out does not cost a whole training run."""
    parent = target if target.exists() else target.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise OutputError(f"cannot create --out '{out}': '{parent}' is a file, not a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError(f"cannot create --out '{out}': '{parent}' is not writable")


def train_target(out: str | Path, *, force: bool = False, root: str | Path | None = None) -> Path:
    """The directory ``train --out OUT`` writes, after the overwrite checks.

    A bare name goes into :func:`writable_root`; anything else is a path. An existing
    model there (or a model of that name elsewhere on the search path, which the new
    one would shadow) is replaced only with *force*; the current default model and the
    shipped models are never replaced (train under a new name and promote it).

    >>> import tempfile
    >>> train_target(Path(tempfile.mkdtemp()) / "new")  # doctest: +ELLIPSIS
    PosixPath('.../new')
    """
    text = str(out)
    target = writable_root(root) / text if is_name(text) else Path(text).expanduser()
    existing = [target] if (target / CARD_FILE).is_file() else []
    if is_name(text):
        other = find_model(text, root)
        if other is not None and other not in existing:
            existing.append(other)
    if target.exists() and not target.is_dir():
        raise UsageError(f"--out '{out}' is a file; give a model directory or a model name")
    _check_creatable(target, out)
    if target.is_dir() and any(target.iterdir()) and not existing:
        raise UsageError(
            f"--out '{out}' exists and is not a model directory (no card.json); "
            "choose a new or empty directory"
        )
    if not existing:
        return target
    default_dir = find_model(default_name(root), root)
    shipped = shipped_root().resolve()
    for path in existing:
        resolved = path.resolve()
        if default_dir is not None and resolved == default_dir.resolve():
            raise UsageError(
                f"--out '{out}' is the default model '{path.name}' ({path}); it is never "
                "overwritten by train: train under a new name and 'models promote' it"
            )
        if resolved.parent == shipped:
            raise UsageError(
                f"--out '{out}' is the shipped model '{path.name}' ({path}); shipped models "
                "are not overwritten: train under a new name"
            )
    if not force:
        raise UsageError(
            f"--out '{out}': a model already exists at {existing[0]}; use --force to replace "
            "it or choose a new name"
        )
    return target
