"""HMAC-SHA256 of many short messages in one compiled pass, for author pseudonyms.

:class:`~detector.batch.outputs.Pseudonymiser` names an author ``u_`` and the first 16 hex
digits of ``HMAC-SHA256(key, author.encode("utf-8"))``. Hashed one at a time through
:mod:`hashlib` that costs about 1.6 µs an author, nearly all of it the interpreter's;
this module runs SHA-256 (FIPS 180-4) as machine code (numba) over a batch's UTF-8 bytes,
with the same digests:

- the key is set up once (RFC 2104): hashed with SHA-256 when longer than a 64-byte
  block, padded with zeros to one, XORed with ``0x36`` and with ``0x5c``, and each of
  the two blocks absorbed into SHA-256's initial state (:func:`hmac_states`);
- per message, the inner state goes on over its bytes and SHA-256's padding (``0x80``,
  zeros, the length in bits counting the key's block too, big-endian); the outer state
  then absorbs the 32-byte inner digest in one padded block; the outer digest's first 8
  bytes give the 16 hex digits.

SHA-256 has no parallelism within a message, so :data:`LANES` messages are hashed side
by side, each in a lane of the same arrays (``work[row, lane]``), in step: the compiler
turns each round into vector instructions over the lanes (AVX2: 8 words at a time).
Messages are grouped by their number of blocks so that the lanes of a group run the same
rounds; idle lanes of a group's last step hash a copy of its first message.

The names come out as one buffer of :data:`NAME_BYTES` ASCII bytes each
(:func:`pseudonyms`), which a pyarrow string array wraps without a loop
(:func:`name_array`). ``tests/test_fasthmac.py`` compares them with :func:`hmac.new` on
random strings and keys.

>>> states = hmac_states(b"k")
>>> name_array(pa.array(["alice", "", "zoë 🙂"], pa.large_string()), states).to_pylist()
['u_ec631a55bb81f5b9', 'u_8bb990c40a7d61cb', 'u_1ef731d019fafdf6']
"""

from __future__ import annotations

import hashlib

import numpy as np
import pyarrow as pa

from detector.text import jit

__all__ = ["LANES", "NAME_BYTES", "hmac_states", "name_array", "names", "pseudonyms"]

#: Bytes of one name: ``u_`` and 16 hex digits.
NAME_BYTES = 18

#: Messages hashed side by side. The compiler vectorises a round's loop over the lanes
#: from 16 on; 32 lanes ran a block in 63 ns, 16 in 74 ns, 8 in 260 ns (a lane's
#: message schedule, state and working variables: 320 bytes).
LANES = 32

#: SHA-256's round constants (FIPS 180-4, 4.2.2).
_K = np.array(
    [
        0x428A2F98, 0x71374491, 0xB5C0FBCF, 0xE9B5DBA5, 0x3956C25B, 0x59F111F1, 0x923F82A4,
        0xAB1C5ED5, 0xD807AA98, 0x12835B01, 0x243185BE, 0x550C7DC3, 0x72BE5D74, 0x80DEB1FE,
        0x9BDC06A7, 0xC19BF174, 0xE49B69C1, 0xEFBE4786, 0x0FC19DC6, 0x240CA1CC, 0x2DE92C6F,
        0x4A7484AA, 0x5CB0A9DC, 0x76F988DA, 0x983E5152, 0xA831C66D, 0xB00327C8, 0xBF597FC7,
        0xC6E00BF3, 0xD5A79147, 0x06CA6351, 0x14292967, 0x27B70A85, 0x2E1B2138, 0x4D2C6DFC,
        0x53380D13, 0x650A7354, 0x766A0ABB, 0x81C2C92E, 0x92722C85, 0xA2BFE8A1, 0xA81A664B,
        0xC24B8B70, 0xC76C51A3, 0xD192E819, 0xD6990624, 0xF40E3585, 0x106AA070, 0x19A4C116,
        0x1E376C08, 0x2748774C, 0x34B0BCB5, 0x391C0CB3, 0x4ED8AA4A, 0x5B9CCA4F, 0x682E6FF3,
        0x748F82EE, 0x78A5636F, 0x84C87814, 0x8CC70208, 0x90BEFFFA, 0xA4506CEB, 0xBEF9A3F7,
        0xC67178F2,
    ],
    dtype=np.uint32,
)  # fmt: skip

