"""The generator: deterministic, labelled, valid identifiers; and accuracy on a generated set.

The test uses 20k records for speed (measured F1 0.953); bench/er.py reports the 200k
and 1M figures.
"""

from __future__ import annotations

from collections import Counter

from matching.evaluate import scores
from matching.generate import generate
from matching.resolve import resolve


def test_generation_is_deterministic_and_labelled() -> None:
    a, truth_a = generate(2000, seed=4)
    b, truth_b = generate(2000, seed=4)
    assert a == b and truth_a == truth_b
    assert len(a) == 2000 and set(truth_a) == {r.id for r in a}
    sizes = Counter(truth_a.values())
    assert max(sizes.values()) > 1 and min(sizes.values()) == 1


def test_generated_variants_cover_the_quirks() -> None:
    records, _ = generate(4000, seed=9)
    names = [n for r in records for n in r.names]
    assert any("有限公司" in n for n in names) and any("有限公司" not in n and "公司" in n for n in names)
    assert any("Co., Ltd." in n for n in names)  # pinyin transliterations
    assert any(n.isupper() for n in names) and any(n.islower() for n in names)
    idents = [i for r in records for i in r.identifiers]
    assert {i.scheme for i in idents} >= {"lei", "cn_uscc", "gb_crn"}
    invalid = [i for i in idents if not i.valid]
    assert 0 < len(invalid) < 0.05 * len(idents)  # a few mistyped check digits


def test_generated_20k_f1() -> None:
    records, truth = generate(20_000, seed=3)
    result = scores(resolve(records).canonical, truth)
    assert result["f1"] >= 0.93, result
    assert result["bcubed_f1"] >= 0.95, result


def test_one_company_never_carries_two_valid_numbers_in_a_scheme() -> None:
    # a mistyped GB company number would be another valid number: another company
    records, truth = generate(6000, seed=11)
    numbers: dict[tuple[str, str], set[str]] = {}
    for r in records:
        for i in r.identifiers:
            if i.valid:
                numbers.setdefault((truth[r.id], i.scheme), set()).add(i.value)
    assert numbers and all(len(v) == 1 for v in numbers.values())
