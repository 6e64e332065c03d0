"""Would the resolver merge these two records? Table-driven, from real quirks."""

from __future__ import annotations

import pytest

from matching.identifiers import clean_identifiers
from matching.records import Record
from matching.screening import score_pair


def rec(rid: str, name: str, **kw: object) -> Record:
    idents = clean_identifiers(kw.pop("ids", None))  # type: ignore[arg-type]
    return Record(id=rid, names=(name,), identifiers=idents, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("quirk", "left", "right", "merge"),
    [
        ("PATSTAT N.V. vs NV", "AKZO NOBEL N.V.", "AKZO NOBEL NV", True),
        ("PATSTAT star and spaced N. V.", "* AKZO NOBEL N.V.", "Akzo Nobel, N. V.", True),
        ("PATSTAT typo in a long word", "KONINKLIJKE PHILIPS ELECTRONICS N.V.", "Koninklijke Phillips Electronics N.V.", True),
        ("PATSTAT seat after legal form", "UNILEVER N.V., ROTTERDAM", "UNILEVER NV", True),
        ("legal form spelled out", "Siemens Aktiengesellschaft", "Siemens AG", True),
        ("Biffa casing and suffix", "Biffa Waste Services Ltd,", "BIFFA WASTE SERVICES LIMITED", True),
        ("traditional vs simplified", "騰訊控股有限公司", "腾讯控股有限公司", True),
        ("traditional vs simplified, 集團", "橫店集團控股有限公司", "横店集团控股有限公司", True),
        ("Cyrillic vs Latin transliteration", "ООО Газпром нефть", "OOO Gazprom Neft", True),
        ("initials one letter apart", "A.B.C. Ltd", "ABD Ltd", False),
        ("initials vs initials plus word", "A.B.C. Ltd", "A.B.C. Holding", False),
        ("three-letter names", "IBM", "IBS", False),
        ("PATSTAT DSM vs DSM IP ASSETS", "DSM N.V.", "DSM IP Assets B.V.", False),
        ("Holding alone", "Alpha Holding", "Beta Holding", False),
        ("Investment Holding alone", "China Investment Holding Ltd", "Global Investment Holding Ltd", False),
        ("only generic words, identical", "Investment Holding Ltd", "Investment Holding Limited", False),
        ("siblings: other line of business", "Shell Energy Ltd", "Shell Trading Ltd", False),
        ("competitors (company_name_matcher negative)", "Apple Inc", "Microsoft Corporation", False),
        ("empty names", "", "", False),
        ("legal form only", "Limited", "Ltd", False),
        ("transliteration alone is not a translation", "Tencent Holdings Limited", "腾讯控股有限公司", False),
        ("pinyin of a Han name whose syllable is a stopword", "Chuan Di Co., Ltd.", "川第有限公司", True),
        ("pinyin names sharing one syllable", "Chuan Gong Co., Ltd.", "Chuan Di Co., Ltd.", False),
        ("Han homophones: same pinyin, other characters", "清正有限公司", "青证有限公司", False),
    ],
)
def test_names_alone(quirk: str, left: str, right: str, merge: bool) -> None:
    assert score_pair(rec("a", left), rec("b", right)).merge is merge, quirk


@pytest.mark.parametrize(
    ("quirk", "left", "right"),
    [
        ("descriptor dropped and a typo", "Geencor Bark AG", "Genencor Bark Trading AG"),
        ("descriptor dropped, Corporation not a legal form here", "Greene Sadrine Technologies",
         "GREENE SANDRINE TECHNOLOGIES CORPORATION"),
    ],
)
def test_alike_without_generic_words_is_a_good_name_match(quirk: str, left: str, right: str) -> None:
    # "strong" since a dropped descriptor is a recognised variant (matching.name_rules)
    assert score_pair(rec("a", left), rec("b", right)).name_level in ("good", "strong"), quirk


def test_same_valid_identifier_merges_whatever_the_names() -> None:
    ids = {"lei": "529900T8BM49AURSDO55"}
    assert score_pair(rec("a", "Acme Ltd", ids=ids), rec("b", "Zenith GmbH", ids=ids)).merge


def test_invalid_identifier_never_merges() -> None:
    ids = {"lei": "529900T8BM49AURSDO56"}  # wrong check digits
    result = score_pair(rec("a", "Acme Ltd", ids=ids), rec("b", "Zenith GmbH", ids=ids))
    assert not result.merge


def test_explanation_lists_features_with_weights() -> None:
    result = score_pair(rec("a", "AKZO NOBEL N.V.", country="NL"), rec("b", "AKZO NOBEL NV", country="NL"))
    import json

    detail = json.loads(result.explanation)
    names = {f["feature"]: f for f in detail["features"]}
    assert names["name"]["level"] == "exact" and names["name"]["weight"] > 5
    assert names["country"]["level"] == "same"


def _cluster_of(records: list[Record]) -> dict[str, str]:
    from matching.resolve import resolve

    return resolve(records).canonical


def test_namesakes_in_two_countries_stay_two_and_a_bare_record_joins_neither() -> None:
    # one legal form per company (Inc and LLC, S.A. and S.à r.l. are two companies in one country)
    us = [rec(f"us{i}", n, country="US") for i, n in enumerate(("Mikhail Gleich LLC", "MIKHAIL GLEICH L.L.C.", "Mikhail Gleich, LLC"))]
    lu = [rec(f"lu{i}", n, country="LU") for i, n in enumerate(("Mikhail Gleich S.A.R.L.", "MIKHAIL GLEICH SARL", "Mikhail Gleich Sarl"))]
    bare = [rec("bare", "MIKHAIL GLEICH"), rec("sarl", "Mikhail Gleich S.A.R.L")]  # no country
    background = [rec(f"bg{i}", f"Firma{i} S.A.", country="LU") for i in range(25)]
    canon = _cluster_of(us + lu + bare + background)
    assert len({canon[r.id] for r in us}) == 1 and len({canon[r.id] for r in lu}) == 1
    assert canon["us0"] != canon["lu0"]
    assert canon["bare"] not in (canon["us0"], canon["lu0"])  # it could be either: neither
