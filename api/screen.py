"""Screening: resolve the query to one entity of the snapshot, then read its verdict.

Pure over a snapshot. Strong identifiers decide (a dictionary lookup); otherwise the name
index gives candidates and the resolver's feature model scores them (name, country, legal
form ...: matching.screening), so screening and resolution agree. A match below the weak
threshold turns any verdict into REVIEW: one false match can flip a verdict.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from api.identifier_checks import check_identifiers
from api.index import rank_names
from api.schemas import ScreenRequest
from api.snapshot import AtDate, Snapshot

if TYPE_CHECKING:
    from api.auth import Principal
    from api.service import Service


@dataclass(frozen=True)
class Resolved:
    position: int
    probability: float
    features: dict[str, Any]


def resolve(snapshot: Snapshot, req: ScreenRequest) -> Resolved | None:
    for scheme, value in (req.identifiers or {}).items():
        pos = snapshot.by_identifier(scheme, value)
        if pos is not None:
            features: dict[str, Any] = {"identifier": {"scheme": scheme.lower(), "value": value}}
            if req.name:
                features["name"] = rank_names(req.name, snapshot.entities[pos].names, req.country)
            return Resolved(pos, 1.0, features)
    if not req.name or not req.name.strip():
        return None
    from matching.screening import FLOOR  # the matcher loads only for a name
    # The resolver's model scores the candidates (matching.screening): a candidate is a match
    # at or above the request's threshold (never below the floor) with a name level the
    # resolver would merge on; none left is NO_MATCH.
    threshold = max(req.threshold if req.threshold is not None else FLOOR, FLOOR)
    hits = snapshot.search(req.name, max(req.top_k, 1), req.country)
    matches = [h for h in hits if h.match and h.score >= threshold]
    if not matches:
        return None
    best = matches[0]
    return Resolved(best.entity, round(best.score, 4), {
        "matched_name": best.name, "country": _country_feature(snapshot, best.entity, req.country),
        "model": list(best.features),
        "candidates": [{"id": snapshot.entities[h.entity].id, "name": h.name, "probability": h.score,
                        "features": list(h.features)} for h in matches[: req.top_k]],
    })


def _country_feature(snapshot: Snapshot, pos: int, country: str | None) -> str:
    if not country:
        return "not_given"
    entity = snapshot.entities[pos]
    known = {c for c in (entity.jurisdiction, entity.hq_country) if c}
    if not known:
        return "unknown"
    return "match" if country.upper() in known else "mismatch"


def screen(snapshot: Snapshot, req: ScreenRequest, *, policy: str, weak_threshold: float,
           answers: AtDate | None = None) -> dict[str, Any]:
    """The POST /v1/screen answer. ``answers``: the policy evaluated at another date."""
    snapshot.table(policy)  # unknown policy -> 400 before any work
    base = {"policy": policy, "generation": snapshot.generation, "data_as_of": snapshot.data_as_of}
    found = resolve(snapshot, req)
    if found is None:
        return {**base, "verdict": "NO_MATCH", "entity": None, "match": None, "exposure": None,
                "ultimate_controllers": [], "evidence": []}
    if req.address:  # reported, not scored: addresses are too noisy to move a verdict
        found.features["address"] = _address_score(req.address,
                                                   snapshot.entities[found.position].addresses)
    result = snapshot.answer(policy, found.position, answers)
    verdict = result["verdict"]
    if found.probability < weak_threshold:
        found.features["weak_match"] = True
        verdict = "REVIEW"
    return {**base, **result, "verdict": verdict,
            "entity": snapshot.brief(found.position),
            "match": {"probability": found.probability, "features": found.features}}


def _address_score(given: str, known: tuple[str, ...]) -> float | None:
    if not known:
        return None
    from rapidfuzz import fuzz

    return round(max(fuzz.token_set_ratio(given.lower(), k.lower()) for k in known) / 100.0, 4)


def audit_query(req: ScreenRequest) -> dict[str, Any]:
    return req.model_dump(exclude_none=True, mode="json")


def policy_of(snapshot: Snapshot, requested: str | None) -> str:
    policy = requested or snapshot.default_policy
    snapshot.table(policy)  # raises UnknownName (400) listing the known policies
    return policy


def screen_one(svc: Service, req: ScreenRequest, principal: Principal,
               metrics: Any | None = None) -> dict[str, Any]:
    """One screen with its audit line: the HTTP routes and the CLI alike."""
    snap = svc.snapshot
    policy = policy_of(snap, req.policy)
    check_identifiers(snap, req.identifiers)
    result = screen(snap, req, policy=policy, weak_threshold=svc.settings.weak_match_threshold,
                    answers=svc.answers_as_of(snap, policy, req.as_of))
    entity = result.get("entity") or {}
    svc.audit.record(key_id=principal.key_id, query=audit_query(req), verdict=result["verdict"],
                     entity_id=entity.get("id"), policy=policy, generation=snap.generation)
    if metrics is not None:
        metrics.verdict(policy, result["verdict"])
    return result
