"""Unknown owners: which gaps in the record can make an entity possibly restricted.

``unknowns = "explicit"`` (the default) counts only owners a source says exist but does not
identify; ``"strict"`` also every unrecorded share, every entity of kind ``unknown`` and every
reporting exception. What is not counted is still reported (coverage and notes, see
``graph.control.explain``).

Explicit unknowns:
- parties flagged ``unknown_party`` by the adapters: BODS unspecified interested parties
  (except "no beneficial owners"), BODS unknown / anonymous persons and entities, CSV owners
  of kind ``unknown``;
- reporting exceptions whose reason says a controller exists but is withheld: the GLEIF
  reasons below, UK PSC statements that a registrable person exists but is not identified or
  confirmed (or is under a restriction notice), an active super-secure PSC;
- an interest of a kind the policy does not count (its nature not stated: BODS interests
  without a type, "otherInfluenceOrControl") held by an explicit unknown party, when its
  share may pass the threshold: the party may hold anything.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from graph.arrays import GraphArrays, entity_kind_code, interest_kind_code
from graph.model import UNKNOWN_PARTY_FLAG, EntityKind, InterestKind

B = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class ReasonInfo:
    source: str  # the publisher whose vocabulary the code is
    explicit: bool  # a controller exists and is withheld: possibly restricted by default
    text: str


_GLEIF = "GLEIF"
_PSC = "UK PSC register"
_BODS = "BODS"
_UNDISCLOSED_PARENT = "a parent exists but is not disclosed"

# GLEIF RR-CDF reporting-exception reasons (ExceptionReason) and UK PSC statements.
REASONS: dict[str, ReasonInfo] = {
    "NATURAL_PERSONS": ReasonInfo(_GLEIF, False, "controlled by natural persons (no "
                                  "legal-entity parent)"),
    "NON_CONSOLIDATING": ReasonInfo(_GLEIF, False, "the parent does not consolidate it"),
    "NO_KNOWN_PERSON": ReasonInfo(_GLEIF, False, "no known person controls it"),
    "NON_PUBLIC": ReasonInfo(_GLEIF, True, f"{_UNDISCLOSED_PARENT} (non-public)"),
    "BINDING_LEGAL_COMMITMENTS": ReasonInfo(_GLEIF, True, f"{_UNDISCLOSED_PARENT} (binding "
                                            "legal commitments)"),
    "LEGAL_OBSTACLES": ReasonInfo(_GLEIF, True, f"{_UNDISCLOSED_PARENT} (legal obstacles)"),
    "DISCLOSURE_DETRIMENTAL": ReasonInfo(_GLEIF, True, f"{_UNDISCLOSED_PARENT} (disclosure "
                                         "detrimental)"),
    "DETRIMENT_NOT_EXCLUDED": ReasonInfo(_GLEIF, True, f"{_UNDISCLOSED_PARENT} (detriment "
                                         "not excluded)"),
    "CONSENT_NOT_OBTAINED": ReasonInfo(_GLEIF, True, f"{_UNDISCLOSED_PARENT} (consent not "
                                       "obtained)"),
    # GLEIF: "the parent does not consent to obtain an LEI": a consolidating parent exists
    # and is not named.
    "NO_LEI": ReasonInfo(_GLEIF, True, f"{_UNDISCLOSED_PARENT} (the parent has no LEI)"),
    "no-individual-or-entity-with-signficant-control": ReasonInfo(  # upstream's spelling
        _PSC, False, "no registrable person or entity (PSC statement)"),
    "no-individual-or-entity-with-significant-control": ReasonInfo(
        _PSC, False, "no registrable person or entity (PSC statement)"),
    "steps-to-find-psc-not-yet-completed": ReasonInfo(
        _PSC, True, "the company has not finished looking for its PSCs (PSC statement)"),
    "psc-exists-but-not-identified": ReasonInfo(
        _PSC, True, "a PSC exists but is not identified (PSC statement)"),
    "psc-details-not-confirmed": ReasonInfo(
        _PSC, True, "a PSC exists but its details are not confirmed (PSC statement)"),
    "psc-contacted-but-no-response": ReasonInfo(
        _PSC, True, "a PSC was contacted and has not answered (PSC statement)"),
    "restrictions-notice-issued-to-psc": ReasonInfo(
        _PSC, True, "a restrictions notice was issued to a PSC (PSC statement)"),
    "psc-has-failed-to-confirm-changed-details": ReasonInfo(
        _PSC, True, "a PSC has not confirmed changed details (PSC statement)"),
    "SUPER_SECURE_PERSON": ReasonInfo(
        _PSC, True, "a PSC whose details are withheld for their protection (super-secure)"),
    "all-beneficial-owners-identified": ReasonInfo(
        _PSC, False, "every beneficial owner identified (overseas entity statement)"),
    "at-least-one-beneficial-owner-unidentified": ReasonInfo(
        _PSC, True, "a beneficial owner is not identified (overseas entity statement)"),
    "information-not-provided-for-at-least-one-beneficial-owner": ReasonInfo(
        _PSC, True, "information not provided for a beneficial owner (overseas entity "
        "statement)"),
}
# BODS unspecified-party reasons: the unknown party itself carries them (an owner with its
# stake), so on the subject they are notes only.
BODS_REASONS = {
    "noBeneficialOwners": "no beneficial owners",
    "subjectUnableToConfirmOrIdentifyBeneficialOwner": "the subject cannot identify or "
    "confirm a beneficial owner",
    "interestedPartyHasNotProvidedInformation": "the owner has not provided information",
    "subjectExemptFromDisclosure": "the subject is exempt from disclosure",
    "interestedPartyExemptFromDisclosure": "the owner is exempt from disclosure",
    "unknown": "the owner is unknown",
    "informationUnknownToPublisher": "the publisher does not know the owner",
}


def reason_info(reason: str) -> ReasonInfo:
    """What a reporting-exception reason means; unknown codes are reported, not counted."""
    code = reason.removesuffix("-partnership")
    if code in REASONS:
        return REASONS[code]
    camel = "".join(w.capitalize() if i else w for i, w in enumerate(code.split("-")))
    if camel in BODS_REASONS:
        return ReasonInfo(_BODS, False, BODS_REASONS[camel] + " (unspecified owner)")
    return ReasonInfo("", False, f"reporting exception {reason}")


def is_explicit_reason(reason: str) -> bool:
    return reason_info(reason).explicit


def unknown_party_mask(arrays: GraphArrays, strict: bool) -> B:
    """Owners that may be anyone: flagged unknown parties; strict also every entity of kind
    ``unknown`` (placeholders known only by an id, FtM LegalEntity, BODS arrangements)."""
    out = np.asarray(arrays.flags.get(UNKNOWN_PARTY_FLAG, np.zeros(arrays.n_entities,
                                                                    dtype=np.bool_)),
                     dtype=np.bool_).copy()
    if strict:
        out |= arrays.kind == entity_kind_code(EntityKind.UNKNOWN)
    return out


def withheld_mask(arrays: GraphArrays, strict: bool) -> B:
    """Entities with a reporting exception that counts: explicit reasons (strict: any)."""
    out = np.zeros(arrays.n_entities, dtype=np.bool_)
    for reason, column in arrays.exceptions.items():
        if strict or is_explicit_reason(reason):
            out |= np.asarray(column, dtype=np.bool_)
    return out


def undisclosed_interest_edges(arrays: GraphArrays, valid: B, counted_kind: B, unknown: B,
                               threshold: float, inclusive: bool) -> B:
    """Valid edges of a kind the policy does not count, held by an unknown party, whose
    share may pass the threshold: the owned entity may be controlled by anyone."""
    if arrays.n_edges == 0:
        return np.zeros(0, dtype=np.bool_)
    owner = arrays.owner.astype(np.int64)
    ok = (owner >= 0) & (owner < arrays.n_entities)
    held = np.zeros(arrays.n_edges, dtype=np.bool_)
    held[ok] = unknown[owner[ok]]
    news = arrays.edge_kind == interest_kind_code(InterestKind.NEWS_CLAIM)
    hi = arrays.share_hi
    passes = hi >= threshold - 1e-12 if inclusive else hi > threshold + 1e-12
    return np.asarray(valid & held & ~counted_kind & ~news & passes, dtype=np.bool_)
