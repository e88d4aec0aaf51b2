"""``POST /v1/classify``: the model's verdict on posts, without storing them."""

from __future__ import annotations

import json

from fastapi import APIRouter, Response

from detector.api.deps import ReadAccess, RuntimeDep, busy_slot
from detector.api.openapi import errors
from detector.api.runtime import INLINE_CHARS
from detector.api.schemas import ClassifyIn, ClassifyOut
from detector.api.scoring import text_weight

router = APIRouter(prefix="/v1", tags=["classify"], dependencies=[ReadAccess])


@router.post("/classify", response_model=ClassifyOut, responses=errors(503))
async def classify(body: ClassifyIn, runtime: RuntimeDep) -> Response:
    """Classify posts: outage or not, with probability, symptom and the services named.

    Nothing is stored; concurrent requests share one model call. Large requests run
    off the event loop, at most ``OUTAGE_MAX_BUSY`` at once per worker (then 503).
    """
    texts = [p.text for p in body.posts]
    if text_weight(texts) <= INLINE_CHARS:
        v = await runtime.batcher.submit(texts)
    else:
        async with busy_slot(runtime.busy, "large classify requests (OUTAGE_MAX_BUSY)"):
            v = await runtime.batcher.submit(texts)
    # The hot path: the verdicts are plain JSON values already, so they are encoded
    # directly instead of being validated again as ClassifyOut (the documented shape).
    posts = [
        {
            "id": post.id,
            "label": v.label[i],
            "is_outage": v.is_outage[i],
            "outage_prob": v.outage_prob[i],
            "symptom": v.symptom[i],
            "services": v.services[i],
        }
        for i, post in enumerate(body.posts)
    ]
    return Response(json.dumps({"posts": posts}), media_type="application/json")
