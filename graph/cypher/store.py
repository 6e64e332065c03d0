"""What both Cypher adapters share: the data operations over the shared statements.

A subclass supplies execution (``_run``: the one place a statement reaches its driver,
wrapping every driver error in QueryFailed / QueryTimeout naming the statement), the
schema, the streamed array load and investigator queries.
"""

from __future__ import annotations

import itertools
import json
import time
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from typing import Any, NamedTuple, TypeVar

from graph.arrays import GraphArrays
from graph.cypher import statements as q
from graph.cypher.rows import (
    candidate_from,
    candidate_props,
    edge_dict,
    edge_row,
    entity_from,
    entity_row,
    judgement_from,
    judgement_props,
)
from graph.cypher.statements import Statement
from graph.errors import BadInput
from graph.model import Entity, Judgement, MatchCandidate, OwnershipEdge
from graph.store import DerivedResult, QueryResult, SnapshotEnding, SnapshotScope
from graph.store_config import StoreConfig

T = TypeVar("T")
Row = list[Any]
PROVENANCE_FIELDS = ("source", "record_id", "file", "location", "published", "retrieved",
                     "run_id", "confidence")


class OpenEdge(NamedTuple):
    """An open edge: its key, where the dialect finds it again (``_open_edges``), and what
    decides whether a full snapshot could have stated it (its record date and attrs)."""

    key: str
    where: Any
    published: str | None = None
    attrs_json: str | None = None

    def record_type(self) -> str | None:
        attrs = json.loads(self.attrs_json) if self.attrs_json else {}
        value = attrs.get("record_type") if isinstance(attrs, dict) else None
        return str(value) if value else None


# A fixed cap on traversal answers so one over-connected entity cannot flood a caller.
TRAVERSAL_ROW_CAP = 10_000


def key_record(key: str, source: str) -> str | None:
    """The record id an edge key (``source|record|owner|owned|kind``, OwnershipEdge.key) was
    made from, without a ``#<n>`` statement suffix; None for another source's key."""
    if not key.startswith(source + "|"):
        return None
    record = key[len(source) + 1:].rsplit("|", 3)[0]
    return record.partition("#")[0]


def batched(items: Iterable[T], size: int) -> Iterator[list[T]]:
    it = iter(items)
    while chunk := list(itertools.islice(it, size)):
        yield chunk


