"""``POST /v1/posts``: ingest posts for live detection (idempotent by post id)."""

from __future__ import annotations

import time

from fastapi import APIRouter, HTTPException

from detector.api.deps import RuntimeDep, WriteAccess
from detector.api.intake import NewPost, ingest
from detector.api.queries import counter, epoch, iso_s
from detector.api.schemas import IngestOut, PostsIn

router = APIRouter(prefix="/v1", tags=["posts"], dependencies=[WriteAccess])


@router.post("/posts", response_model=IngestOut)
def post_posts(body: PostsIn, runtime: RuntimeDep) -> IngestOut:
    """Count posts per service and bucket of their own ``created_at``; judge closed buckets.

    A post id already counted is skipped (``duplicates``), so resending a batch is safe.
    Buckets close ``late_buckets`` buckets after event time passed them; later posts are
    counted but their bucket is not judged again (``late``).
    """
    horizon = time.time() + runtime.settings.max_future_seconds
    posts = []
    for i, p in enumerate(body.posts):
        created = epoch(p.created_at)
        if created > horizon:
            raise HTTPException(
                422,
                f"posts.{i}.created_at: {iso_s(created)} is more than "
                f"{runtime.settings.max_future_seconds} s after the server clock "
                f"({iso_s(int(time.time()))}); posts cannot come from the future "
                "(OUTAGE_MAX_FUTURE)",
            )
        posts.append(NewPost(p.id, p.text, created, p.service))
    result = ingest(
        runtime.db, runtime.scorer, posts, max_new_services=runtime.settings.max_new_services
    )
    runtime.after_ingest()
    return IngestOut(
        received=result.received,
        accepted=result.accepted,
        duplicates=result.duplicates,
        late=result.late,
        outage_posts=result.outage_posts,
        blank=result.blank,
        watermark=iso_s(result.watermark),
        judged_until=iso_s(counter(runtime.db, "judged_until")),
    )
