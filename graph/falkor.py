"""FalkorDB adapter (native ``falkordb`` client), for the embedded server and falkordb://."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlparse

import numpy as np
import redis
from falkordb import Edge, FalkorDB, Node, Path

from graph import cypher_falkor as fq
from graph.arrays import GraphArrays
from graph.cypher import Statement
from graph.cypher_arrays import ArraysBuilder
from graph.cypher_store import CypherStore, Row
from graph.embedded import EmbeddedServer
from graph.errors import QueryFailed, QueryTimeout, StoreUnavailable
from graph.store import QueryResult
from graph.store_config import StoreConfig

log = logging.getLogger(__name__)

# Internal node ids per page of the bulk reads (ids are dense: FalkorDB reuses freed ids).
NODE_ID_PAGE = 50_000
INVESTIGATOR = Statement("investigator_query", "")


def _is_timeout(exc: Exception) -> bool:
    return "timed out" in str(exc).lower()


class FalkorStore(CypherStore):
    """GraphStore over one FalkorDB graph key."""

    def __init__(self, config: StoreConfig, db: FalkorDB, server: EmbeddedServer | None = None
                 ) -> None:
        super().__init__(config)
        self.db = db
        self.server = server
        self.graph = db.select_graph(config.graph_name)

    @classmethod
    def open(cls, config: StoreConfig) -> FalkorStore:
        """Embedded (start or reuse the server under config.home) or falkordb://host:port."""
        if config.uri in ("", "embedded"):
            server = EmbeddedServer(config.home, config.appendfsync)
            server.start()
            db = FalkorDB(unix_socket_path=str(server.layout.socket), password=server.password())
            return cls(config, db, server)
        url = urlparse(config.uri)
        db = FalkorDB(host=url.hostname or "localhost", port=url.port or 6379,
                      password=config.password or url.password or None)
        store = cls(config, db)
        try:
            db.connection.ping()
        except redis.RedisError as exc:
            raise StoreUnavailable(f"cannot reach FalkorDB at {url.hostname}:{url.port}: {exc}"
                                   ) from exc
        return store

    # -- execution: the one place statements reach the driver ----------------------------

    def _execute(self, stmt: Statement, text: str, params: dict[str, Any] | None, *,
                 read_only: bool = False, timeout_ms: int | None = None) -> tuple[list[str], list[Row]]:
        try:
            if read_only:
                res = self.graph.ro_query(text, params, timeout=timeout_ms)
            else:
                res = self.graph.query(text, params, timeout=timeout_ms)
        except redis.ConnectionError as exc:
            raise StoreUnavailable(f"query {stmt.name}: store connection failed: {exc}",
                                   query=stmt.name) from exc
        except (redis.RedisError, ValueError, TypeError) as exc:
            kind = QueryTimeout if _is_timeout(exc) else QueryFailed
            raise kind(f"query {stmt.name} failed: {exc}", query=stmt.name) from exc
        columns = [str(h[1]) if isinstance(h, list | tuple) else str(h) for h in res.header]
        return columns, res.result_set

    def _run(self, stmt: Statement, params: dict[str, Any] | None = None) -> list[Row]:
        return self._execute(stmt, stmt.text, params)[1]

    # -- schema -----------------------------------------------------------------------------

    def ensure_schema(self) -> None:
        for stmt in fq.INDEXES:
            try:
                self._run(stmt)
            except QueryFailed as exc:
                if "already indexed" not in exc.message:
                    raise
        existing: set[tuple[str, str, tuple[str, ...]]] = {
            (str(c["entitytype"]), str(c["label"]), tuple(map(str, c["properties"])))  # type: ignore[call-overload]
            for c in self._constraints()}
        for entity_type, label, prop in fq.UNIQUE_CONSTRAINTS:
            if (entity_type, label, (prop,)) in existing:
                continue
            try:
                self.db.connection.execute_command(
                    "GRAPH.CONSTRAINT", "CREATE", self.config.graph_name, "UNIQUE",
                    entity_type, label, "PROPERTIES", 1, prop)
            except redis.RedisError as exc:
                raise QueryFailed(f"constraint {label}.{prop} failed: {exc}",
                                  query=f"constraint_{label}_{prop}") from exc

    def _constraints(self) -> list[dict[str, object]]:
        try:
            constraints: list[dict[str, object]] = self.graph.list_constraints()
            return constraints
        except redis.RedisError as exc:
            raise QueryFailed(f"query list_constraints failed: {exc}",
                              query="list_constraints") from exc

    # -- bulk reads -------------------------------------------------------------------------

    def _node_id_ranges(self) -> Iterator[tuple[int, int]]:
        rows = self._run(fq.MAX_ENTITY_NODE_ID)
        top = rows[0][0] if rows else None
        if top is None:
            return
        for lo in range(0, int(top) + 1, NODE_ID_PAGE):
            yield lo, lo + NODE_ID_PAGE

    def load_arrays(self) -> GraphArrays:
        builder = ArraysBuilder()
        ranges = list(self._node_id_ranges())
        top = ranges[-1][1] if ranges else 0
        node_row = np.full(top + 1, -1, dtype=np.int64)
        for lo, hi in ranges:
            rows = self._run(fq.ENTITY_RANGE, {"lo": lo, "hi": hi})
            if not rows:
                continue
            cols = list(zip(*rows, strict=True))
            node_ids = np.array(cols[0], dtype=np.int64)
            node_row[node_ids] = np.arange(builder.n_rows, builder.n_rows + len(rows))
            builder.add_entities(cols[1:])
        builder.finish_entities()
        for lo, hi in ranges:
            rows = self._run(fq.EDGE_RANGE, {"lo": lo, "hi": hi})
            if not rows:
                continue
            cols = list(zip(*rows, strict=True))
            builder.add_edges(node_row[np.array(cols[0], dtype=np.int64)],
                              node_row[np.array(cols[1], dtype=np.int64)], cols[2:])
        return builder.build()

    def _open_edge_keys(self, source: str) -> Iterator[list[str]]:
        for lo, hi in self._node_id_ranges():
            rows = self._run(fq.OPEN_KEYS_RANGE, {"lo": lo, "hi": hi, "source": source})
            yield [str(r[0]) for r in rows]

    # -- investigators ----------------------------------------------------------------------

    def read_query(self, cypher: str, params: dict[str, Any] | None = None, *,
                   timeout_ms: int | None = None, row_cap: int | None = None) -> QueryResult:
        cap = row_cap or self.config.query_row_cap
        columns, rows = self._execute(
            INVESTIGATOR, cypher, params or {}, read_only=True,
            timeout_ms=timeout_ms or self.config.query_timeout_ms)
        return QueryResult(columns=columns, rows=[[plain(v) for v in r] for r in rows[:cap]],
                           truncated=len(rows) > cap)

    def drop(self) -> None:
        """Delete the whole graph key (tests, benchmarks); a missing graph is not an error."""
        try:
            self.graph.delete()
        except redis.ResponseError as exc:
            if "empty key" not in str(exc) and "Invalid graph operation" not in str(exc):
                raise QueryFailed(f"graph delete failed: {exc}", query="drop") from exc

    def close(self) -> None:
        try:
            self.db.connection.close()
        except redis.RedisError:  # closing a dead connection is not an error
            pass


def plain(value: Any) -> Any:
    """Driver values -> JSON-able data (nodes, edges and paths become dicts)."""
    if isinstance(value, Node):
        return {"labels": list(value.labels or []), "properties": dict(value.properties)}
    if isinstance(value, Edge):
        return {"type": value.relation, "properties": dict(value.properties)}
    if isinstance(value, Path):
        return {"nodes": [plain(n) for n in value.nodes()],
                "edges": [plain(e) for e in value.edges()]}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    return value
