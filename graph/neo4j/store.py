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
from contextlib import contextmanager
from typing import Any, TypeVar

import neo4j
import numpy as np
from neo4j import GraphDatabase, ManagedTransaction
from neo4j.exceptions import DriverError, Neo4jError, ServiceUnavailable

from graph.arrays import GraphArrays
from graph.cypher.arrays import ArraysBuilder
from graph.cypher.investigator import check_investigator_query
from graph.cypher.statements import Statement
from graph.cypher.store import CypherStore, OpenEdge, Row
from graph.errors import QueryFailed, QueryTimeout, StoreUnavailable
from graph.neo4j import guard
from graph.neo4j import statements as nq
from graph.store import QueryResult
from graph.store_config import StoreConfig

log = logging.getLogger(__name__)
T = TypeVar("T")
INVESTIGATOR = Statement("investigator_query", "", mode="read")
STREAM_PAGE = 50_000
INVESTIGATOR_FETCH = 1000  # rows per server round trip
# Nodes per wipe transaction: with their edges, well under db.memory.transaction.max.
WIPE_NODES = 1000


def _query_error(name: str, exc: Neo4jError) -> QueryFailed:
    """A server error as the store's error, in words an investigator can act on."""
    code = exc.code or ""
    if "TransactionTimedOut" in code:
        return QueryTimeout(f"query {name} exceeded its time limit: {exc.message}", query=name)
    if "MemoryPoolOutOfMemoryError" in code:
        return QueryFailed(f"query {name} needs more memory than one transaction may use "
                           f"(server setting db.memory.transaction.max): {exc.message}",
                           query=name)
    if "AccessMode" in code:
        return QueryFailed(f"query {name} failed: writes are not allowed in read-only "
                           "queries", query=name)
    return QueryFailed(f"query {name} failed: {code}: {exc.message}", query=name)


@contextmanager
def _named_errors(name: str) -> Iterator[None]:
    """Driver errors leave as the store's errors, named by the statement."""
    try:
        yield
    except (ServiceUnavailable, DriverError) as exc:
        raise StoreUnavailable(f"query {name}: Neo4j unavailable: {exc}", query=name) from exc
    except Neo4jError as exc:
        raise _query_error(name, exc) from exc


class Neo4jStore(CypherStore):
    """GraphStore over one Neo4j database."""

    def __init__(self, config: StoreConfig, driver: neo4j.Driver) -> None:
        super().__init__(config)
        self.driver = driver

    @classmethod
    def open(cls, config: StoreConfig) -> Neo4jStore:
        # Server notifications (unknown labels in an empty database, deprecations) would be
        # logged as warnings on every statement; the Cypher lint guards our statements.
        driver = GraphDatabase.driver(config.uri, auth=(config.user, config.password),
                                      notifications_min_severity="OFF")
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
        with _named_errors(stmt.name), self.driver.session(
                database=self.config.database) as session:
            if read_only:
                return session.execute_read(work)
            return session.execute_write(work)

    def run(self, stmt: Statement, params: dict[str, Any] | None = None) -> list[Row]:
        """One registry statement in its own transaction (graph.neo4j.check uses it)."""
        return self._run(stmt, params)

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

        def add_edges(page: list[Row]) -> None:  # rows: owner id, its edges
            owners = [row_of.get(r[0], -1) for r in page for _ in r[1]]
            cols = list(zip(*(edge for r in page for edge in r[1]), strict=True))
            if not cols:
                return
            owned = np.array([row_of.get(x, -1) for x in cols[0]], dtype=np.int64)
            builder.add_edges(np.array(owners, dtype=np.int64), owned, cols[1:])

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
        """One attempt (never retried) in a READ transaction with a server-side timeout.

        The text is checked as on every store (graph.cypher.investigator), then the plan
        (graph.neo4j.guard: what the text check cannot see, e.g. a write hidden behind a
        function); rows are pulled from the server in
        pages and the stream is abandoned at the cap, so a huge result is never loaded."""
        check_investigator_query(cypher)  # the text first, as on every store (QueryRefused)
        cap = row_cap or self.config.query_row_cap
        timeout_s = (timeout_ms or self.config.query_timeout_ms) / 1000.0
        with _named_errors(INVESTIGATOR.name), self.driver.session(
                database=self.config.database, default_access_mode=neo4j.READ_ACCESS,
                fetch_size=min(cap + 1, INVESTIGATOR_FETCH)) as session, \
                session.begin_transaction(timeout=timeout_s) as tx:
            planned = tx.run(nq.EXPLAIN + cypher, params or {}).consume()
            why = guard.refusal(planned.query_type, planned.plan)
            if why is not None:
                raise QueryFailed(f"query {INVESTIGATOR.name} refused: {why}",
                                  query=INVESTIGATOR.name)
            result = tx.run(cypher, params or {})
            rows = [[plain(v) for v in r.values()] for r in itertools.islice(result, cap + 1)]
            return QueryResult(columns=list(result.keys()), rows=rows[:cap],
                               truncated=len(rows) > cap)

    def drop(self) -> None:
        """Delete everything ownergraph wrote (tests and benchmarks; a throwaway database)."""
        while self._run(nq.WIPE, {"limit": WIPE_NODES})[0][0]:
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
