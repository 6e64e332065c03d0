"""Clustering with cannot-links: a union-find that refuses joins that would break a constraint.

A join is refused when the two clusters hold different valid numbers in one identifier
scheme and share none, or when a not-same judgement links any member of one to any member
of the other. Judged-same pairs are joined first, then scored pairs from the most to the
least probable. Canonical ids are chosen deterministically (see :func:`canonical_ids`).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field

# Cross pairs of distinct member kinds looked at per coherence check (cost bound).
COHERENCE_PAIRS = 2000
# (record, record) -> the strong evidence that they are two companies, or None
ApartFn = Callable[[int, int], "str | None"]


@dataclass
class ConstrainedUnionFind:
    n: int
    idents: Sequence[tuple[str, ...]]  # record -> valid "scheme:value" keys
    # record -> descriptor symbols of its names; clusters naming disjoint lines of business
    # ("X Energy" / "X Services") stay apart, so a bare "X" cannot chain two siblings.
    descriptors: Sequence[frozenset[str]] = ()
    # record -> countries it can be in (matching.jurisdiction); {} = unknown. A cluster can be
    # where all its members can be; two clusters with nowhere in common are two companies.
    places: Sequence[frozenset[int]] = ()
    # Cluster coherence: no cluster may hold two records with strong evidence apart (another
    # descriptive word, another legal form in one jurisdiction), whatever chain links them.
    # ``signatures`` groups records that the rule sees alike, so each group is asked once.
    apart_fn: ApartFn | None = None
    signatures: Sequence[Hashable] = ()
    parent: list[int] = field(init=False)
    schemes: dict[int, dict[str, frozenset[str]]] = field(init=False)  # root -> scheme -> values
    apart: dict[int, set[int]] = field(init=False)  # root -> records judged not-same with it
    size: list[int] = field(init=False)

    def __post_init__(self) -> None:
        self.parent = list(range(self.n))
        self.size = [1] * self.n
        self.schemes = {}
        for rec, keys in enumerate(self.idents):
            if keys:
                by: dict[str, set[str]] = {}
                for key in keys:
                    scheme, _, value = key.partition(":")
                    by.setdefault(scheme, set()).add(value)
                self.schemes[rec] = {s: frozenset(v) for s, v in by.items()}
        self.apart = {}
        self.lines: dict[int, frozenset[str]] = {
            rec: d for rec, d in enumerate(self.descriptors) if d
        }
        self.where: dict[int, frozenset[int]] = {rec: p for rec, p in enumerate(self.places) if p}
        # root -> signature -> [a member with it, members with it] (only with apart_fn)
        self.kinds: dict[int, dict[Hashable, list[int]]] = {}

    def find(self, x: int) -> int:
        root = x
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[x] != root:
            self.parent[x], x = root, self.parent[x]
        return root

    def add_apart(self, a: int, b: int) -> None:
        self.apart.setdefault(self.find(a), set()).add(b)
        self.apart.setdefault(self.find(b), set()).add(a)

    def conflict(self, a: int, b: int, *, anywhere: bool = False) -> str | None:
        """Why the clusters of a and b may not be joined, or None (``anywhere``: a shared
        valid identifier, which only another number of one register or a judgement refuses)."""
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return None
        pa, pb = self.where.get(ra), self.where.get(rb)
        if pa and pb and not pa & pb and not anywhere:
            return "different countries"
        sa, sb = self.schemes.get(ra), self.schemes.get(rb)
        if sa and sb:
            for scheme in sorted(sa.keys() & sb.keys()):  # one reason, whatever the hash seed
                if not sa[scheme] & sb[scheme]:
                    return f"different {scheme} numbers"
        for x in self.apart.get(ra, ()):
            if self.find(x) == rb:
                return "judged not-same"
        if anywhere:
            return None  # a shared valid identifier: names (renamed companies) do not refuse
        la, lb = self.lines.get(ra), self.lines.get(rb)
        if la and lb and not la & lb:
            return "different lines of business"
        if self.apart_fn is not None:
            return self._incoherent(ra, rb)
        return None

    def _members(self, root: int) -> dict[Hashable, list[int]]:
        kinds = self.kinds.get(root)
        if kinds is None:
            sig = self.signatures[root] if self.signatures else root
            kinds = {sig: [root, 1]}
        return kinds

    def _incoherent(self, ra: int, rb: int) -> str | None:
        """Strong evidence apart between the two clusters: most of their cross pairs of
        members (counted by records) are two companies by the rules. Most, not any: a large
        cluster of noisy spellings of one name ("KONINKL PHILIPS", "PHILIPS ELECRONICS")
        always holds some odd pair, while a chain through a bridge record ("X Chemicals" -
        "X International" - "X Robotics") leaves the siblings' pairs the majority."""
        assert self.apart_fn is not None
        if ra not in self.kinds and rb not in self.kinds:
            return self.apart_fn(ra, rb)  # two single records (most joins): one question
        apart = together = 0
        first: str | None = None
        ma, mb = self._members(ra), self._members(rb)
        total = sum(n for _, n in ma.values()) * sum(n for _, n in mb.values())
        budget = COHERENCE_PAIRS
        # the most numerous kinds first, and stop once the majority is decided
        for x, nx in sorted(ma.values(), key=lambda m: -m[1]):
            for y, ny in sorted(mb.values(), key=lambda m: -m[1]):
                budget -= 1
                if budget < 0 or 2 * together >= total or 2 * apart > total:
                    return first if apart > together else None
                reason = self.apart_fn(x, y)
                if reason:
                    apart += nx * ny
                    first = first or reason
                else:
                    together += nx * ny
        return first if apart > together else None

    def union(self, a: int, b: int, *, force: bool = False, anywhere: bool = False) -> str | None:
        """Join; returns the refusal reason instead when a constraint forbids it."""
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return None
        if not force:
            reason = self.conflict(a, b, anywhere=anywhere)
            if reason:
                return reason
        if self.size[ra] < self.size[rb]:
            ra, rb = rb, ra
        self.parent[rb] = ra
        self.size[ra] += self.size[rb]
        self._merge_schemes(ra, rb)
        lb = self.lines.pop(rb, None)
        if lb:
            self.lines[ra] = self.lines.get(ra, frozenset()) | lb
        pa, pb = self.where.get(ra), self.where.pop(rb, None)
        if pb:
            self.where[ra] = (pa & pb or pa | pb) if pa else pb
        moved = self.apart.pop(rb, None)
        if moved:
            self.apart.setdefault(ra, set()).update(moved)
        if self.apart_fn is not None:
            kinds = self._members(ra)
            for sig, (rec, count) in self._members(rb).items():
                kinds.setdefault(sig, [rec, 0])[1] += count
            self.kinds[ra] = kinds
            self.kinds.pop(rb, None)
        return None

    def _merge_schemes(self, ra: int, rb: int) -> None:
        sb = self.schemes.pop(rb, None)
        if not sb:
            return
        sa = self.schemes.get(ra)
        if not sa:
            self.schemes[ra] = sb
            return
        merged = dict(sa)
        for scheme, values in sb.items():
            merged[scheme] = merged.get(scheme, frozenset()) | values
        self.schemes[ra] = merged

    def labels(self) -> list[int]:
        return [self.find(x) for x in range(self.n)]