class CypherStore(ABC):
    """GraphStore operations shared by the FalkorDB and Neo4j adapters."""

    # Properties an adapter stores for its own use (not data): left out of every answer.
    STORAGE_ONLY: frozenset[str] = frozenset()

    def __init__(self, config: StoreConfig) -> None:
        self.config = config

    # -- what a dialect supplies ----------------------------------------------------------

    @abstractmethod
    def _run(self, stmt: Statement, params: dict[str, Any] | None = None) -> list[Row]:
        """Execute one statement (write-capable); rows as lists."""

    @abstractmethod
    def _open_edges(self, source: str) -> Iterator[list[OpenEdge]]:
        """The open (no end) OWNS edges of a source, in chunks, as (key, where): ``where``
        is whatever the dialect's ``_end_edges`` needs to find the edge again (or None)."""

    @abstractmethod
    def ensure_schema(self) -> None: ...

    @abstractmethod
    def load_arrays(self) -> GraphArrays: ...

    @abstractmethod
    def read_query(self, cypher: str, params: dict[str, Any] | None = None, *,
                   timeout_ms: int | None = None, row_cap: int | None = None) -> QueryResult: ...

    @abstractmethod
    def close(self) -> None: ...

    # -- writes ---------------------------------------------------------------------------

    def _write_rows(self, stmt: Statement, rows: Iterable[dict[str, Any]]) -> int:
        written = 0
        for batch in batched(rows, self.config.batch_size):
            self._run(stmt, {"rows": batch})
            written += len(batch)
        return written

    def upsert_entities(self, entities: Iterable[Entity]) -> int:
        return self._write_rows(q.UPSERT_ENTITIES, (entity_row(e) for e in entities))

    def upsert_edges(self, edges: Iterable[OwnershipEdge]) -> int:
        return self._write_rows(q.UPSERT_EDGES, (edge_row(e) for e in edges))

    def end_missing_edges(self, scope: SnapshotScope, seen_keys: set[str], end: str,
                          run_id: str) -> SnapshotEnding:
        missing: list[OpenEdge] = []
        kept: dict[str, int] = {}
        for chunk in self._open_edges(scope.source):
            for edge in chunk:
                if edge.key in seen_keys:
                    continue
                why = scope.why_kept(edge.published, edge.record_type())
                if why is None:
                    missing.append(edge)
                else:
                    kept[why] = kept.get(why, 0) + 1
        ended = self._ended_keys(missing, end, run_id)
        return SnapshotEnding(tuple(ended), kept)

    def end_record_edges(self, source: str, record_ids: Iterable[str], end: str, run_id: str
                         ) -> set[str]:
        wanted = set(record_ids)
        edges = [e for chunk in self._open_edges(source) for e in chunk
                 if key_record(e[0], source) in wanted]
        self._ended_keys(edges, end, run_id)
        return {str(key_record(e.key, source)) for e in edges}

    def _ended_keys(self, edges: list[OpenEdge], end: str, run_id: str) -> list[str]:
        """End-date open edges found by key (the dialect has an index on OWNS.key); the
        keys it ended."""
        ended: list[str] = []
        for batch in batched([e.key for e in edges], self.config.batch_size):
            rows = self._run(q.END_EDGES, {"keys": batch, "end": end, "run_id": run_id})
            ended += [str(k) for k in rows[0][0]] if rows else []
        return ended

    def set_canonical(self, mapping: dict[str, str]) -> int:
        updated = 0
        rows = ({"id": k, "canonical_id": v} for k, v in mapping.items())
        for batch in batched(rows, self.config.batch_size):
            out = self._run(q.SET_CANONICAL, {"rows": batch})
            updated += int(out[0][0]) if out else 0
        return updated

    def add_judgement(self, judgement: Judgement) -> None:
        self._run(q.ADD_JUDGEMENT, {"props": judgement_props(judgement, time.time_ns())})

    def write_candidates(self, candidates: Sequence[MatchCandidate]) -> int:
        while True:
            out = self._run(q.DELETE_CANDIDATES, {"limit": self.config.batch_size})
            if not out or int(out[0][0]) == 0:
                break
        return self._write_rows(q.CREATE_CANDIDATES, (candidate_props(c) for c in candidates))

    def write_results(self, generation: str, results: Sequence[DerivedResult]) -> int:
        """The generation's Result nodes and CONTROLS edges; every other generation's go."""
        self._run(q.DELETE_GENERATION_CONTROLS, {"generation": generation})
        result_rows = (
            {"entity_id": r.entity_id, "key": f"{generation}|{r.policy}|{r.entity_id}",
             "props": {"generation": generation, "policy": r.policy, "entity_id": r.entity_id,
                       "verdict": r.verdict, "exposure_lo": float(r.exposure_lo),
                       "exposure_hi": float(r.exposure_hi),
                       "controllers": list(r.controllers), "basis": list(r.basis)}}
            for r in results)
        written = self._write_rows(q.WRITE_RESULTS, result_rows)
        control_rows = (
            {"controller": c, "entity_id": r.entity_id, "generation": generation,
             "policy": r.policy, "basis": basis,
             "key": f"{generation}|{r.policy}|{c}|{r.entity_id}"}
            for r in results for c, basis in zip(r.controllers, r.basis, strict=True))
        self._write_rows(q.WRITE_CONTROLS, control_rows)
        for stmt in (q.DELETE_OTHER_CONTROLS, q.DELETE_OTHER_RESULTS):
            while int(self._run(stmt, {"generation": generation,
                                       "limit": self.config.batch_size * 5})[0][0]):
                pass
        return written

    def edge_provenance(self, owned: Sequence[str]) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for chunk in batched(owned, self.config.batch_size):
            for key, *values in self._run(q.EDGE_PROVENANCE, {"ids": chunk}):
                out[str(key)] = dict(zip(PROVENANCE_FIELDS, values, strict=True))
        return out

    # -- reads ----------------------------------------------------------------------------

    def get_entity(self, entity_id: str) -> dict[str, Any] | None:
        rows = self._run(q.GET_ENTITY, {"id": entity_id})
        if not rows:
            return None
        return {k: v for k, v in dict(rows[0][0]).items() if k not in self.STORAGE_ONLY}

    def find_entity(self, entity_id: str) -> Entity | None:
        props = self.get_entity(entity_id)
        if props is None:
            return None
        entity = entity_from(props)
        return replace(entity, flags=entity.flags | {"placeholder"}) \
            if props.get("placeholder") else entity

    def iter_entities(self, batch_size: int = 5000) -> Iterable[list[Entity]]:
        after = ""
        while True:
            rows = self._run(q.ENTITY_PAGE, {"after": after, "limit": batch_size})
            if not rows:
                return
            page = [entity_from(dict(r[0])) for r in rows]
            yield page
            after = page[-1].id

    def judgements(self) -> list[Judgement]:
        return [judgement_from(dict(r[0])) for r in self._run(q.JUDGEMENTS)]

    def candidates(self, status: str | None = None) -> list[MatchCandidate]:
        return [candidate_from(dict(r[0])) for r in self._run(q.CANDIDATES, {"status": status})]

    def _hops(self, hops: int) -> int:
        if not 1 <= hops <= q.MAX_HOPS:
            raise BadInput(f"hops must be between 1 and {q.MAX_HOPS}, not {hops}", field="hops")
        return hops

    def _edges(self, stmt: Statement, entity_id: str, hops: int) -> list[dict[str, Any]]:
        rows = self._run(stmt, {"id": entity_id, "hops": self._hops(hops),
                                "limit": TRAVERSAL_ROW_CAP})
        return [edge_dict(owner, owned, self._data(props), depth=int(depth))
                for owner, owned, depth, props in rows]

    def _data(self, props: Any) -> dict[str, Any]:
        return {k: v for k, v in dict(props).items() if k not in self.STORAGE_ONLY}

    def owners(self, entity_id: str, hops: int = 1) -> list[dict[str, Any]]:
        return self._edges(q.OWNERS, entity_id, hops)

    def subsidiaries(self, entity_id: str, hops: int = 1) -> list[dict[str, Any]]:
        return self._edges(q.SUBSIDIARIES, entity_id, hops)

    def paths(self, source: str, target: str, max_hops: int = 6) -> list[list[dict[str, Any]]]:
        rows = self._run(q.PATHS, {"source": source, "target": target,
                                   "max_hops": self._hops(max_hops),
                                   "limit": TRAVERSAL_ROW_CAP})
        out: list[list[dict[str, Any]]] = []
        for ids, props in rows:
            out.append([edge_dict(ids[i], ids[i + 1], self._data(p), depth=i + 1)
                        for i, p in enumerate(props)])
        return out

    def count(self, label: str) -> int:
        stmt = q.COUNT_BY_LABEL.get(label)
        if stmt is None:
            raise BadInput(f"unknown label {label!r}; one of {sorted(q.COUNT_BY_LABEL)}",
                           field="label")
        rows = self._run(stmt)
        return int(rows[0][0])
