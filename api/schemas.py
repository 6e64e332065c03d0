"""Request and response bodies of the HTTP API (and of ``ownergraph screen --json``)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Verdict = Literal["BLOCK", "REVIEW", "ALLOW", "INSUFFICIENT_DATA", "NO_MATCH"]
SCHEME_PATTERN = r"^[a-z][a-z0-9_]{0,31}$"


class ScreenRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [
            {"name": "Dragon Peak Technology Singapore Pte Ltd", "country": "SG",
             "policy": "cn-majority"},
            {"identifiers": {"lei": "5493001KJTIIGC8Y1R12"}, "policy": "us-treasury-50"},
        ]},
    )
    name: str | None = Field(None, min_length=1, max_length=400, description="organisation name, any script")
    country: str | None = Field(None, pattern=r"^[A-Za-z]{2}$", description="ISO 3166-1 alpha-2")
    identifiers: dict[str, str] | None = Field(
        None, max_length=16, description="scheme -> value, e.g. {\"lei\": …, \"gb_crn\": …, \"cn_uscc\": …}")
    address: str | None = Field(None, max_length=1000)
    policy: str | None = Field(None, max_length=64, description="defaults to the first configured policy")
    as_of: dt.date | None = Field(None, description="evaluate ownership in force on this date")
    threshold: float | None = Field(
        None, ge=0.0, le=1.0, description="match probability a name match needs (never below the floor, 0.5)")
    top_k: int = Field(5, ge=1, le=20, description="candidates listed with their probability and explanation")

    @model_validator(mode="after")
    def _something_to_match(self) -> ScreenRequest:
        ids = {k: v for k, v in (self.identifiers or {}).items() if v.strip()}
        if not (self.name and self.name.strip()) and not ids:
            raise ValueError("give a name or at least one identifier")
        for scheme, value in (self.identifiers or {}).items():
            if not _valid_scheme(scheme) or len(value) > 64:
                raise ValueError(f"identifiers.{scheme[:40]}: scheme must match {SCHEME_PATTERN} "
                                 "and value be at most 64 characters")
        return self


def _valid_scheme(scheme: str) -> bool:
    """A scheme as we name it, or as a register does (``GB-COH``, ``XI-LEI``): our name."""
    import re

    from matching.identifiers import scheme_name

    return re.fullmatch(SCHEME_PATTERN, scheme_name(scheme)) is not None


class EntityBrief(BaseModel):
    id: str
    name: str
    jurisdiction: str | None = None
    hq_country: str | None = None


class Match(BaseModel):
    probability: float
    features: dict[str, Any]


class Exposure(BaseModel):
    lo: float
    hi: float


class EvidenceEdge(BaseModel):
    owner: str
    owner_name: str
    owned: str
    owned_name: str
    kind: str
    share_lo: float
    share_hi: float
    start: str | None = None
    end: str | None = None
    confidence: float
    key: str
    provenance: dict[str, Any]


class EvidencePath(BaseModel):
    edges: list[EvidenceEdge]


class ScreenResponse(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "verdict": "BLOCK", "policy": "cn-majority",
        "entity": {"id": "gleif:5493001KJTIIGC8Y1R12", "name": "Dragon Peak Technology (Singapore) Pte. Ltd.",
                   "jurisdiction": "SG", "hq_country": "SG"},
        "match": {"probability": 1.0, "features": {"name": 1.0, "country": "match"}},
        "exposure": {"lo": 1.0, "hi": 1.0}, "ultimate_controllers": [], "evidence": [],
        "generation": "3f2a9c0d1e2b4a5c", "data_as_of": "2025-06-30"}]})
    verdict: Verdict
    policy: str
    entity: EntityBrief | None = None
    match: Match | None = None
    exposure: Exposure | None = None
    ultimate_controllers: list[EntityBrief] = []
    evidence: list[EvidencePath] = []
    generation: str
    data_as_of: str | None = None


class BatchItem(ScreenRequest):
    """One item of a batch: a screen request and the caller's own reference for it, given
    back on its answer line (or its error line)."""

    ref: str | None = Field(None, max_length=200, description="the caller's id for this item")


class SearchHit(BaseModel):
    id: str
    name: str
    matched_name: str
    jurisdiction: str | None = None
    score: float


class SearchResponse(BaseModel):
    query: str
    results: list[SearchHit]
    generation: str


class EntityDetail(BaseModel):
    id: str
    name: str
    kind: str
    jurisdiction: str | None = None
    hq_country: str | None = None
    names: list[str]
    identifiers: list[dict[str, str]]
    members: list[str]
    addresses: list[str]
    flags: list[str]
    verdicts: dict[str, dict[str, Any]]
    generation: str


class EdgeList(BaseModel):
    entity: str
    edges: list[dict[str, Any]]


class PathList(BaseModel):
    source: str
    target: str
    paths: list[list[dict[str, Any]]]


class CypherRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"query": "MATCH (o:Entity)-[r:OWNS]->(e:Entity {id: $id}) RETURN o.id, r.share_lo LIMIT 10",
         "parameters": {"id": "gleif:5493001KJTIIGC8Y1R12"}}]})
    query: str = Field(..., min_length=1, max_length=20_000)
    parameters: dict[str, Any] = Field(default_factory=dict, max_length=64)
    row_cap: int | None = Field(None, gt=0)
    timeout_ms: int | None = Field(None, gt=0)


class CypherResponse(BaseModel):
    columns: list[str]
    rows: list[list[Any]]
    truncated: bool


class JudgementRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    left: str = Field(..., min_length=1, max_length=200)
    right: str = Field(..., min_length=1, max_length=200)
    decision: Literal["same", "not_same", "unsure"]
    reason: str = Field("", max_length=2000)


class IngestRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    format: Literal["gleif", "bods", "psc", "ftm", "csv"]
    paths: list[str] = Field(..., min_length=1, max_length=100)
    resolve: bool = True
    compute: bool = True


class RunInfo(BaseModel):
    id: str
    state: str
    started: str
    finished: str | None = None
    detail: dict[str, Any] = {}


class Problem(BaseModel):
    """Every error answer: a code, a message, and the offending field when there is one."""

    code: str
    message: str
    field: str | None = None
    details: dict[str, Any] = {}
