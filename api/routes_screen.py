"""Screening for the gateway: POST /v1/screen, POST /v1/screen/batch, GET /v1/search."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson
from fastapi import APIRouter, Body, Depends, Query, Request
from fastapi.responses import Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from api.auth import Principal, Scope
from api.batch import screen_item
from api.deps import needs, service
from api.schemas import ScreenRequest, ScreenResponse, SearchResponse
from api.screen import screen_one
from graph.errors import BadInput

router = APIRouter(prefix="/v1", tags=["screening"])

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "unknown policy (the answer lists the known ones)"},
    401: {"description": "missing or unknown API key"},
    403: {"description": "the key's role may not do this"},
    413: {"description": "request body too large"},
    422: {"description": "invalid request; `field` names the offending field"},
    503: {"description": "no generation loaded yet"},
}


@router.post("/screen", response_model=ScreenResponse, responses=ERRORS,
             summary="Screen one organisation under a policy")
async def post_screen(request: Request, req: ScreenRequest,
                      principal: Principal = Depends(needs(Scope.SCREEN))) -> Response:
    svc = service(request)
    args = (svc, req, principal, request.app.state.metrics)
    # an as_of date may evaluate a policy over the whole graph: never on the event loop
    if req.as_of:
        result = await run_in_threadpool(screen_one, *args)
    else:
        result = screen_one(*args)
    return Response(orjson.dumps(result), media_type="application/json")


@router.post(
    "/screen/batch", responses={**ERRORS, 200: {
        "description": "one line per item (NDJSON), in request order: the ScreenResponse, or "
                       "`error` (code, message, field) for an item that fails; each line "
                       "carries the item's `ref` when it had one",
        "content": {"application/x-ndjson": {"schema": {"type": "string"}}}}},
    summary="Screen up to max_batch_items organisations; NDJSON streamed back in order",
    response_class=StreamingResponse,
)
def post_batch(request: Request, body: dict[str, Any] = Body(..., openapi_examples={
        "two": {"value": {"items": [{"ref": "cust-1", "name": "Dragon Peak Technology"},
                                    {"ref": "cust-2",
                                     "identifiers": {"lei": "5493001KJTIIGC8Y1R12"}}]}}}),
        principal: Principal = Depends(needs(Scope.SCREEN))) -> StreamingResponse:
    svc = service(request)
    items = body.get("items") if isinstance(body, dict) else None
    extra = sorted(set(body) - {"items"}) if isinstance(body, dict) else []
    if extra:
        raise BadInput(f"{extra[0]}: not a batch field (send {{\"items\": [...]}})",
                       field=extra[0])
    if not isinstance(items, list) or not items:
        raise BadInput("items: a non-empty list of screen requests is required", field="items")
    if len(items) > svc.settings.max_batch_items:
        raise BadInput(f"items: {len(items)} items; at most {svc.settings.max_batch_items} per "
                       "batch (OWNERGRAPH_MAX_BATCH_ITEMS)", field="items")
    svc.snapshot  # noqa: B018 - no generation: 503 for the batch, before any line
    metrics = request.app.state.metrics

    def lines() -> Iterator[bytes]:
        for i, raw in enumerate(items):
            yield orjson.dumps(screen_item(svc, f"items.{i}", raw, principal, metrics)) + b"\n"

    return StreamingResponse(lines(), media_type="application/x-ndjson")


@router.get("/search", response_model=SearchResponse, responses=ERRORS,
            summary="Ranked name candidates with scores")
def get_search(request: Request, q: str = Query(..., min_length=1, max_length=400),
               country: str | None = Query(None, pattern=r"^[A-Za-z]{2}$"),
               limit: int = Query(10, ge=1, le=100),
               principal: Principal = Depends(needs(Scope.SCREEN))) -> dict[str, Any]:
    snap = service(request).snapshot
    hits = snap.search(q, limit * 3 if country else limit)
    results = []
    for hit in hits:
        e = snap.entities[hit.entity]
        if country and country.upper() not in {e.jurisdiction, e.hq_country}:
            continue
        results.append({"id": e.id, "name": e.name, "matched_name": hit.name,
                        "jurisdiction": e.jurisdiction, "score": hit.score})
    return {"query": q, "results": results[:limit], "generation": snap.generation}
