"""Load the bundled demo dataset into the configured store (the demo's own graph)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from api.pipeline import compute_store, ingest_files, resolve_store
from api.settings import Settings
from graph.store import GraphStore
from graph.stores import open_store

DEMO_DIR = Path(__file__).resolve().parent / "demo_data"
DEMO_GRAPH = "ownergraph-demo"
DEMO_POLICIES = ["cn-majority", "cn-50-inclusive", "us-treasury-50", "ultimate-parent"]
# Order matters only for readability of the run log: registries first, filings after.
DEMO_FILES: tuple[tuple[str, str], ...] = (
    ("gleif", "gleif-lei.xml"),
    ("gleif", "gleif-rr.xml"),
    ("bods", "bods-register.json"),
    ("psc", "uk-basic-company-data.csv"),
    ("psc", "uk-psc-snapshot.jsonl"),
)


def demo_settings(settings: Settings) -> Settings:
    """The demo's own graph (never the user's) and its policy file with the inclusive
    China policy next to the built-in ones."""
    return settings.model_copy(update={
        "graph_name": DEMO_GRAPH, "policy_file": DEMO_DIR / "policies.toml",
        "policies": DEMO_POLICIES})


def load_demo_into(store: GraphStore, settings: Settings) -> dict[str, Any]:
    """Ingest every demo file, resolve, compute; idempotent (re-running changes nothing)."""
    store.ensure_schema()
    summary: dict[str, Any] = {"ingest": []}
    for fmt, name in DEMO_FILES:
        summary["ingest"].append(ingest_files(store, fmt, [DEMO_DIR / name], settings))
    summary["resolve"] = resolve_store(store, settings)
    summary["compute"] = compute_store(store, settings)
    return summary


def load_demo(settings: Settings) -> dict[str, Any]:
    store = open_store(settings.store_config())
    try:
        return load_demo_into(store, settings)
    finally:
        store.close()
