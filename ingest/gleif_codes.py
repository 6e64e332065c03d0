"""GLEIF code tables and small value helpers shared by the dict and the XML mappers."""

from __future__ import annotations

import functools

from stdnum.cn import uscc

from graph.model import EntityKind, Identifier

SOURCE = "gleif"

ENTITY_KINDS = {
    "FUND": EntityKind.FUND,
    "RESIDENT_GOVERNMENT_ENTITY": EntityKind.STATE_BODY,
    "INTERNATIONAL_ORGANIZATION": EntityKind.PUBLIC_BODY,
}
# Registration authorities whose entity ids are a national scheme we know by name.
RA_SCHEMES = {"RA000585": "gb_crn", "RA000092": "cn_uscc", "RA000388": "hk_br"}
FUND_FLAGS, NO_FLAGS = frozenset({"fund"}), frozenset[str]()
NAME_KINDS = {
    "PREVIOUS_LEGAL_NAME": "previous",
    "TRADING_OR_OPERATING_NAME": "trading",
    "ALTERNATIVE_LANGUAGE_LEGAL_NAME": "other",
}


_LEI_DIGITS = str.maketrans({c: str(ord(c) - 55) for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"})


def lei_checksum_ok(lei: str) -> bool:
    """ISO 17442 / ISO 7064 MOD 97-10, as ``stdnum.lei.is_valid`` checks it, minus its
    per-call input cleaning: this runs once per record on multi-million-record files."""
    return int(lei.translate(_LEI_DIGITS)) % 97 == 1


@functools.lru_cache(maxsize=4096)  # a few hundred distinct codes (countries, subdivisions)
def country(code: str | None) -> str | None:
    if not code:
        return None
    head = code.split("-")[0].strip().upper()
    return head if len(head) == 2 and head.isalpha() else None


ADDRESS_PARTS = ("MailRouting", "FirstAddressLine", "AdditionalAddressLine", "City", "Region", "PostalCode",
                 "Country")


def identifiers_of(lei: str, ra_id: str | None, number: str | None, jurisdiction: str | None
                   ) -> tuple[Identifier, ...]:
    ids = [Identifier("lei", lei, valid=lei_checksum_ok(lei))]
    if number:
        scheme = RA_SCHEMES.get(ra_id or "", (ra_id or "ra_unknown").lower())
        valid = True
        if scheme == "cn_uscc" or (jurisdiction == "CN" and uscc.is_valid(number)):
            scheme, valid = "cn_uscc", uscc.is_valid(number)
        ids.append(Identifier(scheme, number, valid=valid))
    return tuple(ids)
