"""Screening for the gateway: POST /v1/screen, POST /v1/screen/batch, GET /v1/search."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson
from fastapi import APIRouter, Body, Depends, Query, Request
from fastapi.responses import Response, StreamingResponse
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from api.auth import Principal, Scope
from api.deps import needs, service
from api.schemas import BatchRequest, ScreenRequest, ScreenResponse, SearchResponse
from api.screen import audit_query, screen
from api.service import Service
from graph.errors import BadInput, OwnergraphError

router = APIRouter(prefix="/v1", tags=["screening"])

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "unknown policy (the answer lists the known ones)"},
    401: {"description": "missing or unknown API key"},
    403: {"description": "the key's role may not do this"},
    413: {"description": "request body too large"},
    422: {"description": "invalid request; `field` names the offending field"},
    503: {"description": "no generation loaded yet"},
}


def _policy(svc: Service, requested: str | None) -> str:
    snap = svc.snapshot
    policy = requested or snap.default_policy
    snap.table(policy)  # raises UnknownName (400) listing the known policies
    return policy


def screen_one(svc: Service, req: ScreenRequest, principal: Principal,
               metrics: Any | None = None) -> dict[str, Any]:
    """One screen with its audit line: shared by the HTTP routes and the CLI."""
    snap = svc.snapshot
    policy = _policy(svc, req.policy)
    result = screen(snap, req, policy=policy, weak_threshold=svc.settings.weak_match_threshold,
                    answers=svc.answers_as_of(snap, policy, req.as_of))
    entity = result.get("entity") or {}
    svc.audit.record(key_id=principal.key_id, query=audit_query(req), verdict=result["verdict"],
                     entity_id=entity.get("id"), policy=policy, generation=snap.generation)
    if metrics is not None:
        metrics.verdict(policy, result["verdict"])
    return result


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
        "description": "one ScreenResponse per line (NDJSON), in request order; an item that "
                       "fails gives a line with `error`",
        "content": {"application/x-ndjson": {"schema": {"type": "string"}}}}},
    summary="Screen up to max_batch_items organisations; NDJSON streamed back in order",
    response_class=StreamingResponse,
)
def post_batch(request: Request, body: dict[str, Any] = Body(..., openapi_examples={
        "two": {"value": {"items": [{"name": "Dragon Peak Technology"},
                                    {"identifiers": {"lei": "5493001KJTIIGC8Y1R12"}}]}}}),
        principal: Principal = Depends(needs(Scope.SCREEN))) -> StreamingResponse:
    svc = service(request)
    items = body.get("items") if isinstance(body, dict) else None
    if isinstance(items, list) and len(items) > svc.settings.max_batch_items:
        raise BadInput(f"items: {len(items)} items; at most {svc.settings.max_batch_items} per "
                       "batch (OWNERGRAPH_MAX_BATCH_ITEMS)", field="items")
    try:
        batch = BatchRequest.model_validate(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        raise BadInput(f"{field}: {first['msg']}", field=field) from exc
    if batch.items:
        _policy(svc, batch.items[0].policy)  # fail the whole batch early on a bad first policy

    def lines() -> Iterator[bytes]:
        for item in batch.items:
            try:
                yield orjson.dumps(screen_one(svc, item, principal, request.app.state.metrics)) + b"\n"
            except OwnergraphError as exc:
                yield orjson.dumps({"error": {"code": exc.code, "message": exc.message}}) + b"\n"

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
