"""Ownership-claim rules: spaCy Matcher token patterns for the triggers, slot filling per rule.

Each trigger label has one handler that picks owner / owned mentions (see ``slots``) and the
share (see ``shares``). Structural statements ("Y, a unit of X", "X's Y subsidiary") are
facts; transactional ones ("X acquired Y") are dropped when hedged ("offer to acquire").
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from spacy.attrs import LOWER
from spacy.matcher import Matcher
from spacy.tokens import Doc
from spacy.vocab import Vocab

from matching.news.mentions import Mention
from matching.news.possessives import (
    ITS_NOUNS,
    UNIT_NOUNS,
    make_claim,
    mention_before,
    noun_then_name,
    possessives,
)
from matching.news.shares import UNKNOWN, find_share
from matching.news.slots import TIGHT_STOP, Sentence

ACQ_VERBS = ["acquire", "acquires", "acquired", "acquiring", "buy", "buys", "bought", "buying",
             "purchase", "purchases", "purchased", "purchasing"]
SELL_VERBS = ["sell", "sells", "sold", "selling"]
HOLD_VERBS = ["own", "owns", "owned", "holds", "hold", "held"]
# "sell certain assets ... of its Dominion Bridge operations": assets change hands, not a company.
ASSET_GAP = frozenset({"assets", "inventories", "rights", "properties", "property", "operations"})
COMPANY_GAP = frozenset({"business", "stock", "shares", "capital"})
PCT: dict[str, object] = {"LOWER": {"IN": ["pct", "percent", "%"]}}
NUM: dict[str, object] = {"LIKE_NUM": True}
PASSIVE_AUX = frozenset({"be", "is", "was", "were", "been", "being", "are"})

PATTERNS: dict[str, list[list[dict[str, object]]]] = {
    "ACQ": [[{"LOWER": {"IN": ACQ_VERBS}}]],
    "TAKE": [[{"LOWER": {"IN": ["take", "takes", "took", "taking", "taken"]}},
              {"LOWER": {"IN": ["over", "control"]}}],
             [{"LOWER": {"IN": ["take", "takes", "took", "taking", "taken"]}}, {"LOWER": {"IN": ["a", "an"]}},
              {"LIKE_NUM": True, "OP": "?"}, {"LOWER": {"IN": ["pct", "percent", "%"]}, "OP": "?"},
              {"LOWER": {"IN": ["majority", "minority", "controlling"]}, "OP": "?"},
              {"LOWER": {"IN": ["stake", "interest", "holding"]}}, {"LOWER": "in"}]],
    "SELL": [[{"LOWER": {"IN": SELL_VERBS}}]],
    "HOLD": [[{"LOWER": {"IN": HOLD_VERBS}}],
             [{"LOWER": {"IN": ["has", "have", "had"]}}, {"LOWER": {"IN": ["about", "around", "some"]}, "OP": "?"}, NUM, PCT]],
    "STAKE_CHANGE": [[{"LOWER": {"IN": ["raised", "increased", "lifted", "boosted", "lowered", "cut", "reduced", "trimmed"]}},
                      {"LOWER": {"IN": ["its", "their"]}, "OP": "?"},
                      {"LOWER": {"IN": ["combined", "voting", "equity"]}, "OP": "?"},
                      {"LOWER": {"IN": ["stake", "holding", "holdings", "interest"]}}, {"LOWER": "in"}]],
    "STAKE": [[{"LOWER": {"IN": ["with", "for"]}}, {"LOWER": {"IN": ["a", "an", "about", "around", "its"]}, "OP": "?"},
               NUM, PCT, {"LOWER": {"IN": ["stake", "interest", "holding"]}, "OP": "?"}, {"LOWER": {"IN": ["in", "of"]}}]],
    "ACQ_NOUN": [[{"LOWER": {"IN": ["acquisition", "purchase", "takeover", "buyout"]}}, {"LOWER": "of"}]],
    "MERGER": [[{"LOWER": {"IN": ["merger", "merge", "merged", "merging", "merges"]}},
                {"LOWER": "agreement", "OP": "?"}, {"LOWER": "with"}]],
    "UNIT": [[{"LOWER": {"IN": UNIT_NOUNS}}, {"LOWER": {"IN": ["of", "within"]}}]],
    "PART_OF": [[{"TEXT": ","}, {"LOWER": {"IN": ["which", "that"]}, "OP": "?"}, {"LOWER": {"IN": ["is", "was"]}, "OP": "?"},
                 {"LOWER": "part"}, {"LOWER": "of"}]],
    "PARENT": [[{"LOWER": "parent"}, {"LOWER": {"IN": ["of", "for", "company"]}, "OP": "?"}],
               [{"LOWER": "owner"}, {"LOWER": "of"}],
               [{"LOWER": "holding"}, {"LOWER": "company"}, {"LOWER": {"IN": ["of", "for"]}}]],
    "SHAREHOLDER": [[{"LOWER": {"IN": ["shareholder", "stockholder"]}}, {"TEXT": ","}]],
    "X_OWNED": [[{"TEXT": "-"}, {"LOWER": {"IN": ["owned", "controlled"]}}]],
}

Handler = Callable[[Sentence, int, int], None]


def build_matcher(vocab: Vocab) -> Matcher:
    matcher = Matcher(vocab)
    for label, patterns in PATTERNS.items():
        matcher.add(label, patterns)
    return matcher


Match = tuple[int, int, int]
_POSSESSIVE_CUES = frozenset({"'s", "'", "its"})


# Every trigger pattern contains one of these words; sentences without any are not matched.
ANCHORS = frozenset(
    ACQ_VERBS + SELL_VERBS + HOLD_VERBS + UNIT_NOUNS
    + ["take", "takes", "took", "taking", "taken", "has", "have", "had", "raised", "increased", "lifted",
       "boosted", "lowered", "cut", "reduced", "trimmed", "pct", "percent", "%", "acquisition", "purchase",
       "takeover", "buyout", "merger", "merge", "merged", "merging", "merges", "part", "parent", "owner",
       "controlled", "holding", "shareholder", "stockholder"]
)


class Triggers:
    """The trigger Matcher, run only on sentences that contain an anchor word (numpy on hashes)."""

    def __init__(self, vocab: Vocab) -> None:
        self.matcher = build_matcher(vocab)
        self.anchors = np.array([vocab.strings.add(w) for w in ANCHORS], dtype=np.uint64)
        self.cues = np.array([vocab.strings.add(w) for w in _POSSESSIVE_CUES], dtype=np.uint64)
        self.units = np.array([vocab.strings.add(w) for w in ITS_NOUNS | {"parent"}], dtype=np.uint64)

    def by_sentence(self, doc: Doc, strong_starts: list[int]) -> dict[int, tuple[list[Match], bool]]:
        """sentence start -> (trigger matches in doc offsets, worth a possessive scan).

        A possessive scan needs "'s"/"its" and either a unit word ("its Y unit") or two
        legal-form names ("<X>'s <Y> said"); other sentences are skipped before any Python work."""
        lower = doc.to_array([LOWER])
        anchored = np.isin(lower, self.anchors)
        cued = np.isin(lower, self.cues)
        unit = np.isin(lower, self.units)
        strong = np.zeros(len(doc), dtype=bool)
        strong[strong_starts] = True
        out: dict[int, tuple[list[Match], bool]] = {}
        for span in doc.sents:
            s, e = span.start, span.end
            has_anchor = bool(anchored[s:e].any())
            has_cue = bool(cued[s:e].any()) and (bool(unit[s:e].any()) or int(strong[s:e].sum()) >= 2)
            if not (has_anchor or has_cue):
                continue
            matches: list[Match] = []
            if has_anchor:
                matches = [(m, span.start + s, span.start + e) for m, s, e in self.matcher(span, as_spans=False)]
            out[span.start] = (matches, has_cue)
        return out


def apply_rules(doc: Doc, matches: list[Match], sent: Sentence) -> None:
    """Run every trigger in the sentence, then the possessive scan."""
    for match_id, start, end in matches:
        label = doc.vocab.strings[match_id]
        HANDLERS[label](sent, start, end)
    possessives(sent)


def _is_passive(sent: Sentence, start: int, end: int) -> bool:
    before = sent.words(start - 2, start)
    return bool(before) and before[-1] in PASSIVE_AUX or (
        len(before) == 2 and before[0] in PASSIVE_AUX and before[1] in ("wholly", "jointly", "also", "now")
    )


def passive(sent: Sentence, start: int, end: int, polarity: str, rule: str) -> None:
    """"Y, which was purchased by X", "Y, owned 41.9 pct by X", "Y is 78 percent owned by X"."""
    by = next((i for i in range(end, min(end + 8, sent.end)) if sent.doc[i].lower_ == "by"), None)
    if by is None:
        return
    owner = sent.right(by + 1, max_gap=4)
    owned = sent.owner_left(start)
    if owner is None or owned is None:
        return
    share = find_share(sent.window(owned.end, owner.start))
    for o in [owner] + (sent.listed_after(owner)[1:] if polarity == "subsidiary" else []):
        sent.add(make_claim(o, owned, polarity, share, rule, 0.75))


def on_acquire(sent: Sentence, start: int, end: int) -> None:
    if _is_passive(sent, start, end):
        if not sent.hedged(start, end):
            passive(sent, start, end, "acquire", "passive-acquire")
        return
    if sent.hedged(start, end):
        return
    first = sent.right(end, max_gap=10, stop=TIGHT_STOP)
    owner = sent.actor(start, first)
    if owner is None or first is None or _asset_deal(sent, end, first.start):
        return
    share = find_share(sent.window(end, first.start))
    if not share.known:
        share = sent.share_after(first)
    owned_all = sent.listed_after(first)
    for owned in owned_all:
        sent.add(make_claim(owner, owned, "acquire", share, "acquire", 0.7))
    seller = sent.after_word(owned_all[-1].end, ("from",))
    if seller is not None:
        sent.add(make_claim(seller, first, "divest", share, "acquire-from", 0.6))


def on_sell(sent: Sentence, start: int, end: int) -> None:
    if sent.hedged(start, end) or _is_passive(sent, start, end):
        return
    if sent.words(end, end + 1) in (["it"], ["them"]):  # "founded EDS and later sold it to GM"
        owned = sent.owner_left(start)
        buyer = sent.after_word(end + 1, ("to",), max_gap=2)
        if owned is not None and buyer is not None:
            sent.add(make_claim(buyer, owned, "acquire", UNKNOWN, "sell-to", 0.6))
        return
    owned = sent.right(end, max_gap=10, stop=TIGHT_STOP) or _its_named(sent, end)
    seller = sent.actor(start, owned)
    if seller is None or owned is None or _asset_deal(sent, end, owned.start):
        return
    window = sent.window(end, owned.start)
    share = find_share(window) if not {"wholly", "owned"} & {t.lower_ for t in window} else UNKNOWN
    sent.add(make_claim(seller, owned, "divest", share, "sell", 0.65))
    buyer = sent.after_word(owned.end, ("to",), max_gap=6)
    if buyer is not None:
        sent.add(make_claim(buyer, owned, "acquire", share, "sell-to", 0.65))


def _asset_deal(sent: Sentence, start: int, end: int) -> bool:
    gap = set(sent.words(start, end))
    return bool(gap & ASSET_GAP) and not gap & COMPANY_GAP


def _its_named(sent: Sentence, pos: int) -> Mention | None:
    """"sell 10 percent of its fast-growing software subsidiary, VMware"."""
    its = next((i for i in range(pos, min(pos + 5, sent.end)) if sent.doc[i].lower_ == "its"), None)
    return noun_then_name(sent, its + 1) if its is not None else None


def on_hold(sent: Sentence, start: int, end: int) -> None:
    if sent.words(start, start + 1) == ["owned"] and sent.words(start - 1, start) and sent.words(start - 1, start)[0] in (
        "-", "wholly", "privately", "closely", "jointly", "majority", "minority", "state", "government"
    ) and "by" not in sent.words(end, end + 3):
        _wholly_owned(sent, start, end)  # "a wholly-owned subsidiary of", "privately owned X"
        return
    if sent.words(start, start + 1) == ["owned"] and (
        _is_passive(sent, start, end) or "by" in sent.words(end, end + 6) or sent.words(start - 1, start) == [","]
    ):
        passive(sent, start, end, "subsidiary", "owned-by")
        return
    if sent.hedged(start, end, before=3):
        return
    first = sent.right(end, max_gap=8, stop=frozenset({",", "to", "for", "from", "by"}))
    owner = sent.actor(start, first)
    if owner is None or first is None:
        return
    share = find_share(sent.window(start, first.start))
    if sent.doc[start].lower_ in ("hold", "holds", "held") and not (
            share.known or {"stake", "interest", "shares", "holding"} & set(sent.words(end, first.start))):
        return  # "held talks with", "holds 15 franchises": holding, but not of the company
    polarity = "acquire" if share.percent is not None and share.percent <= 50 else "subsidiary"
    for owned in sent.listed_after(first):
        sent.add(make_claim(owner, owned, polarity, share, "hold", 0.7, "holding"))


def _wholly_owned(sent: Sentence, start: int, end: int) -> None:
    """"agreed to sell wholly owned Multi-Step Manufacturing Inc": the subject owns all of it."""
    before = sent.words(start - 2, start)
    if not (before[-1:] in (["wholly"], ["majority"]) or before in (["wholly", "-"], ["majority", "-"])):
        return  # "state-owned", "privately owned": no owner named
    owned = sent.right(end, max_gap=0)
    if owned is None:
        return
    share = find_share(sent.window(start - 3, end))
    sent.add(make_claim(sent.actor(start, owned), owned, "subsidiary", share, "wholly-owned", 0.65))


def on_take(sent: Sentence, start: int, end: int) -> None:
    if _is_passive(sent, start, end):  # "most likely to be taken over (by X)"
        if not sent.hedged(start, end):
            passive(sent, start, end, "acquire", "passive-take")
        return
    if sent.hedged(start, end):
        return
    owned = sent.right(end, max_gap=6, stop=TIGHT_STOP)
    owner = sent.actor(start, owned)
    share = find_share(sent.window(start, owned.start)) if owned else UNKNOWN
    sent.add(make_claim(owner, owned, "acquire", share, "take-stake", 0.7))


def on_stake_change(sent: Sentence, start: int, end: int) -> None:
    owned = sent.right(end, max_gap=1)
    owner = sent.actor(start + 2, owned)
    if owned is None:
        return
    polarity = "divest" if sent.doc[start].lower_ in ("lowered", "cut", "reduced", "trimmed") else "acquire"
    sent.add(make_claim(owner, owned, polarity, sent.share_after(owned), "stake-change", 0.75, "holding"))


def on_stake(sent: Sentence, start: int, end: int) -> None:
    owned = sent.right(end, max_gap=2)
    if owned is None or {"'s", "'"} & set(sent.words(owned.end, owned.end + 2)):
        return  # "40 percent of Saks Inc.'s revenue" is not a stake
    owner = sent.actor(start, owned)
    sent.add(make_claim(owner, owned, "acquire", find_share(sent.window(start, end)), "stake", 0.75, "holding"))


def on_acq_noun(sent: Sentence, start: int, end: int) -> None:
    if sent.hedged(start, end + 1):
        return
    owned = sent.right(end, max_gap=3)
    if owned is None:
        return
    owner = sent.after_word(owned.end, ("by",), max_gap=3) or _possessor(sent, start) or sent.actor(start, owned)
    sent.add(make_claim(owner, owned, "acquire", UNKNOWN, "acquisition-of", 0.65))
    seller = sent.after_word(owned.end, ("from",))
    if seller is not None:
        sent.add(make_claim(seller, owned, "divest", UNKNOWN, "acquisition-from", 0.55))


def _possessor(sent: Sentence, pos: int, reach: int = 6) -> Mention | None:
    """"X's (planned 50.7 billion) acquisition": the mention before the nearest "'s"."""
    for i in range(pos - 1, max(sent.start, pos - reach) - 1, -1):
        if sent.doc[i].text in ("'s", "'"):
            return mention_before(sent, i)
    return None


def on_merger(sent: Sentence, start: int, end: int) -> None:
    if sent.hedged(start, end):
        return
    owned = sent.right(end, max_gap=3)
    owner = sent.actor(start, owned)
    sent.add(make_claim(owner, owned, "acquire", UNKNOWN, "merger", 0.5, "merger"))


def on_unit(sent: Sentence, start: int, end: int) -> None:
    """"Y, a (wholly owned) subsidiary of X", "the Norden defense systems division of X"."""
    owner = sent.right(end, max_gap=4, stop=frozenset({",", "and", "--", ";"}))
    if owner is None:
        return
    owned, between = _unit_owned(sent, start)
    if owned is None:
        return
    polarity = "divest" if "former" in between else "subsidiary"
    share = find_share(sent.window(owned.end, start))
    owners = sent.listed_after(owner) if sent.doc[start].lower_ == "venture" else [owner]
    for o in owners:
        sent.add(make_claim(o, owned, polarity, share, "unit-of", 0.8))


_GAP_OK = frozenset({"a", "an", "the", "another", "its", "wholly", "-", "owned", "majority", "former", "whose"})


def _unit_owned(sent: Sentence, noun: int) -> tuple[Mention | None, list[str]]:
    """Walk left from the unit noun over determiners/adjectives to a comma or a mention."""
    i = noun - 1
    between: list[str] = []
    while i >= max(sent.start, noun - 8):
        tok = sent.doc[i]
        if tok.text == ",":
            return sent.left_adjacent(i, max_gap=6), between
        m = sent.mention_ending(i + 1)
        if m is not None and not (tok.is_title and len(m.text.split()) == 1 and i == noun - 1 and not m.strong
                                  and m.text.lower() not in ("pa",)):
            return m, between
        if m is not None:  # "the Canadian unit of": a one-word adjective, keep walking
            i = m.start - 1
            continue
        if not (tok.is_lower or tok.lower_ in _GAP_OK or tok.like_num or tok.is_title):
            return None, between
        between.append(tok.lower_)
        i -= 1
    return None, between


def on_part_of(sent: Sentence, start: int, end: int) -> None:
    owner = sent.right(end, max_gap=2)
    owned = sent.left_adjacent(start, max_gap=3)
    if owner is not None and owned is not None:
        sent.add(make_claim(owner, owned, "subsidiary", UNKNOWN, "part-of", 0.7))


def on_parent(sent: Sentence, start: int, end: int) -> None:
    """"X, the parent for Y and Z" / "X, owner of the Y chain" / "Y, X's parent"."""
    if sent.words(start - 1, start) in (["'s"], ["'"]):
        owned = sent.mention_ending(start - 1)
        owner = sent.left_adjacent(owned.start - 1, max_gap=1) if owned else None
        sent.add(make_claim(owner, owned, "subsidiary", UNKNOWN, "parent", 0.75))
        return
    owner = sent.left_adjacent(start, max_gap=4)
    first = sent.right(end, max_gap=2)
    if owner is None or first is None:
        return
    for owned in sent.listed_after(first):
        sent.add(make_claim(owner, owned, "subsidiary", UNKNOWN, "parent", 0.75))


def on_shareholder(sent: Sentence, start: int, end: int) -> None:
    """"its major shareholder, <Pratt and Co Financial Services Pty Ltd>" / "X's largest shareholder, Y"."""
    owner = sent.right(end + int(sent.words(end, end + 1) == ["<"]), max_gap=0)
    if owner is None:
        return
    before = sent.words(start - 4, start)
    if "its" in before:
        owned = sent.subject()
    elif "'s" in before:
        owned = mention_before(sent, start - len(before) + before.index("'s"))
    else:
        return
    share = find_share(sent.window(start - 3, start))
    sent.add(make_claim(owner, owned, "acquire", share, "shareholder", 0.6, "holding"))


def on_x_owned(sent: Sentence, start: int, end: int) -> None:
    owner = sent.mention_ending(start)
    owned = sent.right(end, max_gap=0)
    sent.add(make_claim(owner, owned, "subsidiary", UNKNOWN, "x-owned", 0.7))


HANDLERS: dict[str, Handler] = {
    "ACQ": on_acquire,
    "TAKE": on_take,
    "SELL": on_sell,
    "HOLD": on_hold,
    "STAKE_CHANGE": on_stake_change,
    "STAKE": on_stake,
    "ACQ_NOUN": on_acq_noun,
    "MERGER": on_merger,
    "UNIT": on_unit,
    "PART_OF": on_part_of,
    "PARENT": on_parent,
    "SHAREHOLDER": on_shareholder,
    "X_OWNED": on_x_owned,
}
