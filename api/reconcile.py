"""The W3C Reconciliation Service API 0.2 (the protocol OpenRefine speaks).

- ``GET /reconcile`` answers the service manifest (to anyone: it declares that every other
  call needs the API key as ``?key=``, which OpenRefine can send where it cannot set headers);
- ``GET`` or ``POST /reconcile`` with ``queries`` (a form field, a query parameter, or a JSON
  body) answers a query batch: the 0.2 object form ``{"q0": {...}}`` gives
  ``{"q0": {"result": [...]}}``; the array form of the specification's next draft
  ``[{...}, ...]`` (queries with ``query``/``properties`` or draft ``conditions``) gives
  ``{"results": [{"candidates": [...]}, ...]}``, in order; ``extend`` answers data extension;
- ``GET /reconcile/properties`` proposes properties; ``GET /reconcile/preview?id=`` gives a
  small HTML card. The manifest's ``view`` link opens the investigator page of an entity,
  which signs in in the browser (no header needed).

Identifier properties (``lei``, ``gb_crn``, ``cn_uscc``) decide: an entity holding the
given identifier is the matching candidate whatever its name. Every answer allows
cross-origin reads, as 0.2 requires.
"""

from __future__ import annotations

import html
import json
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from api.auth import Principal, Scope
from api.deps import needs_for_reconcile, service
from api.routes_screen import ERRORS
from api.snapshot import Snapshot
from graph.errors import BadInput, NotFound

CORS = {"Access-Control-Allow-Origin": "*"}


def _cors(response: Response) -> None:
    response.headers.update(CORS)


router = APIRouter(prefix="/reconcile", tags=["reconciliation"], dependencies=[Depends(_cors)])

ENTITY_TYPE = {"id": "Organization", "name": "Organization"}
IDENTIFIER_PROPERTIES = {"lei": "LEI", "gb_crn": "UK company number",
                         "cn_uscc": "Unified social credit code (CN)"}
PROPERTIES = [
    {"id": "jurisdiction", "name": "Jurisdiction (ISO 3166-1 alpha-2)"},
    {"id": "hq_country", "name": "Headquarters country"},
    *({"id": pid, "name": name} for pid, name in IDENTIFIER_PROPERTIES.items()),
    {"id": "verdict", "name": "Verdict under the default policy"},
]
MATCH_SCORE = 0.95  # auto-match: best candidate at or above this and clearly ahead of the next
MAX_QUERIES = 100


def _manifest(request: Request) -> dict[str, Any]:
    root = str(request.base_url).rstrip("/")
    base = root + "/reconcile"
    key = request.query_params.get("key")
    suffix = f"&key={key}" if key else ""
    return {
        "versions": ["0.2"],
        "name": "ownergraph organisations",
        "identifierSpace": "https://ownergraph.invalid/entity/",
        "schemaSpace": "https://ownergraph.invalid/schema/",
        "defaultTypes": [ENTITY_TYPE],
        "batchSize": MAX_QUERIES,
        "authentication": {"type": "apiKey", "name": "key", "in": "query"},
        "view": {"url": root + "/ui/entity/{{id}}"},
        "preview": {"url": f"{base}/preview?id={{{{id}}}}{suffix}", "width": 400, "height": 120},
        "extend": {"propose_properties": {"service_url": base, "service_path": "/properties"},
                   "property_settings": []},
    }


@router.get("", responses=ERRORS, summary="Service manifest (or queries as ?queries=)")
async def get_reconcile(request: Request, queries: str | None = Query(None, max_length=4000),
                        key: str | None = Query(None, max_length=200)) -> Any:
    if not queries:
        return _manifest(request)
    await needs_for_reconcile(Scope.SCREEN)(request, key)
    return _answer(service(request).snapshot, _parse(queries, "queries"))


@router.post("", responses=ERRORS, summary="Batched queries or data extension")
async def post_reconcile(request: Request,
                         _: Principal = Depends(needs_for_reconcile(Scope.SCREEN))) -> Any:
    fields = await _fields(request)
    snap = service(request).snapshot
    if "queries" in fields:
        return _answer(snap, _parse(fields["queries"], "queries"))
    if "extend" in fields:
        extend = _parse(fields["extend"], "extend")
        if not isinstance(extend, dict):
            raise BadInput("extend: expected a JSON object", field="extend")
        return _extend(snap, extend)
    raise BadInput("send a 'queries' or 'extend' field", field="queries")


@router.options("")
@router.options("/{rest:path}")
def preflight(rest: str = "") -> Response:
    return Response(status_code=204, headers={
        **CORS, "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
        "Access-Control-Allow-Headers": "Content-Type, Authorization, X-API-Key"})


async def _fields(request: Request) -> dict[str, str | Any]:
    body = (await request.body()).decode("utf-8", errors="replace")
    if request.headers.get("content-type", "").startswith("application/json"):
        doc = _parse(body, "body")
        if not isinstance(doc, dict):
            raise BadInput("body: expected a JSON object", field="body")
        return doc
    return {k: v[0] for k, v in parse_qs(body).items() if v}


def _parse(raw: str | Any, name: str) -> Any:
    """A JSON field (form fields carry JSON text; a JSON body carries it parsed)."""
    if not isinstance(raw, str):
        return raw
    try:
        return json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise BadInput(f"{name}: not JSON ({exc})", field=name) from exc


