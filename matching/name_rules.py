"""Rules a compliance analyst states about two company names, as code.

- Words that are variants of one word are one word: the same rigour symbol ("Intl" /
  "International", "Telecom" / "Telecommunications"), a short form of it ("Semi" /
  "Semiconductors", "Eng" / "Engineering", "Hldgs" / "Holdings": a prefix, or the first and
  last letters with some between, of at least three letters), or a typo (one edit in a word of
  four to nine letters, two from ten: doubled, dropped, swapped letters).
- Names whose words pair up that way, allowing a space moved or lost between two words
  ("In Org" / "Inorg"), are the same name.
- **Different descriptive word -> different company**: when each name keeps a word the other
  lacks ("X Chemicals International AG" / "X Robotics International GmbH"), they are two
  companies, however alike the rest. A word only one side has ("X Holding" / "X") is not
  enough: a dropped word is an ordinary variant.
- **Different legal form in one jurisdiction -> different company** (matching.legal_forms).
- Han names: the characters left after the common beginning and end differ on both sides
  (海川贸易 / 海川医药) -> different company.

Each rule returns the evidence that decided, in words, so that a refused merge can name it.
"""

from __future__ import annotations

from rapidfuzz import fuzz
from rapidfuzz.distance import OSA

from matching import legal_forms
from matching.normalize import NameForms, pinyin_word

MIN_SHORT_FORM = 3
# Names differing in more words than this are not variants of one name (typos, short forms).
MAX_VARIANT_WORDS = 2
# Left-over words this alike are one word misspelt, not two words ("Elecronics" / "Electrics").
MISSPELT_RATIO = 75.0
# Words this long tolerate two edits ("Quilinfel" / "Quilinhel" are two brands).
TWO_EDITS = 10
# Long words (Dutch and German compounds) tolerate more than two edits, by similarity.
LONG_WORD = 12
LONG_WORD_RATIO = 88.0


def short_form(short: str, long: str) -> bool:
    """``short`` abbreviates ``long``: a prefix ("Pharma"), or the same first and last letter
    with the rest in order ("Intl", "Hldgs", "Mfg")."""
    if len(short) < MIN_SHORT_FORM or len(long) < 2 * len(short) or short[0] != long[0]:
        return False  # (a short form is at most half the word: "Hancor" is not "Hancorqui")
    if long.startswith(short):
        return True
    if short[-1] != long[-1]:
        return False
    rest = iter(long[1:-1])
    return all(ch in rest for ch in short[1:-1])


def typo(a: str, b: str) -> bool:
    """One word misspelt: one edit (transposition included) in four to seven letters, two in
    longer words. Digits must agree ("Fund 3" is not "Fund 4")."""
    shorter = min(len(a), len(b))
    if shorter < 4 or abs(len(a) - len(b)) > 2 or a[0] != b[0] and shorter < 6:
        return False
    if any(c.isdigit() for c in a + b):
        return False
    if shorter >= LONG_WORD:
        return fuzz.ratio(a, b) >= LONG_WORD_RATIO  # "Gloeilampenfabriek" / "Gloelampenfabrieken"
    edits = 2 if shorter >= TWO_EDITS else 1
    return OSA.distance(a, b, score_cutoff=edits) <= edits


def same_word(a: str, b: str, sa: str = "", sb: str = "") -> bool:
    if a == b or (sa and sa == sb):
        return True
    return short_form(a, b) or short_form(b, a) or typo(a, b)


def _unpaired(la: list[tuple[str, str]], lb: list[tuple[str, str]]) -> tuple[list[str], list[str]]:
    """Of the words each name has and the other lacks (``la``, ``lb``: (word, symbol) in
    order), those without a variant in the other; retried after rejoining neighbours split
    apart ("KONIN KLIJKE" / "KONINK LIJKE", "GLOEI-LAMPENFABRIEKEN") when words are left."""
    ua, ub = _pair(list(la), list(lb))
    if ua and ub:
        ua, ub = _pair(_rejoined(la, lb), _rejoined(lb, la))
    if ua and ub and _joined_alike("".join(ua), "".join(ub)):
        return [], []  # a space moved or lost: "in org" / "inorg", "marlow eaviation"
    return ua, ub


def _pair(left: list[tuple[str, str]], right: list[tuple[str, str]]) -> tuple[list[str], list[str]]:
    """Greedy pairing: equal words first, then variants (:func:`same_word`) among the rest."""
    words = [w for w, _ in right]
    rest: list[tuple[str, str]] = []
    for word, symbol in left:
        if word in words:
            k = words.index(word)
            words.pop(k)
            right.pop(k)
        else:
            rest.append((word, symbol))
    if not rest or not right:
        return [w for w, _ in rest], [w for w, _ in right]
    unmatched: list[str] = []
    for word, symbol in rest:
        hit = next((k for k, (w, s) in enumerate(right) if same_word(word, w, symbol, s)), None)
        if hit is None:
            unmatched.append(word)
        else:
            right.pop(hit)
    return unmatched, [w for w, _ in right]