#: SHA-256's initial state (FIPS 180-4, 5.3.3).
_IV = np.array(
    [0x6A09E667, 0xBB67AE85, 0x3C6EF372, 0xA54FF53A, 0x510E527F, 0x9B05688C, 0x1F83D9AB,
     0x5BE0CD19],
    dtype=np.uint32,
)  # fmt: skip

#: The hex digits, in ASCII.
_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8).copy()

_BLOCK = 64  # bytes of a SHA-256 block, and of HMAC's padded key

# The compiled code reads 32-bit words from uint32 arrays and stores them back there:
# numba widens them to 64 bits in between (uint32 + uint32 is uint64), and storing keeps
# the low 32 bits, which is SHA-256's arithmetic modulo 2**32. Only right shifts look at
# the high bits, and they only ever shift a word just read from an array. (No literal
# may take part in + - *: numba turns uint64 with int64 into float64.)


@jit.compiled
def _sigma0(a: np.uint32) -> np.uint64:
    """Σ0 of FIPS 180-4 (4.4.2), in the low 32 bits."""
    return ((a >> 2) | (a << 30)) ^ ((a >> 13) | (a << 19)) ^ ((a >> 22) | (a << 10))


@jit.compiled
def _sigma1(e: np.uint32) -> np.uint64:
    """Σ1 of FIPS 180-4 (4.5), in the low 32 bits."""
    return ((e >> 6) | (e << 26)) ^ ((e >> 11) | (e << 21)) ^ ((e >> 25) | (e << 7))


@jit.compiled
def _choose(e: np.uint32, f: np.uint32, g: np.uint32) -> np.uint64:
    """Ch of FIPS 180-4 (4.2), in the low 32 bits."""
    return (e & f) ^ (~e & g)


@jit.compiled
def _majority(a: np.uint32, b: np.uint32, c: np.uint32) -> np.uint64:
    """Maj of FIPS 180-4 (4.3)."""
    return (a & b) ^ (a & c) ^ (b & c)


