"""Why an entity got its verdict, in words an analyst can check against the sources.

``explain_entity`` is a pure function over the engine's arrays and result:

- ``coverage``: the share of the entity's ownership on record, as an interval;
- ``reasons``: for BLOCK / REVIEW why each root on the evidence paths is a root
  ("headquartered in CN per GLEIF headquarters address") and what makes a REVIEW uncertain;
  for INSUFFICIENT_DATA the unknowns that make the difference (entity or statement, reason,
  share, source);
- ``notes``: what is not on record along the entity's ownership chain (entity, reason code,
  source): reported, never counted, under ``unknowns = "explicit"``;
- ``summary``: one line over the first evidence paths ("Dragon Peak Holdings (KY, HQ CN)
  holds 100 % of Dragon Peak HK, which holds 95 % of this company").

Entity names and the source of each entity are optional (``Labels``); without them ids
stand for names and the source is read from the id's prefix (``lei:`` is GLEIF, ...).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from graph.arrays import ENTITY_KIND_CODES, INTEREST_KIND_CODES, GraphArrays
from graph.control.combine import to_fraction
from graph.control.engine import ControlResult
from graph.control.evidence import InboundIndex, RootTree, explain
from graph.control.roots import can_have_owners
from graph.control.served import ALLOW, BLOCK, INSUFFICIENT, REVIEW, VERDICTS
from graph.control.unknowns import reason_info
from graph.model import UNKNOWN_PARTY_FLAG, EntityKind, InterestKind

MAX_REASONS = 20
MAX_NOTES = 30
NOTE_DEPTH = 8  # ownership levels walked upwards for notes
SUMMARY_PATHS = 3

SOURCES_BY_PREFIX = {
    "lei": "GLEIF", "gb-coh": "UK Companies House", "gb-psc": "UK PSC register",
    "bods": "BODS", "ftm": "FollowTheMoney", "csv": "own data",
}
_COUNTRY_WORDS = {
    "jurisdiction": ("incorporated in", "legal jurisdiction"),
    "hq_country": ("headquartered in", "headquarters address"),
    "nationality": ("a national of", "nationality"),
    "residence": ("resident in", "residence"),
}
_CONTROL_WORDS = {
    InterestKind.CONSOLIDATION_PARENT: "consolidates",
    InterestKind.ULTIMATE_CONSOLIDATION_PARENT: "ultimately consolidates",
    InterestKind.CONTRACTUAL_CONTROL: "controls by contract",
    InterestKind.BOARD_APPOINTMENT: "appoints the board of",
    InterestKind.BRANCH: "is the head office of",
}


@dataclass(frozen=True)
class Labels:
    """Optional per-entity display names and source names (indexed like ``arrays.ids``)."""

    names: Sequence[str] | None = None
    sources: Sequence[str] | None = None

    def name(self, arrays: GraphArrays, i: int) -> str:
        if self.names is not None and self.names[i]:
            return str(self.names[i])
        return str(arrays.ids[i])

    def source(self, arrays: GraphArrays, i: int) -> str:
        if self.sources is not None and self.sources[i]:
            return str(self.sources[i])
        prefix, sep, _ = str(arrays.ids[i]).partition(":")
        return SOURCES_BY_PREFIX.get(prefix, prefix) if sep else "the data"


@dataclass
class Explainer:
    """Everything built once per result (indexes, labels) to explain many entities."""

    arrays: GraphArrays
    result: ControlResult
    labels: Labels
    index: InboundIndex
    position: dict[str, int]
    ownable: npt.NDArray[np.bool_]
    trees: dict[str, RootTree] = field(default_factory=dict)  # by bound, built on first use

    @classmethod
    def build(cls, arrays: GraphArrays, result: ControlResult,
              labels: Labels | None = None) -> Explainer:
        return cls(arrays, result, labels or Labels(), InboundIndex.build(result.prepared),
                   {str(v): i for i, v in enumerate(arrays.ids.tolist())},
                   can_have_owners(arrays))

    def entity(self, y: int, evidence: dict[str, Any] | None = None) -> dict[str, Any]:
        """Coverage, reasons, notes and a one-line summary for entity y (``evidence``: the
        entity's ``evidence.explain`` when the caller has it already)."""
        verdict = int(self.result.verdict[y])
        reasons: list[dict[str, Any]] = []
        summary = None
        if verdict in (BLOCK, REVIEW):
            reasons, summary = _restricted_reasons(self, y, evidence)
        elif verdict == INSUFFICIENT:
            reasons = unknown_reasons(self, y)
        u = self.result.unknowns
        return {
            "coverage": {"lo": round(float(u.coverage_lo[y]), 9),
                         "hi": round(float(u.coverage_hi[y]), 9)},
            "reasons": reasons,
            "notes": _below_threshold(self, y) + chain_notes(self, y),
            "summary": summary,
        }


    def answer(self, y: int) -> dict[str, Any]:
        """``entity(y)`` with the evidence of y's verdict worked out here (each bound's root
        tree built once): what a served answer carries."""
        verdict = int(self.result.verdict[y])
        if verdict not in (BLOCK, REVIEW):
            return self.entity(y)
        bound = "lo" if verdict == BLOCK else "hi"
        tree = self.trees.get(bound)
        if tree is None:
            tree = self.trees[bound] = RootTree.build(self.result, bound)
        return self.entity(y, explain(self.arrays, self.result, y, self.index, tree) or {})


def explain_entity(arrays: GraphArrays, result: ControlResult, y: int,
                   labels: Labels | None = None) -> dict[str, Any]:
    """One entity's explanation (build an ``Explainer`` once to explain many)."""
    return Explainer.build(arrays, result, labels).entity(y)


def _pct(value: float) -> str:
    text = f"{value * 100:.4f}".rstrip("0").rstrip(".")
    return f"{text} %"


def _entity_ref(ctx: Explainer, i: int) -> dict[str, Any]:
    return {"entity": str(ctx.arrays.ids[i]), "name": ctx.labels.name(ctx.arrays, i),
            "source": ctx.labels.source(ctx.arrays, i)}


def root_reasons(ctx: Explainer, i: int) -> list[dict[str, Any]]:
    """Why entity i is a root of the policy: one reason per matching rule."""
    arrays, rule = ctx.arrays, ctx.result.policy.roots
    ref = _entity_ref(ctx, i)
    out: list[dict[str, Any]] = []
    for column, (verb, what) in _COUNTRY_WORDS.items():
        value = str(getattr(arrays, column)[i])
        if value and value in getattr(rule, column):
            out.append({"code": "root", "basis": column, "value": value, **ref,
                        "text": f"{verb} {value} per {ref['source']} {what}"})
    for flag in sorted(rule.flags):
        flagged = arrays.flags.get(flag)
        if flagged is not None and flagged[i]:
            out.append({"code": "root", "basis": "flag", "value": flag, **ref,
                        "text": f"flag {flag} from {ref['source']}"})
    kind = ENTITY_KIND_CODES[int(arrays.kind[i])]
    if kind in rule.kinds:
        out.append({"code": "root", "basis": "kind", "value": kind.value, **ref,
                    "text": f"a {kind.value.replace('_', ' ')} per {ref['source']}"})
    if ref["entity"] in rule.ids:
        out.append({"code": "root", "basis": "id", "value": ref["entity"], **ref,
                    "text": f"named in policy {ctx.result.policy.name}"})
    return out


def _countries(arrays: GraphArrays, i: int) -> str:
    jur, hq = str(arrays.jurisdiction[i]), str(arrays.hq_country[i])
    if ENTITY_KIND_CODES[int(arrays.kind[i])] is EntityKind.PERSON:
        nat = str(arrays.nationality[i]) or str(arrays.residence[i])
        return f" ({nat})" if nat else ""
    if jur and hq and jur != hq:
        return f" ({jur}, HQ {hq})"
    if jur or hq:
        return f" ({jur})" if jur else f" (HQ {hq})"
    return ""


def _stake_words(stake: dict[str, Any]) -> str:
    if stake["control"]:
        kinds = [InterestKind(k) for k in stake["kinds"]]
        return next((_CONTROL_WORDS[k] for k in kinds if k in _CONTROL_WORDS), "controls")
    lo, hi = stake["share_lo"], stake["share_hi"]
    if lo == hi:
        return f"holds {_pct(lo)} of"
    if stake["open_lo"]:
        upper = "" if hi >= 1.0 else f" (up to {_pct(hi)})"
        return f"holds more than {_pct(lo)}{upper} of"
    return f"holds {_pct(lo)} to {_pct(hi)} of"


def path_summary(ctx: Explainer, evidence: dict[str, Any], y: int) -> str | None:
    """One line over the first evidence paths, root first."""
    arrays, pos = ctx.arrays, ctx.position
    stakes = {(s["owner"], s["owned"]): s for s in evidence.get("stakes", [])}
    parts = []
    for path in evidence.get("paths", [])[:SUMMARY_PATHS]:
        words = []
        for k, (a, b) in enumerate(zip(path, path[1:], strict=False)):
            stake = stakes.get((a, b))
            verb = _stake_words(stake) if stake else "holds a stake in"
            target = "this company" if pos[b] == y else ctx.labels.name(arrays, pos[b])
            if k == 0:
                words.append(f"{ctx.labels.name(arrays, pos[a])}{_countries(arrays, pos[a])} "
                             f"{verb} {target}")
            else:
                words.append(f"which {verb} {target}")
        if words:
            parts.append(", ".join(words))
    return "; ".join(parts) or None


def _review_reasons(ctx: Explainer, evidence: dict[str, Any]) -> list[dict[str, Any]]:
    """What keeps a REVIEW from being a BLOCK: bands, weak evidence, disagreeing sources."""
    arrays = ctx.arrays
    out: list[dict[str, Any]] = []
    news = INTEREST_KIND_CODES.index(InterestKind.NEWS_CLAIM)
    min_conf = np.float32(ctx.result.policy.min_confidence)
    for stake in evidence.get("stakes", []):
        edges = np.asarray(stake["edges"], dtype=np.int64)
        weak = bool(len(edges)) and bool(np.all(
            (arrays.edge_kind[edges] == news) | (arrays.confidence[edges] < min_conf)))
        base = {"owner": stake["owner"], "owned": stake["owned"], "keys": stake["keys"]}
        if weak:
            out.append({"code": "weak_evidence", **base,
                        "text": "resting on a news claim or a weak entity match"})
        elif stake["conflict"]:
            out.append({"code": "conflicting_sources", **base,
                        "text": "sources disagree about this stake"})
        elif not stake["control"] and stake["share_lo"] < stake["share_hi"]:
            out.append({"code": "share_range", **base, "share_lo": stake["share_lo"],
                        "share_hi": stake["share_hi"],
                        "text": "only the upper end of the stated range passes the threshold"})
    return out


def _restricted_reasons(ctx: Explainer, y: int, evidence: dict[str, Any] | None
                        ) -> tuple[list[dict[str, Any]], str | None]:
    arrays, result = ctx.arrays, ctx.result
    if evidence is None:
        evidence = explain(arrays, result, y, ctx.index) or {}
    roots = [y] if result.roots[y] else []
    for path in evidence.get("paths", []):
        top = ctx.position[path[0]] if path else -1
        if top >= 0 and top not in roots and result.roots[top]:
            roots.append(top)
    reasons = [r for i in roots for r in root_reasons(ctx, i)]
    if int(result.verdict[y]) == REVIEW:
        reasons += _review_reasons(ctx, evidence)
    if result.roots[y]:
        texts = "; ".join(r["text"] for r in reasons if r["entity"] == str(arrays.ids[y]))
        kind = ENTITY_KIND_CODES[int(arrays.kind[y])]
        noun = "person" if kind is EntityKind.PERSON else "company" \
            if kind in (EntityKind.COMPANY, EntityKind.FUND) else "entity"
        return reasons, f"this {noun} is {texts}" if texts else None
    return reasons, path_summary(ctx, evidence, y)


def _carries_pessimistically(result: ControlResult, row: int) -> bool:
    prep = result.prepared
    if not result.possible[int(prep.owner[row])]:
        return False
    return bool(prep.ctrl_hi[row]) if prep.control[row] else bool(prep.q_hi[row] > 0)


def _unknowns_at(ctx: Explainer, v: int, via: int, share: float | None
                 ) -> list[dict[str, Any]]:
    """The counted unknowns at entity v (reached through ``via`` with ``share``)."""
    arrays, result = ctx.arrays, ctx.result
    u = result.unknowns
    strict = u.mode == "strict"
    hop = {"via": str(arrays.ids[via]) if via >= 0 else None,
           "share": None if share is None else round(share, 9)}
    out: list[dict[str, Any]] = []
    ref = _entity_ref(ctx, v)
    if u.parties[v]:
        flagged = UNKNOWN_PARTY_FLAG in arrays.flags and bool(arrays.flags[UNKNOWN_PARTY_FLAG][v])
        out.append({"code": "unknown_party" if flagged else "unknown_kind", **ref, **hop,
                    "text": "an owner the source does not identify" if flagged else
                    "an entity whose kind and country are not on record"})
    if u.withheld[v]:
        for reason, column in sorted(arrays.exceptions.items()):
            info = reason_info(reason)
            if column[v] and (strict or info.explicit):
                out.append({"code": "withheld_controller" if info.explicit else
                            "reporting_exception", **ref, "reason": reason,
                            "source": info.source or ref["source"], **hop, "text": info.text})
    if u.undisclosed[v]:
        for e in u.undisclosed_edges[arrays.owned[u.undisclosed_edges] == v][:5]:
            out.append({"code": "undisclosed_interest", **_entity_ref(ctx, int(arrays.owner[e])),
                        "via": ref["entity"], "share": round(float(arrays.share_hi[e]), 9),
                        "reason": INTEREST_KIND_CODES[int(arrays.edge_kind[e])].value,
                        "key": str(arrays.edge_key[e]) if len(arrays.edge_key) else None,
                        "text": "an unidentified owner holds an interest of unstated nature"})
    if strict and result.unaccounted[v] > 0 and ctx.ownable[v]:
        out.append({"code": "unaccounted_share", **ref, **hop,
                    "share": round(float(result.unaccounted[v]), 9),
                    "text": "no recorded owner accounts for this share"})
    return out


def unknown_reasons(ctx: Explainer, y: int) -> list[dict[str, Any]]:
    """For an INSUFFICIENT_DATA entity: the unknowns, upstream along the stakes that may be
    restricted, that make the difference."""
    prep = ctx.result.prepared
    pess_roots = ctx.result.unknowns.roots
    reasons: list[dict[str, Any]] = []
    seen = {y}
    queue: deque[tuple[int, int, float | None]] = deque([(y, -1, None)])
    while queue and len(reasons) < MAX_REASONS:
        v, via, share = queue.popleft()
        reasons += _unknowns_at(ctx, v, via, share)
        if pess_roots[v] and v != y:
            continue  # already possibly restricted: what lies above it adds nothing
        for row in ctx.index.rows(v):
            owner = int(prep.owner[row])
            if owner in seen or not _carries_pessimistically(ctx.result, int(row)):
                continue
            seen.add(owner)
            stake = 1.0 if prep.control[row] else float(to_fraction(prep.q_hi[row]))
            queue.append((owner, v, stake))
    return reasons[:MAX_REASONS]


def _notes_at(ctx: Explainer, v: int, has_owners: bool) -> list[dict[str, Any]]:
    arrays, result = ctx.arrays, ctx.result
    u = result.unknowns
    ref = _entity_ref(ctx, v)
    kind = ENTITY_KIND_CODES[int(arrays.kind[v])]
    out: list[dict[str, Any]] = []
    no_country = not (arrays.jurisdiction[v] or arrays.hq_country[v])
    if kind is EntityKind.UNKNOWN and not u.parties[v] and no_country:
        out.append({"code": "no_record", **ref, "text": "known only by its identifier: kind "
                    "and country not on record"})
    elif ctx.ownable[v] and not has_owners and not result.roots[v]:
        out.append({"code": "no_owners_on_record", **ref,
                    "text": "no ownership records (top of the known chain)"})
    elif ctx.ownable[v] and has_owners and u.coverage_lo[v] < 1.0:
        out.append({"code": "unrecorded_remainder", **ref,
                    "share": round(1.0 - float(u.coverage_lo[v]), 9),
                    "text": "part of its ownership is not on record"})
    for reason, column in sorted(arrays.exceptions.items()):
        if column[v]:
            info = reason_info(reason)
            out.append({"code": "reporting_exception", **ref, "reason": reason,
                        "source": info.source or ref["source"], "text": info.text,
                        "counted": bool(u.counted and u.withheld[v])})
    return out


def _below_threshold(ctx: Explainer, y: int) -> list[dict[str, Any]]:
    """A restricted holding that does not pass the threshold (a 50/50 joint venture under
    "more than 50 %"): worth a note on an answer that is not restricted."""
    result = ctx.result
    held = float(result.hi.exposure[y])
    if result.hi.restricted[y] or held <= 0.0:
        return []
    policy = result.policy
    words = "at least" if policy.inclusive else "more than"
    return [{"code": "restricted_minority", **_entity_ref(ctx, y), "share": round(held, 9),
             "text": f"restricted owners hold up to {_pct(held)}; the policy needs {words} "
                     f"{_pct(policy.threshold)}"}]


def chain_notes(ctx: Explainer, y: int) -> list[dict[str, Any]]:
    """What is not on record along y's ownership chain (y and its owners, NOTE_DEPTH up)."""
    prep = ctx.result.prepared
    notes: list[dict[str, Any]] = []
    seen = {y}
    queue: deque[tuple[int, int]] = deque([(y, 0)])
    while queue and len(notes) < MAX_NOTES:
        v, depth = queue.popleft()
        rows = ctx.index.rows(v)
        notes += _notes_at(ctx, v, len(rows) > 0)
        if depth >= NOTE_DEPTH:
            continue
        for row in rows:
            owner = int(prep.owner[row])
            if owner not in seen:
                seen.add(owner)
                queue.append((owner, depth + 1))
    return notes[:MAX_NOTES]


def reason_codes(answer: dict[str, Any]) -> list[str]:
    """The distinct reason codes of an explained answer: a root reason by what made the
    root (``root:hq_country``), an INSUFFICIENT_DATA reason with its code
    (``withheld_controller:NON_PUBLIC``)."""
    return sorted({_code(r, "basis" if r["code"] == "root" else "reason")
                   for r in answer.get("reasons") or ()})


def note_codes(answer: dict[str, Any]) -> list[str]:
    return sorted({_code(n, "reason") for n in answer.get("notes") or ()})


def _code(item: dict[str, Any], detail: str) -> str:
    return f"{item['code']}:{item[detail]}" if item.get(detail) else str(item["code"])


def reason_histogram(explainer: Explainer, limit: int = 2_000) -> dict[str, Any]:
    """Per verdict other than ALLOW, how many entities give each reason code (the first
    ``limit`` of them: the count says how many were read)."""
    verdicts = explainer.result.verdict
    wanted = np.flatnonzero(verdicts != ALLOW)
    counts: dict[str, dict[str, int]] = {}
    for y in wanted[:limit].tolist():
        by_code = counts.setdefault(VERDICTS[int(verdicts[y])], {})
        for code in reason_codes(explainer.answer(y)) or ["(none)"]:
            by_code[code] = by_code.get(code, 0) + 1
    return {"explained": int(min(len(wanted), limit)), "of": int(len(wanted)),
            "reasons": {v: dict(sorted(c.items())) for v, c in sorted(counts.items())}}
