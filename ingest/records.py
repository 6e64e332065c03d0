"""Plain records the format adapters yield besides model Entities and OwnershipEdges.

Adapters never touch a database: they yield these, and ``ingest/run.py`` (the I/O edge)
turns them into store calls, run summaries and quarantine files.
"""

from __future__ import annotations

from dataclasses import dataclass

from graph.errors import BadInput
from graph.model import Entity, OwnershipEdge, Provenance, ReportingException

EXCERPT_CHARS = 300


class WrongFormat(BadInput):
    """The file is not the declared format: the run stops with one clear line."""


@dataclass(frozen=True, slots=True)
class Quarantined:
    """A record we could not use: kept with its location and reason, never silently dropped."""

    file: str
    location: str
    reason: str
    excerpt: str = ""

    @classmethod
    def of(cls, file: str, location: str, reason: str, raw: object = "") -> Quarantined:
        text = raw if isinstance(raw, str) else repr(raw)
        return cls(file, location, reason[:500], text[:EXCERPT_CHARS])


@dataclass(frozen=True, slots=True)
class ExceptionFact:
    """A reporting exception about an entity whose own record may sit in another file."""

    entity_id: str
    exception: ReportingException
    provenance: Provenance


@dataclass(frozen=True, slots=True)
class EntityStub:
    """An entity as another record describes it at second hand (a UK PSC names the company
    it is about by number only; a corporate PSC is described in its subsidiary's filing):
    it fills in what the store does not know of the entity and never overwrites an
    entity's own record."""

    entity: Entity


@dataclass(frozen=True, slots=True)
class Removed:
    """A delta says an entity (or the statement it carries) no longer exists at ``on``."""

    entity_id: str  # "<source>:<record id>" of what is removed or replaced
    on: str  # ISO date
    provenance: Provenance
    near: str | None = None  # an entity whose inbound edges may carry the removed statement


@dataclass(frozen=True, slots=True)
class Skipped:
    """A well-formed record outside the ownership model (FtM Payment, a totals line)."""

    location: str
    what: str


@dataclass(frozen=True, slots=True)
class FileHeader:
    """What a file says about itself, yielded once before its records."""

    file: str
    published: str | None = None  # ISO timestamp (UTC) of the publication
    full_snapshot: bool | None = None  # None: the file does not say
    carries_edges: bool = True  # False: end-dating vanished edges must not run on it
    kind: str = ""  # e.g. "lei", "rr", "repex", "bods-0.4", "psc-snapshot"


Record = (Entity | OwnershipEdge | ExceptionFact | EntityStub | Removed | Quarantined | Skipped
          | FileHeader)


@dataclass(frozen=True, slots=True)
class SourceFile:
    """The file an adapter reads, with the run it belongs to (for provenance)."""

    path: str
    run_id: str = ""
    retrieved: str | None = None  # UTC timestamp the run read the file

    def provenance(
        self, source: str, record_id: str, location: str, published: str | None = None
    ) -> Provenance:
        return Provenance(
            source=source, record_id=record_id, file=self.path, location=location,
            published=published, retrieved=self.retrieved, run_id=self.run_id,
        )
