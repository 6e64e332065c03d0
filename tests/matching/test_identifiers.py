"""Identifiers: python-stdnum validation; invalid numbers are kept, flagged and never merge."""

from __future__ import annotations

import pytest

from matching.identifiers import clean_identifier, clean_identifiers, conflicts, shared


@pytest.mark.parametrize(
    ("scheme", "raw", "value", "valid"),
    [
        ("lei", "5299 00T8BM49AURSDO55", "529900T8BM49AURSDO55", True),
        ("lei", "529900T8BM49AURSDO56", "529900T8BM49AURSDO56", False),  # check digits wrong
        ("cn_uscc", "91330783717672584H", "91330783717672584H", True),  # 横店集团 in the china fixture
        ("uscc", "91620421MA74MNAU5L", "91620421MA74MNAU5L", True),  # alias scheme name
        ("cn_uscc", "91330783717672584X", "91330783717672584X", False),
        ("ru_inn", "7707083893", "7707083893", True),
        ("ru_ogrn", "1027700132195", "1027700132195", True),
        ("gb_crn", "946107", "00946107", True),  # Biffa: leading zeros lost in a CSV
        ("gb_crn", "SC123456", "SC123456", True),
        ("gb_crn", "ABC", "ABC", False),
        ("lei", "", "", False),
    ],
)
def test_clean_identifier(scheme: str, raw: str, value: str, valid: bool) -> None:
    ident = clean_identifier(scheme, raw)
    assert (ident.value, ident.valid) == (value, valid)


def test_conflict_and_shared() -> None:
    a = clean_identifiers({"lei": "529900T8BM49AURSDO55", "gb_crn": "00946107"})
    b = clean_identifiers({"gb_crn": "00946108"})
    c = clean_identifiers({"lei": "529900T8BM49AURSDO55"})
    bad = clean_identifiers({"gb_crn": "NOT A NUMBER"})
    assert conflicts(a, b) == ["gb_crn"]
    assert shared(a, c) == ["lei:529900T8BM49AURSDO55"]
    assert conflicts(a, bad) == [] and shared(a, bad) == []  # invalid: neither merges nor splits


def test_lists_of_numbers_per_scheme() -> None:
    out = clean_identifiers({"gb_crn": ["00946107", "SC123456"], "lei": None})
    assert [i.value for i in out] == ["00946107", "SC123456"]
