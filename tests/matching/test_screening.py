"""Screening with the resolver's model: every spelling of a Han name reaches its entity,
unrelated names get nothing, and candidates come with probability and explanation."""

from __future__ import annotations

import pytest

from matching.records import Record
from matching.screening import FLOOR, TOP_K, Candidate, Scorer, name_keys

ENTITIES = [
    Candidate(0, ("横店集团控股有限公司",), "CN"),
    Candidate(1, ("橫華國際金融股份有限公司", "HGNH INTERNATIONAL FINANCIAL CORPORATION LIMITED"), "HK"),
    Candidate(2, ("Dragon Peak Technology (Singapore) Pte. Ltd.",), "SG"),
    Candidate(3, ("Totalenergies Holdings SAS",), "FR"),
    Candidate(4, ("Hengtong Optic-Electric Co., Ltd.",), "CN"),
]


@pytest.mark.parametrize(("quirk", "query", "expected"), [
    ("word-spaced pinyin with the pinyin legal form", "Hengdian Jituan Konggu Youxian Gongsi", 0),
    ("syllable-split pinyin", "Heng Dian Ji Tuan Kong Gu Co., Ltd.", 0),
    ("traditional script", "橫店集團控股有限公司", 0),
    ("English alias of a traditional name", "HGNH International Financial Corp Ltd", 1),
    ("simplified form of a traditional name", "横华国际金融股份有限公司", 1),
    ("private limited for Pte. Ltd.", "Dragon Peak Technology Singapore Private Limited", 2),
])
def test_spellings_reach_the_entity(quirk: str, query: str, expected: int) -> None:
    found = Scorer().rank(Record("q", (query,)), ENTITIES)
    assert found and found[0].key == expected, (quirk, [(s.key, s.probability, s.name_level) for s in found])
    assert {f["feature"] for f in found[0].features} >= {"name"}


@pytest.mark.parametrize("query", ["Totally Unrelated Widgets Holdings", "Quantum Walrus Bakery GmbH", "Holding"])
def test_unrelated_names_get_no_match(query: str) -> None:
    assert Scorer().rank(Record("q", (query,)), ENTITIES) == []


def test_threshold_top_k_and_the_floor() -> None:
    many = [Candidate(k, (f"Acme Trading {s} Ltd",), "GB") for k, s in enumerate("ABCDEFGH")]
    query = Record("q", ("Acme Trading Ltd",), "GB")
    scored = Scorer().score(query, many)
    assert len(scored) == len(many) and scored == sorted(scored, key=lambda s: (-s.probability, s.key))
    assert len(Scorer().rank(query, many + [Candidate(99, ("Acme Trading Ltd",), "GB")])) <= TOP_K
    exact = Scorer().rank(query, [Candidate(7, ("ACME TRADING LIMITED",), "GB")])
    assert exact and exact[0].probability > 0.95
    assert Scorer().rank(query, [Candidate(7, ("ACME TRADING LIMITED",), "GB")], threshold=0.999) == []
    assert all(s.probability >= FLOOR for s in Scorer().rank(query, many, threshold=0.0))


def test_another_country_weakens_the_match() -> None:
    same = Scorer().rank(Record("q", ("Dragon Peak Technology Singapore",), "SG"), ENTITIES)
    other = Scorer().rank(Record("q", ("Dragon Peak Technology Singapore",), "US"), ENTITIES)
    assert same[0].probability > 0.95 > other[0].probability >= FLOOR


def test_pinyin_spellings_share_a_key() -> None:
    keys = [name_keys(n) for n in ("Hengdian Jituan Konggu Youxian Gongsi", "Heng Dian Ji Tuan Kong Gu Co Ltd",
                                   "横店集团控股有限公司", "橫店集團控股有限公司")]
    assert set.intersection(*keys)


def test_a_place_is_not_a_dropped_descriptor() -> None:
    # demo data: the Singapore company screened from the US must not become the US namesake
    found = Scorer().score(Record("q", ("Dragon Peak Technology Singapore",), "US"),
                           [Candidate(0, ("Dragon Peak Technologies, Inc.",), "US")])
    assert found[0].name_level != "strong" and found[0].probability < 0.9  # at most a weak match


COMMON = {"semiconductor", "foods", "shipping", "ltd", "pte"}.__contains__


@pytest.mark.parametrize(("quirk", "register", "query", "expected"), [
    ("the line of business left out, one company so named",
     ["Kanex Rami Semiconductor Pte. Ltd.", "Belsortor Dalfi Foods SAS"], "Kanex Rami Pte. Ltd.", 0),
    ("two companies so named: which one is not for screening to guess",
     ["Kanex Rami Semiconductor Pte. Ltd.", "Kanex Rami Foods Pte. Ltd."], "Kanex Rami Pte. Ltd.", None),
    ("a distinctive word left out is another company",
     ["Rabel Stazudal Shipping N.V."], "Rabel Shipping N.V.", None),
    ("the first word left out", ["Rabel Stazudal Shipping N.V."], "Stazudal Shipping N.V.", None),
])
def test_a_registered_name_without_its_line_of_business(
        quirk: str, register: list[str], query: str, expected: int | None) -> None:
    """Offered at the floor (so the screen says REVIEW), naming the rule; never a guess."""
    candidates = [Candidate(k, (name,), None) for k, name in enumerate(register)]
    scored = Scorer().score(Record("q", (query,)), candidates, COMMON)
    offered = [s for s in scored if s.match and s.probability >= FLOOR]
    if expected is None:
        assert offered == [], quirk
        return
    assert [s.key for s in offered] == [expected], quirk
    assert offered[0].probability == FLOOR
    assert offered[0].features[-1]["level"] == "registered name without its line of business"
    # without the register's word counts the rule cannot tell a line of business: no offer
    assert all(s.probability < FLOOR for s in Scorer().score(Record("q", (query,)), candidates))
