"""Comparison features, declared as data.

Each :class:`Feature` has a name, a scalar ``compare`` returning ``(score, detail)`` for one
pair (score ``None`` when it cannot say: a side is missing the field), a vectorised
``batch`` that must agree with ``compare`` (a test checks it), and its Fellegi-Sunter
levels: score thresholds, each with prior m / u probabilities that EM then re-estimates.
The scalar helpers on :class:`NameForms` (``name_similarity``, ``token_overlap``) are what
a screening index reuses.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from rapidfuzz import fuzz, process

from matching import legal_forms
from matching.identifiers import conflicts, shared
from matching.name_rules import (
    MAX_VARIANT_WORDS,
    WORD_RULES_BELOW,
    WORD_RULES_MIN_FUZZY,
    word_level,
    word_rules_apply,
)
from matching.normalize import NameForms
from matching.prepare import Prepared, distinct_part

Scores = npt.NDArray[np.float32]
Rows = npt.NDArray[np.int32]
# Identical names made only of initials or only of generic words count as this much.
WEAK_EXACT = 0.9
# One name's (weighted) tokens all but contained in the other's, both starting with the same
# distinctive token: a partial name match ("PHILIPS ELECTRONICS" in "N.V. PHILIPS ...").
CONTAINED = 0.85
# The names without their generic words this alike (and no other line of business): good.
DISTINCT_GOOD = 0.92


@dataclass(frozen=True)
class Level:
    label: str
    min_score: float  # a score >= min_score (and below the previous level) lands here
    m: float  # prior P(level | same entity)
    u: float  # prior P(level | different entities)


@dataclass(frozen=True)
class Feature:
    name: str
    compare: Callable[[Prepared, int, int], tuple[float | None, str]]
    batch: Callable[[Prepared, Rows, Rows], Scores]
    levels: tuple[Level, ...]  # best first; the last one has min_score -inf

    def level_of(self, scores: Scores) -> npt.NDArray[np.int8]:
        """Scores -> level index + 1; 0 means missing (weight 0)."""
        out = np.zeros(scores.shape, dtype=np.int8)
        assigned = np.isnan(scores)
        for index, level in enumerate(self.levels, start=1):
            hit = ~assigned & (scores >= level.min_score)
            out[hit] = index
            assigned |= hit
        return out


# ---- scalar measures on normal forms (reused by the screening index) -------------------



# rapidfuzz's threads cost more to start than a screening query's few dozen pairs take to
# compare: below this many pairs one thread does it.
PARALLEL_PAIRS = 20_000


def _workers(pairs: int) -> int:
    return -1 if pairs >= PARALLEL_PAIRS else 1

def name_similarity(a: NameForms, b: NameForms) -> tuple[float | None, str]:
    """Best of several rapidfuzz measures over several normal forms, in [0, 1]."""
    if a.empty or b.empty:
        return None, "a name is empty or only legal-form words"
    if a.han and b.han:
        # Both in Han: the characters decide, not their pinyin (清正 and 青证 are both
        # "qing zheng"); traditional and simplified are already one form.
        score = fuzz.ratio(a.han, b.han) / 100.0
        return _guard(a, b, score), f"han {a.han!r}~{b.han!r}"
    score = _latin_score(a, b)
    return _guard(a, b, score), f"core {a.core!r}~{b.core!r}"


def _latin_score(a: NameForms, b: NameForms) -> float:
    return max(fuzz.ratio(a.compact, b.compact), fuzz.token_sort_ratio(a.core, b.core)) / 100.0


def _guard(a: NameForms, b: NameForms, score: float) -> float:
    """Initials and generic-only names never fuzzy-match; identical ones count as weak."""
    if a.initials or b.initials or a.weak or b.weak:
        same = (a.han or a.compact) == (b.han or b.compact)
        return WEAK_EXACT if same else 0.0
    return score


def token_overlap(a: Sequence[str], b: Sequence[str], weight: Callable[[str], float]) -> float | None:
    """Weighted Jaccard of two token sets (rare tokens weigh more; generic words little)."""
    sa, sb = set(a), set(b)
    if not sa or not sb:
        return None
    both = sum(weight(t) for t in sa & sb)
    union = sum(weight(t) for t in sa | sb)
    return both / union if union > 0 else None


def aligned(a: NameForms, b: NameForms, min_ratio: float = 80.0) -> bool:
    """Every distinctive word of the name with fewer of them has a close match in the other.

    "COMMERZ BARRAUD" / "BRADY COMMERZ" share one word and look 85 % alike as strings, but
    BARRAUD has no counterpart: not the same name. Typos keep their counterpart.
    """
    if a.han or b.han or not a.distinctive or not b.distinctive:
        return True
    small, large = (a, b) if len(a.distinctive) <= len(b.distinctive) else (b, a)
    return all(
        any(t == u or fuzz.ratio(t, u) >= min_ratio for u in large.distinctive) for t in small.distinctive
    )


def same_lead(a: NameForms, b: NameForms) -> bool:
    """Both names start with the same distinctive token (the brand, usually)."""
    return bool(a.distinctive) and bool(b.distinctive) and a.distinctive[0] == b.distinctive[0]


def token_containment(a: Sequence[str], b: Sequence[str], weight: Callable[[str], float]) -> float | None:
    """Weighted share of the lighter name's tokens found in the other name."""
    sa, sb = set(a), set(b)
    if not sa or not sb:
        return None
    smaller = min(sum(weight(t) for t in sa), sum(weight(t) for t in sb))
    return sum(weight(t) for t in sa & sb) / smaller if smaller > 0 else None


