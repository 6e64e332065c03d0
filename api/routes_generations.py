"""Generations, watches and verdict-change events over HTTP."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as PathParam
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from api.auth import Principal, Scope
from api.deps import needs, service
from api.routes_screen import ERRORS
from api.schemas import ScreenRequest
from graph.errors import BadInput, NotFound

router = APIRouter(prefix="/v1", tags=["generations"])
GEN_ID = r"^g-[0-9a-f]{16}$"


@router.get("/generations", responses=ERRORS, summary="Generations kept on disk, newest first")
def get_generations(request: Request, _: Principal = Depends(needs(Scope.READ))) -> Any:
    from api.generations.history import generations

    return {"generations": generations(service(request).settings)}


@router.get("/generations/{a}/diff/{b}", responses={**ERRORS, 404: {}},
            summary="Entities whose verdict, exposure or ultimate controller changed from A to B, "
                    "with the edges that caused it")
async def get_diff(request: Request, a: str = PathParam(..., pattern=GEN_ID),
                   b: str = PathParam(..., pattern=GEN_ID),
                   limit: int = Query(1000, ge=1, le=100_000, description="entities listed"),
                   _: Principal = Depends(needs(Scope.READ))) -> Any:
    from api.generations.history import diff_generations

    return await run_in_threadpool(diff_generations, service(request).settings, a, b, limit)


@router.get("/generations/{generation}/entities/{entity_id}", responses={**ERRORS, 404: {}},
            summary="One entity's answers in a kept generation (as-of reads of past data)")
def get_entity_in_generation(request: Request, generation: str = PathParam(..., pattern=GEN_ID),
                             entity_id: str = PathParam(..., max_length=600),
                             _: Principal = Depends(needs(Scope.READ))) -> Any:
    from api.generations.history import answers_in

    return answers_in(service(request).settings, generation, entity_id)


@router.post("/generations/reload", responses=ERRORS,
             summary="Serve the published generation now (servers also poll for it)")
def post_reload(request: Request, _: Principal = Depends(needs(Scope.INGEST))) -> Any:
    from api.generations.serve import refresh

    svc = service(request)
    swapped = refresh(svc.settings, svc.snapshots)
    return {"generation": svc.snapshot.generation, "swapped": swapped}


class WatchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    entity_id: str | None = Field(None, max_length=600, description="canonical or member id")
    customer: ScreenRequest | None = Field(None, description="a screened customer, resolved now")
    url: str = Field(..., max_length=2000, description="webhook receiving POSTed events")
    policy: str | None = Field(None, max_length=64, description="only this policy (default: any)")
    secret: str | None = Field(None, min_length=16, max_length=200,
                               description="HMAC secret (default: generated, shown once)")
    label: str = Field("", max_length=200)


@router.post("/watches", status_code=201, responses=ERRORS,
             summary="Watch an entity: verdict changes are POSTed to the URL, signed")
def post_watch(request: Request, body: WatchRequest,
               principal: Principal = Depends(needs(Scope.SCREEN))) -> Any:
    from api.screen import resolve
    from api.watches import add_watch

    svc = service(request)
    entity_id = body.entity_id
    if entity_id is None and body.customer is not None:
        found = resolve(svc.snapshot, body.customer)
        if found is None:
            raise BadInput("customer: no entity matches this customer", field="customer")
        entity_id = svc.snapshot.entities[found.position].id
    if not entity_id:
        raise BadInput("entity_id: give entity_id or customer", field="entity_id")
    if body.policy is not None:
        svc.snapshot.table(body.policy)
    if svc.snapshots.ready and svc.snapshot.canonical(entity_id) is None:
        raise NotFound(f"no entity {entity_id!r} in the served generation", field="entity_id")
    watch = add_watch(svc.settings, entity_id, body.url, policy=body.policy, secret=body.secret,
                      label=body.label, owner=principal)
    return {**watch.public(), "secret": watch.secret}


@router.get("/watches", responses=ERRORS,
            summary="Watches of the caller's role (all for admins); no secrets, URLs redacted")
def get_watches(request: Request, principal: Principal = Depends(needs(Scope.SCREEN))) -> Any:
    from api.watches import visible_watches

    return {"watches": [w.public() for w in visible_watches(service(request).settings, principal)]}


@router.delete("/watches/{watch_id}", status_code=204, responses={**ERRORS, 404: {}},
               summary="Stop watching")
def delete_watch(request: Request, watch_id: str = PathParam(..., pattern=r"^w-[0-9a-f]{12}$"),
                 principal: Principal = Depends(needs(Scope.SCREEN))) -> None:
    from api.watches import remove_watch

    remove_watch(service(request).settings, watch_id, principal)


@router.get("/events", responses=ERRORS,
            summary="Verdict-change events with their webhook deliveries, newest first")
def get_events(request: Request, limit: int = Query(100, ge=1, le=1000),
               entity_id: str | None = Query(None, max_length=600),
               _: Principal = Depends(needs(Scope.READ))) -> Any:
    from api.watches import list_events

    return {"events": list_events(service(request).settings, limit, entity_id)}
