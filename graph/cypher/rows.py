"""Model objects <-> property maps both stores can hold.

Neither maps nor nulls can be FalkorDB property values, so nested data travels as JSON
strings (``names_json``, ``identifiers_json``, ``addresses_json``, ``attrs_json``) and a
missing value is sent as null, which ``SET n += row`` turns into "remove the property".
Identifiers are also kept as a list of ``scheme:value`` strings for the index.
"""

from __future__ import annotations

import json
import math
from typing import Any

import orjson

from graph.errors import BadInput
from graph.model import (
    MAX_ID_LENGTH,
    MAX_KEY_LENGTH,
    Address,
    Decision,
    Entity,
    EntityKind,
    Identifier,
    InterestKind,
    Judgement,
    MatchCandidate,
    Name,
    OwnershipEdge,
    Provenance,
    ReportingException,
    id_problem,
)

PLACEHOLDER_SOURCE = "placeholder"


def provenance_from(props: dict[str, Any]) -> Provenance:
    return Provenance(
        source=str(props.get("source") or PLACEHOLDER_SOURCE),
        record_id=str(props.get("record_id") or props.get("id") or ""),
        file=str(props.get("file") or ""),
        location=str(props.get("location") or ""),
        published=props.get("published"),
        retrieved=props.get("retrieved"),
        run_id=str(props.get("run_id") or ""),
        confidence=float(props.get("confidence", 1.0)),
    )


def checked_id(value: str, what: str, record: str, limit: int = MAX_ID_LENGTH) -> str:
    """An id or key as stored (see graph/model.id_problem), else BadInput naming the record."""
    problem = id_problem(value, what, limit)
    if problem is not None:
        raise BadInput(f"{problem} (record {record!r})", record=record, field=what)
    return value


def identifier_key(ident: Identifier) -> str:
    return f"{ident.scheme}:{ident.value}"


def _json_or_none(items: list[Any]) -> str | None:
    # orjson: ~0.5 µs where json.dumps(ensure_ascii=False) takes ~6 (it builds an encoder
    # per call), four times per entity. Readers use json.loads, so the spacing is immaterial.
    return orjson.dumps(items).decode() if items else None


# Row layouts shared by both adapters. FalkorDB receives rows as these positional lists
# (JSON-encodable: see graph/cypher_params.with_rows); the shared MERGE statements and Neo4j
# take the map form from entity_row / edge_row.
# Entity rows: [id, canonical id, internal node id (set by the FalkorDB adapter), *ENTITY_PROPS].
ENTITY_PROPS: tuple[str, ...] = (
    "kind", "name", "names_json", "jurisdiction", "hq_country", "nationality", "residence",
    "identifiers", "identifiers_json", "addresses_json", "dissolved", "flags", "exceptions",
    "exceptions_json", "source", "record_id", "file", "location", "published", "retrieved",
    "run_id", "confidence")
ENTITY_PROPS_AT = 3
# Edge rows: [owner id, owned id, key, owner node, owned node, *EDGE_PROPS].
EDGE_PROPS: tuple[str, ...] = (
    "kind", "share_lo", "share_hi", "start", "end", "attrs_json", "source", "record_id", "file",
    "location", "published", "retrieved", "run_id", "confidence", "history_json")
EDGE_PROPS_AT = 5


def _provenance_values(p: Provenance) -> list[Any]:
    if not math.isfinite(p.confidence):
        raise BadInput(f"record {p.record_id!r}: confidence is {p.confidence!r}, not a number",
                       record=p.record_id, field="confidence")
    return [p.source, p.record_id, p.file or None, p.location or None, p.published,
            p.retrieved, p.run_id or None, float(p.confidence)]


def entity_values(e: Entity) -> list[Any]:
    """One entity as a positional row (missing values and empty collections are null: the
    upsert replaces the node's properties, so they are simply not stored)."""
    record = e.provenance.record_id
    kind = e.kind.value if type(e.kind) is EntityKind else EntityKind(e.kind).value
    flags = sorted(e.flags) if e.flags else None
    reasons = sorted({x.reason for x in e.reporting_exceptions}) if e.reporting_exceptions \
        else None
    return [
        checked_id(e.id, "entity id", record),
        None if e.canonical_id is None else checked_id(e.canonical_id, "canonical id", record),
        None,
        kind, e.name,
        _json_or_none([[n.value, n.lang, n.script, n.kind] for n in e.names]) if e.names else None,
        e.jurisdiction, e.hq_country, e.nationality, e.residence,
        [identifier_key(i) for i in e.identifiers if i.valid] or None if e.identifiers else None,
        _json_or_none([[i.scheme, i.value, i.valid] for i in e.identifiers])
        if e.identifiers else None,
        _json_or_none([[a.kind, a.text, a.country] for a in e.addresses])
        if e.addresses else None,
        e.dissolved,
        flags, reasons,
        _json_or_none([[x.category, x.reason] for x in e.reporting_exceptions])
        if e.reporting_exceptions else None,
        *_provenance_values(e.provenance),
    ]