# ---- features over prepared rows ----------------------------------------------------------


def combine(
    fuzzy: float | None, overlap: float | None, contained: float | None = None,
    lead: bool = True, sibling: bool = False, aligned: bool = True, distinct: float | None = None,
) -> float | None:
    """One name score from string similarity and weighted token overlap.

    Both measure the same name, so they are one Fellegi-Sunter feature (two would count
    the same evidence twice). Sharing rare tokens lifts a fuzzy score; a high fuzzy score
    built from common words only (``... Holland B.V.``) is held down.
    """
    if fuzzy is None:
        return None
    if fuzzy >= 1.0:
        return 1.0
    if sibling:
        return 0.4 if fuzzy >= 0.5 else 0.0  # same stem, another line of business
    ov = fuzzy if overlap is None else overlap
    if fuzzy < 0.92 and not aligned:
        return 0.4 if (fuzzy >= 0.7 or ov >= 0.25) else 0.0
    if fuzzy >= 0.92:
        return 0.95  # a typo or two: rare tokens then differ, so overlap would mislead
    if (distinct or 0.0) >= DISTINCT_GOOD:
        return 0.85  # "Geencor Bark AG" / "Genencor Bark Trading AG": descriptor dropped, a typo
    if (fuzzy >= 0.85 and ov >= 0.2) or (ov >= 0.8 and fuzzy >= 0.5):
        return 0.85
    if lead and ((fuzzy >= 0.7 and ov >= 0.34) or (contained or 0.0) >= CONTAINED):
        return 0.7  # "PHILIPS ELECTRONICS N.V." within "N.V. PHILIPS GLOEILAMPENFABRIEKEN"
    if ov >= 0.25 or fuzzy >= 0.7:
        return 0.4
    return 0.0


def _name_compare(prep: Prepared, i: int, j: int) -> tuple[float | None, str]:
    a, b = prep.forms[i], prep.forms[j]
    fuzzy, detail = name_similarity(a, b)
    weight = _token_weight(prep)
    overlap = token_overlap(a.tokens, b.tokens, weight)
    contained = token_containment(a.tokens, b.tokens, weight)
    lead = same_lead(a, b)
    guarded = a.initials or b.initials or a.weak or b.weak
    if fuzzy is not None and guarded:
        overlap = contained = None  # _guard already decided: identical weak names or nothing
    sibling = a.sibling_of(b)
    fit = guarded or aligned(a, b)
    da, db = distinct_part(a), distinct_part(b)
    distinct = fuzz.ratio(da, db) / 100.0 if da and db and not guarded else None
    score = combine(fuzzy, overlap, contained, lead or overlap is None, sibling, fit, distinct)
    if not guarded and word_rules_apply(a, b, fuzzy, score):
        score = word_level(a, b, score)
    return score, (
        f"{detail}; fuzzy {fuzzy}; rare-token overlap {overlap}; containment {contained}; "
        f"without generic words {distinct}"
    )


