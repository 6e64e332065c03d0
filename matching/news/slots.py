"""Slot filling around an ownership trigger: which mention is the owner, which the owned.

Without a parser the rules lean on newswire word order: the owner is the nearest organisation
to the left of an active trigger ("X said it acquired ..."), the owned the first one after it
(skipping "a 15 pct stake in", "all of the stock of"), and passives swap the two via "by".
"""

from __future__ import annotations

from dataclasses import dataclass, field

from spacy.tokens import Doc, Span

from matching.news.mentions import Mention
from matching.news.names import normalise_name
from matching.news.shares import UNKNOWN, Share, find_share

# Words that make an acquisition a wish rather than a fact: offers, bids, rumours, refusals.
HEDGES = frozenset(
    """offer offers offered offering bid bids bidding proposal proposals propose proposes proposed
    rumor rumors rumored rumour rumours rumoured speculation considering consider considers
    seeking seek seeks sought interested rejected reject rejects talks negotiating negotiate
    negotiations may might could not n't never trying try tries attempt attempting possible
    possibility explore exploring whether if""".split()
)
_STOP_SLOT = frozenset({"said", "says", ";", "say", "while", "but"})
# An acquired company follows its verb closely; these end the search ("sold X to Y").
TIGHT_STOP = frozenset({",", "to", "for", "from", "with", "by"})
# Owned "companies" that are physical assets (the labelled set's convention: not organisations).
ASSET_WORDS = frozenset({"hotel", "casino", "building", "tower", "plant", "refinery", "mine", "property", "mall", "stadium"})
_PRONOUNS = frozenset({"it", "its", "they", "their", "itself"})
_SAY = frozenset({"said", "says", "told", "announced", "reported", "added"})
# A subject is never inside a prepositional phrase ("In a filing with the Securities and ...").
_PREPOSITIONS = frozenset({"with", "to", "from", "by", "in", "at", "for", "of", "on", "under", "against"})
_SUBJECT_PRONOUNS = frozenset({"they", "it", "he", "she", "we"})
# People who act for a company: "a senior official of Drexel ... acquired" is not Drexel.
_ROLES = frozenset({"official", "officials", "executive", "spokesman", "chairman", "president", "director",
                    "employee", "management", "managers"})


def same_name(a: Mention, b: Mention) -> bool:
    """"Penn Traffic Co" and "Penn Traffic" are one company; "Nestle SA" and "Nestle Enterprises" not."""
    return normalise_name(a.text) == normalise_name(b.text)


@dataclass(frozen=True, slots=True)
class RawClaim:
    owner: Mention
    owned: Mention
    polarity: str  # acquire | divest | subsidiary
    share: Share
    rule: str
    confidence: float
    form: str = ""  # "merger", "holding", ... (kept in the edge attrs)