def entity_row_dict(values: list[Any], layout: tuple[str, ...] = ENTITY_PROPS
                    ) -> dict[str, Any]:
    """A positional entity row in map form: {id, canonical_id, props}."""
    props = {k: v for k, v in zip(layout, values[ENTITY_PROPS_AT:], strict=True)
             if v is not None}
    props["id"] = values[0]
    return {"id": values[0], "canonical_id": values[1], "props": props}


def entity_row(e: Entity) -> dict[str, Any]:
    """One UNWIND row for UPSERT_ENTITIES."""
    return entity_row_dict(entity_values(e))


def entity_from(props: dict[str, Any]) -> Entity:
    """Rebuild an Entity from stored node properties."""
    names = tuple(Name(v, lang, script, kind)
                  for v, lang, script, kind in json.loads(props.get("names_json") or "[]"))
    idents = tuple(Identifier(s, v, bool(ok))
                   for s, v, ok in json.loads(props.get("identifiers_json") or "[]"))
    addresses = tuple(Address(k, t, c)
                      for k, t, c in json.loads(props.get("addresses_json") or "[]"))
    exceptions = tuple(ReportingException(c, r)
                       for c, r in json.loads(props.get("exceptions_json") or "[]"))
    return Entity(
        id=str(props["id"]),
        kind=EntityKind(props.get("kind") or EntityKind.UNKNOWN),
        name=str(props.get("name") or props["id"]),
        provenance=provenance_from(props),
        names=names,
        jurisdiction=props.get("jurisdiction"),
        hq_country=props.get("hq_country"),
        nationality=props.get("nationality"),
        residence=props.get("residence"),
        identifiers=idents,
        addresses=addresses,
        dissolved=props.get("dissolved"),
        flags=frozenset(props.get("flags") or ()),
        reporting_exceptions=exceptions,
        canonical_id=props.get("canonical_id"),
    )


def _attrs_json(attrs: dict[str, Any]) -> str:
    try:
        return orjson.dumps(attrs, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS).decode()
    except TypeError:  # what only the standard encoder takes (integers beyond 64 bits)
        return json.dumps(attrs, ensure_ascii=False, sort_keys=True)


def edge_values(e: OwnershipEdge) -> list[Any]:
    """One edge as a positional row."""
    lo, hi = e.share_lo, e.share_hi
    for name, value in (("share_lo", lo), ("share_hi", hi)):
        if not math.isfinite(value):
            raise BadInput(f"edge {e.key}: {name} is {value!r}, not a number",
                           record=e.provenance.record_id, field=name)
    record = e.provenance.record_id
    kind = e.kind.value if type(e.kind) is InterestKind else InterestKind(e.kind).value
    return [
        checked_id(e.owner, "owner id", record), checked_id(e.owned, "owned id", record),
        checked_id(e.key, "edge key", record, MAX_KEY_LENGTH), None, None,
        kind, float(lo), float(hi), e.start, e.end,
        _attrs_json(e.attrs) if e.attrs else None,
        *_provenance_values(e.provenance), e.history,
    ]


def edge_row_dict(values: list[Any], layout: tuple[str, ...] = EDGE_PROPS) -> dict[str, Any]:
    """A positional edge row in map form: {owner, owned, key, props}."""
    props = {k: v for k, v in zip(layout, values[EDGE_PROPS_AT:], strict=True)
             if v is not None}
    props["key"] = values[2]
    return {"owner": values[0], "owned": values[1], "key": values[2], "props": props}


def edge_row(e: OwnershipEdge) -> dict[str, Any]:
    """One UNWIND row for UPSERT_EDGES."""
    return edge_row_dict(edge_values(e))


def edge_dict(owner: str, owned: str, props: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """An edge as plain data for callers (API, evidence): endpoints, fields, provenance."""
    out = {k: v for k, v in props.items() if k not in ("attrs_json", "history_json")}
    out["attrs"] = json.loads(props.get("attrs_json") or "{}")
    if props.get("history_json"):
        out["history"] = json.loads(props["history_json"])
    out.update(owner=owner, owned=owned, **extra)
    return out


def judgement_props(j: Judgement, seq: int) -> dict[str, Any]:
    return {"left": j.left, "right": j.right, "decision": Decision(j.decision).value,
            "user": j.user, "at": j.at, "reason": j.reason, "seq": seq}


def judgement_from(props: dict[str, Any]) -> Judgement:
    return Judgement(left=props["left"], right=props["right"],
                     decision=Decision(props["decision"]), user=props["user"],
                     at=props["at"], reason=props.get("reason") or "")


def candidate_props(c: MatchCandidate) -> dict[str, Any]:
    return {"left": c.left, "right": c.right, "probability": float(c.probability),
            "explanation": c.explanation, "status": c.status}


def candidate_from(props: dict[str, Any]) -> MatchCandidate:
    return MatchCandidate(left=props["left"], right=props["right"],
                          probability=float(props["probability"]),
                          explanation=props.get("explanation") or "",
                          status=props.get("status") or "review")
