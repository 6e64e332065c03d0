"""CSV adapter for users' own data: one file of entities or one file of relationships.

The header decides which (see docs/ingest.md for every column):

entities:       id, name, kind, jurisdiction, hq_country, nationality, residence,
                identifiers ("scheme:value;…"), aliases ("…;…"), address, dissolved, flags ("…;…")
relationships:  owner, owned, kind, share, share_min, share_max, start, end, record_id

Ids containing ``:`` are kept as given (so ``lei:…`` or ``gb-coh:…`` link to registry
entities); bare ids become ``csv:<id>``. Shares are percentages (0-100).
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from graph.model import (
    UNKNOWN_PARTY_FLAG,
    Address,
    Entity,
    EntityKind,
    Identifier,
    InterestKind,
    Name,
    OwnershipEdge,
)
from ingest.csvio import BadRow, header, rows
from ingest.dates import iso_date
from ingest.records import FileHeader, Quarantined, Record, SourceFile, WrongFormat

SOURCE = "csv"
ENTITY_COLUMNS = ("id", "name", "kind", "jurisdiction", "hq_country", "nationality", "residence",
                  "identifiers", "aliases", "address", "dissolved", "flags")
RELATIONSHIP_COLUMNS = ("owner", "owned", "kind", "share", "share_min", "share_max", "start", "end",
                        "record_id")


def entity_id(raw: str) -> str:
    raw = raw.strip()
    return raw if ":" in raw else f"csv:{raw}"


def parse(path: Path, src: SourceFile) -> Iterator[Record]:
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as fh:
        reader = csv.DictReader(fh)
        columns = [h.strip().lower() for h in header(reader, path)]
        reader.fieldnames = columns
        if {"owner", "owned"} <= set(columns):
            mode = "relationships"
        elif {"id", "name"} <= set(columns):
            mode = "entities"
        else:
            raise WrongFormat(f"{path}: the CSV header ({len(columns)} columns) has neither id,name "
                              "(entities) nor owner,owned (relationships)")
        yield FileHeader(src.path, None, None, mode == "relationships", f"csv-{mode}")
        for row in rows(reader):
            if isinstance(row, BadRow):
                yield Quarantined.of(src.path, f"line {row.line}", row.reason)
                continue
            where = f"line {reader.line_num}"
            clean = {k: (v or "").strip() for k, v in row.items() if isinstance(k, str)}
            if None in row:
                yield Quarantined.of(src.path, where, "more fields than header columns", row)
                continue
            try:
                yield _relationship(clean, src, where) if mode == "relationships" else _entity(clean, src, where)
            except (ValueError, KeyError) as exc:
                yield Quarantined.of(src.path, where, str(exc), clean)


def _split(text: str) -> list[str]:
    return [p.strip() for p in text.split(";") if p.strip()]


def _country(text: str, column: str) -> str | None:
    if not text:
        return None
    if len(text) != 2 or not text.isalpha():
        raise ValueError(f"column {column}: {text!r} is not an ISO 3166-1 alpha-2 code")
    return text.upper()


def _entity(row: dict[str, str], src: SourceFile, where: str) -> Entity:
    if not row.get("id") or not row.get("name"):
        raise ValueError("id and name are required")
    eid = entity_id(row["id"])
    kind = EntityKind(row.get("kind") or "company")
    identifiers = []
    for item in _split(row.get("identifiers", "")):
        scheme, sep, value = item.partition(":")
        if not sep or not value:
            raise ValueError(f"column identifiers: {item!r} is not scheme:value")
        identifiers.append(Identifier(scheme.strip().lower(), value.strip()))
    address = row.get("address", "")
    return Entity(
        id=eid, kind=kind, name=row["name"], provenance=src.provenance(SOURCE, eid, where),
        names=(Name(row["name"], kind="legal"), *(Name(a, kind="other") for a in _split(row.get("aliases", "")))),
        jurisdiction=_country(row.get("jurisdiction", ""), "jurisdiction"),
        hq_country=_country(row.get("hq_country", ""), "hq_country"),
        nationality=_country(row.get("nationality", ""), "nationality"),
        residence=_country(row.get("residence", ""), "residence"),
        identifiers=tuple(identifiers),
        addresses=(Address("legal", address, _country(row.get("hq_country", ""), "hq_country")),) if address else (),
        dissolved=iso_date(row.get("dissolved")),
        # an owner of kind "unknown" is one the user knows exists but cannot name
        flags=frozenset(_split(row.get("flags", ""))) | (
            {UNKNOWN_PARTY_FLAG} if kind is EntityKind.UNKNOWN else set()),
    )


def _percent(text: str, column: str) -> float | None:
    if not text:
        return None
    value = float(text.rstrip("%"))
    if not 0.0 <= value <= 100.0:
        raise ValueError(f"column {column}: {text!r} outside 0-100")
    return value / 100.0


def _relationship(row: dict[str, str], src: SourceFile, where: str) -> OwnershipEdge:
    if not row.get("owner") or not row.get("owned"):
        raise ValueError("owner and owned are required")
    owner, owned = entity_id(row["owner"]), entity_id(row["owned"])
    kind = InterestKind(row.get("kind") or "shareholding")
    exact = _percent(row.get("share", ""), "share")
    lo = exact if exact is not None else (_percent(row.get("share_min", ""), "share_min") or 0.0)
    hi = exact if exact is not None else _percent(row.get("share_max", ""), "share_max")
    hi = 1.0 if hi is None else hi
    if lo > hi:
        raise ValueError(f"share_min {lo:.4f} above share_max {hi:.4f}")
    record_id = row.get("record_id") or f"{owner}|{owned}|{kind.value}"
    return OwnershipEdge(owner, owned, kind, src.provenance(SOURCE, record_id, where), share_lo=lo,
                         share_hi=hi, start=iso_date(row.get("start")), end=iso_date(row.get("end")))