@jit.compiled
def _compress(state: np.ndarray, v: np.ndarray, w: np.ndarray, k: np.ndarray) -> None:
    """Absorb one block per lane into *state* (8 words by :data:`LANES`, uint32): the
    block's 16 big-endian words are ``w[:16]`` (``w`` holds the 64 words of the message
    schedule), ``v`` (as *state*) is room for the working variables and *k* the round
    constants.

    The working variables a..h rotate one row per round instead of being copied: in
    round ``t`` variable ``i`` is row ``(i - t) % 8``, so a round writes only the new
    ``e`` (into d's row) and the new ``a`` (into h's). The rounds are written out eight
    at a time so that every row is a constant: with rows known only at run time the
    compiler cannot tell that a round's writes do not overlap its reads, and does not
    vectorise (numba calls another compiled function rather than inlining one that
    loops)."""
    for t in range(16, 64):
        for x in range(LANES):
            p = w[t - 15, x]
            q = w[t - 2, x]
            s0 = ((p >> 7) | (p << 25)) ^ ((p >> 18) | (p << 14)) ^ (p >> 3)
            s1 = ((q >> 17) | (q << 15)) ^ ((q >> 19) | (q << 13)) ^ (q >> 10)
            w[t, x] = w[t - 16, x] + s0 + w[t - 7, x] + s1
    for r in range(8):
        for x in range(LANES):
            v[r, x] = state[r, x]
    for t in range(0, 64, 8):
        for x in range(LANES):  # round t + 0: a, b, ..., h in rows 0, 1, 2, 3, 4, 5, 6, 7
            e = v[4, x]
            t1 = v[7, x] + _sigma1(e) + _choose(e, v[5, x], v[6, x]) + k[t + 0] + w[t + 0, x]
            a = v[0, x]
            v[3, x] += t1
            v[7, x] = t1 + _sigma0(a) + _majority(a, v[1, x], v[2, x])
        for x in range(LANES):  # round t + 1: a, b, ..., h in rows 7, 0, 1, 2, 3, 4, 5, 6
            e = v[3, x]
            t1 = v[6, x] + _sigma1(e) + _choose(e, v[4, x], v[5, x]) + k[t + 1] + w[t + 1, x]
            a = v[7, x]
            v[2, x] += t1
            v[6, x] = t1 + _sigma0(a) + _majority(a, v[0, x], v[1, x])
        for x in range(LANES):  # round t + 2: a, b, ..., h in rows 6, 7, 0, 1, 2, 3, 4, 5
            e = v[2, x]
            t1 = v[5, x] + _sigma1(e) + _choose(e, v[3, x], v[4, x]) + k[t + 2] + w[t + 2, x]
            a = v[6, x]
            v[1, x] += t1
            v[5, x] = t1 + _sigma0(a) + _majority(a, v[7, x], v[0, x])
        for x in range(LANES):  # round t + 3: a, b, ..., h in rows 5, 6, 7, 0, 1, 2, 3, 4
            e = v[1, x]
            t1 = v[4, x] + _sigma1(e) + _choose(e, v[2, x], v[3, x]) + k[t + 3] + w[t + 3, x]
            a = v[5, x]
            v[0, x] += t1
            v[4, x] = t1 + _sigma0(a) + _majority(a, v[6, x], v[7, x])
        for x in range(LANES):  # round t + 4: a, b, ..., h in rows 4, 5, 6, 7, 0, 1, 2, 3
            e = v[0, x]
            t1 = v[3, x] + _sigma1(e) + _choose(e, v[1, x], v[2, x]) + k[t + 4] + w[t + 4, x]
            a = v[4, x]
            v[7, x] += t1
            v[3, x] = t1 + _sigma0(a) + _majority(a, v[5, x], v[6, x])
        for x in range(LANES):  # round t + 5: a, b, ..., h in rows 3, 4, 5, 6, 7, 0, 1, 2
            e = v[7, x]
            t1 = v[2, x] + _sigma1(e) + _choose(e, v[0, x], v[1, x]) + k[t + 5] + w[t + 5, x]
            a = v[3, x]
            v[6, x] += t1
            v[2, x] = t1 + _sigma0(a) + _majority(a, v[4, x], v[5, x])
        for x in range(LANES):  # round t + 6: a, b, ..., h in rows 2, 3, 4, 5, 6, 7, 0, 1
            e = v[6, x]
            t1 = v[1, x] + _sigma1(e) + _choose(e, v[7, x], v[0, x]) + k[t + 6] + w[t + 6, x]
            a = v[2, x]
            v[5, x] += t1
            v[1, x] = t1 + _sigma0(a) + _majority(a, v[3, x], v[4, x])
        for x in range(LANES):  # round t + 7: a, b, ..., h in rows 1, 2, 3, 4, 5, 6, 7, 0
            e = v[5, x]
            t1 = v[0, x] + _sigma1(e) + _choose(e, v[6, x], v[7, x]) + k[t + 7] + w[t + 7, x]
            a = v[1, x]
            v[4, x] += t1
            v[0, x] = t1 + _sigma0(a) + _majority(a, v[2, x], v[3, x])
    for r in range(8):
        for x in range(LANES):
            state[r, x] = state[r, x] + v[r, x]


