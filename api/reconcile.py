"""The W3C Reconciliation Service API (the protocol OpenRefine speaks).

- ``GET /reconcile`` answers the service manifest;
- ``POST /reconcile`` (form field ``queries`` or ``extend``, as OpenRefine sends them, or the
  same JSON objects in a JSON body) answers batched queries / data extension;
- ``GET /reconcile/properties`` proposes properties; ``GET /reconcile/preview?id=`` gives a
  small HTML card.

OpenRefine cannot set headers, so the API key may come as ``?key=`` on the service URL.
"""

from __future__ import annotations

import html
import json
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from api.auth import Principal, Scope
from api.deps import needs_for_reconcile, service
from api.routes_screen import ERRORS
from api.snapshot import Snapshot
from graph.errors import BadInput, NotFound

router = APIRouter(prefix="/reconcile", tags=["reconciliation"])

ENTITY_TYPE = {"id": "Organization", "name": "Organization"}
PROPERTIES = [
    {"id": "jurisdiction", "name": "Jurisdiction (ISO 3166-1 alpha-2)"},
    {"id": "hq_country", "name": "Headquarters country"},
    {"id": "lei", "name": "LEI"},
    {"id": "verdict", "name": "Verdict under the default policy"},
]
MATCH_SCORE = 0.95  # auto-match: best candidate at or above this and clearly ahead of the next
MAX_QUERIES = 100


def _manifest(request: Request) -> dict[str, Any]:
    base = str(request.base_url).rstrip("/") + "/reconcile"
    key = request.query_params.get("key")
    suffix = f"&key={key}" if key else ""
    return {
        "versions": ["0.2"],
        "name": "ownergraph organisations",
        "identifierSpace": "https://ownergraph.invalid/entity/",
        "schemaSpace": "https://ownergraph.invalid/schema/",
        "defaultTypes": [ENTITY_TYPE],
        "view": {"url": base.replace("/reconcile", "/v1/entities/{{id}}")},
        "preview": {"url": f"{base}/preview?id={{{{id}}}}{suffix}", "width": 400, "height": 120},
        "extend": {"propose_properties": {"service_url": base, "service_path": "/properties"},
                   "property_settings": []},
    }


@router.get("", responses=ERRORS, summary="Service manifest (or queries as ?queries=)")
def get_reconcile(request: Request, queries: str | None = Query(None, max_length=4000),
                  _: Principal = Depends(needs_for_reconcile(Scope.SCREEN))) -> Any:
    if queries:
        return _answer_queries(service(request).snapshot, _json_field(queries, "queries"))
    return _manifest(request)


@router.post("", responses=ERRORS, summary="Batched queries or data extension")
async def post_reconcile(request: Request,
                         _: Principal = Depends(needs_for_reconcile(Scope.SCREEN))) -> Any:
    fields = await _fields(request)
    snap = service(request).snapshot
    if "queries" in fields:
        return _answer_queries(snap, _json_field(fields["queries"], "queries"))
    if "extend" in fields:
        return _extend(request, snap, _json_field(fields["extend"], "extend"))
    raise BadInput("send a 'queries' or 'extend' field", field="queries")


async def _fields(request: Request) -> dict[str, str]:
    body = (await request.body()).decode("utf-8", errors="replace")
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            doc = json.loads(body)
        except ValueError as exc:
            raise BadInput(f"body: not JSON ({exc})", field="body") from exc
        if not isinstance(doc, dict):
            raise BadInput("body: expected a JSON object", field="body")
        return {k: json.dumps(v) if not isinstance(v, str) else v for k, v in doc.items()}
    return {k: v[0] for k, v in parse_qs(body).items() if v}


def _json_field(raw: str, name: str) -> dict[str, Any]:
    try:
        doc = json.loads(raw)
    except ValueError as exc:
        raise BadInput(f"{name}: not JSON ({exc})", field=name) from exc
    if not isinstance(doc, dict):
        raise BadInput(f"{name}: expected a JSON object", field=name)
    if len(doc) > MAX_QUERIES:
        raise BadInput(f"{name}: {len(doc)} entries; at most {MAX_QUERIES} per request", field=name)
    return doc


def _answer_queries(snap: Snapshot, queries: dict[str, Any]) -> dict[str, Any]:
    return {qid: {"result": _candidates(snap, q, qid)} for qid, q in queries.items()}


