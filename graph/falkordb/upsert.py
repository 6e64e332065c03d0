"""FalkorDB upserts that find nodes by internal id instead of the id index.

Measured on the embedded server (server CPU per row, 2,000-row batches): a lookup in the
``Entity.id`` index costs ~7 µs and the MERGE-free upsert ~29 µs per entity, while a plain
CREATE costs ~12 µs and a seek by internal node id next to nothing. So the adapter remembers
the internal node id of every entity it created or looked up (``NodeIds``), and:

- entities it does not know are CREATEd outright while batches keep being new ("create"
  mode); one existing id makes the unique constraint refuse the batch whole, which is then
  redone with MERGE, and later batches look their ids up first ("probe" mode) until a batch
  turns out all new again;
- entities it knows are updated by node id;
- edges whose two endpoints it knows are looked up by key between the two nodes and
  CREATEd or updated (FalkorDB serialises the write queries on a graph, so the look-up
  cannot race another writer; there is no OWNS.key index to lean on, see
  graph/falkordb/statements.py); edges with an endpoint nobody wrote yet take the MERGE statement
  that makes placeholders.

Every node-id statement re-checks ``id`` on the node it found: a stale entry (a deleted
node's id reused) drops out of the returned count, and the whole batch is then redone by the
MERGE statements, which are idempotent. One writer at a time per store (a lock); edge batches
are pipelined on one connection, the server running one while the next is built, and a
stale batch is redone together with every batch sent after it, in order.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson

from graph.cypher import statements as q
from graph.errors import QueryFailed
from graph.falkordb import statements as fq
from graph.falkordb.connection import GraphConnection, StatementPipe
from graph.falkordb.params import with_params, with_rows
from graph.falkordb.rows import edge_row_dict, entity_row_dict

Row = list[Any]
# About 100 bytes per entry: 2M entries stay near 200 MB however large the graph grows.
NODE_ID_LIMIT = 2_000_000


@dataclass
class NodeIds:
    """Entity id -> internal node id, for what this process wrote or looked up."""

    limit: int = NODE_ID_LIMIT
    ids: dict[str, int] = field(default_factory=dict)

    def learn(self, ids: Iterable[Any], nodes: Iterable[Any]) -> None:
        room = self.limit - len(self.ids)
        if room > 0:
            self.ids.update(itertools.islice(zip(map(str, ids), map(int, nodes),
                                                 strict=True), room))

    def forget(self) -> None:
        self.ids.clear()


def unique_values(rows: Iterable[Row], at: int, size: int) -> Iterator[list[Row]]:
    """Batches of ``size`` rows with each row[at] (entity id, edge key) once per batch: a
    repeat replaces the earlier row, as a second upsert would, and an entity keeps the
    latest canonical id given (row[1])."""
    batch: dict[str, Row] = {}
    for row in rows:
        seen = batch.get(row[at])
        if seen is not None and at == 0 and row[1] is None:
            row = [row[0], seen[1], *row[2:]]
        batch[row[at]] = row
        if len(batch) >= size:
            yield list(batch.values())
            batch = {}
    if batch:
        yield list(batch.values())


@dataclass
class Modes:
    """Whether the next new entities are expected to be new (CREATE) or may exist (look up)."""

    create_entities: bool = True


class NodeIdUpserts:
    """The entity and edge upserts of one FalkorDB graph (see the module docstring)."""

    def __init__(self, conn: GraphConnection) -> None:
        self.conn = conn
        self.nodes = NodeIds()
        self.modes = Modes()
        self._lock = threading.Lock()

    # -- entities ---------------------------------------------------------------------------

    def entity_batch(self, rows: list[Row]) -> int:
        with self._lock:
            known, unknown = self._split_known(rows)
            if unknown and not self.modes.create_entities:
                found = self._find(row[0] for row in unknown)
                self.modes.create_entities = not found
                known, unknown = self._split_known(rows)
            if known:
                self._update_entities(known)
            if unknown:
                self._create_entities(unknown)
            return len(rows)

    def _split_known(self, rows: list[Row]) -> tuple[list[Row], list[Row]]:
        known, unknown = [], []
        ids = self.nodes.ids
        for row in rows:
            node = ids.get(row[0])
            if node is None:
                unknown.append(row)
            else:
                row[2] = node
                known.append(row)
        return known, unknown

    def _update_entities(self, rows: list[Row]) -> None:
        (count,), = self._rows(fq.UPDATE_ENTITY_ROWS, rows)
        if int(count) != len(rows):
            self.nodes.forget()
            self._merge(q.UPSERT_ENTITIES, [entity_row_dict(r) for r in rows])

    def _create_entities(self, rows: list[Row]) -> None:
        try:
            (nodes,), = self._rows(fq.CREATE_ENTITY_ROWS, rows)
        except QueryFailed as exc:
            if "unique constraint" not in exc.message.lower():
                raise
            self.modes.create_entities = False
            self._merge(q.UPSERT_ENTITIES, [entity_row_dict(r) for r in rows])
            return
        self.nodes.learn((row[0] for row in rows), orjson.loads(nodes))

    # -- edges ------------------------------------------------------------------------------

    def edge_batches(self, batches: Iterable[list[Row]]) -> int:
        """Edge batches written in order, each sent before the one after it is built: the
        server runs batch N while this thread builds batch N+1 from model objects and
        queues it behind N on the same connection (``StatementPipe``). A batch whose reply
        shows a stale node id is redone with MERGE, and so is every batch sent after it,
        so the last record of a key still wins."""
        written = 0
        with self._lock, self.conn.pipe() as pipe:
            in_flight: list[tuple[list[Row], int]] = []  # sent, replies unread: (rows, between)
            for rows in batches:
                in_flight.append((rows, self._send_edges(pipe, rows)))
                if len(in_flight) > 1:
                    written += self._read_edges(pipe, in_flight)
            while in_flight:
                written += self._read_edges(pipe, in_flight)
        return written

    def _send_edges(self, pipe: StatementPipe, rows: list[Row]) -> int:
        """Send one batch; how many of its rows go between known nodes."""
        ids = self.nodes.ids
        missing = {e for row in rows for e in (row[0], row[1]) if e not in ids}
        if missing:
            self._find(missing)
        between, placeholders = [], []
        for row in rows:
            owner, owned = ids.get(row[0]), ids.get(row[1])
            if owner is None or owned is None:
                placeholders.append(row)
            else:
                row[3], row[4] = owner, owned
                between.append(row)
        # Every batch sends exactly two statements, so replies pair up with batches.
        pipe.send(fq.UPSERT_EDGE_ROWS, with_rows(fq.UPSERT_EDGE_ROWS.text, between))
        stmt = fq.UPSERT_EDGES_SPLIT
        pipe.send(stmt, with_params(stmt.text, {"rows": [edge_row_dict(r) for r in placeholders]}))
        return len(between)

    def _read_edges(self, pipe: StatementPipe, in_flight: list[tuple[list[Row], int]]) -> int:
        """The replies of the oldest batch in flight; its row count."""
        rows, between = in_flight.pop(0)
        result = pipe.read()
        pipe.read()
        if int(result.result_set[0][0]) + int(result.relationships_created) == between:
            return len(rows)
        # A stale node id. The batches after it ran already: drain them, then redo it and
        # them, in order.
        while pipe.sent:
            pipe.read()
        self.nodes.forget()
        batches = [rows, *(b for b, _ in in_flight)]
        in_flight.clear()
        for batch in batches:
            self._split_edges(batch)
        return sum(len(b) for b in batches)

    def _split_edges(self, rows: list[Row]) -> None:
        """The statement that MERGEs endpoints (placeholders) and looks edges up by key."""
        stmt = fq.UPSERT_EDGES_SPLIT  # edges with an end not known by node id
        rows_map = [edge_row_dict(r) for r in rows]
        self.conn.parse(stmt, self.conn.send(stmt, with_params(stmt.text, {"rows": rows_map})))

    # -- shared -----------------------------------------------------------------------------

    def _find(self, ids: Iterable[str]) -> bool:
        """Look ids up in the index, remember their node ids; whether any was found."""
        wanted = list(ids)
        stmt = fq.FIND_ENTITY_NODES
        raw = self.conn.send(stmt, with_params(stmt.text, {"ids": wanted}), read_only=True)
        (ids, nodes), = self.conn.parse(stmt, raw)[1]
        self.nodes.learn(ids, nodes)
        return bool(ids)

    def _result(self, stmt: q.Statement, rows: list[Row]) -> Any:
        return self.conn.result(stmt, self.conn.send(stmt, with_rows(stmt.text, rows)))

    def _rows(self, stmt: q.Statement, rows: list[Row]) -> list[Any]:
        return list(self._result(stmt, rows).result_set)

    def _merge(self, stmt: q.Statement, rows: list[dict[str, Any]]) -> None:
        self.conn.parse(stmt, self.conn.send(stmt, with_params(stmt.text, {"rows": rows})))
