"""Name normalisation for news mentions: ids for unlinked organisations and name comparison."""

from __future__ import annotations

import re
from functools import lru_cache

from normality import normalize
from rigour.names import remove_org_types

# Legal-form words rigour does not strip on its own (it covers ltd, inc, plc, ag, sa, nv, ...).
_EXTRA_FORMS = frozenset({"corp", "corporation", "co", "company", "cos", "kk", "inc", "incorporated"})
_LEADING = frozenset({"the"})
MAX_NAME_CHARS = 200


@lru_cache(maxsize=65536)
def _name_tokens(name: str) -> tuple[str, ...]:
    return tuple(name_tokens_uncached(name))


def name_tokens(name: str) -> list[str]:
    return list(_name_tokens(name))


def name_tokens_uncached(name: str) -> list[str]:
    """Lower-case ASCII tokens without markup, possessives, articles or legal forms."""
    text = re.sub(r"<[A-Z0-9.]{1,10}>", " ", name)  # Reuters tickers like <BAC.N>
    text = text.replace("<", " ").replace(">", " ")
    text = re.sub(r"\s*'s?\b|\u2019s?\b", " ", text)
    flat = normalize(text, lowercase=True, ascii=True) or ""
    flat = remove_org_types(flat)
    tokens = [t for t in flat.split() if t not in _EXTRA_FORMS]
    while tokens and tokens[0] in _LEADING:
        tokens = tokens[1:]
    return tokens


@lru_cache(maxsize=65536)
def normalise_name(name: str) -> str:
    return " ".join(name_tokens(name))


def news_entity_id(name: str) -> str:
    """Stable id for an organisation only known from news: ``news:<normalised name>``."""
    # Ids are indexed by the store; a run-on "name" must not become a kilobyte-long key.
    return "news:" + (normalise_name(name).replace(" ", "-")[:MAX_NAME_CHARS] or "unnamed")


def names_match(left: str, right: str) -> bool:
    """Normalised containment: one name's tokens appear as a contiguous run in the other's."""
    a, b = name_tokens(left), name_tokens(right)
    if not a or not b:
        return False
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    n = len(short)
    return any(long_[i : i + n] == short for i in range(len(long_) - n + 1))
