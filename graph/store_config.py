"""What a store adapter needs to know; produced from Settings so graph/ never imports api/."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

# Memory one query may take in the embedded store (0: no limit). The store's own statements
# stay far below it (their batches and pages are bounded); an investigator's query that
# needs more is refused, not run.
QUERY_MEMORY_MB = 1024


@dataclass(frozen=True)
class StoreConfig:
    uri: str = "embedded"
    home: Path = Path(".ownergraph")
    graph_name: str = "ownergraph"
    user: str = "neo4j"
    password: str = ""
    database: str = "neo4j"
    appendfsync: str = "everysec"
    query_timeout_ms: int = 5000
    query_row_cap: int = 10_000
    query_memory_mb: int = QUERY_MEMORY_MB  # embedded store: memory one query may take
    batch_size: int = 2000

    def __repr__(self) -> str:  # never leak the password into logs
        return f"StoreConfig(uri={self.uri!r}, home={str(self.home)!r}, graph={self.graph_name!r})"
