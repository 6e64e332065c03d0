"""Claims found in news and their translation into graph records (edges of kind news_claim)."""

from __future__ import annotations

from dataclasses import dataclass

from graph.model import Entity, EntityKind, InterestKind, Name, OwnershipEdge, Provenance
from matching.news.names import news_entity_id

NEWS_SOURCE = "news"


@dataclass(frozen=True, slots=True)
class Party:
    """One end of a claim: the text as written and, when the gazetteer linked it, the entity id."""

    text: str
    entity_id: str | None = None
    strong: bool = True  # a company word or markup marked it; weak = a capitalised run only

    @property
    def graph_id(self) -> str:
        return self.entity_id or news_entity_id(self.text)


@dataclass(frozen=True, slots=True)
class Evidence:
    article_id: str
    sentence: str
    sentence_index: int
    url: str = ""
    date: str | None = None  # the article's publication date (ISO)
    file: str = ""
    location: str = ""


@dataclass(frozen=True, slots=True)
class Claim:
    owner: Party
    owned: Party
    polarity: str  # acquire | divest | subsidiary
    share_lo: float
    share_hi: float
    percent: float | None  # the number the text states, if any
    band: str
    rule: str
    confidence: float
    evidence: Evidence
    form: str = ""

    def to_json(self) -> dict[str, object]:
        ev = self.evidence
        row: dict[str, object] = {
            "article_id": ev.article_id, "owner": self.owner.text, "owned": self.owned.text,
            "share_lo": self.share_lo, "share_hi": self.share_hi, "percent": self.percent,
            "band": self.band or None, "polarity": self.polarity, "date": ev.date,
            "sentence": ev.sentence, "confidence": round(self.confidence, 3), "rule": self.rule,
            "url": ev.url,
        }
        if self.owner.entity_id:
            row["owner_id"] = self.owner.entity_id
        if self.owned.entity_id:
            row["owned_id"] = self.owned.entity_id
        return row

    def to_edge(self, run_id: str = "") -> OwnershipEdge:
        """A news_claim edge. Divestments end the interest at the article date."""
        ev = self.evidence
        provenance = Provenance(
            source=NEWS_SOURCE,
            record_id=f"{ev.article_id}#s{ev.sentence_index}:{self.polarity}",
            file=ev.file, location=ev.location, published=ev.date, run_id=run_id,
            confidence=self.confidence,
        )
        attrs = {
            "article_id": ev.article_id, "url": ev.url, "date": ev.date or "",
            "sentence": ev.sentence, "polarity": self.polarity, "rule": self.rule,
            "owner_text": self.owner.text, "owned_text": self.owned.text, "band": self.band,
            "form": self.form,
        }
        return OwnershipEdge(
            owner=self.owner.graph_id, owned=self.owned.graph_id, kind=InterestKind.NEWS_CLAIM,
            provenance=provenance, share_lo=self.share_lo, share_hi=self.share_hi,
            start=ev.date if self.polarity == "acquire" else None,
            end=ev.date if self.polarity == "divest" else None,
            attrs={k: v for k, v in attrs.items() if v},
        )

    def new_entities(self, run_id: str = "") -> list[Entity]:
        """Entity records for the ends the gazetteer did not link (resolution matches them later)."""
        return [
            party_entity(p, self.evidence, run_id)
            for p in (self.owner, self.owned)
            if p.entity_id is None
        ]


def party_entity(party: Party, evidence: Evidence, run_id: str = "") -> Entity:
    return Entity(
        id=party.graph_id,
        kind=EntityKind.COMPANY if party.strong else EntityKind.UNKNOWN,
        name=party.text,
        provenance=Provenance(
            source=NEWS_SOURCE, record_id=evidence.article_id, file=evidence.file,
            location=evidence.location, published=evidence.date, run_id=run_id,
            confidence=0.9 if party.strong else 0.6,
        ),
        names=(Name(value=party.text, kind="other"),),
    )
