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

from graph.arrays import OPEN_START, day_number, interest_kind_code
from graph.errors import BadInput
from graph.model import (
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
)

PLACEHOLDER_SOURCE = "placeholder"


def _provenance_props(p: Provenance) -> dict[str, Any]:
    return {
        "source": p.source,
        "record_id": p.record_id,
        "file": p.file or None,
        "location": p.location or None,
        "published": p.published,
        "retrieved": p.retrieved,
        "run_id": p.run_id or None,
        "confidence": float(p.confidence),
    }


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


# FalkorDB 4.16 crashes (the whole server) on a unique-indexed value of ~5,000 characters or
# one holding a NUL; 1,024 characters is far above any registry identifier we know.
MAX_ID_LENGTH = 1024
MAX_KEY_LENGTH = 3500  # edge keys join source, record id and both endpoint ids


def checked_id(value: str, what: str, record: str, limit: int = MAX_ID_LENGTH) -> str:
    """An id or key as stored: non-empty, no surrounding whitespace, short, no control chars.

    FalkorDB 4.16's unique-constraint check crashes the server (SIGSEGV in
    EnforceUniqueEntity) on an empty value or one with leading/trailing whitespace, and the
    server also dies on very long values or ones holding NUL, so such values are refused here,
    for every backend alike, naming the record."""
    if not value or value != value.strip():
        raise BadInput(f"{what} {value!r} of record {record!r} is empty or has surrounding "
                       "whitespace", record=record, field=what)
    if len(value) > limit:
        raise BadInput(f"{what} of record {record!r} is {len(value)} characters long "
                       f"(limit {limit})", record=record, field=what)
    if "\x00" in value:
        raise BadInput(f"{what} {value[:80]!r} of record {record!r} holds a NUL character",
                       record=record, field=what)
    return value


def identifier_key(ident: Identifier) -> str:
    return f"{ident.scheme}:{ident.value}"


def _present(props: dict[str, Any]) -> dict[str, Any]:
    """Only the values that exist: neither store keeps nulls, and they cost text to send."""
    return {k: v for k, v in props.items() if v is not None}


def _json_or_none(items: list[Any]) -> str | None:
    return json.dumps(items, ensure_ascii=False) if items else None


def entity_row(e: Entity) -> dict[str, Any]:
    """One UNWIND row for UPSERT_ENTITIES (missing values and empty collections are left
    out: the upsert replaces the node's properties, so they are simply not stored)."""
    props: dict[str, Any] = {
        "kind": EntityKind(e.kind).value,
        "name": e.name,
        "names_json": _json_or_none([[n.value, n.lang, n.script, n.kind] for n in e.names]),
        "jurisdiction": e.jurisdiction,
        "hq_country": e.hq_country,
        "nationality": e.nationality,
        "residence": e.residence,
        "identifiers": [identifier_key(i) for i in e.identifiers if i.valid] or None,
        "identifiers_json": _json_or_none([[i.scheme, i.value, i.valid] for i in e.identifiers]),
        "addresses_json": _json_or_none([[a.kind, a.text, a.country] for a in e.addresses]),
        "dissolved": e.dissolved,
        "flags": sorted(e.flags) or None,
        "exceptions": sorted({x.reason for x in e.reporting_exceptions}) or None,
        "exceptions_json": _json_or_none([[x.category, x.reason]
                                          for x in e.reporting_exceptions]),
        **_provenance_props(e.provenance),
    }
    record = e.provenance.record_id
    props["id"] = checked_id(e.id, "entity id", record)
    return {"id": props["id"],
            "canonical_id": None if e.canonical_id is None
            else checked_id(e.canonical_id, "canonical id", record),
            "props": _present(props)}


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


def bulk_text(e: OwnershipEdge) -> str:
    """The FalkorDB bulk-load copy of an edge's numbers: kind code, lo, hi, start day, confidence."""
    start = day_number(e.start, open_value=int(OPEN_START))
    return (f"{interest_kind_code(e.kind)},{float(e.share_lo)!r},{float(e.share_hi)!r},"
            f"{start},{float(e.provenance.confidence)!r}")


def edge_row(e: OwnershipEdge, *, bulk: bool = False) -> dict[str, Any]:
    """One UNWIND row for UPSERT_EDGES (``bulk``: add the FalkorDB bulk-load property)."""
    for name in ("share_lo", "share_hi"):
        if not math.isfinite(getattr(e, name)):
            raise BadInput(f"edge {e.key}: {name} is {getattr(e, name)!r}, not a number",
                           record=e.provenance.record_id, field=name)
    props: dict[str, Any] = {
        "kind": InterestKind(e.kind).value,
        "share_lo": float(e.share_lo),
        "share_hi": float(e.share_hi),
        "start": e.start,
        "end": e.end,
        "attrs_json": json.dumps(e.attrs, ensure_ascii=False, sort_keys=True) if e.attrs else None,
        **_provenance_props(e.provenance),
    }
    if bulk:
        props["bulk"] = bulk_text(e)
    record = e.provenance.record_id
    props["key"] = checked_id(e.key, "edge key", record, MAX_KEY_LENGTH)
    return {"owner": checked_id(e.owner, "owner id", record),
            "owned": checked_id(e.owned, "owned id", record),
            "key": props["key"], "props": _present(props)}


def edge_from(owner: str, owned: str, props: dict[str, Any]) -> OwnershipEdge:
    return OwnershipEdge(
        owner=owner,
        owned=owned,
        kind=InterestKind(props["kind"]),
        provenance=provenance_from(props),
        share_lo=float(props.get("share_lo", 0.0)),
        share_hi=float(props.get("share_hi", 1.0)),
        start=props.get("start"),
        end=props.get("end"),
        attrs=json.loads(props.get("attrs_json") or "{}"),
    )


def edge_dict(owner: str, owned: str, props: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """An edge as plain data for callers (API, evidence): endpoints, fields, provenance."""
    out = {k: v for k, v in props.items() if k not in ("attrs_json", "bulk")}
    out["attrs"] = json.loads(props.get("attrs_json") or "{}")
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
