"""Words of organisation names: ASCII tokens and rigour's reading of each word.

Shared by the normaliser (matching.normalize) and the legal-form table (matching.legal_forms).
"""

from __future__ import annotations

import functools
import re

import rigour.names as rnames
from anyascii import anyascii
from rigour.names import NamePartTag, NameTypeTag, SymbolCategory
from rigour.text import ascii_text

_ASCII_TOKEN = re.compile(r"[a-z0-9]+")
# Tag categories of rigour that name what a company is or does, not which one it is.
GENERIC_SYMBOLS = (
    SymbolCategory.SYMBOL, SymbolCategory.DOMAIN, SymbolCategory.ORG_CLASS, SymbolCategory.LOCATION,
)
DROP_TAGS = (NamePartTag.LEGAL, NamePartTag.STOP)
# Descriptor symbols that say "a company", not what it does ("Corp", "Company").
_NOT_A_LINE = frozenset({"CO", "CORP"})


@functools.lru_cache(maxsize=500_000)
def analyse(word: str) -> tuple[str, bool, bool, str]:
    """One word -> (ascii token, stopword, generic, descriptor symbol)."""
    token = ascii_token(word)
    if not token:
        return "", False, False, ""
    analysed = rnames.analyze_names(NameTypeTag.ORG, [word], consolidate=False, phonetics=False)
    stop = generic = False
    symbols: set[str] = set()
    for name in analysed:
        for part in name.parts:
            stop = stop or part.tag in DROP_TAGS
        for span in name.spans:
            if span.symbol.category in GENERIC_SYMBOLS:
                generic = True
            if span.symbol.category in (SymbolCategory.SYMBOL, SymbolCategory.DOMAIN):
                if str(span.symbol.id) not in _NOT_A_LINE:
                    symbols.add(str(span.symbol.id))
    # rigour can give a word two symbols ("Association": ASSOC and ASSOCIATION) in an order
    # that follows the process's string hashing: the first in sorted order, so every process
    # (each Spark worker, each run) reads the word alike.
    return token, stop, generic, min(symbols, default="")



def ascii_token(token: str) -> str:
    if not token.isascii():
        token = ascii_text(token)
        if not token.isascii():
            token = anyascii(token)
    return "".join(_ASCII_TOKEN.findall(token.lower()))


def word_symbol_or_stop(word: str) -> bool:
    """rigour reads the word as a stopword or a generic word ("Corp", "Holding")."""
    _, stop, generic, _ = analyse(word)
    return stop or generic


