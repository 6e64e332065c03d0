"""The graph as BODS 0.4: one entity/person record per stored entity, one relationship record
per ownership edge. Record ids are our stable ids (entity id, edge key); statement ids are
content hashes, so an unchanged graph exports identical statements.

Mapping back: interest kinds without a BODS code of their own (consolidation parents, fund
relations, significant influence) become ``otherInfluenceOrControl`` with ``details``
naming our kind; a share interval becomes exact / minimum / maximum, and an end we stored
as "just inside" an exclusive bound becomes ``exclusiveMinimum`` / ``exclusiveMaximum``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pycountry

from graph.model import Entity, EntityKind, InterestKind
from graph.store import GraphStore
from ingest.dates import utc_now

PUBLISHER = {"name": "ownergraph"}
INTEREST_TYPES = {
    InterestKind.SHAREHOLDING: "shareholding",
    InterestKind.VOTING_RIGHTS: "votingRights",
    InterestKind.BOARD_APPOINTMENT: "appointmentOfBoard",
    InterestKind.CONTRACTUAL_CONTROL: "rightsGrantedByContract",
    InterestKind.NEWS_CLAIM: "unknownInterest",
    InterestKind.OTHER: "unknownInterest",
}
ENTITY_TYPES = {
    EntityKind.COMPANY: "registeredEntity",
    EntityKind.FUND: "legalEntity",
    EntityKind.STATE_BODY: "stateBody",
    EntityKind.PUBLIC_BODY: "stateBody",
    EntityKind.UNKNOWN: "unknownEntity",
}
SOURCE_TYPES = {"gleif": "officialRegister", "psc": "officialRegister", "csv": "primaryResearch"}
ADDRESS_TYPES = {"legal": "registered", "headquarters": "business", "other": "alternative"}


def _country(code: str | None) -> dict[str, str] | None:
    if not code:
        return None
    found = pycountry.countries.get(alpha_2=code.upper())
    return {"name": found.name if found else code.upper(), "code": code.upper()}


def _statement_id(record_id: str, details: dict[str, Any]) -> str:
    digest = hashlib.sha256(record_id.encode() + json.dumps(details, sort_keys=True).encode())
    return digest.hexdigest()[:40]


def _wrap(record_id: str, rtype: str, subject: str, details: dict[str, Any], source: str,
          date: str | None, published: str) -> dict[str, Any]:
    return {
        "statementId": _statement_id(record_id, details),
        "declarationSubject": subject,
        "statementDate": (date or published)[:10],
        "recordId": record_id,
        "recordType": rtype,
        "recordStatus": "new",
        "recordDetails": details,
        "publicationDetails": {"publicationDate": published[:10], "bodsVersion": "0.4", "publisher": PUBLISHER},
        "source": {"type": [SOURCE_TYPES.get(source, "thirdParty")], "description": source},
    }


def entity_statement(e: Entity, published: str) -> dict[str, Any]:
    identifiers = [{"id": i.value, "scheme": i.scheme.upper().replace("_", "-")} for i in e.identifiers]
    addresses = []
    for a in e.addresses:
        address: dict[str, Any] = {"type": ADDRESS_TYPES.get(a.kind, "alternative"), "address": a.text}
        country = _country(a.country)
        if country:
            address["country"] = country
        addresses.append(address)
    if e.kind is EntityKind.PERSON:
        details: dict[str, Any] = {
            "isComponent": False,
            "personType": "knownPerson" if "placeholder" not in e.flags else "unknownPerson",
            "names": [{"fullName": e.name, "type": "legal"}] + [
                {"fullName": n.value, "type": "alternative"} for n in e.names[1:]],
        }
        nationality = _country(e.nationality)
        if nationality:
            details["nationalities"] = [nationality]
        rtype = "person"
    else:
        details = {"isComponent": False, "entityType": {"type": ENTITY_TYPES.get(e.kind, "registeredEntity")},
                   "name": e.name}
        jurisdiction = _country(e.jurisdiction)
        if jurisdiction:
            details["jurisdiction"] = jurisdiction
        alternate = [n.value for n in e.names if n.value != e.name]
        if alternate:
            details["alternateNames"] = alternate
        if e.dissolved:
            details["dissolutionDate"] = e.dissolved[:10]
        rtype = "entity"
    if identifiers:
        details["identifiers"] = identifiers
    if addresses:
        details["addresses"] = addresses
    return _wrap(e.id, rtype, e.id, details, e.provenance.source, e.provenance.published, published)


def _share(lo: float, hi: float, attrs: dict[str, Any] | None = None) -> dict[str, float] | None:
    """Interval -> BODS share; open ends come from ``attrs`` (stores may round the float nudge)."""
    if lo <= 0.0 and hi >= 1.0:
        return None  # unknown
    attrs = attrs or {}
    lo_pct, hi_pct = lo * 100.0, hi * 100.0
    if abs(hi - lo) < 1e-12:
        return {"exact": round(lo_pct, 6)}
    low, high = round(lo_pct, 6), round(hi_pct, 6)
    lo_open = low < lo_pct or attrs.get("share_lo_open") == "true"
    hi_open = high > hi_pct or "hi" in str(attrs.get("share_exclusive", "")).split(",")
    return {"exclusiveMinimum" if lo_open else "minimum": low,
            "exclusiveMaximum" if hi_open else "maximum": high}


def relationship_statement(edge: dict[str, Any], published: str) -> dict[str, Any]:
    kind = InterestKind(edge["kind"])
    interest: dict[str, Any] = {"type": INTEREST_TYPES.get(kind, "otherInfluenceOrControl"),
                                "directOrIndirect": "unknown", "beneficialOwnershipOrControl": False}
    if interest["type"] == "otherInfluenceOrControl":
        interest["details"] = kind.value
    share = _share(float(edge.get("share_lo", 0.0)), float(edge.get("share_hi", 1.0)), edge.get("attrs"))
    if share:
        interest["share"] = share
    for ours, theirs in (("start", "startDate"), ("end", "endDate")):
        if edge.get(ours):
            interest[theirs] = str(edge[ours])[:10]
    details = {"isComponent": False, "subject": edge["owned"], "interestedParty": edge["owner"],
               "interests": [interest]}
    return _wrap(str(edge["key"]), "relationship", edge["owned"], details, str(edge.get("source") or ""),
                 edge.get("published"), published)


def statements(store: GraphStore) -> Iterator[dict[str, Any]]:
    published = utc_now()
    seen: set[str] = set()
    for batch in store.iter_entities():
        for entity in batch:
            yield entity_statement(entity, published)
        for entity in batch:
            if entity.canonical_id not in (None, entity.id):
                continue  # its edges come with its canonical entity's owners
            for edge in store.owners(entity.id, hops=1):
                key = str(edge.get("key"))
                if key not in seen:
                    seen.add(key)
                    yield relationship_statement(edge, published)


def write_bods(store: GraphStore, path: Path) -> int:
    """Stream the statements into a JSON array file; returns how many were written."""
    count = 0
    with path.open("w", encoding="utf-8") as fh:
        fh.write("[")
        for stmt in statements(store):
            fh.write(",\n" if count else "\n")
            fh.write(json.dumps(stmt, ensure_ascii=False))
            count += 1
        fh.write("\n]\n")
    return count
