"""Countries named in registers' free text ("England & Wales", "People's Republic Of China",
"Hong Kong Companies Ordinance") -> ISO 3166-1 alpha-2, with countrynames and pycountry."""

from __future__ import annotations

import functools
import re
from typing import Any

import countrynames
import pycountry

_WORD = re.compile(r"[^\W\d_][\w'.&]*")
# Short names registers use besides ISO's own names (pycountry's name, official and common
# names are read as they are).
_COUNTRY_ALIASES = {
    "prc": "CN", "p.r.c.": "CN", "p.r. china": "CN", "mainland china": "CN", "usa": "US",
    "u.s.a.": "US", "united states": "US", "uk": "GB", "u.k.": "GB", "great britain": "GB",
    "england": "GB", "scotland": "GB", "wales": "GB", "northern ireland": "GB",
    "hong kong": "HK", "macau": "MO", "macao": "MO", "taiwan": "TW", "russia": "RU",
}


def country_code(value: Any) -> str | None:
    """A country's name or code as ``countrynames`` reads it ("England" -> GB)."""
    if not value:
        return None
    code = countrynames.to_code(str(value))
    return code[:2] if code else None


@functools.cache
def _country_names() -> dict[str, str]:
    names = dict(_COUNTRY_ALIASES)
    for c in pycountry.countries:
        for attr in ("name", "official_name", "common_name"):
            value = getattr(c, attr, None)
            if value:
                names.setdefault(value.lower(), c.alpha_2)
    return names


def country_named_in(text: str) -> str | None:
    """The country a free-text register field names ("Company Law Of The People's Republic
    Of China", "Minnesota, Usa", "Hong Kong Companies Ordinance"): the whole text or one of
    its comma-separated parts as ``countrynames`` reads them, else the longest run of up to
    four words that is a country's name (leftmost first). Short words ("By", "Ag") are never
    read as codes."""
    for part in (text, *re.split(r"[,;()]", text)):
        part = part.strip()
        if len(part) >= 3:
            code = country_code(part)
            if code:
                return code
    words = [w.lower() for w in _WORD.findall(text)]
    names = _country_names()
    for size in range(min(4, len(words)), 0, -1):
        for start in range(len(words) - size + 1):
            code = names.get(" ".join(words[start:start + size]))
            if code:
                return code
    return None
