"""Decompressed input as UTF-8 byte blocks that end on a line boundary.

Every text reader works on UTF-8 bytes: other encodings are transcoded block by
block (an incremental decoder keeps characters cut at a block edge intact), so
line counting and the pandas/pyarrow parsers see one encoding only.

>>> list(line_blocks(iter([b"a\\nb", b"c\\nd"])))
[b'a\\n', b'bc\\n', b'd']
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator

from detector.ingest.compression import iter_decompressed
from detector.ingest.formats import SourceInfo


def iter_utf8(info: SourceInfo, block_size: int = 1 << 22) -> Iterator[bytes]:
    """Yield the decompressed content of *info* as UTF-8 blocks, byte-order mark removed;
    a file whose lines end in a carriage return alone (:attr:`SourceInfo.cr_lines`) with
    each line ending a newline, so that the readers count and cut its lines."""
    blocks = _utf8(info, block_size)
    if not info.cr_lines:
        yield from blocks
        return
    carry = b""
    for block in blocks:
        block = carry + block
        carry = b"\r" if block.endswith(b"\r") else b""  # maybe the first of a CRLF
        if carry:
            block = block[:-1]
        if block:
            yield block.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    if carry:
        yield b"\n"


def _utf8(info: SourceInfo, block_size: int) -> Iterator[bytes]:
    """The decompressed content of *info* as UTF-8 blocks, byte-order mark removed."""
    blocks = iter_decompressed(info.path, info.compression, info.name, block_size, info.byte_range)
    skip = info.bom if not info.byte_range or info.byte_range[0] == 0 else 0
    if info.encoding == "utf-8":
        for block in blocks:
            if skip:
                block, skip = block[skip:], max(0, skip - len(block))
            if block:
                yield block
        return
    decoder = codecs.getincrementaldecoder(info.encoding)(errors="replace")
    for block in blocks:
        if skip:
            block, skip = block[skip:], max(0, skip - len(block))
        text = decoder.decode(block)
        if text:
            yield text.encode("utf-8")
    if tail := decoder.decode(b"", final=True):
        yield tail.encode("utf-8")


def line_blocks(blocks: Iterator[bytes]) -> Iterator[bytes]:
    """Re-cut *blocks* so that each ends with a newline (the last one may not)."""
    carry = b""
    for block in blocks:
        cut = block.rfind(b"\n")
        if cut < 0:
            carry += block
            continue
        yield carry + block[: cut + 1]
        carry = block[cut + 1 :]
    if carry:
        yield carry
