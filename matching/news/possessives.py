"""Possessive and appositive ownership: "X's Y unit", "Y, X's former subsidiary",
"its software subsidiary, VMware", "Ultramar's marketing units include <X>"."""

from __future__ import annotations

from matching.news.mentions import Mention
from matching.news.shares import UNKNOWN, Share
from matching.news.slots import RawClaim, Sentence

UNIT_NOUNS = ["subsidiary", "subsidiaries", "unit", "units", "division", "divisions", "arm",
              "brand", "label", "studio", "venture"]
# "its heat transfer equipment business, Southwestern Engineering Co": only after "its".
ITS_NOUNS = frozenset(UNIT_NOUNS) | {"business", "businesses", "operation"}


def make_claim(owner: Mention | None, owned: Mention | None, polarity: str, share: Share,
               rule: str, confidence: float, form: str = "") -> RawClaim | None:
    if owner is None or owned is None:
        return None
    return RawClaim(owner, owned, polarity, share, rule, confidence, form)


def mention_before(sent: Sentence, i: int) -> Mention | None:
    """The mention ending right before token ``i``, across markup ``>`` and a ``<TICKER>``."""
    doc = sent.doc
    j = i
    if j - 1 >= sent.start and doc[j - 1].text == ">":
        m = sent.mention_ending(j - 1)
        if m is not None:
            return m
        k = j - 1
        while k > sent.start and doc[k].text != "<":
            k -= 1
        j = k
    return sent.mention_ending(j)


def possessives(sent: Sentence) -> None:
    """"X's Y unit", "<X>'s <Y> said", "Y, X's former regional subsidiary", "its Y subsidiary"."""
    for i in range(sent.start + 1, sent.end - 1):
        if sent.doc[i].text not in ("'s", "'"):
            continue
        owner = mention_before(sent, i)
        if owner is None:
            continue
        nxt = sent.right(i + 1, max_gap=1)
        if nxt is not None and set(sent.words(i + 1, nxt.start)) <= {"<"}:
            after = [w for w in sent.words(nxt.end, nxt.end + 4) if w != ">"]
            if after and after[0] in UNIT_NOUNS:
                sent.add(make_claim(owner, nxt, "subsidiary", UNKNOWN, "possessive-unit", 0.7))
            elif owner.strong and nxt.strong:
                sent.add(make_claim(owner, nxt, "subsidiary", UNKNOWN, "possessive", 0.6))
            continue
        _possessive_apposition(sent, owner, i)
    _its_unit(sent)


_APPOSITION = frozenset({",", "--", ":", "-"})
_INCLUDE = frozenset({"include", "includes", "including"})  # "Ultramar's marketing units include <X>"


def _possessive_apposition(sent: Sentence, owner: Mention, pos: int) -> None:
    """"Crossair, Swissair's former regional subsidiary" / "Lauder's other divisions -- Aramis"."""
    noun = next((j for j in range(pos + 1, min(pos + 5, sent.end)) if sent.doc[j].lower_ in UNIT_NOUNS), None)
    if noun is None or not all(t.is_lower or t.text == "-" for t in sent.doc[pos + 1 : noun]):
        return
    between = sent.words(pos + 1, noun)
    polarity = "divest" if "former" in between else "subsidiary"
    owned_list: list[Mention] = []
    if sent.words(noun + 1, noun + 2) and sent.words(noun + 1, noun + 2)[0] in _APPOSITION | _INCLUDE:
        markup = sent.words(noun + 2, noun + 3) == ["<"]
        first = sent.right(noun + 2 + int(markup), max_gap=0)
        owned_list = sent.listed_after(first) if first else []
    elif sent.words(owner.start - 1, owner.start) == [","]:
        left = sent.left_adjacent(owner.start - 1, max_gap=0)
        owned_list = [left] if left else []
    for owned in owned_list:
        sent.add(make_claim(owner, owned, polarity, UNKNOWN, "possessive-apposition", 0.65))


def _its_unit(sent: Sentence) -> None:
    """"its fast-growing software subsidiary, VMware", "its Triplett Corp subsidiary",
    "its Aramis, Clinique and Origins divisions", "its Shearson Lehman Brothers Inc"."""
    doc = sent.doc
    for i in range(sent.start, sent.end - 1):
        its = doc[i].lower_ == "its" or (
            doc[i].text == "'s" and doc[i - 1].lower_ == "company" and i >= 2 and doc[i - 2].lower_ in ("the", "its"))
        if not its:
            continue
        owned_list = _owned_after_its(sent, i + 1)
        owner = sent.subject()
        if owner is None or owner.start > i:
            continue
        for owned, confidence in owned_list:
            sent.add(make_claim(owner, owned, "subsidiary", UNKNOWN, "its-unit", confidence))


def _owned_after_its(sent: Sentence, pos: int) -> list[tuple[Mention, float]]:
    markup = sent.words(pos, pos + 1) == ["<"]  # "its <ARC America Corp> unit"
    first = sent.right(pos + int(markup), max_gap=0)
    if first is not None:
        items = sent.listed_after(first)
        after = [w for w in sent.words(items[-1].end, items[-1].end + 5) if w != ">"]
        if any(w in UNIT_NOUNS for w in after[:1]) or (after[:1] == ["of"] and any(w in UNIT_NOUNS for w in after)):
            return [(m, 0.6) for m in items]
        return [(first, 0.5)] if first.strong and len(items) == 1 else []
    named = noun_then_name(sent, pos)
    return [(named, 0.6)] if named is not None else []


def noun_then_name(sent: Sentence, pos: int) -> Mention | None:
    for j in range(pos, min(pos + 5, sent.end)):
        word = sent.doc[j].lower_
        if word in ITS_NOUNS:  # "its subsidiary, VMware" / "its subsidiary United Artists"
            return sent.right(j + 2, max_gap=0) if sent.words(j + 1, j + 2) == [","] else sent.right(j + 1, max_gap=0)
        if not sent.doc[j].is_lower and word != "-":
            return None
    return None
