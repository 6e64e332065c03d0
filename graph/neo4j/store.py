"""Neo4j adapter: official driver, managed transactions with re-runnable functions.

Writes go through ``session.execute_write`` and reads through ``session.execute_read``; the
transaction functions only run statements and collect results, so the driver may retry
them after a transient failure (leader switch, deadlock) without side effects. Selected by
``neo4j://``, ``neo4j+s://`` (routing: clusters, Aura) or ``bolt://`` URIs.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import neo4j
import numpy as np
from neo4j import GraphDatabase, ManagedTransaction, unit_of_work
from neo4j.exceptions import ClientError, DriverError, Neo4jError, ServiceUnavailable

from graph.arrays import GraphArrays
from graph.cypher.arrays import ArraysBuilder
from graph.cypher.statements import Statement
from graph.cypher.store import CypherStore, OpenEdge, Row
from graph.errors import QueryFailed, QueryTimeout, StoreUnavailable
from graph.neo4j import statements as nq
from graph.store import QueryResult
from graph.store_config import StoreConfig

log = logging.getLogger(__name__)
T = TypeVar("T")
INVESTIGATOR = Statement("investigator_query", "", mode="read")
STREAM_PAGE = 50_000


def _is_timeout(exc: Neo4jError) -> bool:
    code = exc.code or ""
    return "TransactionTimedOut" in code or "Timeout" in code or "timed out" in str(exc)


class Neo4jStore(CypherStore):
    """GraphStore over one Neo4j database."""

    def __init__(self, config: StoreConfig, driver: neo4j.Driver) -> None:
        super().__init__(config)
        self.driver = driver

    @classmethod
    def open(cls, config: StoreConfig) -> Neo4jStore:
        driver = GraphDatabase.driver(config.uri, auth=(config.user, config.password))
        try:
            driver.verify_connectivity()
        except (DriverError, Neo4jError) as exc:
            driver.close()
            raise StoreUnavailable(f"cannot reach Neo4j at {config.uri}: {exc}") from exc
        return cls(config, driver)

    # -- execution: the one place statements reach the driver ----------------------------

    def _transact(self, stmt: Statement, work: Callable[[ManagedTransaction], T],
                  read_only: bool) -> T:
        """Run a transaction function; every driver error leaves here named by the statement."""
        try:
            with self.driver.session(database=self.config.database) as session:
                if read_only:
                    return session.execute_read(work)
                return session.execute_write(work)
        except (ServiceUnavailable, DriverError) as exc:
            raise StoreUnavailable(f"query {stmt.name}: Neo4j unavailable: {exc}",
                                   query=stmt.name) from exc
        except Neo4jError as exc:
            kind = QueryTimeout if _is_timeout(exc) else QueryFailed
            raise kind(f"query {stmt.name} failed: {exc.code}: {exc.message}",
                       query=stmt.name) from exc

    def _run(self, stmt: Statement, params: dict[str, Any] | None = None) -> list[Row]:
        def work(tx: ManagedTransaction) -> list[Row]:
            return [list(r) for r in tx.run(stmt.text, params or {})]

        return self._transact(stmt, work, read_only=stmt.mode == "read")

    # -- schema -----------------------------------------------------------------------------

    def ensure_schema(self) -> None:
        for stmt in nq.SCHEMA:  # IF NOT EXISTS makes each statement idempotent
            self._run(stmt)

    # -- bulk reads -------------------------------------------------------------------------

    def _stream(self, stmt: Statement, params: dict[str, Any] | None,
                consume: Callable[[list[Row]], None], reset: Callable[[], None]) -> None:
        """Stream a statement's rows to ``consume`` in pages; ``reset`` before each attempt."""
        def work(tx: ManagedTransaction) -> None:
            reset()
            result = tx.run(stmt.text, params or {})
            while page := [list(r) for r in itertools.islice(result, STREAM_PAGE)]:
                consume(page)

        self._transact(stmt, work, read_only=True)

    def load_arrays(self) -> GraphArrays:
        state: dict[str, Any] = {}

        def reset_entities() -> None:
            state["builder"] = ArraysBuilder()
            state["row_of"] = {}

        def add_entities(page: list[Row]) -> None:
            builder: ArraysBuilder = state["builder"]
            row_of: dict[str, int] = state["row_of"]
            for i, r in enumerate(page):
                row_of[r[0]] = builder.n_rows + i
            builder.add_entities(list(zip(*page, strict=True)))

        self._stream(nq.ENTITY_STREAM, None, add_entities, reset_entities)
        builder: ArraysBuilder = state["builder"]
        builder.finish_entities()
        row_of: dict[str, int] = state["row_of"]

        def add_edges(page: list[Row]) -> None:
            cols = list(zip(*page, strict=True))
            owner = np.array([row_of.get(x, -1) for x in cols[0]], dtype=np.int64)
            owned = np.array([row_of.get(x, -1) for x in cols[1]], dtype=np.int64)
            builder.add_edges(owner, owned, cols[2:])

        # A retried stream starts again from an empty edge list.
        self._stream(nq.EDGE_STREAM, None, add_edges, builder.reset_edges)
        return builder.build()

    def _open_edges(self, source: str) -> Iterator[list[OpenEdge]]:
        edges: list[OpenEdge] = []

        def consume(page: list[Row]) -> None:
            edges.extend(OpenEdge(str(r[0]), None, r[1], r[2]) for r in page)

        self._stream(nq.OPEN_KEYS, {"source": source}, consume, edges.clear)
        yield edges

    # -- investigators ----------------------------------------------------------------------

    def read_query(self, cypher: str, params: dict[str, Any] | None = None, *,
                   timeout_ms: int | None = None, row_cap: int | None = None) -> QueryResult:
        cap = row_cap or self.config.query_row_cap
        timeout_s = (timeout_ms or self.config.query_timeout_ms) / 1000.0

        @unit_of_work(timeout=timeout_s)
        def work(tx: ManagedTransaction) -> QueryResult:
            result = tx.run(cypher, params or {})
            rows = [[plain(v) for v in r.values()] for r in itertools.islice(result, cap + 1)]
            return QueryResult(columns=list(result.keys()), rows=rows[:cap],
                               truncated=len(rows) > cap)

        try:
            return self._transact(INVESTIGATOR, work, read_only=True)
        except QueryFailed as exc:
            cause = exc.__cause__
            if isinstance(cause, ClientError) and "AccessMode" in (cause.code or ""):
                raise QueryFailed("query investigator_query failed: writes are not allowed "
                                  "in read-only queries", query="investigator_query") from exc
            raise

    def drop(self) -> None:
        """Delete everything ownergraph wrote (tests and benchmarks; a throwaway database)."""
        while self._run(nq.WIPE, {"limit": 10_000})[0][0]:
            pass

    def close(self) -> None:
        self.driver.close()


def plain(value: Any) -> Any:
    """Driver values -> JSON-able data (nodes, relationships, paths, temporals)."""
    from neo4j.graph import Node, Path, Relationship

    if isinstance(value, Node):
        return {"labels": sorted(value.labels), "properties": dict(value)}
    if isinstance(value, Relationship):
        return {"type": value.type, "properties": dict(value)}
    if isinstance(value, Path):
        return {"nodes": [plain(n) for n in value.nodes],
                "edges": [plain(r) for r in value.relationships]}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if hasattr(value, "iso_format"):
        return value.iso_format()
    return value
