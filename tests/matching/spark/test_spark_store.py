"""``resolve --engine spark`` over the embedded store and ``resolve eval --engine spark`` over
files give what the single-machine engine gives, judgements and stable ids included."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from api.cli.main import app
from api.generations.run import resolve_entities
from graph.model import Decision, Entity, EntityKind, Identifier, Judgement, Provenance
from graph.store_config import StoreConfig
from graph.stores import open_store
from matching.generate import generate
from matching.records import write_records, write_truth
from matching.spark.engine import SparkRequest


def _entity(eid: str, name: str, country: str = "NL", lei: str | None = None) -> Entity:
    return Entity(id=eid, kind=EntityKind.COMPANY, name=name, jurisdiction=country,
                  identifiers=(Identifier("lei", lei),) if lei else (),
                  provenance=Provenance(source="test", record_id=eid))


ENTITIES = [
    _entity("p1", "AKZO NOBEL N.V."), _entity("p2", "Akzo Nobel, N. V."), _entity("p3", "AKZO NOBEL NV"),
    _entity("s1", "Shell Energy Ltd", "GB"), _entity("s2", "SHELL ENERGY LIMITED", "GB"),
    _entity("l1", "Lonely Widgets GmbH", "DE", "529900T8BM49AURSDO55"),
    _entity("l2", "Other Name B.V.", lei="529900T8BM49AURSDO55"), _entity("x1", "Unrelated Trading S.A.", "FR"),
]
JUDGED = [Judgement("p2", "p3", Decision.NOT_SAME, "analyst", "2026-01-01T00:00:00Z", "two registrations"),
          Judgement("x1", "s1", Decision.SAME, "analyst", "2026-01-01T00:00:01Z", "renamed")]


def _run(store_config: StoreConfig, spark: SparkRequest | None) -> tuple[dict[str, str], list[Any], Any]:
    store = open_store(store_config)
    try:
        store.ensure_schema()
        store.upsert_entities(ENTITIES)
        store.set_canonical({"p3": "p3", "p2": "p3", "p1": "p3"})  # earlier ids, kept while still members
        for j in JUDGED:
            store.add_judgement(j)
        summary = resolve_entities(store, spark=spark)
        ids = {e.id: e.canonical_id or e.id for batch in store.iter_entities() for e in batch}
        cands = sorted((c.left, c.right, c.status, round(c.probability, 12), c.explanation)
                       for c in store.candidates())
        return ids, cands, summary
    finally:
        store.drop()  # type: ignore[attr-defined]
        store.close()


def test_store_resolve_on_spark_equals_single(spark: Any, store_home: Path) -> None:
    import uuid

    def config() -> StoreConfig:
        return StoreConfig(home=store_home, graph_name=f"t_{uuid.uuid4().hex[:12]}", batch_size=500)

    single_ids, single_cands, single = _run(config(), None)
    spark_ids, spark_cands, on_spark = _run(config(), SparkRequest(partitions=2))
    assert spark_ids == single_ids
    assert single_ids["x1"] == single_ids["s1"] and single_ids["p2"] != single_ids["p3"]
    assert single_ids["l1"] == single_ids["l2"]
    assert spark_cands == single_cands and any(c[2] == "merged" for c in spark_cands)
    assert (on_spark.clusters, on_spark.merged, on_spark.changed) == (single.clusters, single.merged, single.changed)


def test_eval_on_spark_prints_the_single_engine_scores(spark: Any, tmp_path: Path) -> None:
    records, truth = generate(800, seed=9)
    write_records(tmp_path / "r.jsonl", records)
    with (tmp_path / "r.jsonl").open("a", encoding="utf-8") as handle:
        handle.write("{broken\n")
    write_truth(tmp_path / "t.csv", truth)
    runner = CliRunner()
    common = ["resolve", "eval", "--records", str(tmp_path / "r.jsonl"), "--truth", str(tmp_path / "t.csv")]
    single = runner.invoke(app, [*common, "--out", str(tmp_path / "single.parquet")])
    on_spark = runner.invoke(app, [*common, "--engine", "spark", "--partitions", "2",
                                   "--out", str(tmp_path / "spark.parquet")])
    assert single.exit_code == 0 and on_spark.exit_code == 0, on_spark.output
    a, b = (json.loads(r.stdout.strip().splitlines()[-1]) for r in (single, on_spark))
    assert b["engine"] == "spark" and b["quarantined"] == a["quarantined"] == 1
    assert {k: b[k] for k in ("precision", "recall", "f1", "bcubed_f1")} == \
        {k: a[k] for k in ("precision", "recall", "f1", "bcubed_f1")}
    import pyarrow.parquet as pq

    def rows(name: str) -> list[dict[str, Any]]:
        return sorted(pq.read_table(str(tmp_path / name)).to_pylist(), key=lambda r: r["record_id"])

    assert rows("single.parquet") == rows("spark.parquet")
    assert runner.invoke(app, [*common, "--engine", "flink"]).exit_code != 0
