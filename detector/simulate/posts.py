"""Draw the posts of a :class:`~detector.simulate.plan.Plan`, in time-ordered chunks.

Counts per stream and minute are drawn first (Poisson around the plan's rates, or
a multinomial split of an exact total), then each chunk of minutes is expanded
into posts with vectorised numpy: random millisecond within the minute, a text
from the stream's pool of rendered posts, an author, and an X-style snowflake id.
Each stream's pool holds one rendering per post up to :data:`POOL_CAP`; beyond
that, posts reuse pool texts with a random suffix, so ten million posts take no
more Python-level rendering than a few hundred thousand.

>>> from detector.simulate.scenarios import build_plan
>>> plan = build_plan("load", seed=0, days=2, posts=500)
>>> frames = list(generate_posts(plan, seed=0))
>>> posts = pd.concat(frames)
>>> len(posts), list(posts.columns)
(500, ['id', 'created_at', 'author_id', 'text'])
>>> posts["created_at"].iloc[0]
'2025-03-03T00:02:32.433Z'
>>> bool(posts["created_at"].is_monotonic_increasing), posts["id"].is_unique
(True, True)
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from detector.errors import UsageError
from detector.simulate.plan import Plan, StreamSpec
from detector.simulate.render import Renderer
from detector.simulate.services import SERVICES

#: Distinct renderings per stream; beyond this, texts are reused with suffixes.
POOL_CAP = 2500
#: Rows per chunk (bounded memory for any size of export).
CHUNK_ROWS = 250_000
#: Twitter's snowflake epoch (ms), so ids look like real post ids and grow with time.
SNOWFLAKE_EPOCH_MS = 1288834974657
COLUMNS = ["id", "created_at", "author_id", "text"]

_SUFFIX_ANGRY = np.array(
    ["", "", "", "!", "!!", " 😩", " 🙄", " ugh", " smh", " #fail", " ffs", " 😤", " pls"],
    dtype=object,
)
_SUFFIX_CALM = np.array(
    ["", "", "", "!", " 👀", " ✨", " lol", " tbh", " :)", " #tech", " 🙂", " fr", " ngl"],
    dtype=object,
)


def draw_counts(plan: Plan, rng: np.random.Generator) -> np.ndarray:
    """Posts per stream (rows) and minute (columns) for *plan*.

    >>> import numpy as np
    >>> from detector.simulate.scenarios import build_plan
    >>> plan = build_plan("quiet-day", seed=0, posts=1000)
    >>> int(draw_counts(plan, np.random.default_rng(0)).sum())
    1000
    """
    rates = np.vstack([s.rate for s in plan.streams]) if plan.streams else np.zeros((0, 0))
    if plan.posts is None:
        return rng.poisson(rates).astype(np.int64)
    end = plan.start + pd.Timedelta(minutes=plan.minutes)
    n_scheduled = sum(plan.start <= s.time < end for s in plan.scheduled)
    wanted = plan.posts - n_scheduled
    if wanted < 0:
        raise UsageError(
            f"The 'posts' option ({plan.posts}) is smaller than the {n_scheduled} "
            f"vendor status posts of scenario {plan.scenario!r}."
        )
    total = rates.sum()
    flat = rates.ravel() / total
    return rng.multinomial(wanted, flat).reshape(rates.shape).astype(np.int64)


def _render(stream: StreamSpec, renderer: Renderer) -> str:
    rng = renderer.rng
    service = SERVICES[stream.service] if stream.service else None
    if stream.kind == "everyday" or service is None:
        return renderer.everyday()
    if stream.kind == "complaint":
        return renderer.complaint(service)
    if stream.kind == "chatter":
        return renderer.chatter(service)
    if stream.kind == "news":
        return renderer.news(service)
    symptoms = list(stream.symptoms) or ["app"]
    weights = list(stream.symptoms.values()) or [1.0]
    symptom = rng.choices(symptoms, weights=weights)[0]
    if stream.multi and rng.random() < stream.multi:
        partners = stream.partners or tuple(
            n for n, s in SERVICES.items() if s.kind == service.kind and n != service.name
        )
        partners = partners or tuple(n for n in SERVICES if n != service.name)
        return renderer.outage(service, symptom, second=SERVICES[rng.choice(partners)])
    if stream.aliases:
        names = list(stream.aliases)
        service = SERVICES[rng.choices(names, weights=list(stream.aliases.values()))[0]]
    return renderer.outage(service, symptom, named=rng.random() < stream.named)


def _authors(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """*n* author ids and the cumulative weights of a heavy-tailed posting activity."""
    ids = rng.integers(10**7, 2**61, size=n).astype(str).astype(object)
    weights = 1.0 / (np.arange(n) + 20.0) ** 0.9
    return ids, np.cumsum(weights)


def generate_posts(
    plan: Plan, seed: int, *, chunk_rows: int = CHUNK_ROWS
) -> Iterator[pd.DataFrame]:
    """Yield the posts of *plan* as pandas frames with :data:`COLUMNS`, in time order.

    Same *plan* and *seed*, same posts. See :func:`generate_tables`.
    """
    for table in generate_tables(plan, seed, chunk_rows=chunk_rows):
        yield table.to_pandas()


def generate_tables(plan: Plan, seed: int, *, chunk_rows: int = CHUNK_ROWS) -> Iterator[pa.Table]:
    """Yield the posts of *plan* as Arrow tables of string :data:`COLUMNS`, in time order.

    Chunks hold about *chunk_rows* rows (whole minutes), so memory stays bounded
    for any size of export; strings are gathered and formatted by Arrow kernels.
    """
    count_rng, author_rng, *chunk_rngs = (
        np.random.default_rng(s) for s in np.random.SeedSequence([seed, 7]).spawn(7)
    )
    # one generator per kind of per-post draw, so the posts do not depend on chunk size
    draws = _Draws(*chunk_rngs)
    renderer = Renderer(seed)
    counts = draw_counts(plan, count_rng)
    n_streams = len(plan.streams)
    per_stream = counts.sum(axis=1)
    pool_size = np.minimum(per_stream, POOL_CAP)
    texts = [
        _render(stream, renderer)
        for stream, size in zip(plan.streams, pool_size, strict=True)
        for _ in range(int(size))
    ]
    scheduled_text = [
        renderer.status(SERVICES[s.service], s.phase, s.ref, step=s.step) for s in plan.scheduled
    ]
    pool = pa.array(texts + scheduled_text, type=pa.string())
    scheduled_offset = len(texts)
    pools = _Pools(
        offset=np.concatenate([[0], np.cumsum(pool_size)[:-1]]).astype(np.int64),
        size=pool_size,
        capped=pool_size < per_stream,
        angry=np.array([s.kind in ("outage", "complaint") for s in plan.streams], dtype=bool),
        media=np.array([s.kind == "news" for s in plan.streams], dtype=bool),
        cursor=np.zeros(n_streams, dtype=np.int64),
    )

    expected = int(per_stream.sum()) + len(plan.scheduled)
    n_crowd = int(min(max(expected // 2, 200), 3_000_000))
    crowd_ids = author_rng.integers(10**7, 2**61, size=n_crowd)
    media_ids = author_rng.integers(10**7, 2**61, size=40)
    vendor_ids = {name: 10**9 + 7919 * (k + 1) for k, name in enumerate(SERVICES)}
    scheduled_minute = np.array(
        [(s.time - plan.start) // pd.Timedelta(minutes=1) for s in plan.scheduled], dtype=np.int64
    )

    start_ms = plan.start.value // 1_000_000
    cum = np.cumsum(counts.sum(axis=0))
    row_base = 0
    m0 = 0
    while m0 < plan.minutes:
        done = cum[m0 - 1] if m0 else 0
        m1 = int(np.searchsorted(cum, done + chunk_rows, side="right"))
        m1 = min(max(m1, m0 + 1), plan.minutes)
        t_ms, text_at, author, suffix = _chunk(
            counts[:, m0:m1],
            m0,
            start_ms,
            draws,
            pools,
            crowd_ids,
            media_ids,
        )
        here = np.flatnonzero((scheduled_minute >= m0) & (scheduled_minute < m1))
        if len(here):
            t_ms = np.concatenate(
                [t_ms, [plan.scheduled[i].time.value // 1_000_000 for i in here]]
            ).astype(np.int64)
            text_at = np.concatenate([text_at, scheduled_offset + here])
            author = np.concatenate(
                [author, [vendor_ids[plan.scheduled[i].service] for i in here]]
            ).astype(np.int64)
            suffix = np.concatenate([suffix, np.zeros(len(here), dtype=np.int64)])
            order = np.argsort(t_ms, kind="stable")
            t_ms, text_at, author, suffix = (
                t_ms[order],
                text_at[order],
                author[order],
                suffix[order],
            )
        if len(t_ms):
            yield _table(t_ms, pool.take(text_at), author, suffix, row_base)
        row_base += len(t_ms)
        m0 = m1


@dataclass(frozen=True)
class _Draws:
    """Random generators for the per-post draws of the chunks."""

    time: np.random.Generator
    text: np.random.Generator
    suffix: np.random.Generator
    author: np.random.Generator
    media: np.random.Generator


@dataclass
class _Pools:
    """Where each stream's texts sit in the pool, and which streams reuse texts."""

    offset: np.ndarray
    size: np.ndarray
    capped: np.ndarray
    angry: np.ndarray
    media: np.ndarray
    cursor: np.ndarray  # next unused text of each (uncapped) stream


