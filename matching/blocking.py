"""Blocking: candidate pairs from several keys, each block capped; never an all-pairs scan.

Keys per name row: the two rarest tokens (``t:``), the whole compact core (``c:``), the
metaphone of the longest distinctive token (``p:``, catches typos), and per record each
valid identifier (``i:``). A block bigger than the cap is split by country (``key|CN``);
what is still too big is paired by sorted neighbourhood instead (names sorted by their
compact form, each paired with the next ``window``), which keeps near-identical spellings
connected in linear time. Identifier blocks are chained (each member to
the next), not expanded, because sharing the number already links them all.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from matching.prepare import Prepared


@dataclass(frozen=True)
class BlockingConfig:
    cap: int = 30  # largest block expanded into all its pairs
    window: int = 4  # bigger blocks: each name paired with this many neighbours in sort order
    rare_tokens: int = 2  # rarest tokens per name used as keys
    min_token_len: int = 2


@dataclass
class Blocks:
    left: npt.NDArray[np.int32]  # name rows
    right: npt.NDArray[np.int32]
    windowed_blocks: int = 0
    windowed_rows: int = 0
    stats: dict[str, int] = field(default_factory=dict)


def name_keys(prep: Prepared, row: int, rare_tokens: int, min_len: int) -> list[str]:
    f = prep.forms[row]
    if f.empty:
        return []
    df = prep.stats.df
    pool = [t for t in set(f.distinctive or f.tokens) if len(t) >= min_len]
    pool.sort(key=lambda t: (df.get(t, 0), t))
    keys = [f"t:{t}" for t in pool[:rare_tokens]]
    keys.append(f"c:{f.han or f.compact}")
    if f.han and f.compact:
        keys.append(f"c:{f.compact}")  # its pinyin: meets "Hengdian Jituan Co., Ltd."
    if f.phonetic:
        keys.append(f"p:{f.phonetic}")
    return keys


def block(prep: Prepared, config: BlockingConfig | None = None) -> Blocks:
    config = config or BlockingConfig()
    groups: dict[str, list[int]] = defaultdict(list)
    for row in range(prep.n_names):
        for key in name_keys(prep, row, config.rare_tokens, config.min_token_len):
            groups[key].append(row)
    capped, oversized = _cap(groups, prep, config.cap)
    lefts, rights = _expand(capped)
    wl, wr = _windows(oversized, prep, config.window)
    il, ir = _identifier_chains(prep)
    left = np.concatenate([lefts, wl, il])
    right = np.concatenate([rights, wr, ir])
    left, right = _unique_pairs(left, right, prep)
    return Blocks(
        left=left,
        right=right,
        windowed_blocks=len(oversized),
        windowed_rows=sum(len(rows) for rows in oversized),
        stats={"blocks": len(capped), "pairs": int(left.size)},
    )


def _cap(
    groups: dict[str, list[int]], prep: Prepared, cap: int
) -> tuple[list[list[int]], list[list[int]]]:
    out: list[list[int]] = []
    oversized: list[list[int]] = []
    for rows in groups.values():
        if len(rows) < 2:
            continue
        if len(rows) <= cap:
            out.append(rows)
            continue
        by_country: dict[int, list[int]] = defaultdict(list)
        for row in rows:
            by_country[int(prep.country[prep.name_rec[row]])].append(row)
        for code, sub in by_country.items():
            if len(sub) < 2:
                continue
            if code >= 0 and len(sub) <= cap:
                out.append(sub)
            else:
                oversized.append(sub)
    return out, oversized


def _windows(
    blocks: list[list[int]], prep: Prepared, window: int
) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int32]]:
    """Sorted neighbourhood inside oversized blocks: linear in the block size."""
    lefts = [np.empty(0, dtype=np.int32)]
    rights = [np.empty(0, dtype=np.int32)]
    forms = prep.forms
    for rows in blocks:
        # Identical spellings are chained to one representative, so that a window spans
        # distinct spellings (a 600-record block of one name must not fill every window).
        first: dict[str, int] = {}
        for row in sorted(rows, key=lambda r: (forms[r].compact, r)):
            rep = first.setdefault(forms[row].compact, row)
            if rep != row:
                lefts.append(np.asarray([rep], dtype=np.int32))
                rights.append(np.asarray([row], dtype=np.int32))
        ordered = np.asarray(list(first.values()), dtype=np.int32)
        for step in range(1, min(window, len(ordered) - 1) + 1):
            lefts.append(ordered[:-step])
            rights.append(ordered[step:])
    return np.concatenate(lefts), np.concatenate(rights)


def _expand(blocks: list[list[int]]) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int32]]:
    """All pairs inside each block, vectorised per block size."""
    by_size: dict[int, list[list[int]]] = defaultdict(list)
    for rows in blocks:
        by_size[len(rows)].append(rows)
    lefts = [np.empty(0, dtype=np.int32)]
    rights = [np.empty(0, dtype=np.int32)]
    for size, group in by_size.items():
        matrix = np.asarray(group, dtype=np.int32)
        iu, ju = np.triu_indices(size, k=1)
        lefts.append(matrix[:, iu].ravel())
        rights.append(matrix[:, ju].ravel())
    return np.concatenate(lefts), np.concatenate(rights)


def _identifier_chains(prep: Prepared) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int32]]:
    first_row = np.full(prep.n_records, -1, dtype=np.int64)
    rows = np.arange(prep.n_names, dtype=np.int64)
    first_row[prep.name_rec[::-1]] = rows[::-1]
    groups: dict[str, list[int]] = defaultdict(list)
    for rec, keys in enumerate(prep.idents):
        for key in keys:
            groups[key].append(int(first_row[rec]))
    left: list[int] = []
    right: list[int] = []
    for members in groups.values():
        left.extend(members[:-1])
        right.extend(members[1:])
    return np.asarray(left, dtype=np.int32), np.asarray(right, dtype=np.int32)


def _unique_pairs(
    left: npt.NDArray[np.int32], right: npt.NDArray[np.int32], prep: Prepared
) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int32]]:
    """Drop self-pairs (same record) and duplicates; order each pair (low, high)."""
    keep = prep.name_rec[left] != prep.name_rec[right]
    left, right = left[keep], right[keep]
    lo = np.minimum(left, right).astype(np.int64)
    hi = np.maximum(left, right).astype(np.int64)
    codes = np.sort(lo * prep.n_names + hi)
    if codes.size:
        codes = codes[np.r_[True, codes[1:] != codes[:-1]]]
    return (codes // prep.n_names).astype(np.int32), (codes % prep.n_names).astype(np.int32)