@jit.compiled
def _load(
    w: np.ndarray,
    x: int,
    data: np.ndarray,
    start: int,
    size: int,
    block: int,
    last: bool,
    bits: int,
) -> None:
    """Block number *block* of the padded message ``data[start : start + size]`` as 16
    big-endian words into lane *x* of ``w[:16]``: its bytes, ``0x80`` after them, zeros,
    and in the *last* block the length in *bits* (its last 8 bytes, which the message
    and the ``0x80`` never reach)."""
    base = _BLOCK * block
    for i in range(16):
        q = base + 4 * i
        if q + 4 <= size:
            p = start + q
            word = (
                (np.int64(data[p]) << 24)
                | (np.int64(data[p + 1]) << 16)
                | (np.int64(data[p + 2]) << 8)
                | np.int64(data[p + 3])
            )
        elif q > size:
            word = 0
        else:  # the message ends in this word
            word = 0
            for j in range(4):
                byte = 0
                if q + j < size:
                    byte = np.int64(data[start + q + j])
                elif q + j == size:
                    byte = 0x80
                word = (word << 8) | byte
        w[i, x] = word
    if last:
        w[14, x] = bits >> 32
        w[15, x] = bits & 0xFFFFFFFF


@jit.compiled
def _names(
    data: np.ndarray,
    offsets: np.ndarray,
    inner: np.ndarray,
    outer: np.ndarray,
    k: np.ndarray,
    hexdigits: np.ndarray,
    out: np.ndarray,
) -> None:
    """``u_`` and the first 16 hex digits of the HMAC of each message
    ``data[offsets[j]:offsets[j + 1]]`` into ``out[18 * j : 18 * j + 18]``, from the
    keyed states *inner* and *outer* (:func:`hmac_states`)."""
    n = len(offsets) - 1
    blocks = np.empty(n, dtype=np.int64)  # of the inner hash, after the key's block
    most = 1
    for j in range(n):
        blocks[j] = (offsets[j + 1] - offsets[j] + 9 + _BLOCK - 1) // _BLOCK
        most = max(most, blocks[j])
    first = np.zeros(most + 2, dtype=np.int64)  # the messages by blocks: a counting sort
    for j in range(n):
        first[blocks[j] + 1] += 1
    for b in range(1, most + 2):
        first[b] += first[b - 1]
    order = np.empty(n, dtype=np.int64)
    for j in range(n):
        order[first[blocks[j]]] = j
        first[blocks[j]] += 1
    state = np.empty((8, LANES), dtype=np.uint32)
    v = np.empty((8, LANES), dtype=np.uint32)
    w = np.zeros((64, LANES), dtype=np.uint32)
    lanes = np.empty(LANES, dtype=np.int64)
    at = 0
    while at < n:
        count = blocks[order[at]]
        used = 0
        while used < LANES and at + used < n and blocks[order[at + used]] == count:
            lanes[used] = order[at + used]
            used += 1
        for x in range(used, LANES):
            lanes[x] = lanes[0]
        at += used
        for r in range(8):
            for x in range(LANES):
                state[r, x] = inner[r]
        for b in range(count):
            for x in range(LANES):
                start = offsets[lanes[x]]
                size = offsets[lanes[x] + 1] - start
                _load(w, x, data, start, size, b, b == count - 1, (_BLOCK + size) * 8)
            _compress(state, v, w, k)
        for r in range(8):  # the outer hash: the inner digest, 0x80, zeros, 96 bytes
            for x in range(LANES):
                w[r, x] = state[r, x]
                state[r, x] = outer[r]
        for x in range(LANES):
            w[8, x] = 0x80000000
            for r in range(9, 15):
                w[r, x] = 0
            w[15, x] = (_BLOCK + 32) * 8
        _compress(state, v, w, k)
        for x in range(used):
            o = NAME_BYTES * lanes[x]
            out[o] = 117  # u
            out[o + 1] = 95  # _
            for i in range(8):
                out[o + 2 + i] = hexdigits[(state[0, x] >> (28 - 4 * i)) & 15]
                out[o + 10 + i] = hexdigits[(state[1, x] >> (28 - 4 * i)) & 15]


