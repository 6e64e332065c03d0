"""Investigator Cypher on a Neo4j server: reads of the graph only, bounded in time, rows and
memory, refused with a reason otherwise."""

from __future__ import annotations

from typing import Any

import pytest

from graph.errors import QueryFailed, QueryTimeout
from graph.model import Entity, EntityKind, Provenance

PROV = Provenance("gleif", "rr-1", run_id="run-1")


@pytest.mark.parametrize(("query", "reason"), [
    # refused by the Neo4j plan (the text alone does not say it writes)
    ("CREATE (n:Entity {id: 'evil'})", "writes"),
    ("MATCH (n:Entity) SET n.name = 'evil'", "writes"),
    ("CREATE INDEX evil FOR (n:Entity) ON (n.name)", "changes the schema"),
    # refused from the text, as on every store (graph.cypher.investigator), naming the clause
    ("CALL db.createLabel('Evil')", "CALL db.createLabel"),
    ("CALL dbms.listConfig()", "CALL dbms.listConfig"),
    ("LOAD CSV FROM 'file:///etc/passwd' AS line RETURN line", "LOAD CSV"),
    # The file read hidden in one branch of a union.
    ("MATCH (n:Entity) RETURN n.id AS x UNION LOAD CSV FROM 'https://example.org/x.csv' AS x "
     "RETURN x", "LOAD CSV"),
    # Read-mode procedures, but about the server: other users' query texts, and a switch
    # that starts collecting them.
    ("CALL db.stats.retrieve('QUERIES')", "CALL db.stats.retrieve"),
    ("CALL db.stats.collect('QUERIES')", "CALL db.stats.collect"),
    ("SHOW TRANSACTIONS", "SHOW"),
    ("TERMINATE TRANSACTIONS 'neo4j-transaction-1'", "TERMINATE"),
    ("SHOW SETTINGS", "SHOW"),
])
def test_anything_but_a_graph_read_is_refused_with_the_reason(neo4j_store: Any, query: str,
                                                              reason: str) -> None:
    with pytest.raises(QueryFailed) as info:
        neo4j_store.read_query(query)
    assert "refused" in info.value.message
    assert reason in info.value.message
    assert neo4j_store.count("Entity") == 0


def test_graph_introspection_procedures_are_allowed(neo4j_store: Any) -> None:
    neo4j_store.upsert_entities([Entity("a", EntityKind.COMPANY, "A Ltd", PROV)])
    res = neo4j_store.read_query("CALL db.labels() YIELD label RETURN label ORDER BY label")
    assert ["Entity"] in res.rows


def test_row_cap_stops_the_stream_instead_of_loading_every_row(neo4j_store: Any) -> None:
    # A hundred million rows could not be loaded within the timeout nor the memory limit.
    res = neo4j_store.read_query("UNWIND range(1, 100000000) AS x RETURN x", row_cap=10,
                                 timeout_ms=5000)
    assert res.rows == [[x] for x in range(1, 11)] and res.truncated


def test_timeout_is_the_servers(neo4j_store: Any) -> None:
    with pytest.raises(QueryTimeout) as info:
        neo4j_store.read_query(
            "UNWIND range(1, 100000) AS x UNWIND range(1, 100000) AS y WITH x, y WHERE (x + y) % 7 = 3 "
            "RETURN count(x)",  # 10^10 rows streamed: no host finishes before the timeout check
            timeout_ms=20)
    assert "TransactionTimedOutClientConfiguration" in info.value.__cause__.code  # type: ignore[union-attr]


def test_a_query_past_the_transaction_memory_limit_fails_naming_the_setting(
        neo4j_store: Any) -> None:
    with pytest.raises(QueryFailed) as info:
        neo4j_store.read_query(
            "UNWIND range(1, 100000000) AS x WITH collect(x) AS xs RETURN size(xs)",
            timeout_ms=60_000)
    assert not isinstance(info.value, QueryTimeout)
    assert "db.memory.transaction.max" in info.value.message
