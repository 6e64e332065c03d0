"""``ingest --emit-records`` writes the store's entities as a record set (with their current
canonical ids); ``ingest --canonical`` loads a cluster's results back, all or nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from api.cli.main import app
from graph.model import Entity, EntityKind, Provenance
from graph.store_config import StoreConfig
from graph.stores import open_store
from matching.parquet import read_record_set, result_schema


def _entity(eid: str, name: str) -> Entity:
    return Entity(id=eid, kind=EntityKind.COMPANY, name=name, jurisdiction="NL",
                  provenance=Provenance(source="test", record_id=eid))


@pytest.fixture
def env(store_config: StoreConfig) -> Iterator[dict[str, str]]:
    store = open_store(store_config)
    store.ensure_schema()
    store.upsert_entities([_entity("e1", "Acme B.V."), _entity("e2", "ACME BV"), _entity("e3", "Other N.V.")])
    store.set_canonical({"e2": "e1"})
    store.close()
    yield {"OWNERGRAPH_HOME": str(store_config.home), "OWNERGRAPH_GRAPH_NAME": store_config.graph_name,
           "OWNERGRAPH_LOG_LEVEL": "WARNING"}
    store = open_store(store_config)
    store.drop()  # type: ignore[attr-defined]
    store.close()


def _canonical(store_config: StoreConfig) -> dict[str, str]:
    store = open_store(store_config)
    try:
        return {e.id: e.canonical_id or e.id for batch in store.iter_entities() for e in batch}
    finally:
        store.close()


def _results(path: Path, mapping: dict[str, str]) -> Path:
    rows: list[dict[str, Any]] = [{"record_id": k, "canonical_id": v, "probability": None, "explanation": None}
                                  for k, v in mapping.items()]
    pq.write_table(pa.Table.from_pylist(rows, schema=result_schema()), str(path))
    return path


def test_emit_records_then_load_canonical(env: dict[str, str], store_config: StoreConfig, tmp_path: Path) -> None:
    runner = CliRunner()
    emitted = runner.invoke(app, ["ingest", "--emit-records", str(tmp_path / "r.parquet")], env=env)
    assert emitted.exit_code == 0, emitted.output
    records, bad = read_record_set(tmp_path / "r.parquet")
    assert not bad and sorted(r.id for r in records) == ["e1", "e2", "e3"]
    previous = {row["id"]: row["previous"] for row in pq.read_table(str(tmp_path / "r.parquet")).to_pylist()}
    assert previous["e2"] == "e1"
    results = _results(tmp_path / "out.parquet", {"e1": "e1", "e2": "e1", "e3": "e1"})
    loaded = runner.invoke(app, ["ingest", "--canonical", str(results)], env=env)
    assert loaded.exit_code == 0, loaded.output
    assert "1 changed" in loaded.output
    assert _canonical(store_config) == {"e1": "e1", "e2": "e1", "e3": "e1"}


def test_bad_results_change_nothing(env: dict[str, str], store_config: StoreConfig, tmp_path: Path) -> None:
    runner = CliRunner()
    before = _canonical(store_config)
    unknown = _results(tmp_path / "u.parquet", {"e1": "e1", "zz": "e1"})
    result = runner.invoke(app, ["ingest", "--canonical", str(unknown)], env=env)
    assert result.exit_code != 0 and "not stored entities" in str(result.exception or result.output)
    outside = _results(tmp_path / "o.parquet", {"e1": "e9"})
    result = runner.invoke(app, ["ingest", "--canonical", str(outside)], env=env)
    assert result.exit_code != 0 and "not a record of the file" in str(result.exception or result.output)
    assert runner.invoke(app, ["ingest"], env=env).exit_code != 0  # nothing to do
    assert _canonical(store_config) == before
