"""What is served about every entity under one policy: the verdict order and the answer
columns a generation stores (computed once, in ``answers.py``; read by the artifact, the
snapshot, diffs and the store's Result rows). Light to import: numpy only."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import IntEnum

import numpy as np
import numpy.typing as npt

VERDICTS = ("BLOCK", "REVIEW", "INSUFFICIENT_DATA", "ALLOW")
BLOCK, REVIEW, INSUFFICIENT, ALLOW = range(4)
I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
ControllerRow = tuple[int, int, float, float, bool]  # controller, basis, share lo/hi, direct


class Basis(IntEnum):
    """Why a controller is listed."""

    MAJORITY_CHAIN = 0  # top of the majority-control chain
    CYCLE = 1  # a group of entities controlling each other, none above them
    SIGNIFICANT_OWNER = 2  # nobody holds a majority: an owner with >= 25 % look-through

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class Ragged:
    """Per-entity lists as two arrays: entity i's items are ``values[ptr[i]:ptr[i+1]]``."""

    ptr: I64
    values: I64

    def of(self, i: int) -> I64:
        return self.values[self.ptr[i]: self.ptr[i + 1]]

    @classmethod
    def build(cls, n: int, lists: dict[int, list[int]]) -> Ragged:
        counts = np.zeros(n, dtype=np.int64)
        for i, items in lists.items():
            counts[i] = len(items)
        ptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(counts, out=ptr[1:])
        values = np.fromiter((v for i in sorted(lists) for v in lists[i]), dtype=np.int64,
                             count=int(ptr[-1]))
        return cls(ptr, values)


@dataclass(frozen=True)
class Controllers:
    """Each entity's controllers: position, basis and (significant owners) look-through
    share bounds; majority-chain controllers carry NaN shares (control, not a share)."""

    ptr: I64
    entity: I64
    basis: npt.NDArray[np.int8]
    share_lo: F64
    share_hi: F64
    direct: npt.NDArray[np.bool_]

    @classmethod
    def build(cls, n: int, rows: dict[int, list[ControllerRow]]) -> Controllers:
        """From entity -> [(controller, basis, share_lo, share_hi, direct), ...]."""
        flat = [row for y in sorted(rows) for row in rows[y]]
        counts = np.zeros(n, dtype=np.int64)
        for y, items in rows.items():
            counts[y] = len(items)
        ptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(counts, out=ptr[1:])
        return cls(ptr=ptr, entity=np.array([r[0] for r in flat], dtype=np.int64),
                   basis=np.array([r[1] for r in flat], dtype=np.int8),
                   share_lo=np.array([r[2] for r in flat], dtype=np.float64),
                   share_hi=np.array([r[3] for r in flat], dtype=np.float64),
                   direct=np.array([r[4] for r in flat], dtype=np.bool_))

    def of(self, i: int) -> Iterator[tuple[int, Basis, float | None, float | None, bool]]:
        for k in range(int(self.ptr[i]), int(self.ptr[i + 1])):
            lo, hi = float(self.share_lo[k]), float(self.share_hi[k])
            yield (int(self.entity[k]), Basis(int(self.basis[k])),
                   None if np.isnan(lo) else lo, None if np.isnan(hi) else hi,
                   bool(self.direct[k]))


@dataclass(frozen=True)
class Evidence:
    """Paths of edge indices (root -> ... -> entity) behind each BLOCK / REVIEW: entity i's
    paths are ``paths.of(i)`` (path ids), path p's edges ``edges.of(p)``."""

    paths: Ragged
    edges: Ragged

    def of(self, i: int) -> list[tuple[int, ...]]:
        return [tuple(int(e) for e in self.edges.of(int(p))) for p in self.paths.of(i)]

    @classmethod
    def build(cls, n: int, paths: dict[int, list[tuple[int, ...]]]) -> Evidence:
        """From entity -> [path of edge indices, ...]."""
        per_entity: dict[int, list[int]] = {}
        flat: dict[int, list[int]] = {}
        for y in sorted(paths):
            for path in paths[y]:
                per_entity.setdefault(y, []).append(len(flat))
                flat[len(flat)] = list(path)
        return cls(Ragged.build(n, per_entity), Ragged.build(len(flat), flat))


@dataclass(frozen=True)
class PolicyAnswers:
    """One policy's answers for every entity of a generation (columns by entity position)."""

    policy: str
    as_of: str
    verdict: npt.NDArray[np.int8]  # index into VERDICTS
    exposure_lo: F64
    exposure_hi: F64
    controllers: Controllers
    evidence: Evidence

    def verdict_name(self, i: int) -> str:
        return VERDICTS[int(self.verdict[i])]

    def counts(self) -> dict[str, int]:
        tally = np.bincount(self.verdict, minlength=len(VERDICTS))
        return {v: int(c) for v, c in zip(VERDICTS, tally, strict=True)}
