"""Investigators' Cypher read before any store sees it: what is refused (naming the clause),
what passes untouched, and where the row limit goes."""

from __future__ import annotations

import pytest

from graph.cypher.investigator import check_investigator_query, limit_rows
from graph.errors import QueryRefused

REFUSED = [
    ("LOAD CSV FROM 'https://169.254.169.254/latest/meta-data/' AS row RETURN row", "LOAD CSV"),
    ("load csv with headers from 'file:///etc/passwd' as r return r", "LOAD CSV"),
    ("LOAD /* hidden */ CSV FROM 'http://10.0.0.1:22/' AS r RETURN r", "LOAD CSV"),
    ("MATCH (n) CALL { LOAD CSV FROM 'http://x/' AS r RETURN r } RETURN n", "LOAD CSV"),
    ("CALL apoc.load.json('http://example.org/x.json') YIELD value RETURN value", "CALL apoc.load.json"),
    ("CALL `apoc`.`load`.csv('file:///etc/passwd')", "CALL apoc.load.csv"),
    ("CALL apoc.cypher.run('LOAD CSV FROM $u AS r RETURN r', {u: 'http://x'}) YIELD value RETURN value",
     "CALL apoc.cypher.run"),
    ("RETURN apoc.util.sha1(['a'])", "function apoc.util.sha1()"),
    ("RETURN custom . fetch ('http://x')", "function custom.fetch()"),
    ("CALL dbms.listConfig() YIELD name RETURN name", "CALL dbms.listConfig"),
    ("SHOW USERS", "SHOW"),
    ("USE system MATCH (n) RETURN n", "USE"),
    ("MATCH (n) CALL { USE other MATCH (m) RETURN m } RETURN n, m", "USE"),
    ("MATCH (n) CALL { WITH n SET n.x = 1 } IN TRANSACTIONS RETURN n", "CALL { … } IN TRANSACTIONS"),
    ("USING PERIODIC COMMIT LOAD CSV FROM 'file:///x' AS r CREATE (:X)", "USING PERIODIC COMMIT"),
    ("MATCH (n) RETURN n; MATCH (m) DETACH DELETE m", "';' (a second statement)"),
]


@pytest.mark.parametrize(("query", "clause"), REFUSED, ids=[c for _, c in REFUSED])
def test_refused_clauses_are_named(query: str, clause: str) -> None:
    with pytest.raises(QueryRefused) as info:
        check_investigator_query(query)
    assert info.value.details["clause"] == clause
    assert clause in info.value.message and info.value.status == 422


ALLOWED = [
    "MATCH (n:Entity) WHERE n.name = 'LOAD CSV FROM x' RETURN n.id  // LOAD CSV in a comment",
    "MATCH (n:Entity) WHERE n.note CONTAINS \"CALL apoc.load.json('x')\" RETURN n",
    "MATCH (`load`:Entity) RETURN `load`.id",
    "MATCH (o:Entity)-[r:OWNS*1..3]->(e:Entity) RETURN o.id, e.id",
    "CALL db.labels()",
    "CALL db.idx.fulltext.queryNodes('Entity', 'dragon') YIELD node, score RETURN node.id, score",
    "CALL algo.pageRank('Entity', 'OWNS') YIELD node, score RETURN node.id, score",
    "RETURN date.truncate('month', date('2024-05-17')) AS d, duration.between(date(), date()) AS x",
    "MATCH (n) RETURN n {.id, .name}",
    "MATCH (n) RETURN n.id;",
]


@pytest.mark.parametrize("query", ALLOWED)
def test_ordinary_queries_pass(query: str) -> None:
    check_investigator_query(query)


@pytest.mark.parametrize(("query", "problem"), [
    ("MATCH (n) WHERE n.name = 'never ends RETURN n", "a string that never ends"),
    ("MATCH (n) RETURN n /* never ends", "a comment that never ends"),
    ("MATCH (n:`never ends) RETURN n", "a quoted name that never ends"),
    ("MATCH (n RETURN n", "'(' is never closed"),
    ("MATCH (n)) RETURN n", "unbalanced ')'"),
])
def test_unreadable_queries_are_refused_not_guessed(query: str, problem: str) -> None:
    with pytest.raises(QueryRefused) as info:
        check_investigator_query(query)
    assert problem in info.value.message


@pytest.mark.parametrize(("query", "params", "limited"), [
    ("MATCH (n) RETURN n", {}, "MATCH (n) RETURN n\nLIMIT 11"),
    ("MATCH (n) RETURN n LIMIT 5", {}, "MATCH (n) RETURN n LIMIT 5"),
    ("MATCH (n) RETURN n LIMIT 500", {}, "MATCH (n) RETURN n LIMIT 11"),
    ("MATCH (n) RETURN n SKIP 3 LIMIT $k", {"k": 50}, "MATCH (n) RETURN n SKIP 3 LIMIT 11"),
    ("MATCH (n) RETURN n ORDER BY n.id // newest\n", {}, "MATCH (n) RETURN n ORDER BY n.id\nLIMIT 11 // newest\n"),
    ("MATCH (n) RETURN n.id AS id UNION ALL MATCH (m) RETURN m.id AS id;", {},
     "MATCH (n) RETURN n.id AS id\nLIMIT 11 UNION ALL MATCH (m) RETURN m.id AS id\nLIMIT 11;"),
    ("MATCH (n) CALL { WITH n MATCH (n)-->(m) RETURN m LIMIT 1000 } RETURN n, m", {},
     "MATCH (n) CALL { WITH n MATCH (n)-->(m) RETURN m LIMIT 1000 } RETURN n, m\nLIMIT 11"),
    ("CALL algo.pageRank('Entity', 'OWNS') YIELD node, score AS s WHERE s > 0.1", {},
     "CALL algo.pageRank('Entity', 'OWNS') YIELD node, score AS s WHERE s > 0.1\nRETURN node, s\nLIMIT 11"),
    ("CALL db.labels()", {}, "CALL db.labels()"),
    ("CREATE (n:Entity {id: 'x'})", {}, "CREATE (n:Entity {id: 'x'})"),  # no rows; the store refuses it
])
def test_final_returns_get_the_limit(query: str, params: dict[str, int], limited: str) -> None:
    assert limit_rows(query, 11, params) == limited


@pytest.mark.parametrize(("query", "problem"), [
    ("RETURN 1 LIMIT 1 + 1", "LIMIT takes a whole number"),
    ("RETURN 1 LIMIT $k", "LIMIT takes a whole number"),  # no such parameter
    ("CALL db.idx.fulltext.queryNodes('Entity', 'x')", "needs YIELD"),
    ("CALL algo.pageRank('Entity', 'OWNS') YIELD *", "YIELD \\* cannot be limited"),
])
def test_what_cannot_be_limited_is_refused(query: str, problem: str) -> None:
    with pytest.raises(QueryRefused, match=problem):
        limit_rows(query, 11)
