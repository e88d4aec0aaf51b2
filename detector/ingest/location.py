"""Where an input lives: a local path, a glob, or an fsspec URL (``s3://``, ``gs://``, ...).

Local paths are opened with :func:`open`; anything with a ``protocol://`` prefix
goes through :mod:`fsspec`, so a Dask worker can read its own share of an export
in object storage. A protocol whose filesystem package is not installed fails with
one line naming the package and the project extra that brings it (``s3://b/x.jsonl:
reading s3:// needs the s3fs package: pip install 'outage-detector[s3]'``).

>>> import fsspec
>>> with fsspec.open("memory://loc-doc/a.jsonl", "wb") as f:
...     _ = f.write(b'{"text": "x"}\\n')
>>> expand_inputs(["memory://loc-doc/*.jsonl"]), is_url("memory://loc-doc/a.jsonl")
(['memory:///loc-doc/a.jsonl'], True)
>>> input_size("memory://loc-doc/a.jsonl")
14
"""

from __future__ import annotations

import glob
import os
import re
from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from typing import IO, Any

from detector.errors import InputMissingError, UsageError

_URL = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*)://")
_GLOB = re.compile(r"[*?\[]")

#: fsspec protocol -> (package, extra of this project that installs it).
FILESYSTEM_EXTRAS: dict[str, tuple[str, str]] = {
    "s3": ("s3fs", "s3"),
    "s3a": ("s3fs", "s3"),
    "gs": ("gcsfs", "gcs"),
    "gcs": ("gcsfs", "gcs"),
    "abfs": ("adlfs", "azure"),
    "abfss": ("adlfs", "azure"),
    "az": ("adlfs", "azure"),
    "http": ("aiohttp", "http"),
    "https": ("aiohttp", "http"),
}

#: An input: a local :class:`Path` or a URL string.
Location = Path | str


def is_url(path: object) -> bool:
    """True for ``protocol://...`` strings (``file://`` included).

    >>> is_url("s3://b/k.jsonl"), is_url("data/x.csv"), is_url(Path("x"))
    (True, False, False)
    """
    return isinstance(path, str) and bool(_URL.match(path))


def _filesystem(url: str) -> tuple[Any, str]:
    """The fsspec filesystem of *url* and the path inside it; one-line errors.

    >>> _filesystem("FILE:///tmp/x.csv")[1]
    '/tmp/x.csv'
    """
    protocol = _URL.match(url).group(1).lower()  # type: ignore[union-attr]
    try:
        import fsspec
        from fsspec.core import url_to_fs
    except ImportError as err:  # pragma: no cover - fsspec comes with the dask extra
        raise UsageError(
            f"{url}: reading URLs needs the fsspec package: pip install 'outage-detector[dask]'"
        ) from err
    try:
        fsspec.get_filesystem_class(protocol)
    except ValueError as err:
        raise UsageError(f"{url}: unknown filesystem protocol {protocol!r}") from err
    except ImportError as err:
        package, extra = FILESYSTEM_EXTRAS.get(protocol, (None, None))
        if package is None:
            raise UsageError(f"{url}: reading {protocol}:// needs a package ({err})") from err
        raise UsageError(
            f"{url}: reading {protocol}:// needs the {package} package: "
            f"pip install 'outage-detector[{extra}]'"
        ) from err
    # schemes are case-insensitive (RFC 3986); fsspec knows them in lower case only
    return url_to_fs(protocol + url[len(protocol) :])


def expand_inputs(inputs: Iterable[str | os.PathLike[str]]) -> list[Location]:
    """Inputs with globs expanded (sorted), URLs kept as strings, local paths as Paths.

    A glob that matches nothing raises :class:`InputMissingError`; a path that does
    not exist is kept, for the reader to report.
    """
    out: list[Location] = []
    for item in inputs:
        text = os.fspath(item)
        if is_url(text):
            if _GLOB.search(text.split("://", 1)[1]):
                fs, path = _filesystem(text)
                found = sorted(fs.glob(path))
                if not found:
                    raise InputMissingError(f"{text}: no file matches this pattern")
                out.extend(fs.unstrip_protocol(p) for p in found)
            else:
                _filesystem(text)
                out.append(text)
        elif _GLOB.search(text) and not Path(text).exists():
            found = sorted(glob.glob(text))
            if not found:
                raise InputMissingError(f"{text}: no file matches this pattern")
            out.extend(Path(p) for p in found)
        else:
            out.append(Path(text))
    return out


def local_path(path: Location) -> Path | None:
    """The file on this machine that *path* names: a local path made absolute, a
    ``file://`` URL as a path; None for a remote URL.

    >>> local_path("file:///tmp/x.csv"), local_path("s3://b/x.csv")
    (PosixPath('/tmp/x.csv'), None)
    >>> local_path(Path("/tmp/y.csv"))
    PosixPath('/tmp/y.csv')
    """
    if not is_url(path):
        return Path(path).absolute()
    text = str(path)
    if text.split("://", 1)[0].lower() not in ("file", "local"):
        return None
    return Path(_filesystem(text)[1]).absolute()


def open_input(path: Location) -> IO[bytes]:
    """Open *path* (local or URL) for binary reading."""
    if is_url(path):
        fs, inner = _filesystem(str(path))
        return fs.open(inner, "rb")  # type: ignore[no-any-return]
    return open(path, "rb")  # noqa: SIM115


def check_input(path: Location) -> Location:
    """*path* if it is a readable regular file, else one-line :class:`InputMissingError`."""
    if is_url(path):
        fs, inner = _filesystem(str(path))
        if not fs.exists(inner):
            raise InputMissingError(f"{path}: no such file")
        if fs.isdir(inner):
            raise InputMissingError(f"{path}: is a directory, not a file")
        return str(path)
    p = Path(path)
    if p.is_dir():
        raise InputMissingError(
            f"{path}: is a directory, not a file (to read the files in it: '{p / '*'}')"
        )
    if not p.exists():
        raise InputMissingError(f"{path}: no such file")
    if not p.is_file():
        raise InputMissingError(f"{path}: is not a regular file")
    return p


def input_size(path: Location) -> int:
    """Size in bytes of the (compressed) file."""
    if is_url(path):
        fs, inner = _filesystem(str(path))
        return int(fs.size(inner))
    return os.path.getsize(path)


def suffix(path: Location) -> str:
    """The file extension, lower-cased (``.csv``).

    >>> suffix("s3://b/x.PARQUET"), suffix(Path("a/b.csv"))
    ('.parquet', '.csv')
    """
    return PurePosixPath(str(path)).suffix.lower()
