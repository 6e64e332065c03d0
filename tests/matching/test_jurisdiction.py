"""Countries implied by written legal forms, learnt from the records themselves."""

from __future__ import annotations

from matching.jurisdiction import plausible_countries
from matching.normalize import Normalizer
from matching.prepare import prepare
from matching.records import Record


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
