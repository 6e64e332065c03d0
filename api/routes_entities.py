"""Investigator reads: entities, owners, subsidiaries, controllers, paths, provenance,
graph queries, judgements and the review queue."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from api.auth import Principal, Scope
from api.deps import needs, service
from api.entity_ids import alias
from api.routes_screen import ERRORS
from api.schemas import (
    CypherRequest,
    CypherResponse,
    EdgeList,
    EntityDetail,
    JudgementRequest,
    PathList,
)
from api.service import Service
from api.snapshot import Snapshot
from graph.errors import NotFound
from graph.model import Decision, Judgement

router = APIRouter(prefix="/v1", tags=["investigation"])

EntityId = Path(..., min_length=1, max_length=300, description="canonical or merged entity id")
NOT_FOUND = {**ERRORS, 404: {"description": "no such entity"},
             308: {"description": "a merged id: redirect to the canonical id"}}


def _position(snap: Snapshot, entity_id: str, request: Request) -> int | Response:
    """The entity's position, or a 308 to its canonical id when it was merged (or written
    in another letter case, or given as a bare LEI)."""
    canonical = snap.canonical(entity_id) or alias(snap, entity_id)
    if canonical is None:
        raise NotFound(f"no entity {entity_id!r}", field="id")
    if canonical != entity_id:
        prefix = "/v1/entities/"
        rest = request.url.path[len(prefix) + len(entity_id):] if request.url.path.startswith(
            prefix + entity_id) else ""
        target = request.url.replace(path=prefix + _quoted(canonical) + rest)
        return RedirectResponse(str(target), status_code=308)
    return snap.position[canonical]


def _quoted(entity_id: str) -> str:
    from urllib.parse import quote

    return quote(entity_id, safe=":")


def _store_ids(snap: Snapshot, pos: int) -> tuple[str, ...]:
    return snap.entities[pos].members or (snap.entities[pos].id,)


@router.get("/entities/{entity_id}", response_model=EntityDetail, responses=NOT_FOUND)
def get_entity(request: Request, entity_id: str = EntityId,
               _: Principal = Depends(needs(Scope.READ))) -> Any:
    snap = service(request).snapshot
    pos = _position(snap, entity_id, request)
    if isinstance(pos, Response):
        return pos
    e = snap.entities[pos]
    verdicts = {}
    for policy in snap.policies:
        answer = snap.answer(policy, pos)
        verdicts[policy] = {"verdict": answer["verdict"], "exposure": answer["exposure"]}
    return {"id": e.id, "name": e.name, "kind": e.kind, "jurisdiction": e.jurisdiction,
            "hq_country": e.hq_country, "names": list(e.names),
            "identifiers": [{"scheme": s, "value": v} for s, v in e.identifiers],
            "members": list(e.members), "addresses": list(e.addresses), "flags": list(e.flags),
            "verdicts": verdicts, "generation": snap.generation}


def _edges(svc: Service, request: Request, entity_id: str, direction: str, hops: int) -> Any:
    snap = svc.snapshot
    pos = _position(snap, entity_id, request)
    if isinstance(pos, Response):
        return pos
    store = svc.require_store()
    fetch = store.owners if direction == "owners" else store.subsidiaries
    edges: list[dict[str, Any]] = []
    for member in _store_ids(snap, pos):
        edges.extend(_canonicalise(snap, edge) for edge in fetch(member, hops))
    return {"entity": snap.entities[pos].id, "edges": edges}


def _canonicalise(snap: Snapshot, edge: dict[str, Any]) -> dict[str, Any]:
    out = dict(edge)
    for end in ("owner", "owned"):
        if isinstance(out.get(end), str):
            canonical = snap.canonical(out[end])
            out[f"{end}_canonical"] = canonical
            if canonical is not None:
                out[f"{end}_name"] = snap.entities[snap.position[canonical]].name
    return out


@router.get("/entities/{entity_id}/owners", response_model=EdgeList, responses=NOT_FOUND)
def get_owners(request: Request, entity_id: str = EntityId, hops: int = Query(1, ge=1, le=6),
               _: Principal = Depends(needs(Scope.READ))) -> Any:
    return _edges(service(request), request, entity_id, "owners", hops)


@router.get("/entities/{entity_id}/subsidiaries", response_model=EdgeList, responses=NOT_FOUND)
def get_subsidiaries(request: Request, entity_id: str = EntityId,
                     hops: int = Query(1, ge=1, le=6),
                     _: Principal = Depends(needs(Scope.READ))) -> Any:
    return _edges(service(request), request, entity_id, "subsidiaries", hops)


@router.get("/entities/{entity_id}/controllers", responses=NOT_FOUND)
def get_controllers(request: Request, entity_id: str = EntityId,
                    policy: str | None = Query(None, max_length=64),
                    _: Principal = Depends(needs(Scope.READ))) -> Any:
    svc = service(request)
    snap = svc.snapshot
    pos = _position(snap, entity_id, request)
    if isinstance(pos, Response):
        return pos
    name = policy or snap.default_policy
    answer = snap.answer(name, pos)
    return {"entity": snap.entities[pos].id, "policy": name, **answer,
            "generation": snap.generation}


@router.get("/entities/{entity_id}/paths", response_model=PathList, responses=NOT_FOUND)
def get_paths(request: Request, entity_id: str = EntityId,
              to: str = Query(..., min_length=1, max_length=300, description="owned entity id"),
              max_hops: int = Query(6, ge=1, le=10),
              _: Principal = Depends(needs(Scope.READ))) -> Any:
    svc = service(request)
    snap = svc.snapshot
    pos = _position(snap, entity_id, request)
    if isinstance(pos, Response):
        return pos
    target = snap.canonical(to)
    if target is None:
        raise NotFound(f"no entity {to!r}", field="to")
    store = svc.require_store()
    paths: list[list[dict[str, Any]]] = []
    for src in _store_ids(snap, pos):
        for dst in _store_ids(snap, snap.position[target]):
            paths.extend([_canonicalise(snap, e) for e in p] for p in store.paths(src, dst, max_hops))
    return {"source": snap.entities[pos].id, "target": target, "paths": paths}


@router.get("/entities/{entity_id}/records", responses=NOT_FOUND,
            summary="The source records merged into this entity, with provenance")
def get_records(request: Request, entity_id: str = EntityId,
                _: Principal = Depends(needs(Scope.READ))) -> Any:
    snap = service(request).snapshot
    pos = _position(snap, entity_id, request)
    if isinstance(pos, Response):
        return pos
    e = snap.entities[pos]
    return {"entity": e.id, "records": list(e.provenance), "generation": snap.generation}


@router.post("/cypher", response_model=CypherResponse, responses=ERRORS,
             summary="Read-only graph query with timeout and row cap")
def post_cypher(request: Request, body: CypherRequest,
                _: Principal = Depends(needs(Scope.QUERY))) -> Any:
    svc = service(request)
    cap = min(body.row_cap or svc.settings.query_row_cap, svc.settings.query_row_cap)
    timeout = min(body.timeout_ms or svc.settings.query_timeout_ms, svc.settings.query_timeout_ms)
    result = svc.require_store().read_query(body.query, body.parameters, timeout_ms=timeout,
                                            row_cap=cap)
    return {"columns": result.columns, "rows": result.rows, "truncated": result.truncated}


@router.post("/judgements", status_code=201, responses=ERRORS,
             summary="Record a same / not-same / unsure decision (applied on the next resolve)")
def post_judgement(request: Request, body: JudgementRequest,
                   principal: Principal = Depends(needs(Scope.JUDGE))) -> Any:
    svc = service(request)
    snap = svc.snapshot
    for field in ("left", "right"):
        if snap.canonical(getattr(body, field)) is None:
            raise NotFound(f"no entity {getattr(body, field)!r}", field=field)
    judgement = Judgement(left=body.left, right=body.right, decision=Decision(body.decision),
                          user=principal.name or principal.key_id,
                          at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                          reason=body.reason)
    svc.require_store().add_judgement(judgement)
    return {"left": judgement.left, "right": judgement.right, "decision": judgement.decision.value,
            "user": judgement.user, "at": judgement.at, "reason": judgement.reason}


@router.get("/review", responses=ERRORS, summary="Match candidates waiting for a judgement")
def get_review(request: Request, limit: int = Query(100, ge=1, le=1000),
               _: Principal = Depends(needs(Scope.READ))) -> Any:
    candidates = service(request).require_store().candidates("review")
    return {"candidates": [
        {"left": c.left, "right": c.right, "probability": c.probability,
         "explanation": c.explanation, "status": c.status} for c in candidates[:limit]],
        "total": len(candidates)}