def _rejoined(mine: list[tuple[str, str]], theirs_list: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """``mine`` with runs of single letters joined ("d s m" -> "dsm") and two neighbours
    joined where the join is one of ``theirs`` or the join of two of them."""
    words = [w for w, _ in theirs_list]
    theirs = set(words) | {x + y for x, y in zip(words, words[1:], strict=False)}
    out: list[tuple[str, str]] = []
    for word, symbol in mine:
        if len(word) == 1 and out and out[-1][1] == "\x00":
            out[-1] = (out[-1][0] + word, "\x00")
        else:
            out.append((word, "\x00" if len(word) == 1 else symbol))
    joined: list[tuple[str, str]] = []
    k = 0
    while k < len(out):
        if k + 1 < len(out) and out[k][0] not in theirs:
            both = out[k][0] + out[k + 1][0]
            if both in theirs or any(typo(both, t) for t in theirs if abs(len(t) - len(both)) <= 2):
                joined.append((both, ""))
                k += 2
                continue
        joined.append((out[k][0], "" if out[k][1] == "\x00" else out[k][1]))
        k += 1
    return joined


def _joined_alike(a: str, b: str) -> bool:
    return a == b or typo(a, b)


_UNPAIRED: dict[tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]], tuple[tuple[str, ...], tuple[str, ...]]] = {}


