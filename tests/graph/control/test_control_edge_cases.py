"""One case per named edge case of DESIGN.md "Control semantics" (table-driven)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import pytest
from control_builders import ent, own, policy, run

from graph.control.policies import Policy

CN = {"jurisdiction": "CN"}
GB = {"jurisdiction": "GB"}
SANCTIONED = {"flags": ["sanctioned"]}
NO_UNKNOWNS = {"unknown_makes_insufficient": False}
STRICT = {"unknowns": "strict"}
UNKNOWN_PARTY = {"flags": ["unknown_party"]}


@dataclass
class Case:
    name: str
    entities: list[Any]
    edges: list[Any]
    policy: Policy
    expect: dict[str, str]  # entity -> verdict
    as_of: str = "2026-06-01"
    exposure: dict[str, tuple[float, float]] = field(default_factory=dict)
    flags: dict[str, str] = field(default_factory=dict)  # entity -> flag expected in result


def _people(*names: str) -> list[Any]:
    return [ent(n, kind="person", nationality="GB") for n in names]


CASES = [
    Case("exactly_50_strict_is_not_more_than_half",
         [ent("R", **CN), ent("A", **GB), *_people("P")],
         [own("R", "A", 0.5), own("P", "A", 0.5)], policy("cn-majority"), {"A": "ALLOW"}),
    Case("exactly_50_inclusive_is_50_percent_or_more",
         [ent("R", **CN), ent("A", **GB), *_people("P")],
         [own("R", "A", 0.5), own("P", "A", 0.5)],
         policy("cn-majority", comparison=">="), {"A": "BLOCK"}),
    Case("chain_of_50s_restricted_in_aggregate_mode",
         [ent("R", **SANCTIONED), ent("A"), ent("B"), ent("C"), *_people("P1", "P2", "P3")],
         [own("R", "A", 0.5), own("P1", "A", 0.5), own("A", "B", 0.5), own("P2", "B", 0.5),
          own("B", "C", 0.5), own("P3", "C", 0.5)],
         policy("us-treasury-50"), {"A": "BLOCK", "B": "BLOCK", "C": "BLOCK"},
         exposure={"C": (0.5, 0.5)}),
    Case("chain_of_50s_small_product_not_restricted_in_effective_mode",
         [ent("R", **SANCTIONED), ent("A"), ent("B"), ent("C"), *_people("P1", "P2", "P3")],
         [own("R", "A", 0.5), own("P1", "A", 0.5), own("A", "B", 0.5), own("P2", "B", 0.5),
          own("B", "C", 0.5), own("P3", "C", 0.5)],
         policy("us-treasury-50", mode="effective"), {"A": "BLOCK", "B": "ALLOW", "C": "ALLOW"},
         exposure={"B": (0.25, 0.25), "C": (0.125, 0.125)}),
    Case("two_restricted_25s_via_unrestricted_intermediates",
         [ent("R1", **CN), ent("R2", **CN), ent("A", **GB), ent("B", **GB), ent("C", **GB),
          *_people("PA", "PB", "PC")],
         [own("R1", "A", 0.25), own("R2", "A", 0.25), own("PA", "A", 0.5),
          own("R1", "B", 0.25), own("R2", "B", 0.25), own("PB", "B", 0.5),
          own("A", "C", 0.5), own("B", "C", 0.5)],
         policy("cn-majority"), {"A": "ALLOW", "B": "ALLOW", "C": "ALLOW"},
         exposure={"A": (0.5, 0.5), "C": (0.0, 0.0)}),
    Case("cross_holding_99_percent_loop_effective_is_exact",
         [ent("R", **CN), ent("A", **GB), ent("B", **GB)],
         [own("R", "A", 0.01), own("A", "B", 0.99), own("B", "A", 0.99)],
         policy("cn-majority", mode="effective", **NO_UNKNOWNS), {"A": "BLOCK", "B": "ALLOW"},
         exposure={"A": (0.01 / (1 - 0.99**2),) * 2, "B": (0.99 * 0.01 / (1 - 0.99**2),) * 2}),
    Case("cross_holding_99_percent_loop_aggregate_needs_a_majority",
         [ent("R", **CN), ent("A", **GB), ent("B", **GB)],
         [own("R", "A", 0.01), own("A", "B", 0.99), own("B", "A", 0.99)],
         policy("cn-majority", **NO_UNKNOWNS), {"A": "ALLOW", "B": "ALLOW"}),
    Case("closed_100_percent_loop_terminates",
         [ent("R", **CN), ent("A", **GB), ent("B", **GB)],
         [own("A", "B", 1.0), own("B", "A", 1.0)],
         policy("cn-majority", mode="effective"), {"A": "ALLOW", "B": "ALLOW"},
         exposure={"A": (0.0, 0.0)}),
    Case("loop_100_percent_entered_by_a_root_is_flagged_and_restricted",
         [ent("R", **CN), ent("A", **GB), ent("B", **GB)],
         [own("R", "A", 1.0), own("A", "B", 1.0), own("B", "A", 1.0)],
         policy("cn-majority", mode="effective"), {"A": "BLOCK", "B": "BLOCK"},
         exposure={"A": (1.0, 1.0), "B": (1.0, 1.0)}, flags={"A": "inbound_over_one"}),
    Case("bands_in_a_cycle_upper_bounds_summing_over_one_are_capped",
         [ent("R", **CN), ent("A", **GB), ent("B", **GB)],
         [own("R", "A", 0.1), own("A", "B", 0.5, 1.0), own("B", "A", 0.5, 0.95)],
         policy("cn-majority", mode="effective", **NO_UNKNOWNS),
         {"A": "REVIEW", "B": "REVIEW"},
         exposure={"A": (0.1 / 0.75, 1.0), "B": (0.05 / 0.75, 1.0)}),
    Case("psc_band_over_50_to_75_is_more_than_half",
         [ent("S", **SANCTIONED), ent("A", **GB)],
         [own("S", "A", 0.5, 0.75, lo_open=True)], policy("uk-50", **NO_UNKNOWNS),
         {"A": "BLOCK"}),
    Case("psc_band_25_to_50_is_never_more_than_half",
         [ent("S", **SANCTIONED), ent("A", **GB)],
         [own("S", "A", 0.25, 0.5, lo_open=True)], policy("uk-50", **NO_UNKNOWNS),
         {"A": "ALLOW"}),
    Case("psc_band_25_to_50_may_be_50_or_more",
         [ent("S", **SANCTIONED), ent("A", **GB)],
         [own("S", "A", 0.25, 0.5, lo_open=True)], policy("us-treasury-50", **NO_UNKNOWNS),
         {"A": "REVIEW"}),
    Case("psc_band_over_75",
         [ent("S", **SANCTIONED), ent("A", **GB)],
         [own("S", "A", 0.75, 1.0, lo_open=True)], policy("us-treasury-50"), {"A": "BLOCK"}),
    # uk-psc fixture: company 07102351, PSC "State Administration Of Foreign Exchange"
    # (a PRC government department), ownership-of-shares-75-to-100-percent
    Case("psc_chinese_state_body_75_to_100_percent",
         [ent("SAFE", kind="state_body", **CN), ent("07102351", **GB)],
         [own("SAFE", "07102351", 0.75, 1.0, lo_open=True)], policy("cn-majority"),
         {"07102351": "BLOCK"}, exposure={"07102351": (0.75, 1.0)}),
    # the PSC and BODS adapters store an exclusive end as the nearest float inside it
    Case("psc_bands_stored_as_nearest_float_inside_keep_their_exclusive_end",
         [ent("S1", **SANCTIONED), ent("S2", **SANCTIONED), ent("A", **GB)],
         [own("S1", "A", math.nextafter(0.25, 2.0), 0.5),
          own("S2", "A", math.nextafter(0.25, 2.0), 0.5)],
         policy("eu-50", comparison=">"), {"A": "BLOCK"}),
    Case("bods_exclusive_maximum_50_is_below_50_or_more",
         [ent("S", **SANCTIONED), ent("A", **GB)],
         [own("S", "A", 0.3, math.nextafter(0.5, -1.0))],
         policy("us-treasury-50", **NO_UNKNOWNS), {"A": "ALLOW"}),
    Case("bods_inclusive_maximum_50_may_be_50_or_more",
         [ent("S", **SANCTIONED), ent("A", **GB)],
         [own("S", "A", 0.3, 0.5)], policy("us-treasury-50", **NO_UNKNOWNS), {"A": "REVIEW"}),
    Case("psc_two_open_25s_are_more_than_half",
         [ent("S1", **SANCTIONED), ent("S2", **SANCTIONED), ent("A", **GB)],
         [own("S1", "A", 0.25, 0.5, lo_open=True), own("S2", "A", 0.25, 0.5, lo_open=True)],
         policy("eu-50", comparison=">"), {"A": "BLOCK"}),
    # unknowns = "strict": every unrecorded share and every reporting exception may be
    # restricted (the reading before 2026-12-07, kept for users who want it)
    Case("strict_unrecorded_share_gives_insufficient_data_never_allow",
         [ent("R", **CN), ent("A", **GB), *_people("P")],
         [own("P", "A", 0.4)], policy("cn-majority", **STRICT),
         {"A": "INSUFFICIENT_DATA", "P": "ALLOW"}),
    Case("strict_no_owners_reported_at_all",
         [ent("R", **CN), ent("A", **GB)], [], policy("cn-majority", **STRICT),
         {"A": "INSUFFICIENT_DATA"}),
    Case("strict_free_float_held_by_an_entity_of_unknown_kind",
         [ent("R", **CN), ent("L", flags=["listed"], **GB), ent("FLOAT", kind="unknown"),
          *_people("P")],
         [own("P", "L", 0.3), own("FLOAT", "L", 0.7)], policy("cn-majority", **STRICT),
         {"L": "INSUFFICIENT_DATA"}),
    Case("strict_gleif_reporting_exception_natural_persons",
         [ent("R", **CN), ent("A", exceptions=["NATURAL_PERSONS"], **GB)], [],
         policy("cn-majority", **STRICT), {"A": "INSUFFICIENT_DATA"}),
    Case("strict_reporting_exception_propagates_to_subsidiary",
         [ent("R", **CN), ent("A", exceptions=["NON_CONSOLIDATING"], **GB), ent("B", **GB)],
         [own("A", "B", 1.0)], policy("cn-majority", **STRICT), {"B": "INSUFFICIENT_DATA"}),
    # unknowns = "explicit" (the default): only owners a source says exist but withholds
    Case("explicit_unrecorded_remainder_is_a_note_not_an_unknown",
         [ent("R", **CN), ent("A", **GB), *_people("P")],
         [own("P", "A", 0.4)], policy("cn-majority"), {"A": "ALLOW", "P": "ALLOW"}),
    Case("explicit_no_owners_on_record_is_the_top_of_the_known_chain",
         [ent("R", **CN), ent("A", **GB)], [], policy("cn-majority"), {"A": "ALLOW"}),
    Case("explicit_free_float_of_unknown_kind_is_not_an_unknown_party",
         [ent("R", **CN), ent("L", flags=["listed"], **GB), ent("FLOAT", kind="unknown"),
          *_people("P")],
         [own("P", "L", 0.3), own("FLOAT", "L", 0.7)], policy("cn-majority"), {"L": "ALLOW"}),
    Case("explicit_owner_marked_unknown_with_a_majority",
         [ent("R", **CN), ent("L", **GB), ent("U", kind="unknown", **UNKNOWN_PARTY),
          *_people("P")],
         [own("P", "L", 0.3), own("U", "L", 0.7)], policy("cn-majority"),
         {"L": "INSUFFICIENT_DATA"}),
    Case("explicit_unknown_person_with_10_percent_cannot_make_the_difference",
         [ent("R", **CN), ent("L", **GB), ent("U", kind="person", **UNKNOWN_PARTY),
          *_people("P")],
         [own("P", "L", 0.9), own("U", "L", 0.1)], policy("us-treasury-50"), {"L": "ALLOW"}),
    Case("explicit_unknown_party_with_an_interest_of_unstated_nature",
         [ent("R", **CN), ent("L", **GB), ent("U", kind="unknown", **UNKNOWN_PARTY)],
         [own("U", "L", 0.0, 1.0, kind="other")], policy("cn-majority"),
         {"L": "INSUFFICIENT_DATA"}),
    Case("explicit_unknown_party_whose_interest_ended",
         [ent("R", **CN), ent("L", **GB), ent("U", kind="unknown", **UNKNOWN_PARTY)],
         [own("U", "L", 0.0, 1.0, kind="other", end="2020-01-01")], policy("cn-majority"),
         {"L": "ALLOW"}),
    Case("explicit_gleif_natural_persons_is_no_unknown",
         [ent("R", **CN), ent("A", exceptions=["NATURAL_PERSONS"], **GB)], [],
         policy("cn-majority"), {"A": "ALLOW"}),
    Case("explicit_gleif_non_consolidating_and_no_known_person_are_no_unknowns",
         [ent("R", **CN), ent("A", exceptions=["NON_CONSOLIDATING", "NO_KNOWN_PERSON"], **GB),
          ent("B", **GB)],
         [own("A", "B", 1.0)], policy("cn-majority"), {"A": "ALLOW", "B": "ALLOW"}),
    Case("explicit_gleif_non_public_parent_propagates_to_a_subsidiary",
         [ent("R", **CN), ent("A", exceptions=["NON_PUBLIC"], **GB), ent("B", **GB),
          ent("C", **GB), *_people("P")],
         [own("A", "B", 1.0), own("A", "C", 0.3), own("P", "C", 0.7)], policy("cn-majority"),
         {"A": "INSUFFICIENT_DATA", "B": "INSUFFICIENT_DATA", "C": "ALLOW"}),
    Case("explicit_gleif_no_lei_parent_is_withheld",
         [ent("R", **CN), ent("A", exceptions=["NO_LEI"], **GB)], [],
         policy("us-treasury-50"), {"A": "INSUFFICIENT_DATA"}),
    Case("explicit_psc_exists_but_not_identified",
         [ent("R", **CN), ent("A", exceptions=["psc-exists-but-not-identified"], **GB)], [],
         policy("cn-majority"), {"A": "INSUFFICIENT_DATA"}),
    Case("explicit_psc_restrictions_notice_partnership_variant",
         [ent("R", **CN), ent("A", exceptions=["restrictions-notice-issued-to-psc-partnership"],
                              **GB)], [],
         policy("cn-majority"), {"A": "INSUFFICIENT_DATA"}),
    Case("explicit_psc_no_registrable_person_upstream_spelling",
         [ent("R", **CN),
          ent("A", exceptions=["no-individual-or-entity-with-signficant-control"], **GB)], [],
         policy("cn-majority"), {"A": "ALLOW"}),
    Case("explicit_withheld_controller_never_overrides_a_block",
         [ent("R", **CN), ent("A", exceptions=["NON_PUBLIC"], **GB)],
         [own("R", "A", 0.6)], policy("cn-majority"), {"A": "BLOCK"}),
    Case("explicit_unknowns_off_when_the_policy_says_so",
         [ent("R", **CN), ent("A", exceptions=["NON_PUBLIC"], **GB)], [],
         policy("cn-majority", **NO_UNKNOWNS), {"A": "ALLOW"}),
    Case("joint_venture_50_50_with_unrecorded_owners_above_the_partner",
         [ent("R", **CN), ent("JV", **GB), ent("PARTNER", **GB)],
         [own("R", "JV", 0.5), own("PARTNER", "JV", 0.5)], policy("cn-majority"),
         {"JV": "ALLOW"}),
    Case("gleif_ultimate_consolidation_parent_counts_where_consolidation_does",
         [ent("R", **CN), ent("HK", jurisdiction="HK")],
         [own("R", "HK", 0.0, 1.0, kind="ultimate_consolidation_parent")],
         policy("cn-majority"), {"HK": "BLOCK"}),
    Case("gleif_ultimate_consolidation_parent_ignored_by_an_ownership_rule",
         [ent("S", **SANCTIONED), ent("A", **GB)],
         [own("S", "A", 0.0, 1.0, kind="ultimate_consolidation_parent")],
         policy("us-treasury-50"), {"A": "ALLOW"}),
    Case("gleif_branch_is_its_head_office_under_every_policy",
         [ent("S", **SANCTIONED), ent("BR", **GB)],
         [own("S", "BR", 0.0, 1.0, kind="branch")], policy("us-treasury-50"), {"BR": "BLOCK"}),
    Case("ended_interest_stops_counting",
         [ent("R", **CN), ent("A", **GB), *_people("P")],
         [own("R", "A", 0.6, end="2020-01-01"), own("P", "A", 1.0, start="2020-01-01")],
         policy("cn-majority"), {"A": "ALLOW"}, as_of="2024-01-01"),
    Case("interest_counts_before_it_ended",
         [ent("R", **CN), ent("A", **GB), *_people("P")],
         [own("R", "A", 0.6, end="2020-01-01"), own("P", "A", 1.0, start="2020-01-01")],
         policy("cn-majority"), {"A": "BLOCK"}, as_of="2019-06-30"),
    Case("uk_per_owner_two_30s_do_not_add_up",
         [ent("S1", **SANCTIONED), ent("S2", **SANCTIONED), ent("A", **GB), *_people("P")],
         [own("S1", "A", 0.3), own("S2", "A", 0.3), own("P", "A", 0.4)], policy("uk-50"),
         {"A": "ALLOW"}),
    Case("eu_summed_two_30s_add_up",
         [ent("S1", **SANCTIONED), ent("S2", **SANCTIONED), ent("A", **GB), *_people("P")],
         [own("S1", "A", 0.3), own("S2", "A", 0.3), own("P", "A", 0.4)], policy("eu-50"),
         {"A": "BLOCK"}),
    Case("uk_psc_indirect_statement_not_double_counted",
         [ent("P", kind="person", nationality="RU", **SANCTIONED), ent("B", **GB),
          ent("C", **GB)],
         [own("P", "B", 0.75, 1.0, lo_open=True), own("B", "C", 0.75, 1.0, lo_open=True),
          own("P", "C", 0.75, 1.0, lo_open=True)],
         policy("uk-50"), {"B": "BLOCK", "C": "BLOCK"}, exposure={"C": (0.75, 1.0)}),
    Case("vie_contractual_control_counts_for_cn_policy",
         [ent("R", **CN, **SANCTIONED), ent("V", jurisdiction="KY"), *_people("N")],
         [own("N", "V", 1.0), own("R", "V", 0.0, 1.0, kind="contractual_control")],
         policy("cn-majority"), {"V": "BLOCK"}),
    Case("vie_ignored_by_treasury_ownership_rule",
         [ent("R", **CN, **SANCTIONED), ent("V", jurisdiction="KY"), *_people("N")],
         [own("N", "V", 1.0), own("R", "V", 0.0, 1.0, kind="contractual_control")],
         policy("us-treasury-50"), {"V": "ALLOW"}),
    Case("consolidation_parent_gives_control",
         [ent("R", **CN), ent("S", **GB)],
         [own("R", "S", 0.0, 1.0, kind="consolidation_parent")], policy("cn-majority"),
         {"S": "BLOCK"}),
    Case("eu_board_majority_counts_board_minority_does_not",
         [ent("S", **SANCTIONED), ent("A", **GB), ent("B", **GB), *_people("P")],
         [own("S", "A", 1.0, kind="board_appointment"), own("P", "A", 1.0),
          own("S", "B", 0.4, kind="board_appointment"), own("P", "B", 1.0)],
         policy("eu-50"), {"A": "BLOCK", "B": "ALLOW"}),
    Case("inbound_over_100_percent_flagged_not_crashing",
         [ent("R", **CN), ent("A", **GB), *_people("P", "Q")],
         [own("P", "A", 0.6), own("Q", "A", 0.6)], policy("cn-majority"), {"A": "ALLOW"},
         flags={"A": "inbound_over_one"}),
    Case("news_claim_alone_gives_review_never_block",
         [ent("R", **CN), ent("A", **GB), *_people("P")],
         [own("P", "A", 0.4), own("R", "A", 0.6, kind="news_claim")], policy("cn-majority"),
         {"A": "REVIEW"}),
    Case("news_claim_counted_when_policy_says_so",
         [ent("R", **CN), ent("A", **GB), *_people("P")],
         [own("P", "A", 0.4), own("R", "A", 0.6, kind="news_claim")],
         policy("cn-majority", news_claims="count"), {"A": "BLOCK"}),
    Case("weak_match_on_the_path_gives_review",
         [ent("R", **CN), ent("A", **GB), ent("B", **GB), *_people("P")],
         [own("R", "A", 1.0, confidence=0.6), own("A", "B", 1.0)], policy("cn-majority"),
         {"A": "REVIEW", "B": "REVIEW"}),
    Case("same_stake_from_two_sources_is_not_added",
         [ent("R", **CN), ent("A", **GB), *_people("P")],
         [own("R", "A", 0.3, key="gleif|1"), own("R", "A", 0.3, key="bods|9"),
          own("P", "A", 0.7)], policy("cn-majority"), {"A": "ALLOW"},
         exposure={"A": (0.3, 0.3)}),
    Case("same_stake_band_and_exact_value_intersect",
         [ent("R", **CN), ent("A", **GB), *_people("P")],
         [own("R", "A", 0.5, 0.75, lo_open=True, key="psc|1"), own("R", "A", 0.6, key="bods|2"),
          own("P", "A", 0.4)], policy("cn-majority"), {"A": "BLOCK"},
         exposure={"A": (0.6, 0.6)}),
    Case("sources_disagree_hull_is_flagged_and_reviewed",
         [ent("R", **CN), ent("A", **GB), *_people("P")],
         [own("R", "A", 0.3, key="a|1"), own("R", "A", 0.6, key="b|2"), own("P", "A", 0.4)],
         policy("cn-majority"), {"A": "REVIEW"}, exposure={"A": (0.3, 0.6)},
         flags={"A": "conflicting_sources"}),
    Case("affiliates_rule_suspended_from_2025_11_10",
         [ent("L", flags=["entity-list"]), ent("A", **GB), *_people("P")],
         [own("L", "A", 0.6), own("P", "A", 0.4)], policy("us-affiliates-50"), {"A": "ALLOW"},
         as_of="2026-01-15"),
    Case("affiliates_rule_in_force_before_the_suspension",
         [ent("L", flags=["entity-list"]), ent("A", **GB), *_people("P")],
         [own("L", "A", 0.6), own("P", "A", 0.4)], policy("us-affiliates-50"), {"A": "BLOCK"},
         as_of="2025-11-09"),
    Case("affiliates_rule_reads_the_export_control_topic_of_ftm",
         [ent("L", flags=["export_controlled"]), ent("A", **GB), *_people("P")],
         [own("L", "A", 0.5), own("P", "A", 0.5)], policy("us-affiliates-50"), {"A": "BLOCK"},
         as_of="2026-12-01"),
    Case("affiliates_rule_back_in_force_after_a_year",
         [ent("L", flags=["entity-list"]), ent("A", **GB), *_people("P")],
         [own("L", "A", 0.6), own("P", "A", 0.4)], policy("us-affiliates-50"), {"A": "BLOCK"},
         as_of="2026-11-10"),
    Case("headquarters_in_cn_makes_a_root",
         [ent("H", jurisdiction="KY", hq_country="CN"), ent("A", **GB), *_people("P")],
         [own("H", "A", 0.51), own("P", "A", 0.49)], policy("cn-majority"), {"A": "BLOCK"}),
]


def _flags_of(result: Any, arrays: Any, entity: str) -> set[str]:
    i = list(arrays.ids).index(entity)
    out = set()
    if result.inbound_over[i]:
        out.add("inbound_over_one")
    if result.conflict[i]:
        out.add("conflicting_sources")
    return out


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_edge_case(case: Case) -> None:
    arrays, result, verdicts = run(case.entities, case.edges, case.policy, case.as_of)
    assert {k: verdicts[k] for k in case.expect} == case.expect
    ids = list(arrays.ids)
    for entity, (lo, hi) in case.exposure.items():
        i = ids.index(entity)
        assert result.lo.exposure[i] == pytest.approx(lo, abs=1e-9)
        assert result.hi.exposure[i] == pytest.approx(hi, abs=1e-9)
    for entity, flag in case.flags.items():
        assert flag in _flags_of(result, arrays, entity)
