"""FalkorDB adapter (native ``falkordb`` client), for the embedded server and falkordb://."""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any
from urllib.parse import urlparse

import numpy as np
import numpy.typing as npt
import orjson
import redis
from falkordb import Edge, FalkorDB, Node, Path

from graph.arrays import GraphArrays
from graph.collections_pause import rare_collections
from graph.cypher.arrays import ArraysBuilder, EdgeColumns
from graph.cypher.investigator import limit_rows
from graph.cypher.rows import entity_from
from graph.cypher.statements import Statement
from graph.cypher.store import CypherStore, OpenEdge, Row, batched
from graph.errors import QueryFailed, StoreUnavailable
from graph.falkordb import statements as fq
from graph.falkordb.bulk import BULK_KEY_SEP, END_CODE_WIDTH, end_code, read_page
from graph.falkordb.connection import GraphConnection
from graph.falkordb.params import with_params
from graph.falkordb.rows import edge_values, end_day, entity_values
from graph.falkordb.server import EmbeddedServer
from graph.falkordb.upsert import NodeIdUpserts, unique_values
from graph.model import Entity, OwnershipEdge
from graph.store import QueryResult
from graph.store_config import StoreConfig

log = logging.getLogger(__name__)

# Separators for packed pages: control characters that names and keys do not contain
# (checked on every page; a page where they occur is re-read row by row).
SEP = BULK_KEY_SEP  # joins packed columns; edge pages split the copies on it too
# Internal node ids per page of the bulk reads (ids are dense: FalkorDB reuses freed ids).
NODE_ID_PAGE = 10_000
INVESTIGATOR = Statement("investigator_query", "")
# Packed pages fetched at once, each on its own pooled connection: the server runs read
# queries on its thread pool in parallel (pages of 10k node ids: enough pages to overlap).
READ_AHEAD = 3
# Upsert batches built ahead of the one the server runs.
PIPELINE_DEPTH = 2


def _split(text: Any, n: int) -> list[str] | None:
    """A packed column back into n strings; None when a value held the separator."""
    parts = str(text).split(SEP) if n else []
    return parts if len(parts) == n else None


def _entity_copies(text: Any, n: int) -> list[Sequence[Any]] | None:
    """A page of entity copies -> the columns kind, jurisdiction, hq_country, nationality,
    residence, flags, exceptions; None when an entity has none or one is malformed."""
    try:
        copies = orjson.loads(str(text))
    except orjson.JSONDecodeError:
        return None
    if len(copies) != n or any(type(c) is not list or len(c) != 7 for c in copies):
        return None
    return list(zip(*copies, strict=True)) if n else [()] * 7