def _name_batch(prep: Prepared, left: Rows, right: Rows) -> Scores:
    rows = prep.rows
    fuzzy = _fuzzy_batch(prep, left, right)
    overlap, contained = _tokens_batch(prep, left, right)
    out = np.full(left.size, np.nan, dtype=np.float32)
    f = np.nan_to_num(fuzzy, nan=-1.0)
    ov = np.where(np.isnan(overlap), f, overlap)
    guarded = rows.guard[left] | rows.guard[right]
    ov = np.where(guarded, f, ov)
    lead_a, lead_b = prep.lead[left], prep.lead[right]
    lead = ((lead_a >= 0) & (lead_a == lead_b)) | guarded
    contained = np.where(guarded | np.isnan(contained), 0.0, contained)
    steps = (
        (f >= 1.0, 1.0),
        (f >= 0.92, 0.95),
        (((f >= 0.85) & (ov >= 0.2)) | ((ov >= 0.8) & (f >= 0.5)), 0.85),
        (lead & (((f >= 0.7) & (ov >= 0.34)) | (contained >= CONTAINED)), 0.7),
        ((ov >= 0.25) | (f >= 0.7), 0.4),
        (f >= 0.0, 0.0),
    )
    out[:] = np.select([c for c, _ in steps], [v for _, v in steps], default=np.nan)
    forms = prep.forms
    maybe = np.flatnonzero(rows.has_symbols[left] & rows.has_symbols[right] & (f < 1.0))
    # NameForms.sibling_of, vectorised: both name what they do and share no descriptor
    shared = np.asarray(rows.symbols[left[maybe]].multiply(rows.symbols[right[maybe]]).sum(axis=1)).ravel()
    sibling = maybe[shared == 0]
    out[sibling] = np.where(f[sibling] >= 0.5, 0.4, 0.0)
    middle = np.flatnonzero((out > 0.4) & (out < 0.95) & ~guarded)
    if middle.size:
        misaligned = np.array([not aligned(forms[left[k]], forms[right[k]]) for k in middle], dtype=bool)
        out[middle[misaligned]] = 0.4
    _distinct_upgrade(prep, left, right, out, guarded, sibling)
    out[np.isnan(fuzzy)] = np.nan
    _word_rules(prep, left, right, out, (f >= WORD_RULES_MIN_FUZZY) & ~guarded)
    return out


def _word_rules(prep: Prepared, left: Rows, right: Rows, out: Scores, eligible: npt.NDArray[np.bool_]) -> None:
    """:func:`matching.name_rules.word_level` on the pairs where it can change the level."""
    # word_level only raises scores below "strong"; names whose words can all pair up have
    # about as many words and start alike (cheap tests first: most pairs are not looked at)
    ntok = prep.rows.n_tokens
    first = prep.rows.first_char
    initials = prep.rows.initials
    # variants of a word start with its letter: names whose words all pair up have the same
    # first letters, unless a space went missing (then they differ in number of words)
    alike = (initials[left] == initials[right]) | (ntok[left] != ntok[right])
    todo = np.flatnonzero(eligible & (out >= 0.4) & (out < WORD_RULES_BELOW) & (np.abs(ntok[left] - ntok[right]) <= 1)
                          & (first[left] == first[right]) & alike)
    if todo.size:  # at most two words of each name without an equal word in the other
        m = prep.token_matrix
        common = np.asarray(m[left[todo]].multiply(m[right[todo]]).sum(axis=1)).ravel()
        distinct = np.diff(m.indptr)
        keep = ((distinct[left[todo]] - common) <= MAX_VARIANT_WORDS) & ((distinct[right[todo]] - common) <= MAX_VARIANT_WORDS)
        todo = todo[keep]
    forms = prep.forms
    for k, a, b in zip(todo.tolist(), left[todo].tolist(), right[todo].tolist(), strict=True):
        value = word_level(forms[a], forms[b], float(out[k]))
        if value is not None:
            out[k] = value


