"""Explanations: why each root is a root, one-line path summaries, the unknowns behind an
INSUFFICIENT_DATA, coverage and notes (graph.control.explain)."""

from __future__ import annotations

from typing import Any

import pytest
from control_builders import ent, own, policy, run

from graph.control.explain import Explainer, Labels, explain_entity

CN = {"jurisdiction": "CN"}
GB = {"jurisdiction": "GB"}


def _explain(entities: list[Any], edges: list[Any], pol: str = "cn-majority",
             names: dict[str, str] | None = None, **overrides: Any) -> dict[str, dict[str, Any]]:
    arrays, result, _ = run(entities, edges, policy(pol, **overrides))
    ids = [str(i) for i in arrays.ids]
    labels = Labels(names=[(names or {}).get(i, "") for i in ids])
    why = Explainer.build(arrays, result, labels)
    return {i: {"verdict": result.verdict_name(k), **why.entity(k)} for k, i in enumerate(ids)}


def test_root_reason_and_summary_name_hq_and_each_link() -> None:
    # a Cayman holding headquartered in China, through Hong Kong, into the company
    out = _explain(
        [ent("lei:DPH", jurisdiction="KY", hq_country="CN"), ent("lei:DPHK", jurisdiction="HK"),
         ent("gb-coh:01234567", **GB), ent("gb-psc:p1", kind="person", nationality="GB")],
        [own("lei:DPH", "lei:DPHK", 1.0), own("lei:DPHK", "gb-coh:01234567", 0.95),
         own("gb-psc:p1", "gb-coh:01234567", 0.05)],
        names={"lei:DPH": "Dragon Peak Holdings", "lei:DPHK": "Dragon Peak HK"})
    company = out["gb-coh:01234567"]
    assert company["verdict"] == "BLOCK"
    assert company["summary"] == ("Dragon Peak Holdings (KY, HQ CN) holds 100 % of Dragon Peak "
                                  "HK, which holds 95 % of this company")
    assert [r["text"] for r in company["reasons"]] == [
        "headquartered in CN per GLEIF headquarters address"]
    assert company["coverage"] == {"lo": 1.0, "hi": 1.0}
    root = out["lei:DPH"]
    assert root["summary"] == "this company is headquartered in CN per GLEIF headquarters address"


def test_sanctions_flag_reason_names_the_source() -> None:
    out = _explain([ent("ftm:S", flags=["sanctioned"]), ent("ftm:A", **GB)],
                   [own("ftm:S", "ftm:A", 0.5)], "us-treasury-50")
    assert [r["text"] for r in out["ftm:A"]["reasons"]] == ["flag sanctioned from FollowTheMoney"]
    assert out["ftm:A"]["summary"] == "ftm:S holds 50 % of this company"


def test_control_links_and_bands_read_as_words() -> None:
    out = _explain([ent("R", **CN), ent("A", **GB), ent("B", **GB), ent("C", **GB)],
                   [own("R", "A", 0.0, 1.0, kind="consolidation_parent"),
                    own("A", "B", 0.5, 1.0, lo_open=True), own("R", "C", 0.5, 0.75, lo_open=True)])
    assert out["B"]["summary"] == "R (CN) consolidates A, which holds more than 50 % of this company"
    assert out["C"]["summary"] == "R (CN) holds more than 50 % (up to 75 %) of this company"


def test_review_says_what_keeps_it_from_a_block() -> None:
    out = _explain([ent("R", **CN), ent("A", **GB), ent("B", **GB)],
                   [own("R", "A", 0.3, 0.75), own("R", "B", 0.6, kind="news_claim")])
    assert [r["code"] for r in out["A"]["reasons"]] == ["root", "share_range"]
    assert [r["code"] for r in out["B"]["reasons"]] == ["root", "weak_evidence"]


@pytest.mark.parametrize(("exception", "code", "source"), [
    ("NON_PUBLIC", "withheld_controller", "GLEIF"),
    ("psc-exists-but-not-identified", "withheld_controller", "UK PSC register"),
    ("SUPER_SECURE_PERSON", "withheld_controller", "UK PSC register"),
])
def test_insufficient_names_the_withheld_controller_with_share_and_source(
        exception: str, code: str, source: str) -> None:
    out = _explain([ent("R", **CN), ent("H", exceptions=[exception], **GB), ent("A", **GB),
                    ent("P", kind="person")],
                   [own("H", "A", 0.6), own("P", "A", 0.4)])
    a = out["A"]
    assert a["verdict"] == "INSUFFICIENT_DATA"
    assert [(r["code"], r["entity"], r["reason"], r["share"], r["via"], r["source"])
            for r in a["reasons"]] == [(code, "H", exception, 0.6, "A", source)]


def test_insufficient_names_an_unknown_party_and_an_interest_of_unstated_nature() -> None:
    out = _explain([ent("R", **CN), ent("A", **GB), ent("B", **GB),
                    ent("bods:u1", kind="unknown", flags=["unknown_party"]),
                    ent("bods:u2", kind="unknown", flags=["unknown_party"])],
                   [own("bods:u1", "A", 0.75, 1.0), own("bods:u2", "B", 0.0, 1.0, kind="other")])
    assert [(r["code"], r["entity"], r["share"]) for r in out["A"]["reasons"]] == [
        ("unknown_party", "bods:u1", 1.0)]
    assert [(r["code"], r["entity"], r["via"], r["reason"]) for r in out["B"]["reasons"]] == [
        ("undisclosed_interest", "bods:u2", "B", "other")]


def test_notes_walk_the_chain_reporting_not_counting() -> None:
    # A: 70 % on record, held by H (GLEIF NATURAL_PERSONS), H by a parent known only by LEI
    out = _explain([ent("R", **CN), ent("A", **GB), ent("H", exceptions=["NATURAL_PERSONS"], **GB),
                    ent("lei:X", kind="unknown")],
                   [own("H", "A", 0.7), own("lei:X", "H", 0.0, 1.0,
                                             kind="consolidation_parent")])
    a = out["A"]
    assert (a["verdict"], a["coverage"]) == ("ALLOW", {"lo": 0.7, "hi": 0.7})
    assert [(n["code"], n["entity"], n.get("reason"), n.get("share")) for n in a["notes"]] == [
        ("unrecorded_remainder", "A", None, pytest.approx(0.3)),
        ("unrecorded_remainder", "H", None, 1.0),
        ("reporting_exception", "H", "NATURAL_PERSONS", None),
        ("no_record", "lei:X", None, None)]
    assert all(not n.get("counted", False) for n in a["notes"])


def test_joint_venture_50_50_is_allow_with_a_note_about_the_partner() -> None:
    out = _explain([ent("R", **CN), ent("JV", **GB), ent("PARTNER", **GB)],
                   [own("R", "JV", 0.5), own("PARTNER", "JV", 0.5)])
    jv = out["JV"]
    assert (jv["verdict"], jv["reasons"], jv["coverage"]) == ("ALLOW", [], {"lo": 1.0, "hi": 1.0})
    assert jv["notes"][0] == {
        "code": "restricted_minority", "entity": "JV", "name": "JV", "source": "the data",
        "share": 0.5, "text": "restricted owners hold up to 50 %; the policy needs more than 50 %"}
    assert ("no_owners_on_record", "PARTNER") in [(n["code"], n["entity"]) for n in jv["notes"]]


def test_explain_entity_is_the_one_call_form() -> None:
    arrays, result, _ = run([ent("R", **CN), ent("A", **GB)], [own("R", "A", 1.0)],
                            "cn-majority")
    assert explain_entity(arrays, result, 1)["summary"] == "R (CN) holds 100 % of this company"