def _chunk(
    sub: np.ndarray,
    m0: int,
    start_ms: int,
    draws: _Draws,
    pools: _Pools,
    crowd_ids: np.ndarray,
    media_ids: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Times, pool positions, authors and suffix codes of one block of minutes."""
    minute, stream = np.nonzero(sub.T)
    reps = sub.T[minute, stream]
    stream_of = np.repeat(stream, reps)
    t_ms = start_ms + np.repeat(minute + m0, reps).astype(np.int64) * 60_000
    t_ms += draws.time.integers(0, 60_000, size=len(t_ms))
    order = np.argsort(t_ms, kind="stable")
    t_ms, stream_of = t_ms[order], stream_of[order]
    n = len(t_ms)

    # each stream takes its pool texts in order; capped streams pick at random
    per = np.bincount(stream_of, minlength=len(pools.size))
    by_stream = np.argsort(stream_of, kind="stable")
    rank = np.empty(n, dtype=np.int64)
    rank[by_stream] = np.arange(n) - np.repeat(np.cumsum(per) - per, per)
    pick = pools.cursor[stream_of] + rank
    pools.cursor += per
    is_capped = pools.capped[stream_of]
    random_pick = draws.text.integers(0, 2**62, size=n) % np.maximum(pools.size[stream_of], 1)
    pick = np.where(is_capped, random_pick, pick)
    # suffix code: 0 none, +k calm suffix k, -k angry suffix k (only for reused texts)
    code = draws.suffix.integers(1, len(_SUFFIX_ANGRY), size=n)
    suffix = np.where(is_capped, np.where(pools.angry[stream_of], -code, code), 0)

    who = _heavy_tail(draws.author.random(n), len(crowd_ids))
    author = crowd_ids[who]
    media_author = media_ids[draws.media.integers(0, len(media_ids), size=n)]
    author = np.where(pools.media[stream_of], media_author, author)
    return t_ms, pools.offset[stream_of] + pick, author, suffix


def _heavy_tail(u: np.ndarray, n: int) -> np.ndarray:
    """Author ranks in [0, n) with weight ~ 1/(rank+50)^0.6 (a few post a lot), by
    inverting the continuous CDF instead of searching a table.

    >>> _heavy_tail(np.array([0.0, 0.5, 0.999999]), 10_000).tolist()
    [0, 2307, 9999]
    """
    lo, hi = 50.0**0.4, (n + 50.0) ** 0.4
    rank = (lo + u * (hi - lo)) ** 2.5 - 50.0
    return np.clip(rank.astype(np.int64), 0, n - 1)


def _table(
    t_ms: np.ndarray, text: pa.Array, author: np.ndarray, suffix: np.ndarray, row_base: int
) -> pa.Table:
    rows = row_base + np.arange(len(t_ms), dtype=np.int64)
    ids = ((t_ms - SNOWFLAKE_EPOCH_MS) << 22) | (rows & 0x3FFFFF)
    if suffix.any():
        ends = np.where(suffix < 0, _SUFFIX_ANGRY[-suffix], _SUFFIX_CALM[np.abs(suffix)])
        text = pc.binary_join_element_wise(text, pa.array(ends, type=pa.string()), "")
    return pa.table(
        {
            "id": pc.cast(pa.array(ids), pa.string()),
            "created_at": iso_ms(t_ms),
            "author_id": pc.cast(pa.array(author), pa.string()),
            "text": text,
        }
    )


_TWO_DIGITS = np.array([list(f"{i:02d}".encode()) for i in range(100)], dtype=np.uint8)
_THREE_DIGITS = np.array([list(f"{i:03d}".encode()) for i in range(1000)], dtype=np.uint8)


def iso_ms(t_ms: np.ndarray) -> pa.Array:
    """ISO 8601 UTC strings with milliseconds and ``Z`` for epoch milliseconds.

    Written byte by byte with numpy (Arrow's ``strftime`` is ~10x slower).

    >>> iso_ms(np.array([0, 1741788303123])).to_pylist()
    ['1970-01-01T00:00:00.000Z', '2025-03-12T14:05:03.123Z']
    """
    t = np.asarray(t_ms, dtype=np.int64)
    out = np.empty((len(t), 24), dtype=np.uint8)
    if len(t):
        days, ms_of_day = np.divmod(t, 86_400_000)
        first = int(days.min())
        dates = np.array(
            [
                list(str(np.datetime64(first + k, "D")).encode() + b"T")
                for k in range(int(days.max()) - first + 1)
            ],
            dtype=np.uint8,
        )
        out[:, :11] = dates[days - first]
        secs, ms = np.divmod(ms_of_day, 1000)
        mins, ss = np.divmod(secs, 60)
        hh, mm = np.divmod(mins, 60)
        out[:, 11:13] = _TWO_DIGITS[hh]
        out[:, 13] = ord(":")
        out[:, 14:16] = _TWO_DIGITS[mm]
        out[:, 16] = ord(":")
        out[:, 17:19] = _TWO_DIGITS[ss]
        out[:, 19] = ord(".")
        out[:, 20:23] = _THREE_DIGITS[ms]
        out[:, 23] = ord("Z")
    offsets = np.arange(0, 24 * (len(t) + 1), 24, dtype=np.int32)
    return pa.Array.from_buffers(
        pa.string(), len(t), [None, pa.py_buffer(offsets), pa.py_buffer(out)]
    )


__all__ = ["CHUNK_ROWS", "COLUMNS", "POOL_CAP", "draw_counts", "generate_posts", "generate_tables"]
