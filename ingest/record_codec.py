"""Records as plain tuples and back, for the pipe from a forked reader (``ingest.forked``).

Frozen slotted dataclasses pickle slowly; as tuples of str/float/None they go through
``marshal`` many times faster (docs/ingest.md) and are rebuilt here. ``decode(encode(r)) == r`` for every record type an adapter yields (tested on
every real sample file).
"""

from __future__ import annotations

import functools
from typing import Any

from graph.model import (
    Address,
    Entity,
    EntityKind,
    Identifier,
    InterestKind,
    Name,
    OwnershipEdge,
    Provenance,
    ReportingException,
)
from ingest.gleif_codes import SOURCE
from ingest.gleif_fast import LeiFields, entity_from_fields
from ingest.records import (
    EntityStub,
    ExceptionFact,
    FileHeader,
    Quarantined,
    Record,
    Removed,
    Skipped,
    SourceFile,
)

_ENTITY, _EDGE, _EXCEPTION, _QUARANTINED, _SKIPPED, _REMOVED, _HEADER, _LEI_FIELDS, _STUB = range(9)
_KINDS = {k.value: k for k in EntityKind}
_INTERESTS = {k.value: k for k in InterestKind}


def _prov(p: Provenance) -> tuple[Any, ...]:
    return (p.source, p.record_id, p.file, p.location, p.published, p.retrieved, p.run_id,
            p.confidence)


def _unprov(t: Any) -> Provenance:
    return Provenance(t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7])


@functools.lru_cache(maxsize=4096)
def _exception(category: str, reason: str) -> ReportingException:
    """Shared instances: a run may hold a million pending exceptions of a dozen kinds."""
    return ReportingException(category, reason)


def encode(record: Record) -> tuple[Any, ...]:
    """A record as a marshal-able tuple (str, float, bool, None, tuples, lists, dicts)."""
    if isinstance(record, Entity):
        return (_ENTITY, record.id, record.kind.value, record.name, _prov(record.provenance),
                [(n.value, n.lang, n.script, n.kind) for n in record.names],
                record.jurisdiction, record.hq_country, record.nationality, record.residence,
                [(i.scheme, i.value, i.valid) for i in record.identifiers],
                [(a.kind, a.text, a.country) for a in record.addresses],
                record.dissolved, sorted(record.flags),
                [(x.category, x.reason) for x in record.reporting_exceptions],
                record.canonical_id)
    if isinstance(record, EntityStub):
        return (_STUB, encode(record.entity))
    if isinstance(record, OwnershipEdge):
        return (_EDGE, record.owner, record.owned, record.kind.value, _prov(record.provenance),
                record.share_lo, record.share_hi, record.start, record.end, dict(record.attrs))
    if isinstance(record, ExceptionFact):
        x = record.exception
        return (_EXCEPTION, record.entity_id, x.category, x.reason, _prov(record.provenance))
    if isinstance(record, Quarantined):
        return (_QUARANTINED, record.file, record.location, record.reason, record.excerpt)
    if isinstance(record, Skipped):
        return (_SKIPPED, record.location, record.what)
    if isinstance(record, Removed):
        return (_REMOVED, record.entity_id, record.on, _prov(record.provenance), record.near)
    if isinstance(record, FileHeader):
        return (_HEADER, record.file, record.published, record.full_snapshot, record.carries_edges,
                record.kind)
    raise TypeError(f"not a record: {type(record).__name__}")


def lei_fields_tuple(fields: LeiFields, src: SourceFile, where: str, published: str | None
                     ) -> tuple[Any, ...]:
    """An LEI record's plain fields (``gleif_fast``): the Entity is built by ``decode``."""
    return (_LEI_FIELDS, fields, src.path, where, published, src.retrieved, src.run_id)


def exception_tuple(entity_id: str, category: str, reason: str, provenance: tuple[Any, ...]
                    ) -> tuple[Any, ...]:
    """An ExceptionFact's tuple from its plain values (``provenance`` as ``_prov`` gives it)."""
    return (_EXCEPTION, entity_id, category, reason, provenance)


def decode(t: Any) -> Record:
    """The record ``encode`` (or ``lei_fields_tuple``) made the tuple from."""
    tag = t[0]
    if tag == _LEI_FIELDS:
        fields = t[1]
        return entity_from_fields(fields, Provenance(SOURCE, fields[0], t[2], t[3], t[4], t[5], t[6]))
    if tag == _ENTITY:
        return Entity(
            t[1], _KINDS[t[2]], t[3], _unprov(t[4]),
            names=tuple([Name(v, lang, script, kind) for v, lang, script, kind in t[5]]),
            jurisdiction=t[6], hq_country=t[7], nationality=t[8], residence=t[9],
            identifiers=tuple([Identifier(s, v, ok) for s, v, ok in t[10]]),
            addresses=tuple([Address(k, text, c) for k, text, c in t[11]]),
            dissolved=t[12], flags=frozenset(t[13]),
            reporting_exceptions=tuple([ReportingException(c, r) for c, r in t[14]]),
            canonical_id=t[15])
    if tag == _STUB:
        entity = decode(t[1])
        assert isinstance(entity, Entity)
        return EntityStub(entity)
    if tag == _EDGE:
        return OwnershipEdge(t[1], t[2], _INTERESTS[t[3]], _unprov(t[4]), t[5], t[6], t[7], t[8],
                             t[9])
    if tag == _EXCEPTION:
        return ExceptionFact(t[1], _exception(t[2], t[3]), _unprov(t[4]))
    if tag == _QUARANTINED:
        return Quarantined(t[1], t[2], t[3], t[4])
    if tag == _SKIPPED:
        return Skipped(t[1], t[2])
    if tag == _REMOVED:
        return Removed(t[1], t[2], _unprov(t[3]), t[4])
    if tag == _HEADER:
        return FileHeader(t[1], t[2], t[3], t[4], t[5])
    raise ValueError(f"unknown record tag {tag!r}")
