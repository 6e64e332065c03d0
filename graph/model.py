"""The data model shared by ingesters, resolution, the store and the control engine.

Plain frozen dataclasses: parsers yield them, adapters persist them, nothing here does I/O.
Entities are stored per source record (``id`` is stable across runs because it derives from
the source's own identifier); resolution assigns ``canonical_id`` so that merges and splits
never destroy what a source said.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

# Every id and edge key is stored in a unique index. FalkorDB 4.16 crashes (the whole
# server) on an indexed value of ~5,000 characters, one holding a NUL, or one that is empty
# or has surrounding whitespace; these limits hold for every backend and every caller.
MAX_ID_LENGTH = 1024
MAX_KEY_LENGTH = 3500  # edge keys join source, record id and both endpoint ids


def id_problem(value: str, what: str, limit: int = MAX_ID_LENGTH) -> str | None:
    """Why an id or key cannot be stored (a reason naming ``what``), or None."""
    if not value or value != value.strip():
        return f"{what} {value!r} is empty or has surrounding whitespace"
    if len(value) > limit:
        return f"{what} is {len(value)} characters long (limit {limit})"
    if "\x00" in value:
        return f"{what} {value[:80]!r} holds a NUL character"
    return None


class EntityKind(StrEnum):
    COMPANY = "company"
    PERSON = "person"
    STATE_BODY = "state_body"
    PUBLIC_BODY = "public_body"
    FUND = "fund"
    UNKNOWN = "unknown"


class InterestKind(StrEnum):
    """What an ownership edge says the owner holds in the owned entity."""

    SHAREHOLDING = "shareholding"
    VOTING_RIGHTS = "voting_rights"
    BOARD_APPOINTMENT = "board_appointment"
    # Full control without (or beyond) equity: VIE agreements, nominee arrangements.
    CONTRACTUAL_CONTROL = "contractual_control"
    # GLEIF IS_DIRECTLY_CONSOLIDATED_BY: the owner consolidates the owned in its accounts.
    CONSOLIDATION_PARENT = "consolidation_parent"
    # GLEIF IS_ULTIMATELY_CONSOLIDATED_BY: a derived fact, never a link in a chain.
    ULTIMATE_CONSOLIDATION_PARENT = "ultimate_consolidation_parent"
    SIGNIFICANT_INFLUENCE = "significant_influence"
    FUND_MANAGEMENT = "fund_management"
    UMBRELLA_FUND = "umbrella_fund"
    FEEDER_FUND = "feeder_fund"
    NEWS_CLAIM = "news_claim"
    OTHER = "other"
    # GLEIF IS_INTERNATIONAL_BRANCH_OF: owner = the head office. A branch is no separate
    # legal person: it is the head office abroad, so every policy treats it as full control.
    # (Appended last: stored edge copies keep the codes of the kinds before it.)
    BRANCH = "branch"


# Flag of an owner a source says exists but does not identify (BODS unspecified or unknown
# parties, an owner marked unknown): the control engine's explicit unknowns.
UNKNOWN_PARTY_FLAG = "unknown_party"

# Kinds that, when held by a restricted entity, give control regardless of share.
FULL_CONTROL_KINDS: frozenset[InterestKind] = frozenset(
    {InterestKind.CONTRACTUAL_CONTROL, InterestKind.CONSOLIDATION_PARENT}
)


@dataclass(frozen=True, slots=True)
class Provenance:
    """Where a fact came from; carried on every entity and edge, never dropped."""

    source: str  # e.g. "gleif", "bods", "psc", "ftm", "csv", "news"
    record_id: str  # the source's own id for the record that stated the fact
    file: str = ""
    location: str = ""  # line number, byte offset or JSON path inside the file
    published: str | None = None  # ISO date the publisher gives for the record/file
    retrieved: str | None = None  # ISO timestamp we read it
    run_id: str = ""
    confidence: float = 1.0


@dataclass(frozen=True, slots=True)
class Name:
    value: str
    lang: str | None = None
    script: str | None = None  # ISO 15924, e.g. "Hans", "Hant", "Latn"
    kind: str = "legal"  # legal | other | transliterated | trading | previous


@dataclass(frozen=True, slots=True)
class Identifier:
    scheme: str  # "lei", "cn_uscc", "gb_crn", "ru_inn", ... lower-case
    value: str
    valid: bool = True  # False: kept as text, flagged, never used to merge


@dataclass(frozen=True, slots=True)
class Address:
    kind: str  # "legal" | "headquarters" | "other"
    text: str
    country: str | None = None  # ISO 3166-1 alpha-2


@dataclass(frozen=True, slots=True)
class ReportingException:
    """A declared reason why an owner is not reported (GLEIF RR exceptions, PSC statements)."""

    category: str  # e.g. "DIRECT_ACCOUNTING_CONSOLIDATION_PARENT"
    reason: str  # e.g. "NATURAL_PERSONS", "NON_CONSOLIDATING", "NO_KNOWN_PERSON"


@dataclass(frozen=True, slots=True)
class Entity:
    id: str
    kind: EntityKind
    name: str
    provenance: Provenance
    names: tuple[Name, ...] = ()
    jurisdiction: str | None = None  # incorporation, ISO alpha-2 (subdivision kept in attrs)
    hq_country: str | None = None
    nationality: str | None = None
    residence: str | None = None
    identifiers: tuple[Identifier, ...] = ()
    addresses: tuple[Address, ...] = ()
    dissolved: str | None = None  # ISO date
    flags: frozenset[str] = frozenset()  # "state_owned", "listed", "sanctioned", ...
    reporting_exceptions: tuple[ReportingException, ...] = ()
    canonical_id: str | None = None  # set by resolution; None means itself


@dataclass(frozen=True, slots=True)
class OwnershipEdge:
    """owner -> owned. Shares are fractions; unknown is [0, 1]; exact values have lo == hi."""

    owner: str
    owned: str
    kind: InterestKind
    provenance: Provenance
    share_lo: float = 0.0
    share_hi: float = 1.0
    start: str | None = None  # ISO date; None = open
    end: str | None = None  # ISO date; None = still in force
    attrs: dict[str, str] = field(default_factory=dict, hash=False, compare=False)
    # Earlier values of this statement, newest first, as a JSON list. None on a write keeps
    # what the store holds: history is only ever extended by the ingest that saw a change.
    history: str | None = field(default=None, hash=False, compare=False)

    @property
    def key(self) -> str:
        """Stable identity of the statement, used for idempotent upserts."""
        p = self.provenance
        return f"{p.source}|{p.record_id}|{self.owner}|{self.owned}|{self.kind.value}"

    @property
    def is_news_claim(self) -> bool:
        return self.kind is InterestKind.NEWS_CLAIM


class Decision(StrEnum):
    SAME = "same"
    NOT_SAME = "not_same"
    UNSURE = "unsure"


@dataclass(frozen=True, slots=True)
class Judgement:
    """A human (or rule) decision about two entity ids; judgements persist and win."""

    left: str
    right: str
    decision: Decision
    user: str
    at: str  # ISO timestamp
    reason: str = ""


@dataclass(frozen=True, slots=True)
class MatchCandidate:
    """A scored pair from resolution: merged (>= auto threshold) or queued for review."""

    left: str
    right: str
    probability: float
    explanation: str  # JSON: features with score, weight and detail
    status: str = "review"  # "merged" | "review"
