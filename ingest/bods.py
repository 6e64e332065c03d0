"""BODS adapter: Beneficial Ownership Data Standard 0.1-0.3 (statements) and 0.4 (records).

Accepts JSON arrays, single statement objects and JSON Lines. Each statement is checked
against the published BODS schema first; a failing statement is quarantined with the
validator keyword, JSON path and message, and the run goes on.

Ids: 0.4 ``bods:<recordId>`` (stable across updates of the record); 0.1-0.3
``bods:<statementID>``. One edge per interest, keyed ``<statement or record id>#<n>``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from stdnum.cn import uscc

from graph.model import (
    UNKNOWN_PARTY_FLAG,
    Address,
    Entity,
    EntityKind,
    Identifier,
    InterestKind,
    Name,
    OwnershipEdge,
    ReportingException,
)
from ingest.bods_schema import statement_errors, version_of
from ingest.countries import country_named_in
from ingest.dates import iso_date, iso_timestamp
from ingest.gleif_codes import RA_SCHEMES
from ingest.jsonio import Broken, read_items
from ingest.records import (
    ExceptionFact,
    FileHeader,
    Quarantined,
    Record,
    Removed,
    SourceFile,
    WrongFormat,
)

SOURCE = "bods"

INTEREST_KINDS: dict[str, InterestKind] = {
    "shareholding": InterestKind.SHAREHOLDING,
    "votingrights": InterestKind.VOTING_RIGHTS,
    "appointmentofboard": InterestKind.BOARD_APPOINTMENT,
    "influenceorcontrol": InterestKind.SIGNIFICANT_INFLUENCE,
    "otherinfluenceorcontrol": InterestKind.SIGNIFICANT_INFLUENCE,
    "controlbylegalframework": InterestKind.SIGNIFICANT_INFLUENCE,
    "rightsgrantedbycontract": InterestKind.CONTRACTUAL_CONTROL,
    "controlviacompanyrulesorarticles": InterestKind.CONTRACTUAL_CONTROL,
    "nominator": InterestKind.CONTRACTUAL_CONTROL,
}
ENTITY_KINDS = {
    "registeredentity": EntityKind.COMPANY,
    "legalentity": EntityKind.COMPANY,
    "state": EntityKind.STATE_BODY,
    "statebody": EntityKind.STATE_BODY,
    "arrangement": EntityKind.UNKNOWN,
    "anonymousentity": EntityKind.UNKNOWN,
    "unknownentity": EntityKind.UNKNOWN,
}
# Parties the publisher says exist but does not identify (explicit unknowns, see
# graph/control/unknowns.py); an "arrangement" is known through its members.
UNKNOWN_PARTY_TYPES = {"unknownentity", "anonymousentity", "unknownperson", "anonymousperson"}
# Unspecified-party reasons that name nobody to find (0.4 and 0.1-0.3 spellings).
NO_OWNER_REASONS = frozenset({"noBeneficialOwners", "no-beneficial-owners"})
ADDRESS_KINDS = {"registered": "legal", "business": "headquarters"}
# org-id.guide scheme codes -> ours; the GLEIF pipelines' BODS names the registration
# authority (``schemeName: "RA000092"``), read like GLEIF's own records (RA_SCHEMES).
ID_SCHEMES = {"gb-coh": "gb_crn", "xi-lei": "lei", "cn-saic": "cn_uscc", "cn-samr": "cn_uscc",
              "cn-uscc": "cn_uscc", "dk-cvr": "dk_cvr", "hk-cr": "hk_cr"}


def norm_code(code: object) -> str:
    return str(code or "").replace("-", "").replace("_", "").lower()


def parse(path: Path, src: SourceFile) -> Iterator[Record]:
    version: str | None = None
    seen_edges: dict[str, list[OwnershipEdge]] = {}  # statementID -> its edges (0.1-0.3 updates)
    for n, item in enumerate(read_items(path)):
        if isinstance(item, Broken):
            yield Quarantined.of(src.path, item.location, item.reason, item.raw)
            continue
        stmt = item.value
        if version is None:
            if not _looks_like_bods(stmt):
                raise WrongFormat(f"{path}: not BODS (first item has no statementID/statementId "
                                  "or statementType/recordType)")
            version = version_of(stmt)
            yield FileHeader(src.path, _published(stmt), None, True, f"bods-{version}")
        errors = statement_errors(stmt, version, n)
        if errors:
            yield Quarantined.of(src.path, item.location, "; ".join(errors[:5]), item.raw or stmt)
            continue
        try:
            if version == "0.4":
                yield from _record(stmt, src, item.location)
            else:
                yield from _statement(stmt, src, item.location, seen_edges, version)
        except (ValueError, TypeError, AttributeError, KeyError) as exc:
            yield Quarantined.of(src.path, item.location, f"unusable statement: {exc}", stmt)


def _looks_like_bods(stmt: Any) -> bool:
    return isinstance(stmt, dict) and bool(
        {"statementID", "statementId"} & stmt.keys() or {"statementType", "recordType"} & stmt.keys()
    )


def _published(stmt: dict[str, Any]) -> str | None:
    details = stmt.get("publicationDetails")
    return iso_timestamp(details.get("publicationDate")) if isinstance(details, dict) else None


# ---- 0.1-0.3: statements ----------------------------------------------------------------

def _statement(stmt: dict[str, Any], src: SourceFile, where: str,
               seen: dict[str, list[OwnershipEdge]], version: str) -> Iterator[Record]:
    sid = str(stmt["statementID"])
    published = _published(stmt)
    stype = stmt["statementType"]
    replaced = [str(r) for r in stmt.get("replacesStatements") or []]
    on = iso_date(stmt.get("statementDate")) or (published or "")[:10] or None
    subject = (stmt.get("subject") or {}).get("describedByEntityStatement")
    for old in replaced:
        if old in seen:  # the replaced statement came earlier in this file: end its edges
            for edge in seen.pop(old):
                yield _ended(edge, on)
        else:  # an earlier file's: the run looks among the subject's stored owners
            yield Removed(f"bods:{old}", on or "", src.provenance(SOURCE, sid, where, published),
                          near=f"bods:{subject}" if subject else None)
    prov = src.provenance(SOURCE, sid, where, published)
    if stype == "entityStatement":
        yield _entity(f"bods:{sid}", stmt, prov)
    elif stype == "personStatement":
        yield _person(f"bods:{sid}", stmt, prov)
    else:
        party = stmt.get("interestedParty") or {}
        owner_ref = party.get("describedByPersonStatement") or party.get("describedByEntityStatement")
        edges = list(_edges(sid, f"bods:{subject}", owner_ref and f"bods:{owner_ref}",
                            party.get("unspecified"), stmt, prov, version))
        yield from edges
        seen[sid] = [e for e in edges if isinstance(e, OwnershipEdge)]


def _ended(edge: OwnershipEdge, on: str | None) -> OwnershipEdge:
    return replace(edge, end=edge.end or on)


# ---- 0.4: records --------------------------------------------------------------------------

def _record(stmt: dict[str, Any], src: SourceFile, where: str) -> Iterator[Record]:
    rid = str(stmt["recordId"])
    published = _published(stmt)
    prov = src.provenance(SOURCE, rid, where, published)
    details = stmt.get("recordDetails") or {}
    closed = stmt.get("recordStatus") == "closed"
    on = iso_date(stmt.get("statementDate"))
    rtype = stmt.get("recordType")
    if rtype == "entity":
        entity = _entity(f"bods:{rid}", details, prov)
        yield _with_flag(entity, "closed_record") if closed else entity
    elif rtype == "person":
        person = _person(f"bods:{rid}", details, prov)
        yield _with_flag(person, "closed_record") if closed else person
    else:
        party = details.get("interestedParty")
        owner = f"bods:{party}" if isinstance(party, str) else None
        unspecified = party if isinstance(party, dict) else None
        for rec in _edges(rid, f"bods:{details.get('subject')}", owner, unspecified, details, prov):
            yield _ended(rec, on) if closed and isinstance(rec, OwnershipEdge) else rec


def _with_flag(entity: Entity, flag: str) -> Entity:
    return replace(entity, flags=entity.flags | {flag})


# ---- shared mapping ----------------------------------------------------------------------

def _entity(eid: str, d: dict[str, Any], prov: Any) -> Entity:
    etype = d.get("entityType")
    type_code = etype.get("type") if isinstance(etype, dict) else etype
    subtype = (etype.get("subtype") if isinstance(etype, dict) else None) or d.get("entitySubtype")
    sub_code = subtype.get("generalCategory") if isinstance(subtype, dict) else subtype
    kind = ENTITY_KINDS.get(norm_code(type_code), EntityKind.COMPANY)
    if norm_code(sub_code) in ("governmentdepartment", "stateagency"):
        kind = EntityKind.STATE_BODY
    name = str(d.get("name") or "").strip() or f"Unnamed {type_code or 'entity'}"
    jur = d.get("jurisdiction") or d.get("incorporatedInJurisdiction") or {}
    listing = d.get("publicListing") or {}
    flags = {"listed"} if isinstance(listing, dict) and listing.get("hasPublicListing") else set()
    if kind is EntityKind.STATE_BODY:
        flags.add("state_owned")
    if norm_code(type_code) in UNKNOWN_PARTY_TYPES:
        flags.add(UNKNOWN_PARTY_FLAG)
    addresses = tuple(_addresses(d.get("addresses") or []))
    return Entity(
        id=eid, kind=kind, name=name, provenance=prov,
        names=(Name(name, kind="legal"), *(Name(str(a), kind="other") for a in d.get("alternateNames") or [])),
        # a registered office is in the country of incorporation; a business address is
        # where the entity is run from (policy roots read it as the headquarters)
        jurisdiction=_code(jur.get("code") if isinstance(jur, dict) else None)
        or _address_country(addresses, "legal")
        # a state is its own country ("People's Republic of China" without a jurisdiction)
        or (country_named_in(name) if kind is EntityKind.STATE_BODY else None),
        hq_country=_address_country(addresses, "headquarters"),
        identifiers=tuple(_identifiers(d.get("identifiers") or [])),
        addresses=addresses,
        dissolved=iso_date(d.get("dissolutionDate")),
        flags=frozenset(flags),
    )


def _address_country(addresses: tuple[Address, ...], kind: str) -> str | None:
    return next((a.country for a in addresses if a.kind == kind and a.country), None)


def _person(eid: str, d: dict[str, Any], prov: Any) -> Entity:
    names = [n for n in d.get("names") or [] if isinstance(n, dict)]
    texts = [str(n.get("fullName") or " ".join(
        str(n[k]) for k in ("givenName", "familyName") if n.get(k))).strip() for n in names]
    texts = [t for t in texts if t]
    ptype = str(d.get("personType") or "knownPerson")
    main = texts[0] if texts else ("Unknown person" if ptype != "anonymousPerson" else "Anonymous person")
    nationalities = [c.get("code") for c in d.get("nationalities") or [] if isinstance(c, dict)]
    residence = [a.get("country") for a in d.get("addresses") or []
                 if isinstance(a, dict) and a.get("type") == "residence"]
    tax = [c.get("code") for c in d.get("taxResidencies") or [] if isinstance(c, dict)]
    flags = {"pep"} if d.get("hasPepStatus") or (d.get("politicalExposure") or {}).get("status") == "isPep" else set()
    if ptype != "knownPerson":
        flags.add(ptype)
    if norm_code(ptype) in UNKNOWN_PARTY_TYPES:
        flags.add(UNKNOWN_PARTY_FLAG)
    return Entity(
        id=eid, kind=EntityKind.PERSON, name=main, provenance=prov,
        names=tuple(Name(t, kind="legal" if i == 0 else "other") for i, t in enumerate(texts)),
        nationality=_code(nationalities[0] if nationalities else None),
        residence=_code(_country_code(residence[0]) if residence else (tax[0] if tax else None)),
        addresses=tuple(_addresses(d.get("addresses") or [])),
        flags=frozenset(flags),
    )


def _edges(sid: str, subject: str, owner: str | None, unspecified: Any,
           d: dict[str, Any], prov: Any, version: str = "0.4") -> Iterator[Entity | OwnershipEdge | ExceptionFact]:
    if subject == "bods:None":
        raise ValueError("relationship without a subject")
    if owner is None:
        reason = str((unspecified or {}).get("reason") or "unknown")
        owner = f"bods:unspecified:{sid}"
        # "no beneficial owners" names nobody to find; every other reason withholds someone
        flags = {"unspecified"} | (set() if reason in NO_OWNER_REASONS else {UNKNOWN_PARTY_FLAG})
        yield Entity(id=owner, kind=EntityKind.UNKNOWN, name=f"Unspecified owner ({reason})",
                     provenance=prov, flags=frozenset(flags))
        yield ExceptionFact(subject, ReportingException("BODS_UNSPECIFIED_INTERESTED_PARTY", reason), prov)
    interests = [i for i in d.get("interests") or [] if isinstance(i, dict)] or [{}]
    # An indirect interest whose chain is published as component statements sums up that
    # chain: counted in full it would count the chain's stakes twice (like the UK PSC
    # overlap rule, its upper bound stays; a certain verdict never rests on it).
    components = bool(d.get("componentRecords") or d.get("componentStatementIDs"))
    for n, interest in enumerate(interests):
        lo, hi, exclusive = share_interval(interest.get("share"), version)
        code = str(interest.get("type") or "")
        level = str(interest.get("directOrIndirect") or interest.get("interestLevel") or "")
        attrs = {"interest_type": code, "direct_or_indirect": level}
        if components and level == "indirect":
            lo, exclusive = 0.0, ",".join(x for x in exclusive.split(",") if x == "hi")
            attrs["overlaps_components"] = "true"
        if exclusive:
            attrs["share_exclusive"] = exclusive
        if "lo" in exclusive.split(","):
            attrs["share_lo_open"] = "true"
        yield OwnershipEdge(
            owner=owner, owned=subject, kind=INTEREST_KINDS.get(norm_code(code), InterestKind.OTHER),
            provenance=_numbered(prov, n), share_lo=lo, share_hi=hi,
            start=iso_date(interest.get("startDate")), end=iso_date(interest.get("endDate")), attrs=attrs,
        )


def _numbered(prov: Any, n: int) -> Any:
    return replace(prov, record_id=f"{prov.record_id}#{n}")


def share_interval(share: Any, version: str = "0.4") -> tuple[float, float, str]:
    """BODS share (percent) -> ([lo, hi] as fractions, which ends are exclusive).

    0.4 names exclusive bounds ``exclusiveMinimum``/``exclusiveMaximum`` (numbers); 0.1-0.3
    use ``minimum``/``maximum`` with boolean flags, where by default the maximum is exclusive.
    An exclusive bound is stored as the nearest float inside the interval, so that a band
    like (50, 75] certainly passes "more than 50 %" at its low end.
    """
    if not isinstance(share, dict) or not share:
        return 0.0, 1.0, ""
    if share.get("exact") is not None:
        value = _percent(share["exact"])
        return value, value, ""
    old = version != "0.4"
    lo_raw, lo_excl = share.get("minimum"), old and share.get("exclusiveMinimum") is True
    hi_raw, hi_excl = share.get("maximum"), old and share.get("exclusiveMaximum") is not False
    if not old:
        if share.get("exclusiveMinimum") is not None:
            lo_raw, lo_excl = share["exclusiveMinimum"], True
        if share.get("exclusiveMaximum") is not None:
            hi_raw, hi_excl = share["exclusiveMaximum"], True
    lo = _percent(lo_raw) if lo_raw is not None else 0.0
    hi = _percent(hi_raw) if hi_raw is not None else 1.0
    exclusive = []
    if lo_raw is not None and lo_excl:
        lo = math.nextafter(lo, 2.0)
        exclusive.append("lo")
    if hi_raw is not None and hi_excl and hi > lo:
        hi = math.nextafter(hi, -1.0)
        exclusive.append("hi")
    if lo > hi:
        raise ValueError(f"share minimum {lo} above maximum {hi}")
    return lo, hi, ",".join(exclusive)


def _percent(value: Any) -> float:
    number = float(value)
    if not 0.0 <= number <= 100.0:
        raise ValueError(f"share {value!r} outside 0-100 %")
    return min(1.0, number / 100.0)


def _code(value: Any) -> str | None:
    text = str(value or "").strip().upper()
    return text[:2] if len(text) >= 2 and text[:2].isalpha() else None


def _country_code(value: Any) -> Any:
    return value.get("code") if isinstance(value, dict) else value


def _identifiers(ids: list[Any]) -> Iterator[Identifier]:
    for ident in ids:
        if not isinstance(ident, dict) or not ident.get("id"):
            continue
        code = str(ident.get("scheme") or "").strip().lower()
        ra = str(ident.get("schemeName") or "").strip().upper()
        if code:
            scheme = ID_SCHEMES.get(code, code.replace("-", "_"))
        elif _RA_CODE.fullmatch(ra):
            scheme = RA_SCHEMES.get(ra, ra.lower())
        else:
            scheme = (ra or "unknown").lower()
        value = str(ident["id"]).strip()
        if scheme == "cn_uscc":
            compact = re.sub(r"[\s\-]", "", value).upper()
            yield Identifier(scheme, compact, valid=uscc.is_valid(compact))
        else:
            yield Identifier(scheme, value)


_RA_CODE = re.compile(r"RA\d{6}")


def _addresses(addrs: list[Any]) -> Iterator[Address]:
    for addr in addrs:
        if isinstance(addr, dict) and addr.get("address"):
            kind = ADDRESS_KINDS.get(str(addr.get("type")), "other")
            yield Address(kind, str(addr["address"]), _code(_country_code(addr.get("country"))))
