"""Normal forms: table-driven cases named after quirks seen in real registers."""

from __future__ import annotations

import pytest
import rigour.names as rnames
from hypothesis import given, settings
from hypothesis import strategies as st
from rigour.names import NamePartTag, NameTypeTag, SymbolCategory

from matching.normalize import _SEAT_SEPARATOR, NameForms, _metaphone, normalize
from matching.words import DROP_TAGS, GENERIC_SYMBOLS, ascii_token


@pytest.mark.parametrize(
    ("quirk", "left", "right"),
    [
        ("patstat leading star and dotted N.V.", "* AKZO NOBEL N.V.", "AKZO NOBEL NV"),
        ("spaced legal form", "Akzo Nobel, N. V.", "AKZO NOBEL N.V."),
        ("German legal form spelled out", "Siemens Aktiengesellschaft", "SIEMENS AG"),
        ("GmbH long form", "Volkswagen Gesellschaft mit beschränkter Haftung", "Volkswagen GmbH"),
        ("Spanish S.A. with comma", "Banco Santander, S.A.", "BANCO SANTANDER SA"),
        ("Cyrillic with OOO", "ООО Газпром нефть", "OOO Gazprom Neft"),
        ("Companies House casing (Biffa)", "Biffa Waste Services Ltd,", "BIFFA WASTE SERVICES LIMITED"),
        ("seat after the legal form", "UNILEVER N.V., ROTTERDAM", "Unilever NV"),
        ("traditional vs simplified Han", "騰訊控股有限公司", "腾讯控股有限公司"),
        ("Han with 股份有限公司 vs 有限公司", "中国石油化工股份有限公司", "中国石油化工有限公司"),
        ("pinyin syllable that is also a stopword (di)", "Chuan Di Co., Ltd.", "Chuan Di Limited"),
    ],
)
def test_same_core(quirk: str, left: str, right: str) -> None:
    a, b = normalize(left), normalize(right)
    assert (a.han or a.compact) == (b.han or b.compact), quirk


@pytest.mark.parametrize(
    ("quirk", "text", "initials", "weak", "empty"),
    [
        ("initials with dots", "A.B.C. Ltd", True, False, False),
        ("initials with legal form", "DSM N.V.", True, False, False),
        ("generic words only", "Investment Holding Group Co., Ltd.", False, True, False),
        ("one generic word", "Holding", False, True, False),
        ("legal form only", "LIMITED", False, False, True),
        ("punctuation only", "* ***", False, False, True),
        ("empty", "", False, False, True),
        ("a real name is none of these", "Koninklijke Philips Electronics N.V.", False, False, False),
    ],
)
def test_name_classes(quirk: str, text: str, initials: bool, weak: bool, empty: bool) -> None:
    f = normalize(text)
    assert (f.initials, f.weak, f.empty) == (initials, weak, empty), quirk


def test_descriptors_map_abbreviations_to_one_symbol() -> None:
    assert normalize("Acme Intl Ltd").symbols == normalize("Acme International Ltd").symbols
    assert normalize("Acme Energy Ltd").sibling_of(normalize("Acme Services Ltd"))
    assert not normalize("Acme Ltd").sibling_of(normalize("Acme Services Ltd"))


def test_han_pinyin_matches_latin_transliteration() -> None:
    assert normalize("横店集团控股有限公司").compact == normalize("Hengdian Ji Tuan Kong Gu Co., Ltd.").compact


@pytest.mark.parametrize(
    ("quirk", "han", "latin"),
    [
        ("di is a stopword in Italian", "川第有限公司", "Chuan Di Co., Ltd."),
        ("yu is a stopword and a legal-form word", "於李有限公司", "Yu Li Co., Ltd."),
        ("de is a stopword", "得胜有限公司", "De Sheng Co., Ltd."),
    ],
)
def test_pinyin_keeps_every_syllable(quirk: str, han: str, latin: str) -> None:
    assert normalize(han).compact == normalize(latin).compact, quirk


def test_stopwords_still_leave_ordinary_names() -> None:
    assert normalize("Bank of China Ltd").core == "bank china"


@settings(deadline=None, max_examples=200)
@given(st.text(max_size=40))
def test_any_text_normalises_without_error(text: str) -> None:
    f = normalize(text)
    assert isinstance(f.core, str) and f.core == f.core.strip()


def test_word_level_tagging_agrees_with_whole_name_tagging() -> None:
    """The fast path (legal forms on the whole name, tags per word) against rigour's tagger."""
    from matching import datasets
    from matching.normalize import _latin

    records, _ = datasets.patstat()
    names = sorted({r.name.casefold() for r in records})
    same = sum(_latin(n).compact == latin_tagged(n).compact for n in names)
    assert same / len(names) >= 0.97


def test_fast_pinyin_is_pypinyins_pinyin() -> None:
    import pypinyin

    from matching import seeds
    from matching.normalize import han_pinyin

    han = seeds.load_han()
    names = [han[i : i + k] for k in (1, 2, 3, 4) for i in range(0, len(han) - k, 7)]
    names += ["银行", "重庆长安", "行长"]  # phrases that change a character's reading
    assert all(han_pinyin(n) == " ".join(pypinyin.lazy_pinyin(n)) for n in names)


def latin_tagged(text: str) -> NameForms:
    """The reference: rigour's tagger over the whole name (what ``_latin`` did before it
    tagged per word); slower, kept here only to check the fast path against."""
    analysed = rnames.analyze_names(NameTypeTag.ORG, [text], consolidate=False, phonetics=False)
    if not analysed:
        return NameForms(original=text, key="", core="", tokens=(), distinctive=(), legal_form="")
    name = max(analysed, key=lambda n: len(n.parts))
    generic_parts = {
        p.index for span in name.spans if span.symbol.category in GENERIC_SYMBOLS for p in span.parts
    }
    key_tokens: list[str] = []
    core: list[str] = []
    distinctive: list[str] = []
    legal_at = [p.index for p in name.parts if p.tag == NamePartTag.LEGAL]
    # Register quirk: "UNILEVER N.V., ROTTERDAM", "DSM N.V., TE HEERLEN" - what follows the
    # legal form is the seat, not the name; it stays in ``key`` but leaves the core.
    # Only when a separator marks it off: "DSM IP ASSETS" has the form IP inside the name.
    marked = bool(_SEAT_SEPARATOR.search(text))
    seat_from = legal_at[-1] + 1 if marked and legal_at and legal_at[0] > 0 else len(name.parts)
    for part in name.parts:
        token = ascii_token(part.ascii if part.ascii is not None else part.form)
        if not token:
            continue
        key_tokens.append(token)
        if part.tag in DROP_TAGS or part.index >= seat_from:
            continue
        core.append(token)
        if part.index not in generic_parts:
            distinctive.append(token)
    legal = [s.symbol.id for s in name.spans if s.symbol.category == SymbolCategory.ORG_CLASS]
    symbols = sorted({
        str(s.symbol.id) for s in name.spans
        if s.symbol.category in (SymbolCategory.SYMBOL, SymbolCategory.DOMAIN)
        and all(p.index < seat_from for p in s.parts)
    })
    phonetic = max(distinctive, key=len) if distinctive else ""
    return NameForms(
        original=text,
        key=" ".join(key_tokens),
        core=" ".join(core),
        tokens=tuple(core),
        distinctive=tuple(distinctive),
        legal_form=str(legal[0]).lower() if legal else "",
        phonetic=_metaphone(phonetic),
        symbols=tuple(symbols),
    )
