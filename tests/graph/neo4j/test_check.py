"""`ownergraph store check` against the Neo4j server: what it finds and what it reports."""

from __future__ import annotations

from typing import Any

import pytest
from typer.testing import CliRunner

from api.cli.main import app
from graph.neo4j.check import check, is_unlimited
from graph.store_config import StoreConfig


def test_a_ready_store_passes_every_check(neo4j_store: Any) -> None:
    findings = check(neo4j_store)
    assert [f for f in findings if not f.ok] == []
    assert findings[0].detail.startswith("Neo4j 5.")
    assert neo4j_store.count("Entity") == 0  # the probe left nothing behind


def test_a_dropped_index_is_reported_and_only_it(neo4j_store: Any) -> None:
    neo4j_store.driver.execute_query("DROP INDEX owns_source")
    missing = [f for f in check(neo4j_store) if not f.ok]
    assert [f.check for f in missing] == ["index_owns_source"]
    assert "OWNS.source" in missing[0].detail and "--create-schema" in missing[0].detail


def test_the_command_exits_1_naming_what_is_missing_and_can_create_it(
        neo4j_store: Any, neo4j_config: StoreConfig, tmp_path: Any) -> None:
    neo4j_store.driver.execute_query("DROP CONSTRAINT result_key")
    env = {"OWNERGRAPH_HOME": str(tmp_path), "OWNERGRAPH_GRAPH_URI": neo4j_config.uri,
           "OWNERGRAPH_NEO4J_USER": neo4j_config.user,
           "OWNERGRAPH_NEO4J_PASSWORD": neo4j_config.password, "COLUMNS": "200"}
    runner = CliRunner()
    failed = runner.invoke(app, ["store", "check"], env=env)
    assert failed.exit_code == 1, failed.output
    assert "MISSING constraint_result_key" in failed.output
    assert "Result.key" in failed.output
    fixed = runner.invoke(app, ["store", "check", "--create-schema"], env=env)
    assert fixed.exit_code == 0, fixed.output
    assert "MISSING" not in fixed.output and "write/read probe" in fixed.output


@pytest.mark.parametrize(("size", "unlimited"), [
    ("0", True), ("0B", True), ("0.00B", True), ("0.00KiB", True),
    ("256.00MiB", False), ("1.00GiB", False), ("10.00KiB", False),
])
def test_a_zero_transaction_memory_limit_in_any_unit_means_none(size: str,
                                                                unlimited: bool) -> None:
    assert is_unlimited(size) is unlimited
