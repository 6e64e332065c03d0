"""Load the bundled demo dataset into the configured store (the demo's own graph)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from api.generations.run import RunRequest, SourceSpec, run_generation
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


def demo_request() -> RunRequest:
    """One run over every demo file: ingest, resolve, compute, publish (idempotent: the
    same files give the same generation)."""
    return RunRequest(tuple(SourceSpec(f"demo-{name}", fmt, (DEMO_DIR / name,))
                            for fmt, name in DEMO_FILES), force=True, trigger="manual")


def load_demo_into(store: GraphStore, settings: Settings) -> dict[str, Any]:
    """Every step's summary (``ingest``, ``resolve``, ``publish``)."""
    report: dict[str, Any] = {}
    run_generation(settings, store, demo_request(), report)
    return report


def load_demo(settings: Settings) -> dict[str, Any]:
    store = open_store(settings.store_config())
    try:
        return load_demo_into(store, settings)
    finally:
        store.close()
