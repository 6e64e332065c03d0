"""GLEIF adapter: LEI-CDF (Level 1), RR-CDF (Level 2) and reporting exceptions.

Reads XML (incl. the 2018 concatenated files), golden-copy JSON, the pipelines' plain JSON
and REST API pages; yields Entities (``lei:<LEI>``), OwnershipEdges and ExceptionFacts.

Edge direction: GLEIF says "child IS_DIRECTLY_CONSOLIDATED_BY parent"; our edge runs
owner (parent, the EndNode) -> owned (child, the StartNode). A feeder fund invests in its
master, so IS_FEEDER_TO runs feeder (StartNode) -> master (EndNode).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from graph.model import (
    Address,
    Entity,
    EntityKind,
    Identifier,
    InterestKind,
    Name,
    OwnershipEdge,
    ReportingException,
)
from ingest import record_codec
from ingest.dates import iso_timestamp, safe_date
from ingest.gleif_api import read_api
from ingest.gleif_codes import (
    ADDRESS_PARTS,
    ENTITY_KINDS,
    FUND_FLAGS,
    NAME_KINDS,
    NO_FLAGS,
    country,
    identifiers_of,
)
from ingest.gleif_codes import (
    SOURCE as SOURCE,  # re-exported: the run names sources by adapter
)
from ingest.gleif_codes import (
    lei_checksum_ok as lei_checksum_ok,  # re-exported: the checksum is part of this adapter
)
from ingest.gleif_csv import read_csv
from ingest.gleif_fast import entity_from_fields, lei_fields, repex_fields
from ingest.gleif_readers import (
    RawHeader,
    RawRecord,
    element_dict,
    json_top_key,
    read_golden_json,
    read_plain_json,
    read_xml,
    sniff,
)
from ingest.records import ExceptionFact, FileHeader, Quarantined, Record, SourceFile, WrongFormat

# (interest kind, owner is the EndNode)
RELATIONSHIP_TYPES: dict[str, tuple[InterestKind, bool]] = {
    "IS_DIRECTLY_CONSOLIDATED_BY": (InterestKind.CONSOLIDATION_PARENT, True),
    "IS_ULTIMATELY_CONSOLIDATED_BY": (InterestKind.ULTIMATE_CONSOLIDATION_PARENT, True),
    "IS_FUND-MANAGED_BY": (InterestKind.FUND_MANAGEMENT, True),
    "IS_SUBFUND_OF": (InterestKind.UMBRELLA_FUND, True),
    "IS_FEEDER_TO": (InterestKind.FEEDER_FUND, False),
    "IS_INTERNATIONAL_BRANCH_OF": (InterestKind.BRANCH, True),  # owner = the head office
}
ENDED_REGISTRATIONS = {"RETIRED", "ANNULLED", "DUPLICATE"}
def parse(path: Path, src: SourceFile) -> Iterator[Record]:
    """Every record of one GLEIF file, in file order."""
    for record in _parse(path, src):
        if not isinstance(record, tuple):
            yield record
            continue
        kind, fields, where, published = record
        if kind == "lei":
            yield entity_from_fields(fields, src.provenance(SOURCE, fields[0], where, published))
        else:
            lei, category, reason = fields
            yield ExceptionFact(f"lei:{lei}", ReportingException(category, reason),
                                src.provenance(SOURCE, f"{lei}|{category}", where, published))


def parse_piped(path: Path, src: SourceFile) -> Iterator[tuple[Any, ...]]:
    """``parse`` as ``record_codec`` tuples, for a forked reader: an LEI record of the common
    shape goes as its plain fields, and the Entity is built on the other end of the pipe."""
    for record in _parse(path, src):
        if not isinstance(record, tuple):
            yield record_codec.encode(record)
            continue
        kind, fields, where, published = record
        if kind == "lei":
            yield record_codec.lei_fields_tuple(fields, src, where, published)
        else:
            lei, category, reason = fields
            yield record_codec.exception_tuple(f"lei:{lei}", category, reason,
                                               (SOURCE, f"{lei}|{category}", src.path, where, published,
                                                src.retrieved, src.run_id, 1.0))


# (kind, plain fields, location, published) of a record the fast readers took (``gleif_fast``)
FastRecord = tuple[str, Any, str, str | None]


def _parse(path: Path, src: SourceFile) -> Iterator[Record | FastRecord]:
    shape = sniff(path)
    raw: Iterator[RawRecord | RawHeader]
    if shape == "xml":
        raw = read_xml(path, lazy=frozenset({"lei", "repex"}))
    elif shape == "json-array":
        raw = _with_header(read_plain_json(path), "plain")
    elif shape == "csv":
        raw = read_csv(path)
    else:
        key = json_top_key(path)
        if key in ("records", "relations", "exceptions"):
            raw = _with_header(read_golden_json(path, key), key)
        elif key in ("data", "meta", "links", "jsonapi"):
            raw = read_api(path)
        else:
            raise WrongFormat(f"{path}: JSON object with top-level {key!r} is not a GLEIF format")
    published: str | None = None
    for item in raw:
        if isinstance(item, RawHeader):
            published = item.published
            full = None if item.file_content in (None, "API") else "FULL" in (item.file_content or "")
            yield FileHeader(src.path, published, full, carries_edges=item.kind in ("rr", "mixed"),
                             kind=f"gleif-{item.kind}")
            continue
        if item.element is not None:  # an LEI record straight from the XML
            fields = (lei_fields if item.kind == "lei" else repex_fields)(item.element)
            if fields is not None:
                yield item.kind, fields, item.location, published
                continue
            item = RawRecord(item.kind, item.location, element_dict(item.element))
        yield from _record(item, src, published)


def _with_header(raw: Iterator[RawRecord], key: str) -> Iterator[RawRecord | RawHeader]:
    kind = {"records": "lei", "relations": "rr", "exceptions": "repex"}.get(key, "mixed")
    yield RawHeader(kind, None, None)
    yield from raw


def _record(item: RawRecord, src: SourceFile, published: str | None) -> Iterator[Record]:
    if item.body is None:
        yield Quarantined.of(src.path, item.location, item.error, item.excerpt)
        return
    body = item.body
    # The pipelines' JSON carries a per-record ContentDate; it beats the header's.
    published = _published(body) or published
    try:
        if item.kind == "lei":
            yield from lei_record(body, src, item.location, published)
        elif item.kind == "rr":
            yield from rr_record(body, src, item.location, published)
        else:
            yield from repex_record(body, src, item.location, published)
    except (AttributeError, TypeError, KeyError, ValueError) as exc:
        yield Quarantined.of(src.path, item.location, f"unexpected {item.kind} record shape: {exc!r}",
                             body)


def _published(body: dict[str, Any]) -> str | None:
    return iso_timestamp(text(body.get("ContentDate")))


def text(value: Any) -> str | None:
    if type(value) is str:  # nearly every call: a leaf's text
        return value.strip() or None
    if isinstance(value, dict):
        value = value.get("$")
    if value is None:
        return None
    out = str(value).strip()
    return out or None


def items(container: Any, inner: str) -> list[Any]:
    """Children of a repeating container in any of the shapes (list, dict of list, dict)."""
    if container is None or container == "":
        return []
    if isinstance(container, list):
        return container
    if isinstance(container, dict):
        value = container.get(inner)
        if value is None:
            return []
        return value if isinstance(value, list) else [value]
    return [container]


def valid_lei(value: str | None) -> str:
    lei = (value or "").strip().upper()
    if len(lei) != 20 or not lei.isalnum():
        raise ValueError(f"malformed LEI {value!r}")
    return lei


def lei_record(body: dict[str, Any], src: SourceFile, where: str, published: str | None) -> Iterator[Record]:
    try:
        lei = valid_lei(text(body.get("LEI")))
    except ValueError as exc:
        yield Quarantined.of(src.path, where, str(exc), body)
        return
    ent = body.get("Entity") or {}
    legal = _legal_name(ent.get("LegalName"))
    if legal is None:
        yield Quarantined.of(src.path, where, f"LEI {lei}: no LegalName", body)
        return
    jurisdiction = country(text(ent.get("LegalJurisdiction")))
    addresses = _addresses(ent)
    hq = next((a.country for a in addresses if a.kind == "headquarters"), None)
    status = text(ent.get("EntityStatus"))
    category = text(ent.get("EntityCategory")) or ""
    yield Entity(
        id=f"lei:{lei}",
        kind=ENTITY_KINDS.get(category, EntityKind.COMPANY),
        name=legal.value,
        provenance=src.provenance(SOURCE, lei, where, published),
        names=(legal, *_other_names(ent)),
        jurisdiction=jurisdiction or next((a.country for a in addresses if a.kind == "legal"), None),
        hq_country=hq,
        identifiers=_identifiers(lei, ent, jurisdiction) + _kept_leis(lei, body, ent),
        addresses=tuple(addresses),
        dissolved=(safe_date(text(ent.get("EntityExpirationDate"))) or _inactive_date(body))
        if status == "INACTIVE" else None,
        flags=FUND_FLAGS if category == "FUND" else NO_FLAGS,
    )


def _inactive_date(body: dict[str, Any]) -> str | None:
    return safe_date(text((body.get("Registration") or {}).get("LastUpdateDate")))


def _legal_name(value: Any) -> Name | None:
    name = text(value)
    if not name:
        return None
    lang = value.get("@lang") if isinstance(value, dict) else None
    return Name(name, lang=lang, kind="legal")


def _other_names(ent: dict[str, Any]) -> list[Name]:
    out = []
    for container, inner, default in (
        ("OtherEntityNames", "OtherEntityName", "other"),
        ("TransliteratedOtherEntityNames", "TransliteratedOtherEntityName", "transliterated"),
    ):
        for item in items(ent.get(container), inner):
            if isinstance(item, dict):
                value = text(item.get("$") or item.get(inner))
                kind_code = item.get("@type") or item.get("type") or ""
                lang = item.get("@lang") or item.get("language")
            else:
                value, kind_code, lang = text(item), "", None
            if value:
                kind = "transliterated" if "TRANSLITERATED" in kind_code else NAME_KINDS.get(kind_code, default)
                out.append(Name(value, lang=lang, kind=kind))
    return out


def _address_text(addr: dict[str, Any]) -> str:
    parts: list[str] = []
    for key in ADDRESS_PARTS:
        value = addr.get(key)
        if value is None:
            continue
        for item in value if type(value) is list else (value,):
            t = text(item)
            if t and t not in parts:
                parts.append(t)
    return ", ".join(parts)


def _addresses(ent: dict[str, Any]) -> list[Address]:
    out = []
    for key, kind in (("LegalAddress", "legal"), ("HeadquartersAddress", "headquarters")):
        addr = ent.get(key)
        if isinstance(addr, dict):
            out.append(Address(kind, _address_text(addr), country(text(addr.get("Country")))))
    for addr in items(ent.get("OtherAddresses"), "OtherAddress"):
        if isinstance(addr, dict) and _address_text(addr):
            out.append(Address("other", _address_text(addr), country(text(addr.get("Country")))))
    return out


def _identifiers(lei: str, ent: dict[str, Any], jurisdiction: str | None) -> tuple[Identifier, ...]:
    ra = ent.get("RegistrationAuthority") or {}
    ra_id = text(ra.get("RegistrationAuthorityID")) if isinstance(ra, dict) else None
    number = text(ra.get("RegistrationAuthorityEntityID")) if isinstance(ra, dict) else None
    return identifiers_of(lei, ra_id, number, jurisdiction)


def _kept_leis(lei: str, body: dict[str, Any], ent: dict[str, Any]) -> tuple[Identifier, ...]:
    """The LEI GLEIF kept for the legal entity a DUPLICATE registration also names (its
    ``SuccessorEntity``): the record carries it too, so resolution joins the two as one
    company instead of keeping two LEIs apart. A successor of a RETIRED or merged LEI is
    another legal person (the one that absorbed it) and is not carried: names decide there,
    with the two LEIs apart."""
    if text((body.get("Registration") or {}).get("RegistrationStatus")) != "DUPLICATE":
        return ()
    found = ent.get("SuccessorEntity")
    out: list[Identifier] = []
    for successor in found if isinstance(found, list) else [found]:
        value = text(successor.get("SuccessorLEI")) if isinstance(successor, dict) else None
        try:
            kept = valid_lei(value)
        except ValueError:
            continue  # absent or malformed: the duplicate stays a record of its own
        if kept != lei and all(i.value != kept for i in out):
            out.append(Identifier("lei", kept, valid=lei_checksum_ok(kept)))
    return tuple(out)


def rr_record(body: dict[str, Any], src: SourceFile, where: str, published: str | None) -> Iterator[Record]:
    rel = body.get("Relationship") or {}
    reg = body.get("Registration") or {}
    rtype = text(rel.get("RelationshipType")) or ""
    if rtype not in RELATIONSHIP_TYPES:
        yield Quarantined.of(src.path, where, f"unknown RelationshipType {rtype!r}", body)
        return
    start_node, end_node = rel.get("StartNode") or {}, rel.get("EndNode") or {}
    for node in (start_node, end_node):
        if (text(node.get("NodeIDType")) or "LEI") != "LEI":
            yield Quarantined.of(src.path, where, f"node type {text(node.get('NodeIDType'))!r} is not an LEI", body)
            return
    try:
        child, parent = valid_lei(text(start_node.get("NodeID"))), valid_lei(text(end_node.get("NodeID")))
    except ValueError as exc:
        yield Quarantined.of(src.path, where, str(exc), body)
        return
    kind, owner_is_end = RELATIONSHIP_TYPES[rtype]
    owner, owned = (parent, child) if owner_is_end else (child, parent)
    start, end, attrs = _periods(rel)
    status, reg_status = text(rel.get("RelationshipStatus")), text(reg.get("RegistrationStatus"))
    if (status == "INACTIVE" or reg_status in ENDED_REGISTRATIONS) and end is None:
        end = safe_date(text(reg.get("LastUpdateDate"))) or start
    lo, hi = _share(rel)
    attrs.update({"relationship_type": rtype, "relationship_status": status or "",
                  "registration_status": reg_status or ""})
    # A record without a file or record date (the pipelines' plain JSON) is as of its last
    # update: a full snapshot older than that could not have stated it.
    published = published or iso_timestamp(text(reg.get("LastUpdateDate")))
    yield OwnershipEdge(
        owner=f"lei:{owner}", owned=f"lei:{owned}", kind=kind,
        provenance=src.provenance(SOURCE, f"{child}|{rtype}|{parent}", where, published),
        share_lo=lo, share_hi=hi, start=start, end=end, attrs=attrs,
    )


def _periods(rel: dict[str, Any]) -> tuple[str | None, str | None, dict[str, str]]:
    start = end = None
    attrs: dict[str, str] = {}
    for period in items(rel.get("RelationshipPeriods"), "RelationshipPeriod"):
        if not isinstance(period, dict):
            continue
        ptype = text(period.get("PeriodType")) or ""
        p_start, p_end = safe_date(text(period.get("StartDate"))), safe_date(text(period.get("EndDate")))
        if ptype == "RELATIONSHIP_PERIOD":
            start, end = p_start, p_end
        elif ptype:
            attrs[f"{ptype.lower()}_start"] = p_start or ""
            attrs[f"{ptype.lower()}_end"] = p_end or ""
    return start, end, attrs


def _share(rel: dict[str, Any]) -> tuple[float, float]:
    for q in items(rel.get("RelationshipQuantifiers"), "RelationshipQuantifier"):
        if isinstance(q, dict) and text(q.get("QuantifierUnits")) == "PERCENTAGE":
            amount = float(text(q.get("QuantifierAmount")) or "nan")
            if 0.0 <= amount <= 100.0:
                return amount / 100.0, amount / 100.0
    return 0.0, 1.0


def repex_record(body: dict[str, Any], src: SourceFile, where: str, published: str | None) -> Iterator[Record]:
    try:
        lei = valid_lei(text(body.get("LEI")))
    except ValueError as exc:
        yield Quarantined.of(src.path, where, str(exc), body)
        return
    category, reason = text(body.get("ExceptionCategory")), text(body.get("ExceptionReason"))
    if not category or not reason:
        yield Quarantined.of(src.path, where, f"LEI {lei}: exception without category or reason", body)
        return
    yield ExceptionFact(
        entity_id=f"lei:{lei}",
        exception=ReportingException(category=category, reason=reason),
        provenance=src.provenance(SOURCE, f"{lei}|{category}", where, published),
    )