def _latin_words(a: NameForms, b: NameForms) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Words of each name without a counterpart in the other. Only the words one name has
    and the other lacks matter, and those recur across a corpus ("energy" / "capital"): the
    answer is memoised on them."""
    pair = (a.original, b.original)
    done = _BY_NAMES.get(pair)
    if done is not None:
        return done
    done = _latin_words_uncached(a, b)
    if len(_BY_NAMES) < 2_000_000:
        _BY_NAMES[pair] = done
    return done


# the same two names are looked at by the features and by the clustering: once
_BY_NAMES: dict[tuple[str, str], tuple[tuple[str, ...], tuple[str, ...]]] = {}


def _latin_words_uncached(a: NameForms, b: NameForms) -> tuple[tuple[str, ...], tuple[str, ...]]:
    if a.tokens == b.tokens or a.compact == b.compact or a.key.replace(" ", "") == b.key.replace(" ", ""):
        return (), ()  # (the key keeps stopwords: "IN ORG" / "INORG")
    sa = a.word_symbols or ("",) * len(a.tokens)
    sb = b.word_symbols or ("",) * len(b.tokens)
    mine, theirs = set(a.tokens), set(b.tokens)
    la = tuple((w, s) for w, s in zip(a.tokens, sa, strict=True) if w not in theirs)
    lb = tuple((w, s) for w, s in zip(b.tokens, sb, strict=True) if w not in mine)
    if not la or not lb:
        return tuple(w for w, _ in la), tuple(w for w, _ in lb)
    key = (la, lb)
    found = _UNPAIRED.get(key)
    if found is None:
        ua, ub = _unpaired(list(la), list(lb))
        found = (tuple(ua), tuple(ub))
        if len(_UNPAIRED) < 1_000_000:
            _UNPAIRED[key] = found
    return found


def same_words(a: NameForms, b: NameForms) -> bool:
    """Every word of each name pairs with a word of the other (variants allowed)."""
    if a.han or b.han or not a.tokens or not b.tokens:
        return False
    only_a, only_b = set(a.tokens) - set(b.tokens), set(b.tokens) - set(a.tokens)
    if len(only_a) > MAX_VARIANT_WORDS or len(only_b) > MAX_VARIANT_WORDS:
        return False  # (cheap exit) variants touch a word or two, not the whole name
    ua, ub = _latin_words(a, b)
    return not ua and not ub


def different_words(a: NameForms, b: NameForms) -> str | None:
    """Each name keeps a word the other lacks, or one registered name holds one more brand
    word than the other: the evidence, or None."""
    if a.empty or b.empty:
        return None
    if a.han and b.han:
        return _han_difference(a.han, b.han)
    if a.han or b.han:
        return None  # script against transliteration: the name score decides
    if not a.tokens or not b.tokens or (a.tokens[0] != b.tokens[0] and not same_word(a.tokens[0], b.tokens[0])):
        return None  # another first word: a rename or another brand, not a sibling (cheap exit)
    ua, ub = _latin_words(a, b)
    if (ua and not ub) or (ub and not ua):
        return _extra_brand_word(a, b, ua) if ua else _extra_brand_word(b, a, ub)
    if not ua or not ub or not _same_lead(a, b, ua, ub):
        return None  # (another first word: a rename or another brand, not a sibling)
    if fuzz.ratio(" ".join(ua), " ".join(ub)) >= MISSPELT_RATIO:
        return None  # misspelt beyond the typo rule ("Koninkl" / "Koninlijke"): not another word
    if not (all(map(pinyin_word, a.tokens)) or all(map(pinyin_word, b.tokens))):
        # (a pinyin name against an English one is a translation, not another word:
        # "Shengshi Maoyi" / "Shengshi Trading"; "Media" alone also reads as pinyin)
        return f"different descriptive word ({' '.join(ua)} / {' '.join(ub)})"
    return None


def _extra_brand_word(longer: NameForms, shorter: NameForms, extra: tuple[str, ...]) -> str | None:
    """One name is the other with one more distinctive word inside it (after the shared
    first word, before the last), not a generic word nor one that says what the company
    does: another company of the brand ("Mesquite Marlowe Aviation GmbH" / "Mesquite Aviation
    GmbH"). Registered names only, each with its legal form: a site or trading name adds
    words freely ("Catholic Charities of the Archdiocese of Chicago - St. Joseph"). A last
    word may be a legal form the normaliser did not read ("DAC", "Limiited")."""
    if not (longer.legal_code and shorter.legal_code) or len(extra) != 1:
        return None
    word = extra[0]
    if word not in longer.tokens[1:-1] or word not in longer.distinctive or len(word) < 3 or pinyin_word(word):
        return None
    symbols = dict(zip(longer.tokens, longer.word_symbols or ("",) * len(longer.tokens), strict=True))
    return None if symbols.get(word) else f"a distinctive word only one name has ({word})"


def _same_lead(a: NameForms, b: NameForms, ua: tuple[str, ...], ub: tuple[str, ...]) -> bool:
    """Both names start with the same word (up to a variant): siblings share the brand."""
    return bool(a.tokens and b.tokens) and a.tokens[0] not in ua and b.tokens[0] not in ub


def _han_difference(a: str, b: str) -> str | None:
    start = 0
    while start < min(len(a), len(b)) and a[start] == b[start]:
        start += 1
    end = 0
    while end < min(len(a), len(b)) - start and a[-1 - end] == b[-1 - end]:
        end += 1
    ra, rb = a[start : len(a) - end], b[start : len(b) - end]
    if ra and rb:
        return f"different descriptive word ({ra} / {rb})"
    return None


def different_forms(a: NameForms, b: NameForms, countries: frozenset[str] = frozenset()) -> str | None:
    """Different legal forms in one jurisdiction: the evidence, or None."""
    if legal_forms.compare(a.legal_code, b.legal_code, countries) == 0.0:
        return f"different legal form ({a.legal_code} / {b.legal_code})"
    return None


def apart(a: NameForms, b: NameForms, countries: frozenset[str] = frozenset()) -> str | None:
    """Strong evidence that two names are two companies, in words, or None."""
    return different_words(a, b) or different_forms(a, b, countries)


def word_rules_apply(a: NameForms, b: NameForms, fuzzy: float | None, score: float | None) -> bool:
    """Whether :func:`word_level` looks at the pair (the batch applies the same gates as
    arrays): alike enough as strings, below "partial", about as many words, the same first
    letter, at most two words of each name without an equal word in the other."""
    if fuzzy is None or score is None or fuzzy < WORD_RULES_MIN_FUZZY or not 0.4 <= score < WORD_RULES_BELOW:
        return False
    if abs(len(a.tokens) - len(b.tokens)) > 1 or a.compact[:1] != b.compact[:1]:
        return False
    if len(a.tokens) == len(b.tokens) and sorted(t[:1] for t in a.tokens) != sorted(t[:1] for t in b.tokens):
        return False  # variants of a word start with its letter
    ta, tb = set(a.tokens), set(b.tokens)
    return len(ta - tb) <= MAX_VARIANT_WORDS and len(tb - ta) <= MAX_VARIANT_WORDS


def word_level(a: NameForms, b: NameForms, score: float | None) -> float | None:
    """The name score after the word rules: names whose words all pair up (short forms,
    typos, a moved space) are a strong match. (Names that each keep a word of their own are
    kept apart by the clustering's coherence rule, not by a lower score: the score stays the
    string evidence, which is what the model is trained on.)"""
    if score is None or score >= 1.0 or a.initials or b.initials or a.weak or b.weak:
        return score
    if score < WORD_RULES_BELOW and (same_words(a, b) or dropped_descriptor(a, b)):
        return 0.95
    return score


def dropped_descriptor(a: NameForms, b: NameForms) -> bool:
    """One name is the other without one word that says what the company does (a rigour
    descriptor: "Rawes Kasta Shipping AG" / "Rawes Kasta AG"), and at least two words pair.
    Only a descriptor: "Dragon Peak Technology Singapore" is not "Dragon Peak Technologies"."""
    if a.han or b.han or abs(len(a.tokens) - len(b.tokens)) != 1:
        return False
    longer, shorter = (a, b) if len(a.tokens) > len(b.tokens) else (b, a)
    if len(shorter.tokens) < 2:
        return False
    ul, us = _latin_words(longer, shorter)
    if us or len(ul) != 1:
        return False
    symbols = dict(zip(longer.tokens, longer.word_symbols or ("",) * len(longer.tokens), strict=True))
    return bool(symbols.get(ul[0]))


# Pairs below this string similarity are not looked at word by word (cost; none pair up);
# nor pairs already scored "partial" or better, which may merge as they are.
WORD_RULES_MIN_FUZZY = 0.65
WORD_RULES_BELOW = 0.95
