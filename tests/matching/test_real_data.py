"""Accuracy on the labelled public sets in ../shared/data/real/matching (measured, not assumed).

Figures measured when these floors were set (see docs/matching.md): PATSTAT pairwise F1
0.985; Chicago childcare pairwise F1 0.466 unsupervised, 0.75 after 150 judgements.
"""

from __future__ import annotations

import random
from collections import Counter

from graph.model import Decision, Judgement
from matching import datasets
from matching.evaluate import scores
from matching.resolve import resolve

# No skip when the files are missing: a run without them must fail, not pass silently.


def test_patstat_pairwise_f1() -> None:
    records, truth = datasets.patstat()
    result = scores(resolve(records).canonical, truth)
    assert result["f1"] >= 0.95, result
    assert result["precision"] >= 0.98, result


def test_patstat_keeps_dsm_and_dsm_ip_assets_apart() -> None:
    records, truth = datasets.patstat()
    canon = resolve(records).canonical
    dsm = Counter(canon[r.id] for r in records if truth[r.id] == "7650783")
    ip_assets = Counter(canon[r.id] for r in records if truth[r.id] == "7651088")
    main_dsm, dsm_size = dsm.most_common(1)[0]
    main_ip, ip_size = ip_assets.most_common(1)[0]
    assert main_dsm != main_ip  # the two companies' bodies stay apart
    assert dsm_size >= 80 and ip_size >= 85  # of 92 and 101 records
    assert ip_assets[main_dsm] == 0 and dsm[main_ip] <= 2  # at most a stray "DSM CORP."


def test_chicago_childcare_floor() -> None:
    records, truth = datasets.chicago()
    result = scores(resolve(records).canonical, truth)
    assert result["f1"] >= 0.40, result  # measured 0.669 (0.466 before the word rules): sites of one agency share its name
    assert result["bcubed_f1"] >= 0.72, result


def test_judgements_retrain_and_constrain() -> None:
    records, truth = datasets.chicago()
    first = resolve(records)
    base = scores(first.canonical, truth)["f1"]
    candidates = first.candidates()
    random.Random(1).shuffle(candidates)
    judged = [
        Judgement(c.left, c.right, Decision.SAME if truth[c.left] == truth[c.right] else Decision.NOT_SAME,
                  "reviewer", "2026-01-01T00:00:00Z", "from truth")
        for c in candidates[:150]
    ]
    second = resolve(records, judgements=judged)
    assert second.model.history[-1].startswith("labelled")
    # measured: 0.466 -> 0.75 when unsupervised Chicago scored 0.47; with the word rules and
    # cluster coherence the unsupervised run scores 0.673 and 150 judgements lift it to 0.723
    # (coherence already keeps apart the sites that judgements used to separate)
    assert scores(second.canonical, truth)["f1"] >= max(base + 0.04, 0.72)
    for j in judged:  # every judgement holds in the result
        same = second.canonical[j.left] == second.canonical[j.right]
        assert same is (j.decision == Decision.SAME)
