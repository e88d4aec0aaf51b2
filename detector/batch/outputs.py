"""Writing run outputs: JSON, pseudonymised authors, the output folder.

CSV goes through :mod:`detector.safecsv` so no cell can run as a spreadsheet formula.

Outputs appear together or not at all: a run writes into a hidden staging folder
inside ``--out`` (:class:`StagedOutputs`) and moves the files into place only when
everything is written; an interrupted or failed run removes its staging folder
and leaves the previous run's files untouched. An input is never an output
(:func:`refuse_inputs_as_outputs`). Problems with the output folder map to
sysexits: 73 when it cannot be created (:class:`~detector.errors.OutputError`),
74 when writing fails part-way (:class:`~detector.errors.WriteError`).
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import secrets
import shutil
import signal
import tempfile
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from detector.errors import (
    REFUSED_WRITE_ERRNOS,
    DetectorError,
    OutputError,
    UsageError,
    WriteError,
)
from detector.text import compiled

#: Prefix of the staging folders a run writes into before its outputs move into place.
STAGING_PREFIX = ".outage-detector-partial-"


def write_json(obj: Any, path: Path) -> Path:
    """Write *obj* as indented UTF-8 JSON (numpy scalars converted)."""

    def default(value: Any) -> Any:
        if isinstance(value, np.generic):
            return value.item()
        if isinstance(value, pd.Timestamp):
            return value.isoformat()
        raise TypeError(f"not JSON serialisable: {type(value).__name__}")

    path.write_text(json.dumps(obj, indent=2, ensure_ascii=False, default=default) + "\n")
    return path


#: Pseudonyms a :class:`Pseudonymiser` remembers between chunks (about 170 bytes each).
#: Columns of ``posts.parquet`` with few distinct values, stored dictionary-encoded; texts,
#: ids, authors and times are nearly all distinct, and trying a dictionary on them first
#: only to fall back to plain encoding costs a third of the write time (1M posts).
DICTIONARY_COLUMNS = ("service", "symptom", "label", "services", "source_file")


def posts_writer(path: str | Path, schema: Any) -> Any:
    """The ``pyarrow.parquet.ParquetWriter`` of a ``posts.parquet`` (both engines use it).

    >>> import pyarrow as pa, tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as d:
    ...     file = pathlib.Path(d) / "posts.parquet"
    ...     with posts_writer(file, pa.schema([("service", pa.string())])) as writer:
    ...         writer.write_table(pa.table({"service": ["Gmail", "Gmail"]}))
    ...     pa.parquet.read_table(file).column("service").to_pylist()
    ['Gmail', 'Gmail']
    """
    import pyarrow.parquet as pq

    dictionary = [c for c in DICTIONARY_COLUMNS if c in schema.names]
    return pq.ParquetWriter(path, schema, compression="zstd", use_dictionary=dictionary)


_REMEMBER = 200_000


class Pseudonymiser:
    """Keyed hash of author identifiers, so outputs can be shared.

    The key comes from ``OUTAGE_PSEUDONYM_KEY`` when set (stable pseudonyms across
    runs), else a random key per run (pseudonyms cannot be linked across runs).

    >>> p = Pseudonymiser(key=b"k")
    >>> p.one("alice") == p.one("alice"), p.one("alice") != p.one("bob")
    (True, True)
    >>> p.one("alice")
    'u_ec631a55bb81f5b9'
    """

    def __init__(self, key: bytes | None = None) -> None:
        env = os.environ.get("OUTAGE_PSEUDONYM_KEY")
        self._key = key if key is not None else (env.encode() if env else secrets.token_bytes(32))
        self._seen: dict[str, str] = {}  # author id -> pseudonym, bounded by _REMEMBER
        self._states: tuple[Any, Any] | None = None  # HMAC's keyed hash states
        self._keyed: tuple[np.ndarray, np.ndarray] | None = None  # the same, for fasthmac

    @property
    def key(self) -> bytes:
        """The key (to build the same pseudonymiser in another process)."""
        return self._key

    def one(self, author: str) -> str:
        """Pseudonym of one author id."""
        return self._name(author)

    def _name(self, author: str) -> str:
        """``u_`` and 16 hex digits of HMAC-SHA256, from the keyed states (2x faster than
        :func:`hmac.digest`, which sets the key up again for every message)."""
        if self._states is None:
            self._states = _hmac_states(self._key)
        inner, outer = self._states
        h = inner.copy()
        h.update(author.encode("utf-8"))
        o = outer.copy()
        o.update(h.digest())
        return "u_" + o.hexdigest()[:16]

    def series(self, authors: pd.Series) -> pd.Series:
        """Pseudonyms of a column of author ids (missing stays missing).

        Each distinct author is hashed once: a column of strings with at least
        :data:`COMPILED_NAMES` of them all at once by compiled code (:mod:`.fasthmac`),
        straight from and into pyarrow arrays; else those not remembered from earlier
        chunks in one loop (:meth:`_names`).

        >>> Pseudonymiser(key=b"k").series(pd.Series(["alice", None, "alice"])).tolist()
        ['u_ec631a55bb81f5b9', <NA>, 'u_ec631a55bb81f5b9']
        """
        codes, uniques = pd.factorize(authors, use_na_sentinel=True)
        if len(uniques) >= COMPILED_NAMES and isinstance(uniques.dtype, pd.StringDtype):
            texts = _utf8(uniques.array)
            found = self._compiled(texts) if texts is not None else None
            if found is not None:  # code -1 (NA) takes a null
                taken = found.take(pa.array(codes, mask=codes < 0))
                string = pd.api.types.pandas_dtype("string")  # as dtype="string" below
                return pd.Series(string.__from_arrow__(taken), index=authors.index)
        seen = self._seen
        if len(seen) > _REMEMBER:  # authors of an export repeat: keep the recent ones
            seen.clear()
        texts = list(map(str, uniques.tolist()))  # 1, 1.0 and "1" are hashed as their text
        names = list(map(seen.get, texts))
        if None in names:
            new = [text for text, name in zip(texts, names, strict=True) if name is None]
            seen.update(zip(new, self._names(new), strict=True))
            names = list(map(seen.__getitem__, texts))
        names.append(None)  # code -1 (NA) takes the last one
        table = np.array(names, dtype=object)
        return pd.Series(table[codes], index=authors.index, dtype="string")

    def _names(self, authors: list[str]) -> list[str]:
        """:meth:`_name` of each of *authors*: by compiled code when they are at least
        :data:`COMPILED_NAMES`, else (or when it is off) in one loop."""
        if len(authors) >= COMPILED_NAMES:
            texts = _utf8(authors)
            found = self._compiled(texts) if texts is not None else None
            if found is not None:
                return found.to_pylist()
        if self._states is None:
            self._states = _hmac_states(self._key)
        inner, outer = self._states[0].copy, self._states[1].copy
        names = []
        add = names.append
        for author in authors:
            h = inner()
            h.update(author.encode("utf-8"))
            o = outer()
            o.update(h.digest())
            add("u_" + o.hexdigest()[:16])
        return names

    def _compiled(self, texts: pa.Array) -> pa.Array | None:
        """The pseudonyms of *texts* (``large_string``, no nulls) from
        :func:`detector.batch.fasthmac.name_array`; ``None`` where the compiled path is
        off (``OUTAGE_COMPILED=0``, numba unable to cache its machine code) or failed
        (warned once a process): :mod:`hashlib` then gives the same names."""
        if not compiled_hmac_enabled():
            return None
        from detector.batch import fasthmac

        try:
            if self._keyed is None:
                self._keyed = fasthmac.hmac_states(self._key)
            return fasthmac.name_array(texts, self._keyed)
        except Exception as exc:  # a damaged machine-code cache, say: hashlib still hashes
            compiled.failed(
                _HMAC_BROKEN,
                exc,
                "the compiled HMAC failed, hashing author ids with hashlib instead (the "
                "same pseudonyms, slower)",
                hint=", and deleting numba's cache files (*.nbi, *.nbc beside "
                "detector/batch/fasthmac.py or under NUMBA_CACHE_DIR) rebuilds it",
            )
            return None


#: Batches of at least this many distinct authors are hashed by compiled code
#: (:mod:`.fasthmac`; 64 authors in 28 µs against the loop's 74 µs, both about 20 µs at
#: 16). Loading its machine code costs about 15 ms a process where the compiled text
#: paths are loaded (a score's workers), 0.5 s where it is numba's first.
COMPILED_NAMES = 64

#: Why the compiled HMAC failed in this process (it is not tried again once it has).
_HMAC_BROKEN: list[str] = []


def compiled_hmac_enabled() -> bool:
    """The compiled HMAC, unless ``OUTAGE_COMPILED=0`` (as for the compiled text paths),
    it failed in this process, or numba cannot be imported or cache its machine code
    here (:func:`detector.text.compiled.available`; :mod:`hashlib` then gives the same
    pseudonyms, slower)."""
    return compiled.switched_on(_HMAC_BROKEN) and compiled.available()


def _utf8(texts: Any) -> pa.Array | None:
    """*texts* (a list of :class:`str`, a pandas string array) as a pyarrow
    ``large_string`` array; ``None`` when one cannot be UTF-8 (a lone surrogate: the loop
    of :meth:`Pseudonymiser._names` then raises :class:`UnicodeEncodeError` as always)."""
    try:
        array = pa.array(texts, pa.large_string())
    except (UnicodeError, pa.ArrowException):
        return None
    return array if array.null_count == 0 else None


def _hmac_states(key: bytes) -> tuple[Any, Any]:
    """SHA-256 states that have absorbed HMAC's inner and outer padded keys (RFC 2104):
    ``outer + sha256(inner + m)`` is ``hmac.digest(key, m, "sha256")`` without setting
    the key up again for every message.

    >>> import hmac
    >>> inner, outer = _hmac_states(b"k")
    >>> h = inner.copy(); h.update(b"alice"); o = outer.copy(); o.update(h.digest())
    >>> o.digest() == hmac.digest(b"k", b"alice", "sha256")
    True
    """
    block = hashlib.sha256().block_size
    if len(key) > block:
        key = hashlib.sha256(key).digest()
    key = key.ljust(block, b"\0")
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in key))
    outer = hashlib.sha256(bytes(b ^ 0x5C for b in key))
    return inner, outer


def ensure_out_dir(path: Path) -> Path:
    """Create the output directory (and parents); one-line :class:`OutputError` (73)
    when that is impossible (a file in the way, no permission, read-only disk)."""
    if path.exists() and not path.is_dir():
        raise OutputError(f"--out {path}: exists and is not a directory")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError as exc:
        raise OutputError(f"--out {path}: exists and is not a directory") from exc
    except NotADirectoryError as exc:
        raise OutputError(f"--out {path}: cannot create it, a parent is a file") from exc
    except OSError as exc:
        raise OutputError(f"--out {path}: cannot create the folder ({_why(exc)})") from exc
    if not os.access(path, os.W_OK | os.X_OK):
        raise OutputError(f"--out {path}: folder is not writable (permission denied)")
    return path


def _why(exc: OSError) -> str:
    return exc.strerror or str(exc) or type(exc).__name__


def refuse_inputs_as_outputs(inputs: Iterable[Path], out: Path, names: Sequence[str]) -> None:
    """Raise :class:`UsageError` (64) when an input is one of the files written into *out*.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     (Path(d) / "posts.parquet").write_bytes(b"x") and None
    ...     try:
    ...         refuse_inputs_as_outputs([Path(d) / "posts.parquet"], Path(d), ["posts.parquet"])
    ...     except UsageError as err:
    ...         print(str(err).split(": ", 1)[1])
    is also an output of this run (it would be overwritten); write to another --out
    """
    targets = [out / name for name in names]
    for given in inputs:
        source = Path(given)
        for target in targets:
            same = source.resolve() == target.resolve()
            if not same and source.exists() and target.exists():
                same = os.path.samefile(source, target)
            if same:
                raise UsageError(
                    f"{given}: is also an output of this run (it would be overwritten); "
                    "write to another --out"
                )


class StagedOutputs:
    """A staging folder inside *out* whose files :meth:`commit` moves into place.

    Leaving the ``with`` block without :meth:`commit` (an error, Ctrl-C) removes
    the staging folder: *out* keeps exactly what it held before. The commit
    deletes the old ``summary.json`` first and moves the new one last, with
    SIGINT/SIGTERM held back, so a folder with a ``summary.json`` always holds one
    run's complete outputs.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     with StagedOutputs(Path(d)) as staged:
    ...         _ = (staged.path / "summary.json").write_text("{}")
    ...         hidden = sorted(p.name for p in Path(d).iterdir())
    ...         staged.commit(["summary.json"])
    ...     after = sorted(p.name for p in Path(d).iterdir())
    >>> hidden[0].startswith(STAGING_PREFIX), after
    (True, ['summary.json'])
    """

    def __init__(self, out: Path) -> None:
        self.out = out
        self.path = out
        self._done = False

    def __enter__(self) -> StagedOutputs:
        _remove_stale(self.out)
        try:
            self.path = Path(
                tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{os.getpid()}-", dir=self.out)
            )
        except OSError as exc:
            raise OutputError(f"--out {self.out}: cannot write into it ({_why(exc)})") from exc
        return self

    def commit(self, names: Sequence[str], last: str = "summary.json") -> None:
        """Move *names* from the staging folder into *out* (*last* goes last)."""
        order = [n for n in names if n != last] + ([last] if last in names else [])
        with _signals_held():
            try:
                (self.out / last).unlink(missing_ok=True)
                for name in order:
                    os.replace(self.path / name, self.out / name)
            except OSError as exc:
                raise WriteError(
                    f"--out {self.out}: cannot move the outputs into place ({_why(exc)})"
                ) from exc
            self._done = True
            shutil.rmtree(self.path, ignore_errors=True)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


def _remove_stale(out: Path) -> None:
    """Remove staging folders left by runs that were killed (their process is gone)."""
    try:
        candidates = [p for p in out.iterdir() if p.name.startswith(STAGING_PREFIX)]
    except OSError:
        return
    for folder in candidates:
        pid = folder.name[len(STAGING_PREFIX) :].split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


@contextmanager
def _signals_held() -> Iterator[None]:
    """Hold back SIGINT/SIGTERM (delivered afterwards) in the main thread."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(
        signal, "pthread_sigmask"
    ):
        yield
        return
    held = {signal.SIGINT, signal.SIGTERM}
    old = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


#: errno values that mean "the output could not be written" (74): a read-only disk too.
_WRITE_ERRNOS = REFUSED_WRITE_ERRNOS | {errno.EROFS}


@contextmanager
def output_errors(out: Path) -> Iterator[None]:
    """Turn an :class:`OSError` raised while writing into *out* into a one-line
    :class:`WriteError` (74), or :class:`OutputError` (73) for permission errors."""
    try:
        yield
    except DetectorError:
        raise  # already one clear line with its own exit code
    except OSError as exc:
        filename = getattr(exc, "filename", None)
        inside = filename is not None and Path(filename).resolve().is_relative_to(out.resolve())
        if not inside and filename is not None and exc.errno not in _WRITE_ERRNOS:
            raise  # not about the outputs (reading an input raises its own errors)
        if isinstance(exc, PermissionError):
            raise OutputError(f"--out {out}: cannot write into it ({_why(exc)})") from exc
        where = Path(filename).name if inside and filename else "the outputs"
        raise WriteError(f"--out {out}: writing {where} failed ({_why(exc)})") from exc