def _distinct_upgrade(
    prep: Prepared, left: Rows, right: Rows, out: Scores, guarded: npt.NDArray[np.bool_],
    sibling: npt.NDArray[np.intp],
) -> None:
    """Pairs below "good" whose names without generic words are near-identical become good."""
    dl, dr = prep.rows.distinct[left], prep.rows.distinct[right]
    low = (out < 0.85) & ~guarded & (dl != "") & (dr != "")
    low[sibling] = False
    todo = np.flatnonzero(low)
    if not todo.size:
        return
    ratio = process.cpdist(dl[todo].tolist(), dr[todo].tolist(), scorer=fuzz.ratio, workers=_workers(int(todo.sum()) if todo.dtype == bool else len(todo))) / 100.0
    close = todo[ratio >= DISTINCT_GOOD]
    forms = prep.forms
    fit = np.array([aligned(forms[left[k]], forms[right[k]]) for k in close], dtype=bool)
    out[close[fit]] = 0.85


def _fuzzy_batch(prep: Prepared, left: Rows, right: Rows) -> Scores:
    """Vectorised :func:`name_similarity` (a test checks they agree)."""
    rows = prep.rows
    ca, cb = rows.compact[left].tolist(), rows.compact[right].tolist()
    ratio = process.cpdist(ca, cb, scorer=fuzz.ratio, workers=_workers(len(ca)))
    # token_sort_ratio, with each name's tokens sorted once instead of once per pair
    tsort = process.cpdist(rows.sorted_core[left].tolist(), rows.sorted_core[right].tolist(), scorer=fuzz.ratio,
                           workers=_workers(len(left)))
    scores: Scores = (np.maximum(ratio, tsort) / 100.0).astype(np.float32)
    both_han = np.flatnonzero((rows.han[left] != "") & (rows.han[right] != ""))
    if both_han.size:
        han = process.cpdist(
            rows.han[left[both_han]].tolist(), rows.han[right[both_han]].tolist(), scorer=fuzz.ratio,
            workers=_workers(int(both_han.sum()))
        ) / 100.0
        scores[both_han] = han  # the characters decide, not their pinyin (name_similarity)
    guarded = rows.guard[left] | rows.guard[right]
    same = rows.exact_key[left] == rows.exact_key[right]
    scores[guarded] = np.where(same[guarded], WEAK_EXACT, 0.0)
    scores[rows.empty[left] | rows.empty[right]] = np.nan
    return scores


def _token_weight(prep: Prepared) -> Callable[[str], float]:
    weights, index = prep.token_weight, prep.token_index
    return lambda t: float(weights[index[t]]) if t in index else 1.0


def _tokens_batch(prep: Prepared, left: Rows, right: Rows) -> tuple[Scores, Scores]:
    """Weighted Jaccard and weighted containment (shared / smaller side) per pair."""
    m = prep.token_matrix
    w = prep.token_weight
    tot = np.asarray(m @ w, dtype=np.float64).ravel()
    both = np.asarray(m[left].multiply(m[right]) @ w, dtype=np.float64).ravel()
    union = tot[left] + tot[right] - both
    with np.errstate(invalid="ignore", divide="ignore"):
        scores = np.where(union > 0, both / union, np.nan)
        smaller = np.minimum(tot[left], tot[right])
        contained = np.where(smaller > 0, both / smaller, np.nan)
    empty = (np.diff(m.indptr) == 0)
    scores[empty[left] | empty[right]] = np.nan
    contained[empty[left] | empty[right]] = np.nan
    return scores.astype(np.float32), contained.astype(np.float32)


def _ident_compare(prep: Prepared, i: int, j: int) -> tuple[float | None, str]:
    ra, rb = prep.records[prep.name_rec[i]], prep.records[prep.name_rec[j]]
    same = shared(ra.identifiers, rb.identifiers)
    if same:
        return 1.0, f"shared {same}"
    clash = conflicts(ra.identifiers, rb.identifiers)
    if clash:
        return 0.0, f"different numbers in {clash}"
    return None, "no comparable valid identifiers"


