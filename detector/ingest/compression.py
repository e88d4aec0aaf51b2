"""Tell compressed inputs apart by their magic bytes and stream them decompressed.

The extension is only a hint: a gzip file called ``posts.csv`` is still read as
gzip. Truncated or corrupt compressed data raises :class:`DataError` with one
line naming the file, never a raw ``EOFError`` or ``zlib.error``; a file that cannot
be opened (gone since it was planned, or unreadable on a Dask worker) raises
:class:`InputMissingError`, as a missing input does (:func:`open_named`).

>>> sniff_compression(b"\\x1f\\x8b\\x08\\x00"), sniff_compression(b"id,text")
('gzip', None)
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import zstandard

from detector.errors import DataError, InputMissingError
from detector.ingest.location import open_input

#: Magic bytes at the start of each supported compressed format.
MAGIC: dict[str, bytes] = {
    "gzip": b"\x1f\x8b",
    "zstd": b"\x28\xb5\x2f\xfd",
    "bz2": b"BZh",
    "xz": b"\xfd7zXZ\x00",
}

_ZSTD_INPUT = 1 << 16  # compressed bytes fed per call: bounds the output of one call


def sniff_compression(head: bytes) -> str | None:
    """Name of the compression whose magic bytes start *head*, or ``None``.

    >>> sniff_compression(b"\\x28\\xb5\\x2f\\xfd...")
    'zstd'
    """
    for name, magic in MAGIC.items():
        if head.startswith(magic):
            return name
    return None


def truncated(name: str) -> DataError:
    """The one error every decompression failure becomes."""
    return DataError(f"{name}: compressed data is truncated or corrupt")


def open_named(path: Path | str, name: str) -> IO[bytes]:
    """Open *path* for reading; a file that cannot be opened raises the one-line
    :class:`InputMissingError` a missing input gets (``x.csv: no such file``).

    >>> open_named("/nonexistent/x.csv.gz", "x.csv.gz")
    Traceback (most recent call last):
    ...
    detector.errors.InputMissingError: x.csv.gz: no such file
    """
    try:
        return open_input(path)
    except FileNotFoundError as exc:
        raise InputMissingError(f"{name}: no such file") from exc
    except IsADirectoryError as exc:
        raise InputMissingError(f"{name}: is a directory, not a file") from exc
    except OSError as exc:
        raise InputMissingError(f"{name}: cannot be read ({exc.strerror or exc})") from exc


def _read_failure(name: str, exc: BaseException, compression: str | None) -> DataError:
    """The error of a failed read: the system's (an ``errno``: an I/O error) says it
    cannot be read; a decompressor's (no ``errno``) that the data is truncated or corrupt."""
    if compression is None or (isinstance(exc, OSError) and exc.errno is not None):
        return DataError(f"{name}: cannot be read ({exc})")
    return truncated(name)


def iter_decompressed(
    path: Path | str,
    compression: str | None,
    name: str,
    block_size: int = 1 << 20,
    byte_range: tuple[int, int] | None = None,
) -> Iterator[bytes]:
    """Yield the decompressed bytes of *path* in blocks of about *block_size*.

    *path* is a local path or an fsspec URL (:mod:`detector.ingest.location`);
    *byte_range* ``(start, end)`` reads only those bytes of an uncompressed file.

    >>> import tempfile, os
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = Path(d, "x.gz")
    ...     _ = p.write_bytes(gzip.compress(b"id,text\\n1,hi\\n"))
    ...     b"".join(iter_decompressed(p, "gzip", "x.gz"))
    b'id,text\\n1,hi\\n'
    """
    if compression == "zstd":
        yield from _iter_zstd(path, name, block_size)
        return
    if byte_range is not None and compression is None:
        yield from _iter_range(path, name, block_size, *byte_range)
        return
    opener = {"gzip": gzip.open, "bz2": bz2.open, "xz": lzma.open}.get(compression)  # type: ignore[arg-type]
    with open_named(path, name) as raw:
        try:
            handle = raw if opener is None else opener(raw, "rb")
            while block := handle.read(block_size):
                yield block
        except (EOFError, OSError, zlib.error, lzma.LZMAError) as exc:
            raise _read_failure(name, exc, compression) from exc


def _iter_range(
    path: Path | str, name: str, block_size: int, start: int, end: int
) -> Iterator[bytes]:
    with open_named(path, name) as handle:
        try:
            handle.seek(start)
            left = end - start
            while left > 0 and (block := handle.read(min(block_size, left))):
                left -= len(block)
                yield block
        except OSError as exc:
            raise DataError(f"{name}: cannot be read ({exc})") from exc


def _iter_zstd(path: Path | str, name: str, block_size: int) -> Iterator[bytes]:
    # zstandard's stream_reader returns short data silently on truncation, so the
    # decompressobj is fed by hand and its ``eof`` flag checked at the end.
    decompressor = zstandard.ZstdDecompressor()
    dobj = decompressor.decompressobj()
    pending: list[bytes] = []
    size = 0
    with open_named(path, name) as raw:
        try:
            while data := raw.read(_ZSTD_INPUT):
                while data:
                    if dobj.eof:  # another frame follows (concatenated or multi-frame files)
                        dobj = decompressor.decompressobj()
                    if out := dobj.decompress(data):
                        pending.append(out)
                        size += len(out)
                    data = dobj.unused_data if dobj.eof else b""
                if size >= block_size:
                    yield b"".join(pending)
                    pending, size = [], 0
        except zstandard.ZstdError as exc:
            raise truncated(name) from exc
        except OSError as exc:
            raise _read_failure(name, exc, "zstd") from exc
    if not dobj.eof:
        raise truncated(name)
    if pending:
        yield b"".join(pending)


def read_head(path: Path | str, compression: str | None, name: str, size: int) -> bytes:
    """The first *size* decompressed bytes of *path* (fewer if the file is shorter)."""
    chunks: list[bytes] = []
    got = 0
    stream = iter_decompressed(path, compression, name, block_size=size)
    try:
        for block in stream:
            chunks.append(block)
            got += len(block)
            if got >= size:
                break
    finally:
        stream.close()  # type: ignore[attr-defined]
    return b"".join(chunks)[:size]
