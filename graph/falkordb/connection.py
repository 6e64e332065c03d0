"""The one place FalkorDB statements reach the driver: commands, replies, errors.

Every driver error leaves here as the store's own error (StoreUnavailable, QueryFailed,
QueryTimeout) naming the statement. The store and the node-id upserts both send through a
``GraphConnection``; a ``StatementPipe`` is one pooled connection on which writes are sent
ahead of reading their replies.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import redis
from falkordb import FalkorDB
from falkordb import QueryResult as QueryResult_
from falkordb.exceptions import SchemaVersionMismatchException

from graph.cypher.statements import Statement
from graph.errors import QueryFailed, QueryTimeout, StoreUnavailable
from graph.falkordb.params import with_params

Row = list[Any]


def _is_timeout(exc: Exception) -> bool:
    return "timed out" in str(exc).lower()


def failure(stmt: Statement, exc: Exception) -> QueryFailed:
    """A store error for a statement the server refused or stopped."""
    if _is_timeout(exc):
        return QueryTimeout(f"query {stmt.name} failed: {exc}", query=stmt.name)
    if "mem consumption exceeded" in str(exc):
        return QueryFailed(f"query {stmt.name} failed: it needed more memory than the store "
                           "allows one query (setting OWNERGRAPH_STORE_QUERY_MEMORY_MB)",
                           query=stmt.name)
    return QueryFailed(f"query {stmt.name} failed: {exc}", query=stmt.name)


@contextmanager
def driver_errors(stmt: Statement) -> Iterator[None]:
    """Driver errors as the store's errors, named by the statement."""
    try:
        yield
    except redis.ConnectionError as exc:
        raise StoreUnavailable(f"query {stmt.name}: store connection failed: {exc}",
                               query=stmt.name) from exc
    except redis.RedisError as exc:
        raise failure(stmt, exc) from exc


class GraphConnection:
    """One graph key on one FalkorDB server: statements in, parsed replies out."""

    def __init__(self, db: FalkorDB, graph_name: str) -> None:
        self.db = db
        self.graph_name = graph_name
        self.graph = db.select_graph(graph_name)

    def execute(self, stmt: Statement, text: str, params: dict[str, Any] | None, *,
                read_only: bool = False, timeout_ms: int | None = None
                ) -> tuple[list[str], list[Row]]:
        return self.parse(stmt, self.send(stmt, with_params(text, params), read_only,
                                          timeout_ms))

    def send(self, stmt: Statement, text: str, read_only: bool = False,
             timeout_ms: int | None = None) -> Any:
        """Send an encoded statement; every driver error leaves here named by the statement."""
        command = self.command(text, read_only)
        if timeout_ms is not None:
            command += ["timeout", int(timeout_ms)]
        with driver_errors(stmt):
            return self.db.connection.execute_command(*command)

    def command(self, text: str, read_only: bool = False) -> list[Any]:
        return ["GRAPH.RO_QUERY" if read_only else "GRAPH.QUERY", self.graph_name, text,
                "--compact"]

    def result(self, stmt: Statement, response: Any) -> QueryResult_:
        """The driver's reading of a reply (rows and statistics), errors named."""
        try:
            return QueryResult_(self.graph, response)
        except (redis.RedisError, SchemaVersionMismatchException) as exc:
            if isinstance(exc, SchemaVersionMismatchException):
                self.graph.schema.refresh(exc.version)
            raise failure(stmt, exc) from exc

    def parse(self, stmt: Statement, response: Any) -> tuple[list[str], list[Row]]:
        res = self.result(stmt, response)
        columns = [str(h[1]) if isinstance(h, list | tuple) else str(h) for h in res.header]
        return columns, res.result_set

    @contextmanager
    def pipe(self) -> Iterator[StatementPipe]:
        """A connection of its own on which writes are sent before earlier replies are read
        (``StatementPipe``); it goes back to the pool when the block ends, or is closed
        if the block failed with replies unread."""
        pool = self.db.connection.connection_pool
        with driver_errors(Statement("pipe_connect", "")):
            conn = pool.get_connection()
        pipe = StatementPipe(self, conn)
        try:
            yield pipe
        except BaseException:
            conn.disconnect()
            raise
        finally:
            pool.release(conn)


class StatementPipe:
    """Write statements on one connection, sent ahead of reading their replies: the server
    runs them in the order sent and starts the next as soon as one ends, while the caller
    builds the batch after. ``read()`` returns the replies in the order of ``send()``."""

    def __init__(self, graph: GraphConnection, conn: Any) -> None:
        self.graph = graph
        self.conn = conn
        self.sent: deque[Statement] = deque()

    def send(self, stmt: Statement, text: str) -> None:
        with driver_errors(stmt):
            self.conn.send_command(*self.graph.command(text))
        self.sent.append(stmt)

    def read(self) -> QueryResult_:
        stmt = self.sent.popleft()
        with driver_errors(stmt):
            response = self.conn.read_response()
        return self.graph.result(stmt, response)