def _ident_batch(prep: Prepared, left: Rows, right: Rows) -> Scores:
    scores = np.full(left.size, np.nan, dtype=np.float32)
    keys, schemes = _ident_codes(prep)
    rl, rr = prep.name_rec[left], prep.name_rec[right]
    both = np.flatnonzero((keys[rl, 0] >= 0) & (keys[rr, 0] >= 0))
    if not both.size:
        return scores
    ka, kb = keys[rl[both]], keys[rr[both]]
    sa, sb = schemes[rl[both]], schemes[rr[both]]
    width = keys.shape[1]
    same = np.zeros(both.size, dtype=bool)
    scheme = np.zeros(both.size, dtype=bool)
    for x in range(width):
        for y in range(width):
            same |= (ka[:, x] >= 0) & (ka[:, x] == kb[:, y])
            scheme |= (sa[:, x] >= 0) & (sa[:, x] == sb[:, y])
    scores[both[scheme]] = 0.0  # a shared scheme with no shared number
    scores[both[same]] = 1.0
    return scores


def _ident_codes(prep: Prepared) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Per record, its valid identifier keys and their schemes as integer codes (-1 = none)."""
    width = max((len(k) for k in prep.idents), default=0) or 1
    keys = np.full((prep.n_records, width), -1, dtype=np.int64)
    schemes = np.full((prep.n_records, width), -1, dtype=np.int64)
    key_code: dict[str, int] = {}
    scheme_code: dict[str, int] = {}
    for rec, idents in enumerate(prep.idents):
        for col, key in enumerate(idents):
            keys[rec, col] = key_code.setdefault(key, len(key_code))
            schemes[rec, col] = scheme_code.setdefault(key.partition(":")[0], len(scheme_code))
    return keys, schemes


def _country_compare(prep: Prepared, i: int, j: int) -> tuple[float | None, str]:
    ca, cb = int(prep.country[prep.name_rec[i]]), int(prep.country[prep.name_rec[j]])
    if ca < 0 or cb < 0:
        return None, "country missing"
    return float(ca == cb), f"{prep.countries[ca]} / {prep.countries[cb]}"


def _country_batch(prep: Prepared, left: Rows, right: Rows) -> Scores:
    ca, cb = prep.country[prep.name_rec[left]], prep.country[prep.name_rec[right]]
    scores: Scores = (ca == cb).astype(np.float32)
    scores[(ca < 0) | (cb < 0)] = np.nan
    return scores


def _address_compare(prep: Prepared, i: int, j: int) -> tuple[float | None, str]:
    a, b = prep.address[prep.name_rec[i]], prep.address[prep.name_rec[j]]
    if not a or not b:
        return None, "address missing"
    return fuzz.token_set_ratio(a, b) / 100.0, f"{a!r}~{b!r}"


def _address_batch(prep: Prepared, left: Rows, right: Rows) -> Scores:
    scores = np.full(left.size, np.nan, dtype=np.float32)
    addr = np.asarray(prep.address, dtype=object)
    has = addr != ""
    rl, rr = prep.name_rec[left], prep.name_rec[right]
    both = np.flatnonzero(has[rl] & has[rr])
    if both.size:
        values = process.cpdist(
            addr[rl[both]].tolist(), addr[rr[both]].tolist(), scorer=fuzz.token_set_ratio,
            workers=_workers(int(both.sum()))
        )
        scores[both] = values / 100.0
    return scores


def _graph_compare(prep: Prepared, i: int, j: int) -> tuple[float | None, str]:
    a, b = prep.related[prep.name_rec[i]], prep.related[prep.name_rec[j]]
    if not a or not b:
        return None, "no graph context"
    common = a & b
    return len(common) / len(a | b), f"shared neighbours {sorted(common)[:5]}"


def _graph_batch(prep: Prepared, left: Rows, right: Rows) -> Scores:
    scores = np.full(left.size, np.nan, dtype=np.float32)
    has = np.array([bool(r) for r in prep.related], dtype=bool)
    rl, rr = prep.name_rec[left], prep.name_rec[right]
    for k in np.flatnonzero(has[rl] & has[rr]):
        value, _ = _graph_compare(prep, int(left[k]), int(right[k]))
        scores[k] = np.nan if value is None else value
    return scores


def _legal_scope(prep: Prepared, i: int, j: int) -> frozenset[str]:
    """Countries the pair can be in, for the legal forms: the records' stated ones."""
    ca, cb = int(prep.country[prep.name_rec[i]]), int(prep.country[prep.name_rec[j]])
    return frozenset(prep.countries[c] for c in (ca, cb) if c >= 0)