class FalkorStore(CypherStore):
    """GraphStore over one FalkorDB graph key."""

    STORAGE_ONLY = frozenset({"bulk"})  # the bulk-load copy (graph/falkordb/bulk.py)

    def __init__(self, config: StoreConfig, db: FalkorDB, server: EmbeddedServer | None = None
                 ) -> None:
        super().__init__(config)
        self.db = db
        self.server = server
        self.conn = GraphConnection(db, config.graph_name)
        self.graph = self.conn.graph
        self.upserts = NodeIdUpserts(self.conn)

    @classmethod
    def open(cls, config: StoreConfig) -> FalkorStore:
        """Embedded (start or reuse the server under config.home) or falkordb://host:port."""
        if config.uri in ("", "embedded"):
            server = EmbeddedServer(config.home, config.appendfsync, config.query_memory_mb)
            server.start()
            db = FalkorDB(unix_socket_path=str(server.layout.socket), password=server.password())
            return cls(config, db, server)
        url = urlparse(config.uri)
        try:  # the client probes the server (cluster / sentinel) while constructing
            db = FalkorDB(host=url.hostname or "localhost", port=url.port or 6379,
                          password=config.password or url.password or None)
            db.connection.ping()
        except redis.RedisError as exc:
            raise StoreUnavailable(f"cannot reach FalkorDB at {url.hostname}:{url.port}: {exc}"
                                   ) from exc
        return cls(config, db)

    def _run(self, stmt: Statement, params: dict[str, Any] | None = None) -> list[Row]:
        return self.conn.execute(stmt, stmt.text, params, read_only=stmt.mode == "read")[1]

    def _write_rows(self, stmt: Statement, rows: Iterable[dict[str, Any]]) -> int:
        """Batched writes, pipelined: the next batch is encoded while the server runs this one."""
        written = 0
        with ThreadPoolExecutor(max_workers=1) as pool:
            pending: Future[Any] | None = None
            for batch in batched(rows, self.config.batch_size):
                text = with_params(stmt.text, {"rows": batch})
                if pending is not None:
                    self.conn.parse(stmt, pending.result())
                pending = pool.submit(self.conn.send, stmt, text)
                written += len(batch)
            if pending is not None:
                self.conn.parse(stmt, pending.result())
        return written

    def _pipelined(self, batches: Iterable[list[list[Any]]],
                   write: Callable[[list[list[Any]]], int]) -> int:
        """Batches written in order by one worker while the next ones are built from model
        objects; two may wait, so the server never idles while a batch is being built (the
        worker plans each batch when it starts it, after the previous one taught
        NodeIdUpserts its node ids)."""
        written = 0
        with ThreadPoolExecutor(max_workers=1) as pool:
            pending: list[Future[int]] = []
            for batch in batches:
                if len(pending) >= PIPELINE_DEPTH:
                    written += pending.pop(0).result()
                pending.append(pool.submit(write, batch))
            for future in pending:
                written += future.result()
        return written

    def upsert_entities(self, entities: Iterable[Entity]) -> int:
        rows = (entity_values(e) for e in entities)
        return self._pipelined(unique_values(rows, 0, self.config.batch_size),
                               self.upserts.entity_batch)

    # -- schema -----------------------------------------------------------------------------

    def ensure_schema(self) -> None:
        for stmt in fq.INDEXES:  # the first one also makes the graph key
            try:
                self._run(stmt)
            except QueryFailed as exc:
                if "already indexed" not in exc.message:
                    raise
        self._retire_owns_key()
        existing = self._constraint_keys()
        for entity_type, label, prop in fq.UNIQUE_CONSTRAINTS:
            if (entity_type, label, (prop,)) not in existing:
                self._constraint_command("CREATE", entity_type, label, prop)

    def _retire_owns_key(self) -> None:
        """Stores made by earlier versions kept an OWNS.key index and unique constraint
        (see graph/falkordb/statements.py): dropped, the constraint first (it stands on the index)."""
        existing = self._constraint_keys()
        for entity_type, label, prop in fq.RETIRED_CONSTRAINTS:
            if (entity_type, label, (prop,)) in existing:
                self._constraint_command("DROP", entity_type, label, prop)
        for stmt in fq.RETIRED_INDEXES:
            try:
                self._run(stmt)
            except QueryFailed as exc:
                if "unable to drop index" not in exc.message.lower():
                    raise

    def _constraint_command(self, action: str, entity_type: str, label: str, prop: str) -> None:
        try:
            self.db.connection.execute_command(
                "GRAPH.CONSTRAINT", action, self.config.graph_name, "UNIQUE",
                entity_type, label, "PROPERTIES", 1, prop)
        except redis.RedisError as exc:
            raise QueryFailed(f"constraint {action.lower()} {label}.{prop} failed: {exc}",
                              query=f"constraint_{label}_{prop}") from exc

    def _constraint_keys(self) -> set[tuple[str, str, tuple[str, ...]]]:
        return {(str(c["entitytype"]), str(c["label"]), tuple(map(str, c["properties"])))  # type: ignore[call-overload]
                for c in self._constraints()}

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
        # Splitting the pages makes millions of short-lived strings; without the pause the
        # collector rescans everything the process holds every 700 of them (the benchmark,
        # holding 400k model objects, spent twice the client CPU).
        with rare_collections():
            return self._load_arrays()

    def _load_arrays(self) -> GraphArrays:
        builder = ArraysBuilder()
        ranges = list(self._node_id_ranges())
        node_row = np.full((ranges[-1][1] if ranges else 0) + 1, -1, dtype=np.int64)
        # Entity and edge pages form one stream, so the server reads the first edge pages
        # while the client decodes the last entity pages.
        pages = [(fq.ENTITY_RANGE_PACKED, lo, hi) for lo, hi in ranges] + \
            [(fq.EDGE_RANGE_PACKED, lo, hi) for lo, hi in ranges]
        entities_done = False
        for stmt, lo, hi, packed in self._packed_pages(pages):
            if stmt is fq.EDGE_RANGE_PACKED:
                if not entities_done:
                    builder.finish_entities()
                    entities_done = True
                self._edge_page(lo, hi, packed, builder, node_row)
                continue
            page = self._entity_page(lo, hi, packed)
            if page is not None:
                node_ids, cols = page
                node_row[node_ids] = np.arange(builder.n_rows,
                                               builder.n_rows + node_ids.shape[0])
                builder.add_entities(cols)
        if not entities_done:
            builder.finish_entities()
        return builder.build()

    def _packed_pages(self, pages: list[tuple[Statement, int, int]]
                      ) -> Iterator[tuple[Statement, int, int, Row]]:
        """The one-row answers of packed statements per id range, in order, the next
        READ_AHEAD pages in flight while the caller decodes this one."""
        def fetch(stmt: Statement, lo: int, hi: int) -> Any:
            text = with_params(stmt.text, {"lo": lo, "hi": hi, "sep": SEP})
            return self.conn.send(stmt, text, read_only=True)

        with ThreadPoolExecutor(max_workers=READ_AHEAD) as pool:
            pending: deque[tuple[Statement, int, int, Future[Any]]] = deque()
            for stmt, lo, hi in pages:
                pending.append((stmt, lo, hi, pool.submit(fetch, stmt, lo, hi)))
                if len(pending) > READ_AHEAD:
                    pstmt, plo, phi, fut = pending.popleft()
                    yield pstmt, plo, phi, self.conn.parse(pstmt, fut.result())[1][0]
            for pstmt, plo, phi, fut in pending:
                yield pstmt, plo, phi, self.conn.parse(pstmt, fut.result())[1][0]

    def _entity_page(self, lo: int, hi: int, row: Row
                     ) -> tuple[npt.NDArray[np.int64], list[Sequence[Any]]] | None:
        """One id range of entities: internal node ids and the builder's columns."""
        n = int(row[0])
        if n == 0:
            return None
        ids, canonical = _split(row[2], n), _split(row[3], n)
        copies = _entity_copies(row[4], n)
        if ids is None or canonical is None or copies is None:  # odd values: row-wise
            rows = self._run(fq.ENTITY_RANGE, {"lo": lo, "hi": hi})
            cols: list[Sequence[Any]] = list(zip(*rows, strict=True))
            return np.array(cols[0], dtype=np.int64), cols[1:]
        return np.array(orjson.loads(row[1]), dtype=np.int64), [ids, canonical, *copies]

    def _edge_page(self, lo: int, hi: int, row: Row, builder: ArraysBuilder,
                   node_row: npt.NDArray[np.int64]) -> None:
        """OWNS edges whose owner's internal id is in [lo, hi), into the builder."""
        n = int(row[0])
        if n == 0:
            return
        page = read_page(str(row[3]), n)
        if page is None:  # a copy in an earlier layout: read this page row-wise
            rows = self._run(fq.EDGE_RANGE, {"lo": lo, "hi": hi})
            cols = list(zip(*rows, strict=True))
            builder.add_edges(node_row[np.array(cols[0], dtype=np.int64)],
                              node_row[np.array(cols[1], dtype=np.int64)], cols[2:])
            return
        records, keys = page
        owner = node_row[np.array(orjson.loads(row[1]), dtype=np.int64)]
        owned = node_row[np.array(orjson.loads(row[2]), dtype=np.int64)]
        builder.add_edge_columns(owner, owned, EdgeColumns(
            kind=records["kind"], lo=records["lo"], hi=records["hi"], start=records["start"],
            end=records["end"], confidence=records["confidence"], key=keys))

    def upsert_edges(self, edges: Iterable[OwnershipEdge]) -> int:
        rows = (edge_values(e) for e in edges)
        return self.upserts.edge_batches(unique_values(rows, 2, self.config.batch_size))

    def iter_entities(self, batch_size: int = 5000) -> Iterable[list[Entity]]:
        page: list[Entity] = []
        for lo, hi in self._node_id_ranges():
            for (props,) in self._run(fq.ENTITY_PROPS_RANGE, {"lo": lo, "hi": hi}):
                page.append(entity_from(dict(props)))
                if len(page) >= batch_size:
                    yield page
                    page = []
        if page:
            yield page

    def _open_edges(self, source: str) -> Iterator[list[OpenEdge]]:
        for lo, hi in self._node_id_ranges():
            rows = self._run(fq.OPEN_KEYS_RANGE, {"lo": lo, "hi": hi, "source": source})
            yield [OpenEdge(str(key), (int(owner), int(owned)), published, attrs)
                   for key, owner, owned, published, attrs in rows]

    def _ended_keys(self, edges: list[OpenEdge], end: str, run_id: str) -> list[str]:
        """End-date edges where ``_open_edges`` found them (by node ids: OWNS.key has no
        index here); a key not found there (a node deleted and its id reused since) is
        ended by one scan per batch. The keys it ended."""
        ended: list[str] = []
        ending = {"end": end, "run_id": run_id, "end_code": end_code(end_day(end)),
                  "end_width": END_CODE_WIDTH, "sep": BULK_KEY_SEP}
        for batch in batched(edges, self.config.batch_size):
            rows = [[e.where[0], e.where[1], e.key] for e in batch]
            answer = self._run(fq.END_EDGES_AT, {"rows": rows, **ending})
            done = set(map(str, answer[0][0])) if answer else set()
            ended += [e.key for e in batch if e.key in done]
            lost = [e.key for e in batch if e.key not in done]
            if lost:
                out = self._run(fq.END_EDGES_SCAN, {"keys": lost, **ending})
                ended += [str(k) for k in out[0][0]] if out else []
        return ended

    # -- investigators ----------------------------------------------------------------------

    def read_query(self, cypher: str, params: dict[str, Any] | None = None, *,
                   timeout_ms: int | None = None, row_cap: int | None = None) -> QueryResult:
        cap = row_cap or self.config.query_row_cap
        # refused clauses never reach the server; the server stops at cap + 1 rows (it
        # builds its whole answer before sending it, so a cap applied here came too late)
        limited = limit_rows(cypher, cap + 1, params)
        columns, rows = self.conn.execute(
            INVESTIGATOR, limited, params or {}, read_only=True,
            timeout_ms=timeout_ms or self.config.query_timeout_ms)
        return QueryResult(columns=columns, rows=[[plain(v) for v in r] for r in rows[:cap]],
                           truncated=len(rows) > cap)

    def drop(self) -> None:
        """Delete the whole graph key (tests, benchmarks); a missing graph is not an error."""
        self.upserts.nodes.forget()
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


def _data(props: Any) -> dict[str, Any]:
    return {k: v for k, v in dict(props).items() if k not in FalkorStore.STORAGE_ONLY}


def plain(value: Any) -> Any:
    """Driver values -> JSON-able data (nodes, edges and paths become dicts)."""
    if isinstance(value, Node):
        return {"labels": list(value.labels or []), "properties": _data(value.properties)}
    if isinstance(value, Edge):
        return {"type": value.relation, "properties": _data(value.properties)}
    if isinstance(value, Path):
        return {"nodes": [plain(n) for n in value.nodes()],
                "edges": [plain(e) for e in value.edges()]}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    return value