def canonical_ids(
    ids: Sequence[str], roots: Sequence[int], previous: dict[str, str] | None = None
) -> dict[str, str]:
    """Record id -> canonical id, the same on every run for the same clusters.

    A cluster keeps the canonical id its members had before (the one held by most members,
    ties to the smallest) if that id is still one of its members; otherwise it takes its
    smallest member id. A canonical id is therefore always a member id and never shared.
    """
    previous = previous or {}
    members: dict[int, list[str]] = {}
    for rid, root in zip(ids, roots, strict=True):
        members.setdefault(root, []).append(rid)
    order = sorted(members.values(), key=lambda m: (-len(m), min(m)))
    taken: set[str] = set()
    out: dict[str, str] = {}
    for group in order:
        chosen = _choose(group, previous, taken)
        taken.add(chosen)
        for rid in group:
            out[rid] = chosen
    return out


def _choose(group: list[str], previous: dict[str, str], taken: set[str]) -> str:
    votes: dict[str, int] = {}
    member = set(group)
    for rid in group:
        old = previous.get(rid)
        if old and old in member:  # a canonical id is always one of the cluster's own ids
            votes[old] = votes.get(old, 0) + 1
    for old, _ in sorted(votes.items(), key=lambda kv: (-kv[1], kv[0])):
        if old not in taken:
            return old
    for rid in sorted(group):
        if rid not in taken:
            return rid
    return min(group)
