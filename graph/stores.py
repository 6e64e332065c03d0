"""Pick and open the graph store named by the configuration."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlparse

from graph.errors import BadInput
from graph.store_config import StoreConfig

if TYPE_CHECKING:
    from graph.store import GraphStore

NEO4J_SCHEMES = ("neo4j", "neo4j+s", "neo4j+ssc", "bolt", "bolt+s", "bolt+ssc")


def store_kind(uri: str) -> str:
    """``embedded`` | ``falkordb`` | ``neo4j``; anything else is a BadInput naming the setting."""
    if uri in ("", "embedded"):
        return "embedded"
    scheme = urlparse(uri).scheme
    if scheme == "falkordb":
        return "falkordb"
    if scheme in NEO4J_SCHEMES:
        return "neo4j"
    raise BadInput(f"invalid setting OWNERGRAPH_GRAPH_URI: unsupported scheme {scheme!r}",
                   field="graph_uri")


def open_store(config: StoreConfig) -> GraphStore:
    """Open (and for the embedded default, start or reuse) the configured store."""
    kind = store_kind(config.uri)
    if kind == "neo4j":
        from graph.neo4j.store import Neo4jStore

        return Neo4jStore.open(config)
    from graph.falkordb.store import FalkorStore

    return FalkorStore.open(config)
