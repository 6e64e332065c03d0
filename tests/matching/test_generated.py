"""The generator: deterministic, labelled, valid identifiers; and accuracy on a generated set.

The test uses 20k records for speed (measured F1 0.99); bench/er.py reports the 200k
and 1M figures.
"""

from __future__ import annotations

from collections import Counter

from matching.evaluate import calibration, scores
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


def test_generated_20k_f1_and_calibration() -> None:
    records, truth = generate(20_000, seed=3)
    run = resolve(records)
    result = scores(run.canonical, truth)
    assert result["f1"] >= 0.97, result  # measured 0.99
    assert result["bcubed_f1"] >= 0.97, result
    # Probabilities mean what they say where merges happen: pairs scored >= 0.99 are
    # matches at least 98 % of the time (0.92 when the name u came from random pairs only).
    bins = calibration([run.rec_id(x) for x in run.left], [run.rec_id(x) for x in run.right],
                       run.probability.tolist(), truth)
    top = [b for b in bins if b["from"] == 0.99][0]
    assert top["observed_match_rate"] >= 0.98 and top["mean_probability"] - top["observed_match_rate"] < 0.02, bins


def test_one_company_never_carries_two_valid_numbers_in_a_scheme() -> None:
    # a mistyped GB company number would be another valid number: another company
    records, truth = generate(6000, seed=11)
    numbers: dict[tuple[str, str], set[str]] = {}
    for r in records:
        for i in r.identifiers:
            if i.valid:
                numbers.setdefault((truth[r.id], i.scheme), set()).add(i.value)
    assert numbers and all(len(v) == 1 for v in numbers.values())
