"""FollowTheMoney adapter: entity JSON lines (OpenSanctions, Aleph) and OpenSanctions deltas.

Company, Organization, LegalEntity, PublicBody and Person become Entities ``ftm:<id>``;
Ownership becomes an edge owner -> asset with its percentage and dates; Directorship an
``other`` edge with share [0, 0] (a seat, not a holding: kept for investigators, never
control on its own). Topics become flags (``sanction`` -> ``sanctioned``), so a sanctions
list can be policy roots. Delta lines ``{"op": "ADD|MOD|DEL", "entity": …}`` apply as
upserts and removals. Other schemata (Sanction, Address, Payment, …) are skipped, counted.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from stdnum import lei as stdnum_lei

from graph.model import (
    UNKNOWN_PARTY_FLAG,
    Entity,
    EntityKind,
    Identifier,
    InterestKind,
    Name,
    OwnershipEdge,
)
from ingest.dates import iso_timestamp, partial_date
from ingest.jsonio import Broken, Item, read_items
from ingest.records import (
    FileHeader,
    Quarantined,
    Record,
    Removed,
    Skipped,
    SourceFile,
    WrongFormat,
)

SOURCE = "ftm"
ENTITY_SCHEMATA = {
    "Company": EntityKind.COMPANY,
    "Organization": EntityKind.COMPANY,
    "LegalEntity": EntityKind.UNKNOWN,
    "PublicBody": EntityKind.PUBLIC_BODY,
    "Person": EntityKind.PERSON,
}
TOPIC_FLAGS = {
    "sanction": "sanctioned",
    "sanction.linked": "sanction_linked",
    "sanction.counter": "sanction_counter",
    "export.control": "export_controlled",
    "debarment": "debarred",
    "role.pep": "pep",
    "gov.soe": "state_owned",
}
ID_PROPERTIES = {
    "leiCode": "lei", "innCode": "ru_inn", "ogrnCode": "ru_ogrn", "kppCode": "ru_kpp",
    "registrationNumber": "registration_number", "taxNumber": "tax_number", "swiftBic": "bic",
    "uniqueEntityId": "us_uei", "vatCode": "vat", "okpoCode": "ru_okpo",
}


def parse(path: Path, src: SourceFile) -> Iterator[Record]:
    first = True
    for item in read_items(path):
        if isinstance(item, Broken):
            yield Quarantined.of(src.path, item.location, item.reason, item.raw)
            continue
        value = item.value
        if first:
            first = False
            yield _header(path, src, value)
            if isinstance(value, dict) and "versions" in value:
                yield Skipped(item.location, f"delta index of {len(value['versions'] or {})} versions; "
                              "ingest the version files in order")
                return
        yield from _line(item, src)


def _header(path: Path, src: SourceFile, value: Any) -> FileHeader:
    if not isinstance(value, dict):
        raise WrongFormat(f"{path}: not FollowTheMoney JSON lines (first item is not an object)")
    if "versions" in value:
        return FileHeader(src.path, iso_timestamp(value.get("updated_at")), False, False, "ftm-delta-index")
    if "op" in value and "entity" in value:
        return FileHeader(src.path, None, False, True, "ftm-delta")
    if "schema" in value and "id" in value:
        return FileHeader(src.path, None, None, True, "ftm-entities")
    raise WrongFormat(f"{path}: not FollowTheMoney (first line has no id/schema or op/entity)")


def _line(item: Item, src: SourceFile) -> Iterator[Record]:
    value = item.value
    where = item.location
    if not isinstance(value, dict):
        yield Quarantined.of(src.path, where, "line is not a JSON object", item.raw or value)
        return
    if "op" in value:
        op, entity = value.get("op"), value.get("entity")
        if op not in ("ADD", "MOD", "DEL") or not isinstance(entity, dict) or not entity.get("id"):
            yield Quarantined.of(src.path, where, f"bad delta line (op {op!r})", item.raw or value)
            return
        if op == "DEL":
            prov = src.provenance(SOURCE, str(entity["id"]), where, None)
            yield Removed(f"ftm:{entity['id']}", (src.retrieved or "")[:10], prov)
            return
        value = entity
    try:
        yield from _entity(value, src, where, item.raw)
    except (ValueError, TypeError, AttributeError, KeyError) as exc:
        yield Quarantined.of(src.path, where, f"unusable FtM entity: {exc}", item.raw or value)


def _first(props: dict[str, Any], key: str) -> str | None:
    values = _values(props, key)
    return values[0] if values else None


def _values(props: dict[str, Any], key: str) -> list[str]:
    raw = props.get(key) or []
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list):
        raise ValueError(f"property {key!r} is not a list")
    return [str(v).strip() for v in raw if v is not None and str(v).strip()]


def _entity(value: dict[str, Any], src: SourceFile, where: str, raw: str) -> Iterator[Record]:
    fid, schema = value.get("id"), value.get("schema")
    if not isinstance(fid, str) or not fid or not isinstance(schema, str):
        yield Quarantined.of(src.path, where, "entity without id or schema", raw or value)
        return
    props = value.get("properties") or {}
    if not isinstance(props, dict):
        raise ValueError("properties is not an object")
    published = iso_timestamp(value.get("last_change") or value.get("last_seen") or value.get("first_seen"))
    prov = src.provenance(SOURCE, fid, where, published)
    if schema == "Ownership":
        yield from _ownership(fid, props, prov, src, where, raw)
    elif schema == "Directorship":
        yield from _link(fid, props, "director", "organization", prov, src, where, raw)
    elif schema in ENTITY_SCHEMATA:
        yield _party(fid, schema, props, value, prov)
    else:
        yield Skipped(where, f"FtM schema {schema}")


# FtM has no "unknown owner" marker: publishers name the party so ("Unknown shareholders",
# "Undisclosed beneficiary") or not at all. Such a party is an explicit unknown.
_UNKNOWN_NAME = re.compile(
    r"^\W*(?:unknown|undisclosed|unidentified|anonymous|not disclosed|withheld|unnamed)"
    r"(?:\s+(?:ultimate|beneficial|natural|legal|final|other|shareholders?|owners?|"
    r"beneficiar(?:y|ies)|persons?|part(?:y|ies)|entit(?:y|ies)|investors?|holders?|"
    r"individuals?|compan(?:y|ies)|nominees?)(?:\(s\))?)*\W*$", re.IGNORECASE)


def _party(fid: str, schema: str, props: dict[str, Any], value: dict[str, Any], prov: Any) -> Entity:
    names = _values(props, "name")
    caption = str(value.get("caption") or "").strip()
    main = names[0] if names else caption or fid
    all_names = [Name(main, kind="legal")]
    all_names += [Name(n, kind="other") for n in names[1:]]
    for key, kind in (("alias", "other"), ("previousName", "previous"), ("weakAlias", "other")):
        all_names += [Name(n, kind=kind) for n in _values(props, key)]
    topics = _values(props, "topics") + [str(t) for t in value.get("topics") or [] if isinstance(t, str)]
    flags = {TOPIC_FLAGS[t] for t in topics if t in TOPIC_FLAGS} | {f"topic:{t}" for t in topics}
    if not (names or caption) or _UNKNOWN_NAME.match(main):
        flags.add(UNKNOWN_PARTY_FLAG)
    countries = _values(props, "country")
    person = schema == "Person"
    return Entity(
        id=f"ftm:{fid}", kind=ENTITY_SCHEMATA[schema], name=main, provenance=prov,
        names=tuple(all_names),
        jurisdiction=None if person else _cc(_values(props, "jurisdiction") or countries),
        hq_country=None if person else _cc(_values(props, "mainCountry") or countries),
        nationality=_cc(_values(props, "nationality")) if person else None,
        residence=_cc(countries) if person else None,
        identifiers=tuple(_identifiers(props)),
        dissolved=partial_date(_first(props, "dissolutionDate")),
        flags=frozenset(flags),
    )


def _cc(values: list[str]) -> str | None:
    for v in values:
        code = v.split("-")[0].upper()
        if len(code) == 2 and code.isalpha():
            return code
    return None


def _identifiers(props: dict[str, Any]) -> Iterator[Identifier]:
    for key, scheme in ID_PROPERTIES.items():
        for value in _values(props, key):
            valid = stdnum_lei.is_valid(value) if scheme == "lei" else True
            yield Identifier(scheme, value, valid=valid)


_NUMBER = r"(\d+(?:[.,]\d+)?)"
_RANGE = re.compile(rf"^{_NUMBER}\s*%?\s*(?:-|–|—|to|bis|до)\s*{_NUMBER}\s*%?$")
_ABOVE = re.compile(rf"^(?:>|more than|over|above|greater than)\s*{_NUMBER}\s*%?$")
_AT_LEAST = re.compile(rf"^(?:>=|≥|at least|min\.?|minimum)\s*{_NUMBER}\s*%?$")
_BELOW = re.compile(rf"^(?:<|less than|under|below)\s*{_NUMBER}\s*%?$")
_AT_MOST = re.compile(rf"^(?:<=|≤|up to|at most|max\.?|maximum)\s*{_NUMBER}\s*%?$")
_EXACT = re.compile(rf"^{_NUMBER}\s*%?$")


def _pct(text: str) -> float:
    return float(text.replace(",", ".")) / 100.0


def share_of(value: str) -> tuple[float, float, bool] | None:
    """One FtM ``percentage`` string -> (lo, hi, lo exclusive) as fractions, or None when
    unreadable: "51", "51.0 %", "25,5", "25-50", "more than 50", ">25", "< 10"."""
    text = value.strip().lower()
    if m := _EXACT.match(text):
        lo = hi = _pct(m.group(1))
        open_lo = False
    elif m := _RANGE.match(text):
        lo, hi, open_lo = _pct(m.group(1)), _pct(m.group(2)), False
    elif m := _ABOVE.match(text):
        lo, hi, open_lo = _pct(m.group(1)), 1.0, True
    elif m := _AT_LEAST.match(text):
        lo, hi, open_lo = _pct(m.group(1)), 1.0, False
    elif m := _BELOW.match(text):
        lo, hi, open_lo = 0.0, math.nextafter(_pct(m.group(1)), -1.0), False
    elif m := _AT_MOST.match(text):
        lo, hi, open_lo = 0.0, _pct(m.group(1)), False
    else:
        return None
    if not 0.0 <= lo <= hi <= 1.0:
        return None
    return (math.nextafter(lo, 2.0) if open_lo else lo), hi, open_lo


def _share(values: list[str]) -> tuple[float, float, bool]:
    """Several values (a stake restated) -> their hull; none readable -> unknown [0, 1]."""
    shares = [s for s in (share_of(v) for v in values) if s is not None]
    if not shares:
        return 0.0, 1.0, False
    lo = min(shares)
    return lo[0], max(s[1] for s in shares), lo[2]


def _ownership(fid: str, props: dict[str, Any], prov: Any, src: SourceFile, where: str,
               raw: str) -> Iterator[Record]:
    owners, assets = _values(props, "owner"), _values(props, "asset")
    if not owners or not assets:
        yield Quarantined.of(src.path, where, "Ownership without owner or asset", raw or props)
        return
    lo, hi, open_lo = _share(_values(props, "percentage"))
    attrs = {k: "; ".join(_values(props, k)) for k in ("role", "sharesCount", "percentage", "ownershipType")
             if _values(props, k)}
    if open_lo:
        attrs["share_lo_open"] = "true"
    yield OwnershipEdge(
        owner=f"ftm:{owners[0]}", owned=f"ftm:{assets[0]}", kind=InterestKind.SHAREHOLDING,
        provenance=prov, share_lo=lo, share_hi=hi,
        start=partial_date(_first(props, "startDate")),
        end=partial_date(_first(props, "endDate")), attrs=attrs,
    )


def _link(fid: str, props: dict[str, Any], owner_key: str, owned_key: str, prov: Any,
          src: SourceFile, where: str, raw: str) -> Iterator[Record]:
    owners, owned = _values(props, owner_key), _values(props, owned_key)
    if not owners or not owned:
        yield Quarantined.of(src.path, where, f"Directorship without {owner_key} or {owned_key}", raw or props)
        return
    yield OwnershipEdge(
        owner=f"ftm:{owners[0]}", owned=f"ftm:{owned[0]}", kind=InterestKind.OTHER, provenance=prov,
        share_lo=0.0, share_hi=0.0,
        start=partial_date(_first(props, "startDate")),
        end=partial_date(_first(props, "endDate")),
        attrs={"relation": "directorship", "role": "; ".join(_values(props, "role"))},
    )
