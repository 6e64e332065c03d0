"""What an investigator's Cypher may do on Neo4j: read the graph, nothing else.

The adapter asks Neo4j to plan the query first (EXPLAIN, nothing runs) and refuses it when
the plan writes (query type other than read), reads files or URLs (LOAD CSV), calls a
procedure outside a short list of graph introspection ones (procedures may write, reach the
file system or the network: APOC's load and export), or is a server command (SHOW / TERMINATE
TRANSACTIONS, settings, administration). The query then runs in a READ transaction, so the
server refuses any write the plan check did not see.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

# Procedures that only describe the graph or search its own indexes.
READ_PROCEDURES = frozenset({
    "db.labels", "db.relationshipTypes", "db.propertyKeys", "db.schema.visualization",
    "db.schema.nodeTypeProperties", "db.schema.relTypeProperties",
    "db.index.fulltext.queryNodes", "db.index.fulltext.queryRelationships",
    "db.index.vector.queryNodes", "db.index.vector.queryRelationships",
})
# Server commands that plan as reads but reveal or change the server, not the graph.
COMMAND_PREFIXES = ("Show", "Terminate", "AdministrationCommand")


def _operators(plan: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """(operator name without its ``@database`` suffix, details) over the whole plan tree."""
    details = plan.get("args", plan.get("arguments", {})).get("Details", "")
    yield str(plan["operatorType"]).split("@", 1)[0], str(details)
    for child in plan.get("children", ()):
        yield from _operators(child)


def _procedure_name(details: str) -> str:
    return details.split("(", 1)[0].strip()


def refusal(query_type: str | None, plan: Mapping[str, Any] | None) -> str | None:
    """Why this planned query is not for investigators, or None when it only reads the graph."""
    if query_type != "r":
        kind = {"w": "writes", "rw": "writes", "s": "changes the schema or the server"}
        return f"it {kind.get(query_type or '', 'is not a read')}; only reads are allowed"
    for operator, details in _operators(plan or {"operatorType": "", "children": ()}):
        if operator == "LoadCSV":
            return "LOAD CSV reads files and URLs; only the graph may be read"
        if operator == "ProcedureCall" and _procedure_name(details) not in READ_PROCEDURES:
            allowed = ", ".join(sorted(READ_PROCEDURES))
            return (f"procedure {_procedure_name(details) or '?'} is not allowed "
                    f"(allowed: {allowed})")
        if operator.startswith(COMMAND_PREFIXES):
            return f"server commands ({operator}) are not allowed; only the graph may be read"
    return None