def _answer(snap: Snapshot, queries: Any) -> dict[str, Any]:
    if isinstance(queries, dict):  # 0.2: queries by id, results by the same ids
        _check_size(len(queries))
        return {str(qid): {"result": _candidates(snap, q, f"queries.{qid}")}
                for qid, q in queries.items()}
    if isinstance(queries, list):  # the draft's array form: results in the same order
        _check_size(len(queries))
        return {"results": [{"candidates": _candidates(snap, _from_conditions(q), f"queries.{i}")}
                            for i, q in enumerate(queries)]}
    raise BadInput("queries: expected a JSON object (queries by id) or an array of queries",
                   field="queries")


def _check_size(n: int) -> None:
    if n > MAX_QUERIES:
        raise BadInput(f"queries: {n} queries; at most {MAX_QUERIES} per request (batchSize)",
                       field="queries")


def _from_conditions(q: Any) -> Any:
    """A draft query (``conditions``) in the 0.2 shape (``query`` and ``properties``)."""
    if not isinstance(q, dict) or "conditions" not in q:
        return q
    conditions = q["conditions"] if isinstance(q["conditions"], list) else []
    names = [c.get("v") for c in conditions if isinstance(c, dict) and c.get("matchType") == "name"]
    props = [{"pid": c.get("pid"), "v": c.get("v")} for c in conditions
             if isinstance(c, dict) and c.get("matchType") == "property"]
    out = {k: v for k, v in q.items() if k in ("limit", "type")}
    if names:
        out["query"] = " ".join(_texts(names[0]))
    if props:
        out["properties"] = props
    return out


def _candidates(snap: Snapshot, q: Any, where: str) -> list[dict[str, Any]]:
    if not isinstance(q, dict):
        raise BadInput(f"{where}: expected a JSON object", field=where)
    text = q.get("query")
    wanted = _property_values(q.get("properties"), where)
    if text is not None and (not isinstance(text, str) or not text.strip()):
        raise BadInput(f"{where}.query: a non-empty string is required", field=f"{where}.query")
    if text is None and not wanted:
        raise BadInput(f"{where}: give 'query' or 'properties'", field=f"{where}.query")
    limit = q.get("limit", 5)
    limit = int(limit) if isinstance(limit, int | float) and 0 < limit <= 50 else 5
    found = _by_identifier(snap, wanted)
    results = [_candidate(snap, pos, 100.0, True, [{"id": pid, "name": pid, "value": True}])
               for pos, pid in found]
    if isinstance(text, str):
        known = {r["id"] for r in results}
        results += [r for r in _by_name(snap, text[:400], wanted, limit) if r["id"] not in known]
    results = results[:limit]
    if not found and results and results[0]["score"] >= MATCH_SCORE * 100 and (
            len(results) == 1 or results[0]["score"] - results[1]["score"] >= 5):
        results[0]["match"] = True
    return results


def _by_identifier(snap: Snapshot, wanted: dict[str, list[str]]) -> list[tuple[int, str]]:
    """Entities holding a given identifier (they decide, whatever the name says)."""
    out: list[tuple[int, str]] = []
    for pid in IDENTIFIER_PROPERTIES:
        for value in wanted.get(pid, []):
            pos = snap.by_identifier(pid, value)
            if pos is not None and pos not in {p for p, _ in out}:
                out.append((pos, pid))
    return out


def _by_name(snap: Snapshot, text: str, wanted: dict[str, list[str]],
             limit: int) -> list[dict[str, Any]]:
    countries = wanted.get("jurisdiction", []) + wanted.get("country", [])
    # the resolver's model scores the country with the name (matching.screening)
    hits = snap.search(text, limit * 2, countries[0].upper() if countries else None)
    results = [_candidate(snap, hit.entity, round(hit.score * 100, 2), False,
                          [{"id": "name", "name": "name and country", "value": hit.score}])
               for hit in hits]
    results.sort(key=lambda r: -r["score"])
    return results


def _candidate(snap: Snapshot, pos: int, score: float, match: bool,
               features: list[dict[str, Any]]) -> dict[str, Any]:
    e = snap.entities[pos]
    return {"id": e.id, "name": e.name, "score": score, "type": [ENTITY_TYPE], "match": match,
            "description": e.jurisdiction or "", "features": features}


def _texts(value: Any) -> list[str]:
    """A 0.2 property value (string, number, boolean, reconciled entity, or a list of
    those) as strings."""
    items = value if isinstance(value, list) else [value]
    out = []
    for item in items:
        if isinstance(item, dict):
            item = item.get("id")
        if isinstance(item, str | int | float) and not isinstance(item, bool) and str(item).strip():
            out.append(str(item).strip())
    return out


def _property_values(props: Any, where: str) -> dict[str, list[str]]:
    if props is None:
        return {}
    if not isinstance(props, list):
        raise BadInput(f"{where}.properties: expected a list", field=f"{where}.properties")
    values: dict[str, list[str]] = {}
    for p in props:
        if isinstance(p, dict) and isinstance(p.get("pid"), str):
            values.setdefault(p["pid"], []).extend(_texts(p.get("v")))
    return values


def _extend(snap: Snapshot, doc: dict[str, Any]) -> dict[str, Any]:
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
    policy = snap.default_policy
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
    elif prop in IDENTIFIER_PROPERTIES:
        value = next((v for s, v in e.identifiers if s == prop), None)
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
    policy = snap.default_policy
    verdict = snap.answer(policy, snap.position[canonical])["verdict"] if policy in snap.policies else "?"
    body = (f"<div style='font:13px sans-serif'><b>{html.escape(e.name)}</b><br>"
            f"{html.escape(e.jurisdiction or '?')} · {html.escape(e.id)}<br>"
            f"{html.escape(policy)}: {html.escape(verdict)}</div>")
    return HTMLResponse(body, headers=CORS)
