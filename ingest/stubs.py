"""Second-hand descriptions of entities (``records.EntityStub``): fill gaps, never overwrite.

A UK PSC snapshot names the company it is about by number only, and describes a corporate
PSC in its subsidiary's filing. Written as plain entities they would replace the company's
own record (Companies House data, GLEIF) and what other runs folded into it (reporting
exceptions); as stubs they only add what the stored entity lacks: identifiers of schemes it
has none of (two numbers in one scheme would say two different entities), countries, a kind,
other names, addresses, and flags (a sanctions flag is never lost).
"""

from __future__ import annotations

from dataclasses import replace

from graph.model import Entity, EntityKind, Name, ReportingException
from graph.store import GraphStore


def _names(entity: Entity, stub: Entity) -> tuple[Name, ...]:
    known = {n.value.casefold() for n in entity.names} | {entity.name.casefold()}
    numbers = {stub.id, *(i.value for i in stub.identifiers)}
    extra = [Name(n.value, n.lang, n.script, "other") for n in (*stub.names, Name(stub.name))
             if n.value.casefold() not in known and n.value not in numbers]
    return (*entity.names, *dict.fromkeys(extra))


def nameless(entity: Entity) -> bool:
    """Named only by its id or one of its numbers (a PSC company, a placeholder)."""
    return entity.name == entity.id or any(entity.name == i.value for i in entity.identifiers)


def fill_from(entity: Entity, stub: Entity) -> Entity:
    """``entity`` with what it lacks taken from ``stub`` (``entity`` wins on every value,
    its name too unless it is only a number)."""
    schemes = {i.scheme for i in entity.identifiers}
    if nameless(entity) and not nameless(stub):
        entity = replace(entity, name=stub.name, names=(
            *(n for n in stub.names if n.value == stub.name),
            *(n for n in entity.names if n.value != entity.name)))
    return replace(
        entity,
        kind=stub.kind if entity.kind is EntityKind.UNKNOWN else entity.kind,
        names=_names(entity, stub),
        jurisdiction=entity.jurisdiction or stub.jurisdiction,
        hq_country=entity.hq_country or stub.hq_country,
        nationality=entity.nationality or stub.nationality,
        residence=entity.residence or stub.residence,
        identifiers=(*entity.identifiers,
                     *(i for i in stub.identifiers if i.scheme not in schemes)),
        addresses=entity.addresses or stub.addresses,
        dissolved=entity.dissolved or stub.dissolved,
        flags=entity.flags | stub.flags,
    )


def merge_stubs(first: Entity | None, later: Entity) -> Entity:
    """Two second-hand descriptions of one entity in a run: the first wins, gaps filled."""
    return later if first is None else fill_from(first, later)


def with_exceptions(entity: Entity, exceptions: dict[str, ReportingException]) -> Entity:
    merged = {x.category: x for x in entity.reporting_exceptions}
    merged.update(exceptions)
    e = entity  # built field by field: dataclasses.replace costs ~3x (half a million per GLEIF run)
    return Entity(id=e.id, kind=e.kind, name=e.name, provenance=e.provenance, names=e.names,
                  jurisdiction=e.jurisdiction, hq_country=e.hq_country, nationality=e.nationality,
                  residence=e.residence, identifiers=e.identifiers, addresses=e.addresses,
                  dissolved=e.dissolved, flags=e.flags, canonical_id=e.canonical_id,
                  reporting_exceptions=tuple([merged[k] for k in sorted(merged)]))


def apply_stubs(store: GraphStore, stubs: dict[str, Entity],
                pending: dict[str, dict[str, ReportingException]]) -> int:
    """Write a run's second-hand descriptions: a stored entity of its own (this run's or an
    earlier one) only gains what it lacks; where there is none, or only a placeholder, the
    stub is written with the exceptions waiting for it (taken out of ``pending``). One
    lookup per described entity; returns the entities written."""
    batch: list[Entity] = []
    for entity_id, stub in stubs.items():
        stored = store.find_entity(entity_id)
        exceptions = pending.pop(entity_id, None)
        if stored is None or "placeholder" in stored.flags:
            base = stub if stored is None else fill_from(stub, replace(
                stored, flags=stored.flags - {"placeholder"}))
            entity = replace(base, reporting_exceptions=stored.reporting_exceptions
                             if stored is not None else ())
        else:
            entity = fill_from(stored, stub)
            if entity == stored and not exceptions:
                continue
        batch.append(with_exceptions(entity, exceptions) if exceptions else entity)
    return store.upsert_entities(batch) if batch else 0
