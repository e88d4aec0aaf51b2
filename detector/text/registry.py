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

import hashlib
import json
import os
import sys
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from detector.errors import (
    DetectorError,
    InputMissingError,
    ModelError,
    OutputError,
    UsageError,
    write_failure,
)
from detector.paths import project_path

__all__ = [
    "CARD_FILE",
    "OUTAGE_CLASS",
    "DEFAULT_FILE",
    "MODEL_FILE",
    "RESERVED_NAMES",
    "ModelInfo",
    "default_name",
    "find_model",
    "is_name",
    "list_models",
    "model_identity",
    "model_problem",
    "models_root",
    "positive_class_warning",
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
#: Names a model may not have: the registry's own files (the ``DEFAULT`` marker and the
#: temporary file it is written through).
RESERVED_NAMES = (DEFAULT_FILE, DEFAULT_FILE + ".tmp")
_FALLBACK_DEFAULT = "default"
ENV_VAR = "OUTAGE_DETECTOR_MODELS"


#: The class an outage model detects (a card's ``task.positive`` when it has none).
OUTAGE_CLASS = "outage"
#: Label values that ``train`` takes for the positive class when no ``--positive`` is given.
TRUE_VALUES = ("1", "true", "yes")


def same_positive(a: str, b: str) -> bool:
    """Do two positive-class names mean the same class? Case is ignored, and the
    ``1``/``true``/``yes`` values (which binary mode may join as ``1/true``) are one class.

    >>> same_positive("Outage", "outage"), same_positive("1/true", "1")
    (True, True)
    >>> same_positive("complaint", "outage"), same_positive("1", "outage")
    (False, False)
    """

    def key(value: str) -> str:
        parts = str(value).strip().lower().split("/")
        return "/".join(TRUE_VALUES) if all(p in TRUE_VALUES for p in parts) else "/".join(parts)

    return key(a) == key(b)


def model_identity(name: str, path: str | Path, card: Mapping[str, Any]) -> dict[str, Any]:
    """summary.json's ``model_card``: which model scored the run. Its ``name`` (the
    ``model`` key), the folder it was read from (a model of the same name earlier on the
    registry path shadows the shipped one), the ``model_sha256`` of its file (from its
    card, checked against the file) and ``positive``, the class it detects (the card's
    ``task.positive``; ``outage`` when the card has none).

    >>> card = {"model_sha256": "ab" * 32, "task": {"positive": "complaint"}}
    >>> ident = model_identity("mine", "/models/mine", card)
    >>> ident["name"], ident["path"], ident["model_sha256"][:4], ident["positive"]
    ('mine', '/models/mine', 'abab', 'complaint')
    >>> model_identity("old", "/m/old", {"model_sha256": "0" * 64})["positive"]
    'outage'
    """
    task = card.get("task")
    positive = task.get("positive") if isinstance(task, Mapping) else None
    sha = card.get("model_sha256")
    return {
        "name": name,
        "path": str(Path(path).resolve()),
        "model_sha256": str(sha) if sha else None,
        "positive": str(positive).strip() if positive and str(positive).strip() else OUTAGE_CLASS,
    }


def positive_class_warning(identity: Mapping[str, Any], command: str = "score") -> str | None:
    """A warning when the model of *identity* (:func:`model_identity`) detects another
    class than outage (compared ignoring case): ``is_outage``, ``outage_prob`` and the
    incidents then count posts of that class. *command* is the one to run again with an
    outage model (``score``, ``serve``).

    >>> ident = {"name": "mine", "positive": "complaint"}
    >>> positive_class_warning(ident)[:60]
    "the model 'mine' detects posts of class 'complaint', not 'ou"
    >>> positive_class_warning({"name": "v2", "positive": "Outage"}) is None
    True
    >>> "unless '1' means outage" in positive_class_warning({"name": "b", "positive": "1"})
    True
    """
    positive = str(identity.get("positive") or OUTAGE_CLASS).strip()
    if same_positive(positive, OUTAGE_CLASS):
        return None
    unless = ""
    if same_positive(positive, "1"):
        unless = f" (unless '{positive}' means outage in the labels it was trained on)"
    return (
        f"the model '{identity.get('name')}' detects posts of class '{positive}', not "
        f"'{OUTAGE_CLASS}' (its card's task.positive): is_outage, outage_prob and the "
        f"incidents mean posts of class '{positive}'{unless}; {command} with an outage model "
        "(--model) to find outages"
    )


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
    wrong = _wrong_types(card)
    if wrong:
        raise ModelError(f"model card '{path}' is malformed: {wrong}")
    return card


#: The JSON type each card field the package reads must have when present (None is
#: always allowed: an absent value); ``task.*`` fields are inside ``task``.
_CARD_TYPES: dict[str, tuple[type, ...]] = {
    "name": (str,),
    "created": (str,),
    "model_file": (str,),
    "model_sha256": (str,),
    "task": (dict,),
    "cv": (dict,),
    "parameters": (dict,),
    "selection": (dict,),
    "training_texts": (dict,),
    "data": (list,),
    "task.mode": (str,),
    "task.positive": (str,),
    "task.text_col": (str,),
    "task.label_values": (list,),
}
_JSON_NAMES = {str: "a string", dict: "an object", list: "a list"}


def _wrong_types(card: dict[str, Any]) -> str | None:
    """What is wrongly typed in *card* (see :data:`_CARD_TYPES`), or None.

    >>> _wrong_types({"cv": "oops", "task": {"positive": 1}})
    "field 'cv' is a str, not an object; field 'task.positive' is an int, not a string"
    >>> _wrong_types({"cv": {"f1": 0.5}, "task": None, "data": [{"file": "a.csv"}]}) is None
    True
    """
    problems = []
    task = card.get("task")
    for key, types in _CARD_TYPES.items():
        if key.startswith("task."):
            value = task.get(key[5:]) if isinstance(task, dict) else None
        else:
            value = card.get(key)
        if value is not None and not isinstance(value, types):
            expected = " or ".join(_JSON_NAMES[t] for t in types)
            kind = type(value).__name__
            article = "an" if kind[0] in "aeiou" else "a"
            problems.append(f"field '{key}' is {article} {kind}, not {expected}")
    entries = card.get("data")
    if isinstance(entries, list) and not all(isinstance(e, dict) for e in entries):
        problems.append("field 'data' holds entries that are not objects")
    return "; ".join(problems) or None


def model_problem(directory: str | Path, card: dict[str, Any]) -> str | None:
    """Why the model in *directory* cannot be loaded as its *card* describes it (no model
    file, a model file or training-text file failing the sha256 of the card), or None.
    Reads the files' bytes but builds nothing from them (the types a file holds are
    checked when it is loaded)."""
    directory = Path(directory)
    problem = _file_problem(
        directory, card.get("model_file", MODEL_FILE), card.get("model_sha256"), "model file"
    )
    texts = card.get("training_texts")
    if problem is None and isinstance(texts, dict):
        name = texts.get("file", "training_texts.u64")
        problem = _file_problem(directory, name, texts.get("sha256"), "training-text file")
    return problem


def _file_problem(directory: Path, name: Any, sha256: Any, what: str) -> str | None:
    """Why the card's file *name* in *directory* (a *what*) is missing or fails *sha256*."""
    try:
        path = directory / safe_model_file(name)
    except ModelError as err:
        return str(err)
    if not path.is_file():
        return f"missing {what} '{path.name}'"
    if _sha256(path) != sha256:
        return f"{what} '{path.name}' fails its hash check (modified or corrupted)"
    return None


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file's bytes.

    >>> import tempfile, os
    >>> with tempfile.NamedTemporaryFile(delete=False) as fh:
    ...     _ = fh.write(b"abc")
    >>> sha256_of(Path(fh.name))[:12]
    'ba7816bf8f01'
    >>> os.unlink(fh.name)
    """
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _sha256(path: Path) -> str | None:
    """:func:`sha256_of`, or None when the file cannot be read."""
    try:
        return sha256_of(path)
    except OSError:
        return None


# ---------------------------------------------------------------------------------------
# names and the default
# ---------------------------------------------------------------------------------------
def find_model(name: str, root: str | Path | None = None) -> Path | None:
    """Directory of the model called *name* in the first root that has it, else None."""
    if not is_name(name):
        return None
    for base in search_path(root):
        if _is_file(base / name / CARD_FILE):
            return base / name
    return None


def _is_file(path: Path) -> bool:
    """``path.is_file()``, False too when the system cannot even look (a name too long)."""
    try:
        return path.is_file()
    except OSError:
        return False


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
    if name in RESERVED_NAMES:
        raise UsageError(f"'{name}' is a name the registry reserves for itself; rename the model")
    base = writable_root(root)
    tmp = base / (DEFAULT_FILE + ".tmp")
    try:
        base.mkdir(parents=True, exist_ok=True)
        tmp.write_text(name + "\n")
        tmp.replace(base / DEFAULT_FILE)
    except OSError as err:
        if tmp.is_file():
            tmp.unlink(missing_ok=True)
        raise write_failure(f"the default-model marker '{base / DEFAULT_FILE}'", err) from err


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
    #: The positive class of its card's task (None: the card names none).
    positive: str | None = None
    #: Why the model cannot be used (a malformed card, a missing model file, a file
    #: failing its hash check), or None: it looks usable (not checked: None too).
    problem: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return {
            "name": self.name,
            "created": self.created,
            "cv_f1": self.cv_f1,
            "cv_pr_auc": self.cv_pr_auc,
            "cv_grouped": self.cv_grouped,
            "positive": self.positive,
            "default": self.is_default,
            "status": "broken" if self.problem else "ok",
            "problem": self.problem,
            "path": str(self.path),
        }


def list_models(root: str | Path | None = None, *, check: bool = True) -> list[ModelInfo]:
    """Every model on the search path (a name hidden by an earlier root is skipped), by name.

    A model whose card cannot be read is listed with the reason as its ``problem``
    (never an error: one bad folder does not hide the others); with *check*, so is one
    whose model file is missing or fails its hash (:func:`model_problem`).
    """
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
                problem = model_problem(path, card) if check else None
            except ModelError as err:
                card, problem = {}, str(err)
            cv = card.get("cv") or {}
            found[path.name] = ModelInfo(
                name=path.name,
                path=path,
                created=card.get("created"),
                cv_f1=_number(cv.get("f1")),
                is_default=path.name == default,
                cv_pr_auc=_number(cv.get("pr_auc")),
                cv_grouped=(cv.get("grouped") is True) if cv else None,
                positive=(card.get("task") or {}).get("positive"),
                problem=problem,
            )
    return [found[name] for name in sorted(found)]


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def _available_text(root: str | Path | None) -> str:
    names = [m.name for m in list_models(root, check=False)]
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
    if _is_file(path / CARD_FILE):
        return path, path.resolve().name
    if _is_file(path):
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
    checked before training, so a bad --out does not cost a whole training run.

    The check creates, then removes, the temporary sibling the model is saved through
    (``.NAME.partial-...``, as long a name as it will be) and any missing folder above
    it: permission bits say too little (root writes anywhere, except where the system
    refuses), and a name too long for the file system shows only when it is created.
    """
    parent = target if target.exists() else target.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise OutputError(f"cannot create --out '{out}': '{parent}' is a file, not a folder")
    missing = []
    folder = target.parent
    while not folder.exists() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    probe = target.parent / f".{target.name}.partial-{uuid.uuid4().hex[:12]}"
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        probe.mkdir()
        probe.rmdir()
    except OSError as err:
        raise write_failure(f"--out '{out}'", err) from err
    finally:
        for folder in missing:  # the innermost first; leave nothing behind
            try:
                folder.rmdir()
            except OSError:
                break


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
    if target.name in RESERVED_NAMES:
        raise UsageError(
            f"--out '{out}': '{target.name}' is a name the model registry reserves for "
            "itself (the file naming the default model); choose another name"
        )
    try:
        return _checked_target(target, out, force=force, root=root)
    except OSError as err:  # a name too long to even look up, a folder that cannot be read
        if isinstance(err, DetectorError):
            raise
        raise write_failure(f"--out '{out}'", err) from err


def _checked_target(target: Path, out: str | Path, *, force: bool, root: str | Path | None) -> Path:
    """*target* once ``train --out OUT`` may write it (see :func:`train_target`)."""
    text = str(out)
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
