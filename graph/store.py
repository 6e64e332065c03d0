"""The graph-store port: what the rest of ownergraph may ask of a graph database.

Adapters (``graph/falkordb/store.py``, ``graph/neo4j/store.py``) implement it; they are the only
code that speaks Cypher. Everything else passes model objects in and gets plain data back.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from graph.arrays import GraphArrays
from graph.model import Entity, Judgement, MatchCandidate, OwnershipEdge


@dataclass(frozen=True)
class QueryResult:
    columns: list[str]
    rows: list[list[Any]]
    truncated: bool  # True when the row cap cut the result


@dataclass(frozen=True)
class DerivedResult:
    """One entity's computed answer under one policy for one generation."""

    entity_id: str
    policy: str
    verdict: str
    exposure_lo: float
    exposure_hi: float
    controllers: tuple[str, ...] = ()
    basis: tuple[str, ...] = ()  # why each controller is one (graph/control/answers.Basis)


@dataclass(frozen=True)
class SnapshotScope:
    """What a full snapshot could have stated: the open edges of its source and record type
    whose own record date is not after the snapshot's content date. An edge stored before
    record types were kept is of any type; one without a record date may be ended."""

    source: str
    record_type: str | None = None  # e.g. "gleif-rr", "psc-snapshot", "bods"
    content_date: str | None = None  # ISO date (or timestamp) the snapshot is as of

    def why_kept(self, published: str | None, record_type: str | None) -> str | None:
        """None when the snapshot could have stated the edge, else why it stays open."""
        if self.record_type and record_type and record_type != self.record_type:
            return "other_record_type"
        if self.content_date and published and published[:10] > self.content_date[:10]:
            return "stated_after_snapshot"
        return None


@dataclass(frozen=True)
class SnapshotEnding:
    """What ``end_missing_edges`` did: the keys it end-dated, and how many open edges the
    snapshot does not list it kept, by reason (``SnapshotScope.why_kept``)."""

    ended: tuple[str, ...] = ()
    kept: dict[str, int] = field(default_factory=dict)


class GraphStore(Protocol):
    """Operations the service needs from a graph database."""

    def ensure_schema(self) -> None:
        """Create constraints and indexes; idempotent."""

    def upsert_entities(self, entities: Iterable[Entity]) -> int:
        """MERGE entities by id (batched); returns how many were written."""

    def upsert_edges(self, edges: Iterable[OwnershipEdge]) -> int:
        """MERGE ownership edges by statement key, with provenance (batched)."""

    def end_missing_edges(self, scope: SnapshotScope, seen_keys: set[str], end: str,
                          run_id: str) -> SnapshotEnding:
        """End-date (never delete) the open edges a full snapshot could have stated
        (``scope``) whose key is not in seen_keys."""

    def end_record_edges(self, source: str, record_ids: Iterable[str], end: str, run_id: str
                         ) -> set[str]:
        """End-date (never delete) the open edges of ``source`` made from the given records
        (a record's own id or ``<id>#<n>`` for its n-th statement), e.g. a delta's removal
        of a relationship record; the records that had open edges. One scan of the source's
        open edges for all of them."""

    def set_canonical(self, mapping: dict[str, str]) -> int:
        """Record resolution: entity id -> canonical id."""

    def find_entity(self, entity_id: str) -> Entity | None:
        """One stored entity as the model holds it (a placeholder flagged ``placeholder``)."""

    def iter_entities(self, batch_size: int = 5000) -> Iterable[list[Entity]]:
        """All stored entities, in batches (for resolution)."""

    def add_judgement(self, judgement: Judgement) -> None:
        """Store a same / not-same / unsure decision (history kept; the newest per pair wins)."""

    def judgements(self) -> list[Judgement]:
        """Every stored judgement, oldest first."""

    def write_candidates(self, candidates: Sequence[MatchCandidate]) -> int:
        """Replace the stored match candidates (merges with explanations, review queue)."""

    def candidates(self, status: str | None = None) -> list[MatchCandidate]:
        """Stored candidates, optionally only ``merged`` or ``review``."""

    def load_arrays(self) -> GraphArrays:
        """All entities (by canonical id) and ownership edges as numpy columns, streamed."""

    def owners(self, entity_id: str, hops: int = 1) -> list[dict[str, Any]]:
        """Edges upstream of an entity, up to ``hops`` links, each with provenance."""

    def subsidiaries(self, entity_id: str, hops: int = 1) -> list[dict[str, Any]]:
        """Edges downstream of an entity, up to ``hops`` links."""

    def paths(self, source: str, target: str, max_hops: int = 6) -> list[list[dict[str, Any]]]:
        """Ownership paths from ``source`` (owner) down to ``target`` (owned)."""

    def get_entity(self, entity_id: str) -> dict[str, Any] | None:
        """Stored properties of one entity node."""

    def read_query(
        self, cypher: str, params: dict[str, Any] | None = None, *,
        timeout_ms: int | None = None, row_cap: int | None = None,
    ) -> QueryResult:
        """An investigator's query: read-only, with timeout and row cap."""

    def write_results(self, generation: str, results: Sequence[DerivedResult]) -> int:
        """The served generation's answers for Cypher readers: Result nodes and CONTROLS
        edges; those of every other generation are deleted."""

    def edge_provenance(self, owned: Sequence[str]) -> dict[str, dict[str, Any]]:
        """edge key -> provenance (source, record, file, location, dates, run, confidence) of
        every OWNS edge into these canonical entities."""

    def count(self, label: str) -> int:
        """Nodes with a label (``Entity``) or relationships of a type (``OWNS``)."""

    def close(self) -> None:
        """Release connections; an embedded server keeps running until stopped."""
