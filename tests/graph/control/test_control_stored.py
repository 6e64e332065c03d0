"""A stored evaluation explains exactly as the evaluation it was stored from."""

from __future__ import annotations

from dataclasses import replace

import pytest
from control_builders import ent, own

from graph.control.engine import evaluate
from graph.control.explain import Explainer
from graph.control.files import arrays_from_rows
from graph.control.policies import builtin_policies
from graph.control.stored import evaluation_columns, evaluation_from

ENTITIES = [ent("H", jurisdiction="KY", hq_country="CN"), ent("K", jurisdiction="HK"),
            ent("S", jurisdiction="SG"), ent("L", jurisdiction="SG"),
            ent("U", kind="unknown", flags={"unknown_party"}), ent("M", jurisdiction="GB"),
            ent("W", jurisdiction="GB", exceptions={"NON_PUBLIC"}), ent("J", jurisdiction="GB")]
EDGES = [own("H", "K", 1.0), own("K", "S", 0.95), own("K", "L", 0.4), own("S", "L", 0.2),
         own("U", "M", 0.3, 0.6), own("H", "J", 0.5), own("W", "J", 0.5)]


@pytest.mark.parametrize(("name", "unknowns"), [
    ("cn-majority", "explicit"), ("cn-majority", "strict"), ("us-treasury-50", "explicit"),
    ("ultimate-parent", "explicit")])
def test_a_stored_evaluation_explains_as_the_original(name: str, unknowns: str) -> None:
    policy = replace(builtin_policies()[name], unknowns=unknowns)
    arrays = arrays_from_rows(ENTITIES, EDGES)
    result = evaluate(arrays, policy, "2026-01-01")
    columns, values = evaluation_columns(result)
    stored = evaluation_from(policy, columns, values)
    fresh, kept = Explainer.build(arrays, result), Explainer.build(arrays, stored)
    answers = [(fresh.answer(y), kept.answer(y)) for y in range(arrays.n_entities)]
    assert all(a == b for a, b in answers)
    assert any(a["reasons"] or a["notes"] for a, _ in answers)  # it explains something