def _candidates(snap: Snapshot, q: Any, qid: str) -> list[dict[str, Any]]:
    if not isinstance(q, dict) or not isinstance(q.get("query"), str) or not q["query"].strip():
        raise BadInput(f"queries.{qid}.query: a non-empty string is required",
                       field=f"queries.{qid}.query")
    limit = q.get("limit", 5)
    limit = limit if isinstance(limit, int) and 0 < limit <= 50 else 5
    wanted = _property_values(q.get("properties"), qid)
    country = wanted.get("jurisdiction") or wanted.get("country")
    # the resolver's model scores the country with the name (matching.screening)
    hits = snap.search(q["query"][:400], limit * 2, country.upper() if country else None)
    results: list[dict[str, Any]] = []
    for hit in hits:
        e = snap.entities[hit.entity]
        score = hit.score
        lei = wanted.get("lei")
        if lei and any(s == "lei" and v.upper() == lei.upper() for s, v in e.identifiers):
            score = 1.0
        results.append({"id": e.id, "name": e.name, "score": round(score * 100, 2),
                        "type": [ENTITY_TYPE], "match": False, "description": e.jurisdiction or ""})
    results.sort(key=lambda r: -r["score"])
    results = results[:limit]
    if results and results[0]["score"] >= MATCH_SCORE * 100 and (
            len(results) == 1 or results[0]["score"] - results[1]["score"] >= 5):
        results[0]["match"] = True
    return results


def _property_values(props: Any, qid: str) -> dict[str, str]:
    if props is None:
        return {}
    if not isinstance(props, list):
        raise BadInput(f"queries.{qid}.properties: expected a list", field=f"queries.{qid}.properties")
    values: dict[str, str] = {}
    for p in props:
        if isinstance(p, dict) and isinstance(p.get("pid"), str) and isinstance(p.get("v"), str):
            values[p["pid"]] = p["v"]
    return values


def _extend(request: Request, snap: Snapshot, doc: dict[str, Any]) -> dict[str, Any]:
    ids, props = doc.get("ids"), doc.get("properties")
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise BadInput("extend.ids: expected a list of entity ids", field="extend.ids")
    if not isinstance(props, list):
        raise BadInput("extend.properties: expected a list", field="extend.properties")
    wanted = [str(p["id"]) for p in props if isinstance(p, dict) and isinstance(p.get("id"), str)]
    known = {p["id"]: p for p in PROPERTIES}
    unknown = [p for p in wanted if p not in known]
    if unknown:
        raise BadInput(f"extend.properties: unknown {unknown}; known: {sorted(known)}",
                       field="extend.properties")
    policy = service(request).snapshot.default_policy
    rows: dict[str, dict[str, list[dict[str, str]]]] = {}
    for entity_id in ids[:MAX_QUERIES]:
        canonical = snap.canonical(entity_id)
        pos = snap.position.get(canonical) if canonical else None
        rows[entity_id] = {p: _cell(snap, pos, p, policy) for p in wanted}
    return {"meta": [known[p] for p in wanted], "rows": rows}


def _cell(snap: Snapshot, pos: int | None, prop: str, policy: str) -> list[dict[str, str]]:
    if pos is None:
        return []
    e = snap.entities[pos]
    if prop == "jurisdiction":
        value = e.jurisdiction
    elif prop == "hq_country":
        value = e.hq_country
    elif prop == "lei":
        value = next((v for s, v in e.identifiers if s == "lei"), None)
    else:
        value = snap.answer(policy, pos)["verdict"] if policy in snap.policies else None
    return [{"str": value}] if value else []


@router.get("/properties", responses=ERRORS, summary="Properties for data extension")
def get_properties(type: str = Query("Organization", max_length=100),  # noqa: A002 (protocol name)
                   limit: int = Query(20, ge=1, le=100),
                   _: Principal = Depends(needs_for_reconcile(Scope.SCREEN))) -> Any:
    return {"type": type, "properties": PROPERTIES[:limit]}


@router.get("/preview", response_class=HTMLResponse, responses={**ERRORS, 404: {}},
            summary="A small HTML card for one entity")
def get_preview(request: Request, id: str = Query(..., min_length=1, max_length=300),  # noqa: A002
                _: Principal = Depends(needs_for_reconcile(Scope.SCREEN))) -> HTMLResponse:
    snap = service(request).snapshot
    canonical = snap.canonical(id)
    if canonical is None:
        raise NotFound(f"no entity {id!r}", field="id")
    e = snap.entities[snap.position[canonical]]
    policy = service(request).snapshot.default_policy
    verdict = snap.answer(policy, snap.position[canonical])["verdict"] if policy in snap.policies else "?"
    body = (f"<div style='font:13px sans-serif'><b>{html.escape(e.name)}</b><br>"
            f"{html.escape(e.jurisdiction or '?')} · {html.escape(e.id)}<br>"
            f"{html.escape(policy)}: {html.escape(verdict)}</div>")
    return HTMLResponse(body)
