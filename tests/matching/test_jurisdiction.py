"""Countries implied by written legal forms, learnt from the records themselves."""

from __future__ import annotations

from matching.jurisdiction import plausible_countries
from matching.normalize import Normalizer
from matching.prepare import prepare
from matching.records import Record
from matching.resolve import resolve


def _records() -> list[Record]:
    out = [Record(f"de{i}", (f"Firma{i} GmbH",), "DE") for i in range(30)]
    out += [Record(f"ch{i}", (f"Firma{i} GmbH",), "CH") for i in range(10)]
    out += [Record(f"us{i}", (f"Firm{i} Inc.",), "US") for i in range(30)]
    out += [Record("x1", ("Acme GmbH",)), Record("x2", ("Acme Inc.",)), Record("x3", ("Acme",)),
            Record("x4", ("Acme Inc.", "Acme GmbH")), Record("x5", ("Acme Pty",))]
    return out


def test_legal_form_implies_the_countries_it_is_used_in() -> None:
    records = _records()
    prep = prepare(records, Normalizer())
    code = {c: i for i, c in enumerate(prep.countries)}
    places = dict(zip((r.id for r in records), plausible_countries(prep), strict=True))
    assert places["de0"] == {code["DE"]}  # a stated country wins
    assert places["x1"] == {code["DE"], code["CH"]}  # GmbH: German or Swiss
    assert places["x2"] == {code["US"]}
    assert places["x3"] == frozenset()  # no legal form: anywhere
    assert places["x4"] == frozenset()  # aliases that disagree: unknown, not nowhere
    assert places["x5"] == frozenset()  # a form too rare to say


def test_a_rare_spelling_is_placed_by_its_forms_other_spellings() -> None:
    """"Gesellschaft mit beschränkter Haftung" written out is too rare here to say where it is
    used; GmbH, its canonical form, is not. A spelling common enough keeps its own countries:
    "Ltd" British, "Limited" of Hong Kong here, though both are the form "ltd"."""
    records = _records() + [Record(f"gb{i}", (f"Firma{i} Ltd",), "GB") for i in range(25)]
    records += [Record(f"hk{i}", (f"Firma{i} Limited",), "HK") for i in range(25)]
    records += [Record("long", ("Acme Gesellschaft mit beschränkter Haftung",)),
                Record("ltd", ("Acme Ltd",)), Record("limited", ("Acme Limited",))]
    prep = prepare(records, Normalizer())
    code = {c: i for i, c in enumerate(prep.countries)}
    places = dict(zip((r.id for r in records), plausible_countries(prep), strict=True))
    assert places["long"] == {code["DE"], code["CH"]}
    assert places["ltd"] == {code["GB"]}
    assert places["limited"] == {code["HK"]}


def test_a_record_without_a_country_joins_the_namesake_its_legal_form_fits() -> None:
    """The held-out-style set's quirk: a German company and its British namesake; a record
    without a country, its legal form written out in German, belongs with the German one."""
    records = _records() + [
        Record("de", ("Dunmore Mining International GmbH",), "DE"),
        Record("gb", ("Dunmore Mining International Ltd",), "GB"),
        Record("x", ("DUNMORE MINING INTL GESELLSCHAFT MIT BESCHRÄNKTER HAFTUNG",)),
    ]
    canon = resolve(records).canonical
    assert canon["x"] == canon["de"] != canon["gb"]