@jit.compiled
def _keyed(blocks: np.ndarray, iv: np.ndarray, k: np.ndarray) -> np.ndarray:
    """SHA-256's states (rows) after absorbing each of the 64-byte *blocks* (at most
    :data:`LANES` of them, ``uint8``, one after the other) from the initial *iv*."""
    n = len(blocks) // _BLOCK
    state = np.empty((8, LANES), dtype=np.uint32)
    v = np.empty((8, LANES), dtype=np.uint32)
    w = np.zeros((64, LANES), dtype=np.uint32)
    for r in range(8):
        for x in range(LANES):
            state[r, x] = iv[r]
    for x in range(n):
        _load(w, x, blocks, _BLOCK * x, _BLOCK, 0, False, 0)
    _compress(state, v, w, k)
    return state[:, :n].T.copy()


def hmac_states(key: bytes) -> tuple[np.ndarray, np.ndarray]:
    """SHA-256's states (8 words, ``uint32``) after absorbing HMAC's inner and outer
    padded keys (RFC 2104): the key (its SHA-256 digest when longer than a block),
    padded with zeros to 64 bytes and XORed with ``0x36`` and with ``0x5c``.

    >>> import hmac
    >>> key = b"k" * 65  # longer than a block: its digest stands for it
    >>> names(["m"], hmac_states(key)) == ["u_" + hmac.new(key, b"m", "sha256").hexdigest()[:16]]
    True
    """
    if len(key) > _BLOCK:
        key = hashlib.sha256(key).digest()
    block = np.frombuffer(key.ljust(_BLOCK, b"\0"), dtype=np.uint8)
    states = _keyed(np.concatenate([block ^ np.uint8(0x36), block ^ np.uint8(0x5C)]), _IV, _K)
    return states[0], states[1]


def pseudonyms(
    data: np.ndarray, offsets: np.ndarray, states: tuple[np.ndarray, np.ndarray]
) -> np.ndarray:
    """The names of the messages ``data[offsets[j]:offsets[j + 1]]`` (UTF-8 bytes,
    ``uint8``; offsets ``int64``) under the keyed *states* (:func:`hmac_states`): 18
    ASCII bytes each, one after the other (``uint8``)."""
    out = np.empty(NAME_BYTES * (len(offsets) - 1), dtype=np.uint8)
    _names(data, offsets, states[0], states[1], _K, _HEX, out)
    return out


def name_array(texts: pa.Array, states: tuple[np.ndarray, np.ndarray]) -> pa.LargeStringArray:
    """The names of *texts* (a ``large_string`` array without nulls) as a ``large_string``
    array wrapping :func:`pseudonyms`' buffer."""
    data, offsets = jit.string_buffers(texts)
    out = pseudonyms(data, offsets, states)
    starts = np.arange(0, len(out) + 1, NAME_BYTES, dtype=np.int64)
    return pa.Array.from_buffers(
        pa.large_string(), len(texts), [None, pa.py_buffer(starts), pa.py_buffer(out)]
    )


def names(authors: list[str], states: tuple[np.ndarray, np.ndarray]) -> list[str]:
    """The names of *authors* (:class:`str`; a lone surrogate raises as in
    :meth:`str.encode`).

    >>> names(["alice", "bob"], hmac_states(b"k"))
    ['u_ec631a55bb81f5b9', 'u_73662dcee4acad8d']
    """
    return name_array(pa.array(authors, pa.large_string()), states).to_pylist()


def warm() -> None:
    """Load (the first time: compile and cache) this module's machine code now, so that
    the first large batch does not wait for it.

    >>> warm()
    """
    names(["warm up"], hmac_states(b"warm"))
