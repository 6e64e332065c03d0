"""Ultimate controllers and significant owners (table-driven), and evidence bounds."""

from __future__ import annotations

from typing import Any

import pytest
from control_builders import ent, own, policy

from graph.control.engine import evaluate
from graph.control.files import arrays_from_rows
from graph.control.report import records

CASES: list[tuple[str, list[Any], list[Any], str, list[tuple[str, str]]]] = [
    ("majority_chain_to_the_top",
     [ent("P", kind="person"), ent("R"), ent("A")],
     [own("P", "R", 0.7), own("R", "A", 0.6)], "A", [("P", "majority_chain")]),
    ("group_majority_aggregated_through_a_subsidiary",
     [ent("P", kind="person"), ent("S"), ent("Y"), ent("Q", kind="person")],
     [own("P", "S", 1.0), own("P", "Y", 0.3), own("S", "Y", 0.3), own("Q", "Y", 0.4)],
     "Y", [("P", "majority_chain")]),
    ("cross_majority_cycle_controls_itself",
     [ent("A"), ent("B"), ent("C")],
     [own("A", "B", 0.6), own("B", "A", 0.6), own("B", "C", 0.9)],
     "C", [("A", "cycle"), ("B", "cycle")]),
    ("vie_controller_beats_nominee_shareholder",
     [ent("R", jurisdiction="CN"), ent("V", jurisdiction="KY"), ent("N", kind="person")],
     [own("N", "V", 1.0), own("R", "V", 0.0, 1.0, kind="contractual_control")],
     "V", [("R", "majority_chain")]),
    # GLEIF: the direct parent's own record states no parent, the child names its ultimate
    ("gleif_ultimate_parent_reaches_the_top_past_an_unrecorded_middle",
     [ent("D", jurisdiction="HK"), ent("U", jurisdiction="CN"), ent("C", jurisdiction="GB")],
     [own("D", "C", 0.0, 1.0, kind="consolidation_parent"),
      own("U", "C", 0.0, 1.0, kind="ultimate_consolidation_parent")],
     "C", [("U", "majority_chain")]),
    ("gleif_direct_and_ultimate_parent_the_same_entity",
     [ent("U", jurisdiction="CN"), ent("C", jurisdiction="GB")],
     [own("U", "C", 0.0, 1.0, kind="consolidation_parent"),
      own("U", "C", 0.0, 1.0, kind="ultimate_consolidation_parent")],
     "C", [("U", "majority_chain")]),
    ("psc_band_more_than_50_is_a_majority",
     [ent("P", kind="person"), ent("A")],
     [own("P", "A", 0.5, 0.75, lo_open=True)], "A", [("P", "majority_chain")]),
    ("exactly_half_is_not_a_majority",
     [ent("P", kind="person"), ent("Q", kind="person"), ent("A")],
     [own("P", "A", 0.5), own("Q", "A", 0.5)], "A",
     [("P", "significant_owner"), ("Q", "significant_owner")]),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_ultimate_controllers(case: tuple[str, list[Any], list[Any], str, list[Any]]) -> None:
    _, entities, edges, target, expected = case
    arrays = arrays_from_rows(entities, edges)
    result = evaluate(arrays, policy("ultimate-parent"), "2026-01-01")
    by_id = {r["id"]: r for r in records(arrays, result)}
    got = sorted((c["id"], c["basis"]) for c in by_id[target]["ultimate_controllers"])
    assert got == sorted(expected)


SIGNIFICANT = [
    # Nobody holds a majority of Y: P holds 10 % itself and 30 % through S, which it
    # controls (60 %): 40 %, as much as Q.
    ("held_through_a_majority_controlled_company_counts_in_full",
     [own("P", "S", 0.6), own("S", "Y", 0.3), own("P", "Y", 0.1), own("Q", "Y", 0.4)],
     {"P": (0.4, 0.4, True), "Q": (0.4, 0.4, True)}),
    # A 50 % holder of S does not control it: S's 50 % stays S's (UK PSC counts indirect
    # holdings only through majority links); P's own 10 % is below 25 %.
    ("a_minority_stake_in_the_holder_does_not_pass_it_up",
     [own("P", "S", 0.5), own("S", "Y", 0.5), own("P", "Y", 0.1), own("Q", "Y", 0.4)],
     {"S": (0.5, 0.5, True), "Q": (0.4, 0.4, True)}),
    # A PSC band (25, 50] is significant at its upper bound, held as the band says.
    ("psc_band_is_significant_at_its_upper_bound",
     [own("P", "Y", 0.25, 0.5, lo_open=True), own("Q", "Y", 0.2)],
     {"P": (0.25, 0.5, True)}),
    # Two subsidiaries of one parent, 20 % each: 40 % held by the parent through them.
    ("stakes_of_one_group_add_up",
     [own("P", "S1", 1.0), own("P", "S2", 0.8), own("S1", "Y", 0.2), own("S2", "Y", 0.2),
      own("Q", "Y", 0.3)],
     {"P": (0.4, 0.4, False), "Q": (0.3, 0.3, True)}),
]


@pytest.mark.parametrize("case", SIGNIFICANT, ids=[c[0] for c in SIGNIFICANT])
def test_significant_owners_where_nobody_holds_a_majority(case: tuple[str, list[Any], Any]
                                                          ) -> None:
    _, edges, expected = case
    people = {e.owner for e in edges} | {e.owned for e in edges}
    arrays = arrays_from_rows([ent(x, kind="person" if x in "PQ" else "company")
                               for x in sorted(people)], edges)
    result = evaluate(arrays, policy("ultimate-parent"), "2026-01-01")
    y = {r["id"]: r for r in records(arrays, result)}["Y"]
    assert all(c["basis"] == "significant_owner" for c in y["ultimate_controllers"])
    got = {c["id"]: (c["share_lo"], c["share_hi"], c["direct"])
           for c in y["ultimate_controllers"]}
    assert got == {k: (pytest.approx(lo), pytest.approx(hi), d)
                   for k, (lo, hi, d) in expected.items()}


def test_evidence_is_bounded_on_a_wide_fan_in() -> None:
    owners = [ent(f"R{i}", jurisdiction="CN") for i in range(200)]
    edges = [own(f"R{i}", "A", 0.005) for i in range(200)]
    arrays = arrays_from_rows([*owners, ent("A", jurisdiction="GB")], edges)
    result = evaluate(arrays, policy("cn-majority", comparison=">="), "2026-01-01")
    a = {r["id"]: r for r in records(arrays, result)}["A"]
    assert a["verdict"] == "BLOCK"
    assert len(a["evidence"]["stakes"]) == 50 and len(a["evidence"]["paths"]) <= 5
    assert a["evidence"]["truncated"] is True


def test_strict_insufficient_names_the_unrecorded_share_above_an_owner() -> None:
    entities = [ent("R", jurisdiction="CN"), ent("H", jurisdiction="GB"),
                ent("A", jurisdiction="GB")]
    arrays = arrays_from_rows(entities, [own("H", "A", 1.0)])
    result = evaluate(arrays, policy("cn-majority", unknowns="strict"), "2026-01-01")
    a = {r["id"]: r for r in records(arrays, result)}["A"]
    assert a["verdict"] == "INSUFFICIENT_DATA"
    assert [(r["code"], r["entity"], r["via"], r["share"]) for r in a["reasons"]] == [
        ("unaccounted_share", "H", "A", 1.0)]
    explicit = evaluate(arrays, policy("cn-majority"), "2026-01-01")
    a = {r["id"]: r for r in records(arrays, explicit)}["A"]
    assert (a["verdict"], a["coverage"]) == ("ALLOW", {"lo": 1.0, "hi": 1.0})
    assert [(n["code"], n["entity"]) for n in a["notes"]] == [("no_owners_on_record", "H")]


def test_aggregate_evidence_names_every_owner_that_carries_the_exposure() -> None:
    # 40 % from a root's subsidiary plus 20 % from a restricted sibling: neither alone passes
    # 50 %, so the evidence must show a root path through each of them.
    entities = [ent("H", jurisdiction="CN"), ent("K", jurisdiction="HK"),
                ent("S", jurisdiction="SG"), ent("L", jurisdiction="SG")]
    edges = [own("H", "K", 1.0), own("K", "S", 0.95), own("K", "L", 0.4), own("S", "L", 0.2)]
    arrays = arrays_from_rows(entities, edges)
    result = evaluate(arrays, policy("cn-majority"), "2026-01-01")
    lion = {r["id"]: r for r in records(arrays, result)}["L"]
    assert lion["verdict"] == "BLOCK"
    assert sorted(lion["evidence"]["paths"]) == [["H", "K", "L"], ["H", "K", "S", "L"]]
