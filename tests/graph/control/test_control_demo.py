"""The bundled demo dataset (api/demo_data) end to end: its 50/50 joint venture is ALLOW
under "more than 50 %" with a note saying why, BLOCK under "50 % or more"; no demo entity
is INSUFFICIENT_DATA under the sanctions rule (nothing in it is withheld)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from graph.control.engine import evaluate
from graph.control.explain import Explainer
from graph.control.policies import known_policies
from ingest.run import RunOptions, run_ingest
from matching.records import record_from_entity
from matching.resolve import resolve

DEMO = Path(__file__).resolve().parents[3] / "api" / "demo_data"
FILES = [("gleif", "gleif-lei.xml"), ("gleif", "gleif-rr.xml"), ("bods", "bods-register.json"),
         ("psc", "uk-basic-company-data.csv"), ("psc", "uk-psc-snapshot.jsonl")]
JV = "bods:nb-jv"  # Northbridge Dragon Data Services Limited


def test_demo_joint_venture_and_treasury_rule(graph_store: Any, tmp_path: Path) -> None:
    for fmt, name in FILES:
        run_ingest(graph_store, RunOptions(fmt, [DEMO / name], tmp_path))
    entities = [e for batch in graph_store.iter_entities() for e in batch]
    graph_store.set_canonical(resolve([record_from_entity(e) for e in entities]).canonical)
    arrays = graph_store.load_arrays()
    policies = known_policies(DEMO / "policies.toml")
    y = list(map(str, arrays.ids)).index(JV)
    majority = evaluate(arrays, policies["cn-majority"], "2026-12-01")
    answer = Explainer.build(arrays, majority).entity(y)
    assert majority.verdict_name(y) == "ALLOW"
    assert (answer["notes"][0]["code"], answer["notes"][0]["share"]) == ("restricted_minority", 0.5)
    inclusive = evaluate(arrays, policies["cn-50-inclusive"], "2026-12-01")
    assert inclusive.verdict_name(y) == "BLOCK"
    treasury = evaluate(arrays, policies["us-treasury-50"], "2026-12-01")
    assert {treasury.verdict_name(i) for i in range(arrays.n_entities)} == {"ALLOW"}
