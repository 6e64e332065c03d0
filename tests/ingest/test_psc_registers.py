"""A corporate PSC's ``identification`` -> country of registration and register identifier
(table-driven; the first rows are the real fixtures' identification blocks)."""

from __future__ import annotations

from typing import Any

import pytest

from graph.model import Identifier
from ingest.psc import register_country, register_identifiers

REAL = "uk-psc/bods-uk-psc-pipeline-fixtures"
CASES: list[tuple[str, dict[str, Any], str | None, tuple[Identifier, ...]]] = [
    (f"{REAL}/psc-data-2.json Robert Hitchins: England & Wales, Companies House",
     {"country_registered": "England & Wales", "legal_authority": "Companies Act",
      "place_registered": "Companies House Cardiff", "registration_number": "00686734"},
     "GB", (Identifier("gb_crn", "00686734"),)),
    (f"{REAL}/psc-data-12.json Stddminvest: legal form and authority swapped, no number",
     {"legal_authority": "Limited Company", "legal_form": "Uk Companies Act 2006"}, "GB", ()),
    (f"{REAL}/psc-data-9.json London Environmental: only 'English Law'",
     {"legal_authority": "English Law", "legal_form": "Limited Company"}, "GB", ()),
    (f"{REAL}/psc-data-15.json St. Paul Fire & Marine: 'Minnesota, Usa', EIN-like number",
     {"country_registered": "Minnesota, Usa", "legal_form": "Private",
      "legal_authority": "Organized Under The Laws Of Minnesota, State Of Domicile Or Port Of "
                         "Entry Minnesota, Country Of Domicile Us",
      "place_registered": "Connecticut", "registration_number": "41-0406690"},
     "US", (Identifier("registration_number", "41-0406690"),)),
    (f"{REAL}/psc-data-5.json SAFE: a PRC government department",
     {"legal_authority": "People'S Republic Of China", "legal_form": "Government Department"},
     "CN", ()),
    (f"{REAL}/psc-data-6.json Czech government: 'Non-Uk Government' is not the UK",
     {"legal_authority": "Czech Republic", "legal_form": "Non-Uk Government"}, "CZ", ()),
    (f"{REAL}/psc-data-4.json Gibraltar ordinance",
     {"legal_authority": "The Companies Ordinance Of The Laws Of Gibraltar",
      "legal_form": "Limited Company"}, "GI", ()),
    ("Chinese register with a valid unified social credit code",
     {"country_registered": "China", "place_registered": "State Administration for Market "
      "Regulation", "registration_number": "91330783717672584H"},
     "CN", (Identifier("cn_uscc", "91330783717672584H"),)),
    ("company law of the PRC, USCC written with spaces",
     {"legal_authority": "Company Law Of The People's Republic Of China",
      "registration_number": "9133 0783 7176 7258 4H"},
     "CN", (Identifier("cn_uscc", "91330783717672584H"),)),
    ("Chinese register, number failing the USCC checksum: kept as a plain number",
     {"country_registered": "People's Republic of China", "registration_number": "91330783717672584X"},
     "CN", (Identifier("registration_number", "91330783717672584X"),)),
    ("no country at all, but a valid USCC says China",
     {"registration_number": "91620421MA74MNAU5L"}, "CN", (Identifier("cn_uscc", "91620421MA74MNAU5L"),)),
    ("Hong Kong ordinance", {"legal_authority": "Hong Kong Companies Ordinance",
                             "registration_number": "1234567"},
     "HK", (Identifier("registration_number", "1234567"),)),
    ("Ukraine is not 'uk'", {"country_registered": "Ukraine", "registration_number": "12345678"},
     "UA", (Identifier("registration_number", "12345678"),)),
    ("Scottish number keeps its prefix", {"country_registered": "Scotland",
                                          "registration_number": "SC123456"},
     "GB", (Identifier("gb_crn", "SC123456"),)),
]


@pytest.mark.parametrize(("case", "ident", "country", "identifiers"), CASES, ids=[c[0] for c in CASES])
def test_corporate_psc_register(case: str, ident: dict[str, Any], country: str | None,
                                identifiers: tuple[Identifier, ...]) -> None:
    named, uk = register_country(ident)
    number = str(ident.get("registration_number") or "").strip().upper()
    got, found = register_identifiers(number, named, uk)
    assert (found, got) == (country, identifiers)