@dataclass
class Sentence:
    doc: Doc
    span: Span
    mentions: list[Mention]
    claims: list[RawClaim] = field(default_factory=list)

    @property
    def start(self) -> int:
        return self.span.start

    @property
    def end(self) -> int:
        return self.span.end

    def words(self, start: int, end: int) -> list[str]:
        return [t.lower_ for t in self.doc[max(start, self.start) : min(end, self.end)]]

    def window(self, start: int, end: int) -> Span:
        return self.doc[max(start, self.start) : max(min(end, self.end), max(start, self.start))]

    def hedged(self, trigger_start: int, trigger_end: int, before: int = 8) -> bool:
        return any(w in HEDGES for w in self.words(trigger_start - before, trigger_end))

    def add(self, claim: RawClaim | None) -> None:
        if claim is None or claim.owner.start == claim.owned.start:
            return
        if same_name(claim.owner, claim.owned):
            return
        if claim.owner.entity_id is not None and claim.owner.entity_id == claim.owned.entity_id:
            return  # both ends linked to one entity: not a relation
        if claim.owned.text.split()[-1].lower() in ASSET_WORDS:
            return
        self.claims.append(claim)

    # ------------------------------------------------------------ finding mentions

    def mention_at(self, i: int) -> Mention | None:
        return next((m for m in self.mentions if m.start == i), None)

    def mention_ending(self, i: int) -> Mention | None:
        return next((m for m in self.mentions if m.end == i), None)

    def before(self, m: Mention) -> str:
        """The word before a mention, looking through Reuters markup "<" and articles."""
        i = m.start - 1
        while i > self.start and self.doc[i].lower_ in ("<", "(", "the", "a", "an"):
            i -= 1
        return self.doc[i].lower_ if i >= self.start else ""

    def in_role(self, m: Mention) -> bool:
        """"a senior official of Drexel", "the management of RMJ Securities"."""
        return self.before(m) == "of" and any(w in _ROLES for w in self.words(m.start - 5, m.start))

    def owner_left(self, pos: int, owned: Mention | None = None) -> Mention | None:
        """Nearest organisation before ``pos`` that can be the actor.

        Skipped: the owned company itself, someone's employer ("an official of Drexel"), a
        counterparty ("agreement with Cronus to acquire") and an addressee ("told the SEC they").
        """
        for m in reversed([m for m in self.mentions if m.end <= pos]):
            if owned is not None and same_name(m, owned):
                continue
            if self.in_role(m) or self.before(m) == "with":
                continue
            nxt = self.words(m.end, m.end + 1)
            if nxt and nxt[0] in _SUBJECT_PRONOUNS:
                continue
            return m
        return None

    def subject(self) -> Mention | None:
        """The sentence's subject in newswire style: the organisation before "said" (a legal-form
        name first, through "X's Y"), else the first organisation of the sentence."""
        say = next((i for i in range(self.start, self.end) if self.doc[i].lower_ in _SAY), None)
        before = [
            m for m in self.mentions
            if (say is None or m.end <= say) and not self.in_role(m) and self.before(m) not in _PREPOSITIONS
        ]
        if not before:
            return None
        first = next((m for m in before if m.strong), before[0]) if say is not None else before[0]
        return self.through_possessive(first)

    def actor(self, trigger_start: int, owned: Mention | None = None) -> Mention | None:
        """Owner of an active trigger: the subject when a pronoun stands for it ("said it acquired")."""
        if _PRONOUNS & set(self.words(trigger_start - 8, trigger_start)):
            subj = self.subject()
            if subj is not None and subj.end <= trigger_start and (owned is None or not same_name(subj, owned)):
                return subj
        return self.owner_left(trigger_start, owned)

    def right(self, pos: int, max_gap: int = 10, stop: frozenset[str] = frozenset()) -> Mention | None:
        """First organisation starting at or after ``pos`` within ``max_gap`` tokens."""
        for m in self.mentions:
            if m.start < pos:
                continue
            gap = self.words(pos, m.start)
            stops = [w for k, w in enumerate(gap) if w in _STOP_SLOT or (w in stop and not (w == "to" and gap[k - 1 : k] == ["up"]))]
            if m.start - pos > max_gap or stops:
                return None
            return self.through_possessive(m)
        return None

    def through_possessive(self, m: Mention) -> Mention:
        """"Johnson and Johnson Co's Pitman-Moore unit": the possessed name is the object."""
        if self.words(m.end, m.end + 1) in (["'s"], ["'"]):
            nxt = next((x for x in self.mentions if x.start == m.end + 1), None)
            if nxt is not None:
                return nxt
        return m

    def left_adjacent(self, pos: int, max_gap: int = 2) -> Mention | None:
        for m in reversed([m for m in self.mentions if m.end <= pos]):
            return m if pos - m.end <= max_gap else None
        return None

    def after_word(self, m_end: int, words: tuple[str, ...], max_gap: int = 4) -> Mention | None:
        """A mention right after one of ``words`` that follows ``m_end`` closely ("... from X")."""
        for i in range(m_end, min(m_end + max_gap, self.end)):
            if self.doc[i].lower_ in words:
                return self.right(i + 1, max_gap=2)
        return None

    def listed_after(self, first: Mention) -> list[Mention]:
        """``first`` plus the mentions joined to it by ",", "and", "as well as", "the"."""
        items = [first]
        glue = {",", "and", "the", "as", "well", "&"}
        while True:
            nxt = next((m for m in self.mentions if m.start >= items[-1].end), None)
            if nxt is None:
                return items
            between = self.words(items[-1].end, nxt.start)
            if not between or len(between) > 4 or not set(between) <= glue:
                return items
            items.append(nxt)

    def share_after(self, owned: Mention) -> Share:
        """", or 9.4 pct" / "to 816,000 shares, or 11.3 pct" right after the owned company."""
        stop = self.end
        for i in range(owned.end, self.end):
            if self.doc[i].lower_ in ("from", "said", ";"):
                stop = i
                break
        window = self.window(owned.end, min(stop, owned.end + 12))
        words = [t.lower_ for t in window]
        if "or" in words or "to" in words[:2]:
            return find_share(window)
        return UNKNOWN
