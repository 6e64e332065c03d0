"""Blocking: candidate pairs from several keys, each block capped; never an all-pairs scan.

Keys per name row: the two rarest tokens (``t:``), the whole compact core (``c:``), the
metaphone of the longest distinctive token (``p:``, catches typos) and its letters sorted
(``a:``, catches two letters swapped), and per record each valid identifier (``i:``). A
block bigger than the cap is split by country (``key|CN``); what is still too big is paired
by sorted neighbourhood instead (names sorted by their compact form, each paired with the
next ``window``), which keeps near-identical spellings connected in linear time. Identifier
blocks are chained (each member to the next), not expanded, because sharing the number
already links them all.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from matching.normalize import NameForms
from matching.prepare import Prepared

# Words at least this long also get a key of their letters sorted ("Brgihtwater" meets
# "Brightwater", "keytsone" "Keystone"); shorter words share their letters too often.
ANAGRAM_MIN_LEN = 6


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
    # per pair, the group (position in the key groups given) that made it (pairs_of_groups)
    group: npt.NDArray[np.int32] = field(default_factory=lambda: np.empty(0, dtype=np.int32))


def name_keys(prep: Prepared, row: int, rare_tokens: int, min_len: int) -> list[str]:
    return keys_of_name(prep.forms[row], prep.stats.df, rare_tokens, min_len)


def keys_of_name(f: NameForms, df: Mapping[str, int], rare_tokens: int, min_len: int) -> list[str]:
    """Blocking keys of one name; ``df``: token document frequencies over the whole set."""
    if f.empty:
        return []
    pool = [t for t in set(f.distinctive or f.tokens) if len(t) >= min_len]
    pool.sort(key=lambda t: (df.get(t, 0), t))
    keys = [f"t:{t}" for t in pool[:rare_tokens]]
    keys.append(f"c:{f.han or f.compact}")
    if f.han and f.compact:
        keys.append(f"c:{f.compact}")  # its pinyin: meets "Hengdian Jituan Co., Ltd."
    if f.phonetic:
        keys.append(f"p:{f.phonetic}")
        longest = max(f.distinctive, key=len)  # the word the metaphone key reads
        if len(longest) >= ANAGRAM_MIN_LEN:  # its letters in order: two letters swapped still meet
            keys.append("a:" + "".join(sorted(longest)))
    return keys


def block(prep: Prepared, config: BlockingConfig | None = None) -> Blocks:
    config = config or BlockingConfig()
    groups: dict[str, list[int]] = defaultdict(list)
    for row in range(prep.n_names):
        for key in name_keys(prep, row, config.rare_tokens, config.min_token_len):
            groups[key].append(row)
    country = prep.country[prep.name_rec]
    block_pairs = pairs_of_groups(
        groups, lambda row: int(country[row]), lambda row: prep.forms[row].compact, config)
    il, ir, _ = identifier_chains(_identifier_groups(prep))
    left = np.concatenate([block_pairs.left, il])
    right = np.concatenate([block_pairs.right, ir])
    left, right = _unique_pairs(left, right, prep)
    return Blocks(
        left=left,
        right=right,
        windowed_blocks=block_pairs.windowed_blocks,
        windowed_rows=block_pairs.windowed_rows,
        stats={"blocks": block_pairs.stats["blocks"], "pairs": int(left.size)},
    )


def pairs_of_groups(
    groups: Mapping[str, list[int]], country: Callable[[int], int], compact: Callable[[int], str],
    config: BlockingConfig,
) -> Blocks:
    """Candidate pairs (not yet unique) of name-key blocks, each block's rows ascending:
    small blocks expanded, big ones split by country, what is still big windowed."""
    capped, oversized = _cap(groups, country, config.cap)
    lefts, rights, expanded_from = _expand(capped)
    wl, wr, windowed_from = _windows(oversized, compact, config.window)
    return Blocks(
        left=np.concatenate([lefts, wl]), right=np.concatenate([rights, wr]),
        windowed_blocks=len(oversized), windowed_rows=sum(len(rows) for _, rows in oversized),
        stats={"blocks": len(capped)}, group=np.concatenate([expanded_from, windowed_from]),
    )


Block = tuple[int, list[int]]  # (group it came from, name rows)


def _cap(
    groups: Mapping[str, list[int]], country: Callable[[int], int], cap: int
) -> tuple[list[Block], list[Block]]:
    out: list[Block] = []
    oversized: list[Block] = []
    for group, rows in enumerate(groups.values()):
        if len(rows) < 2:
            continue
        if len(rows) <= cap:
            out.append((group, rows))
            continue
        by_country: dict[int, list[int]] = defaultdict(list)
        for row in rows:
            by_country[country(row)].append(row)
        for code, sub in by_country.items():
            if len(sub) < 2:
                continue
            if code >= 0 and len(sub) <= cap:
                out.append((group, sub))
            else:
                oversized.append((group, sub))
    return out, oversized


Pairs = tuple[npt.NDArray[np.int32], npt.NDArray[np.int32], npt.NDArray[np.int32]]  # left, right, group


def _windows(blocks: list[Block], compact: Callable[[int], str], window: int) -> Pairs:
    """Sorted neighbourhood inside oversized blocks: linear in the block size."""
    lefts = [np.empty(0, dtype=np.int32)]
    rights = [np.empty(0, dtype=np.int32)]
    groups = [np.empty(0, dtype=np.int32)]
    for group, rows in blocks:
        before = len(lefts)
        # Identical spellings are chained to one representative, so that a window spans
        # distinct spellings (a 600-record block of one name must not fill every window).
        first: dict[str, int] = {}
        for row in sorted(rows, key=lambda r: (compact(r), r)):
            rep = first.setdefault(compact(row), row)
            if rep != row:
                lefts.append(np.asarray([rep], dtype=np.int32))
                rights.append(np.asarray([row], dtype=np.int32))
        ordered = np.asarray(list(first.values()), dtype=np.int32)
        for step in range(1, min(window, len(ordered) - 1) + 1):
            lefts.append(ordered[:-step])
            rights.append(ordered[step:])
        made = sum(x.size for x in lefts[before:])
        groups.append(np.full(made, group, dtype=np.int32))
    return np.concatenate(lefts), np.concatenate(rights), np.concatenate(groups)


def _expand(blocks: list[Block]) -> Pairs:
    """All pairs inside each block, vectorised per block size."""
    by_size: dict[int, list[Block]] = defaultdict(list)
    for block in blocks:
        by_size[len(block[1])].append(block)
    lefts = [np.empty(0, dtype=np.int32)]
    rights = [np.empty(0, dtype=np.int32)]
    groups = [np.empty(0, dtype=np.int32)]
    for size, same_size in by_size.items():
        matrix = np.asarray([rows for _, rows in same_size], dtype=np.int32)
        iu, ju = np.triu_indices(size, k=1)
        lefts.append(matrix[:, iu].ravel())
        rights.append(matrix[:, ju].ravel())
        groups.append(np.repeat(np.asarray([g for g, _ in same_size], dtype=np.int32), iu.size))
    return np.concatenate(lefts), np.concatenate(rights), np.concatenate(groups)


def _identifier_groups(prep: Prepared) -> dict[str, list[int]]:
    """Valid identifier -> the first name row of each record holding it, in record order."""
    first_row = np.full(prep.n_records, -1, dtype=np.int64)
    rows = np.arange(prep.n_names, dtype=np.int64)
    first_row[prep.name_rec[::-1]] = rows[::-1]
    groups: dict[str, list[int]] = defaultdict(list)
    for rec, keys in enumerate(prep.idents):
        for key in keys:
            groups[key].append(int(first_row[rec]))
    return groups


def identifier_chains(groups: Mapping[str, list[int]]) -> Pairs:
    """Each holder of a number paired with the next (sharing it already links them all);
    with the group (position in ``groups``) of each pair."""
    left: list[int] = []
    right: list[int] = []
    group: list[int] = []
    for index, members in enumerate(groups.values()):
        left.extend(members[:-1])
        right.extend(members[1:])
        group.extend([index] * (len(members) - 1))
    return (np.asarray(left, dtype=np.int32), np.asarray(right, dtype=np.int32),
            np.asarray(group, dtype=np.int32))


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