def _legal_compare(prep: Prepared, i: int, j: int) -> tuple[float | None, str]:
    a, b = prep.forms[i].legal_code, prep.forms[j].legal_code
    if not a or not b:
        return None, "legal form missing"
    return legal_forms.compare(a, b, _legal_scope(prep, i, j)), f"{a} / {b}"


def _legal_batch(prep: Prepared, left: Rows, right: Rows) -> Scores:
    """:func:`_legal_compare` once per distinct (form, form, country, country)."""
    la, lb = prep.legal[left], prep.legal[right]
    scores = np.full(left.size, np.nan, dtype=np.float32)
    both = np.flatnonzero((la >= 0) & (lb >= 0))
    if not both.size:
        return scores
    ca, cb = prep.country[prep.name_rec[left[both]]], prep.country[prep.name_rec[right[both]]]
    width = max(len(prep.countries), 1) + 1
    n_codes = max(len(prep.legal_codes), 1)
    combo = (((la[both].astype(np.int64) * n_codes + lb[both]) * width + ca + 1) * width + cb + 1)
    distinct, inverse = np.unique(combo, return_inverse=True)
    values = np.empty(distinct.size, dtype=np.float32)
    codes, countries = prep.legal_codes, prep.countries
    for k, value in enumerate(distinct.tolist()):
        rest, c2 = divmod(value, width)
        rest, c1 = divmod(rest, width)
        x, y = divmod(rest, n_codes)
        scope = frozenset(countries[c - 1] for c in (c1, c2) if c > 0)
        found = legal_forms.compare(codes[x], codes[y], scope)
        values[k] = np.nan if found is None else found
    scores[both] = values[inverse]
    return scores


INF = float("-inf")

FEATURES: tuple[Feature, ...] = (
    Feature("name", _name_compare, _name_batch, (
        Level("exact", 1.0, 0.5, 0.0002),
        Level("strong", 0.95, 0.25, 0.001),
        Level("good", 0.85, 0.12, 0.005),
        Level("partial", 0.7, 0.07, 0.02),
        Level("weak", 0.4, 0.04, 0.1),
        Level("different", INF, 0.02, 0.8738),
    )),
    Feature("identifiers", _ident_compare, _ident_batch, (
        Level("shared", 1.0, 0.95, 0.0001),
        Level("conflict", INF, 0.05, 0.9999),
    )),
    Feature("country", _country_compare, _country_batch, (
        Level("same", 1.0, 0.9, 0.2),
        Level("different", INF, 0.1, 0.8),
    )),
    Feature("address", _address_compare, _address_batch, (
        Level("same", 0.9, 0.7, 0.01),
        Level("similar", 0.6, 0.2, 0.09),
        Level("different", INF, 0.1, 0.9),
    )),
    Feature("graph", _graph_compare, _graph_batch, (
        Level("shared", 0.0001, 0.6, 0.01),
        Level("none_shared", INF, 0.4, 0.99),
    )),
    Feature("legal_form", _legal_compare, _legal_batch, (
        Level("same", 1.0, 0.8, 0.4),
        Level("different", INF, 0.2, 0.6),
    )),
)


def compute_levels(
    prep: Prepared, left: Rows, right: Rows, features: Sequence[Feature] = FEATURES
) -> tuple[npt.NDArray[np.int8], npt.NDArray[np.float32]]:
    """(pairs x features) level indices and raw scores."""
    levels = np.zeros((left.size, len(features)), dtype=np.int8)
    scores = np.zeros((left.size, len(features)), dtype=np.float32)
    for col, feature in enumerate(features):
        s = feature.batch(prep, left, right)
        scores[:, col] = s
        levels[:, col] = feature.level_of(s)
    return levels, scores
