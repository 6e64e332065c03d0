"""Benchmark of the screening API: prints ONE JSON object.

The server process builds a snapshot of N synthetic entities (names, LEIs, ownership with
Chinese roots, one policy evaluated by the real engine), serves it with uvicorn on
127.0.0.1, and a separate load-generator process sends keep-alive HTTP/1.1 requests over
loopback. Figures: screen-by-identifier throughput and latency percentiles, screen-by-name
latency percentiles, recall@1 of name screening on generated name variants (typos, word
order, legal-form spellings, case and punctuation, dropped generic words; Han names as
traditional script, word-spaced and syllable-split pinyin), and the share of NO_MATCH for
1,000 generated names of companies that are not in the graph.

    .venv/bin/python bench/api.py            # 1M entities
    .venv/bin/python bench/api.py --quick    # 30k entities, shorter runs (< 60 s)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import random
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SYLLABLES = ["ka", "lo", "ven", "tor", "mi", "ra", "zen", "dal", "qui", "sor", "bel", "nex",
             "tra", "vo", "lin", "mar", "cor", "fi", "gal", "han", "jo", "kel", "mon", "pra",
             "sta", "ul", "wes", "xan", "yor", "zu", "ber", "dra", "eno", "fel", "gor", "hel"]
SECTORS = ["Technology", "Logistics", "Capital", "Energy", "Foods", "Mining", "Textiles",
           "Pharma", "Shipping", "Software", "Semiconductor", "Trading", "Holdings", "Media"]
# Legal forms per country, each a family of spellings of ONE form: a company keeps its form
# ("X GmbH" and "X AG" are two companies), its records vary the spelling.
LEGAL = {"GB": [["Limited", "Ltd"], ["PLC", "Public Limited Company"]],
         "US": [["Inc.", "Incorporated"], ["LLC", "L.L.C."], ["Corporation", "Corp."]],
         "DE": [["GmbH", "Gesellschaft mbH"], ["AG", "Aktiengesellschaft"]],
         "SG": [["Pte. Ltd.", "Private Limited"]], "HK": [["Limited", "Ltd"]],
         "CN": [["Co., Ltd.", "Company Limited"]], "FR": [["SA", "S.A."], ["SAS", "S.A.S."]],
         "NL": [["B.V.", "BV"], ["N.V.", "NV"]]}
COUNTRIES = list(LEGAL)
# Han names: two or three characters, a descriptor, 有限公司 (one entity in ten)
HAN_CHARS = "华远金桥东湖天成瑞丰海川恒通鸿图新源长江宏达安泰中凯永信明阳德润嘉禾泰和融创盛世博雅航光"
HAN_DESCRIPTORS = ("科技", "集团", "控股", "投资", "贸易", "能源", "物流", "医药", "电子")


def word(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()


def synthetic_names(n: int, seed: int, avoid: set[str] | None = None) -> tuple[list[str], list[str]]:
    """n distinct names (a tenth in Han) with their countries; ``avoid``: cores not to use."""
    rng = random.Random(seed)
    names, countries, seen = [], [], set(avoid or ())
    while len(names) < n:
        if rng.random() < 0.1:
            han = "".join(rng.choice(HAN_CHARS) for _ in range(rng.randint(2, 3))) + rng.choice(HAN_DESCRIPTORS)
            if han in seen:
                continue
            seen.add(han)
            names.append(han + "有限公司")
            countries.append("CN")
            continue
        country = rng.choice(COUNTRIES)
        parts = [word(rng) for _ in range(rng.choice((1, 2, 2, 3)))]
        name = " ".join([*parts, rng.choice(SECTORS), rng.choice(LEGAL[country])[0]])
        core = " ".join(parts).lower()
        if core in seen:
            continue
        seen.add(core)
        names.append(name)
        countries.append(country)
    return names, countries


def core_of(name: str) -> str:
    """The key ``synthetic_names`` keeps distinct (to generate names not in the graph)."""
    if name.endswith("有限公司"):
        return name[: -len("有限公司")]
    for families in LEGAL.values():
        for family in families:
            if name.endswith(" " + family[0]):
                name = name[: -len(family[0]) - 1]
    return " ".join(name.split()[:-1]).lower()  # without the sector word


def lei_for(i: int) -> str:
    from stdnum.iso7064 import mod_97_10

    base = f"BNCH00{i:012d}"
    return base + mod_97_10.calc_check_digits(base)


def variant(name: str, country: str, rng: random.Random) -> str:
    """One realistic rewrite of a registered name (what a sign-up form might say)."""
    if name.endswith("有限公司"):
        return han_variant(name, rng)
    family = next((f for f in LEGAL[country] if name.endswith(" " + f[0])), [""])
    form = family[0]
    core = name[: len(name) - len(form)].split() if form else name.split()
    legal = form.split()
    kind = rng.choice(("typo", "order", "legal", "case", "drop_sector"))
    if kind == "typo":
        i = rng.randrange(len(core))
        w = core[i]
        if len(w) > 4:
            j = rng.randrange(1, len(w) - 1)
            core[i] = w[:j] + w[j + 1] + w[j] + w[j + 2:]  # transposition
    elif kind == "order" and len(core) > 2:
        core[0], core[1] = core[1], core[0]
    elif kind == "legal":
        legal = rng.choice(family).split()  # another spelling of the same form
    elif kind == "case":
        return (" ".join(core + legal)).upper().replace(".", "").replace(",", "")
    elif kind == "drop_sector" and len(core) > 2:
        core = core[:-1]
    return " ".join(core + legal)


def han_variant(name: str, rng: random.Random) -> str:
    """Traditional script, word-spaced pinyin ("Hengdian Jituan Konggu Youxian Gongsi") or
    syllable-split pinyin with an English legal form."""
    import opencc
    import pypinyin

    core = name[: -len("有限公司")]
    kind = rng.choice(("traditional", "pinyin_words", "pinyin_syllables"))
    if kind == "traditional":
        return str(opencc.OpenCC("s2t").convert(name))
    syllables = pypinyin.lazy_pinyin(core)
    if kind == "pinyin_words":
        words = ["".join(syllables[i : i + 2]).capitalize() for i in range(0, len(syllables), 2)]
        return " ".join([*words, "Youxian Gongsi"])
    return " ".join(s.capitalize() for s in syllables) + " Co., Ltd."


def build_snapshot(n: int, seed: int) -> tuple[Any, list[str], list[str]]:
    from api.generations.artifact import Artifact
    from api.snapshot import snapshot_of
    from api.views import EntityView
    from graph.arrays import OPEN_END, OPEN_START, GraphArrays, interest_kind_code
    from graph.control.answers import answers
    from graph.control.policies import builtin_policies, policy_table
    from graph.model import InterestKind

    names, countries = synthetic_names(n, seed)
    rng = np.random.default_rng(seed)
    ids = np.array([f"bench:{i}" for i in range(n)])
    # a forest of ownership: each entity after the first 5 % has one or two owners
    owned = np.arange(n // 20, n, dtype=np.int32)
    owner = (rng.random(owned.shape[0]) * owned).astype(np.int32)
    extra = rng.choice(owned, size=n // 5)
    owner2 = (rng.random(extra.shape[0]) * extra).astype(np.int32)
    own_o = np.concatenate([owner, owner2])
    own_d = np.concatenate([owned, extra.astype(np.int32)])
    share = np.concatenate([rng.choice([0.3, 0.51, 0.75, 1.0], owner.shape[0]),
                            np.full(owner2.shape[0], 0.2)])
    m = own_o.shape[0]
    jur = np.array(countries, dtype="<U2")
    arrays = GraphArrays(
        ids=ids, kind=np.zeros(n, dtype=np.int8), jurisdiction=jur, hq_country=jur.copy(),
        nationality=np.full(n, "", dtype="<U2"), residence=np.full(n, "", dtype="<U2"),
        flags={}, exceptions={}, owner=own_o, owned=own_d,
        edge_kind=np.full(m, interest_kind_code(InterestKind.SHAREHOLDING), dtype=np.int8),
        share_lo=share, share_hi=share.copy(), start=np.full(m, OPEN_START, dtype=np.int32),
        end=np.full(m, OPEN_END, dtype=np.int32), confidence=np.ones(m, dtype=np.float32),
        edge_key=np.array([f"bench|e{i}|x|y|shareholding" for i in range(m)]))
    policy = builtin_policies()["cn-majority"]
    computed = {policy.name: answers(arrays, policy)}
    views = {str(ids[i]): EntityView(
        id=str(ids[i]), name=names[i], kind="company", jurisdiction=countries[i],
        hq_country=countries[i], names=(names[i],), identifiers=(("lei", lei_for(i)),),
        members=(str(ids[i]),)) for i in range(n)}
    manifest = {"id": "bench", "policy_tables": {policy.name: policy_table(policy)}}
    snap = snapshot_of(Artifact(manifest, arrays, views, computed))
    return snap, names, countries


# ----------------------------------------------------------------------------- load generator


async def _worker(port: int, bodies: list[tuple[int, bytes]], token: str, deadline: float,
                  latencies: list[float], answers: dict[int, bytes] | None) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = (f"POST /v1/screen HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
            "Content-Type: application/json\r\nContent-Length: ").encode()
    i = 0
    # a collecting phase sends every body (recall is over all variants), a timed one loops
    while (answers is not None and i < len(bodies)) or (answers is None and time.perf_counter() < deadline):
        index, body = bodies[i % len(bodies)]
        i += 1
        started = time.perf_counter()
        writer.write(head + str(len(body)).encode() + b"\r\n\r\n" + body)
        status_and_headers = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in status_and_headers.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        payload = await reader.readexactly(length)
        latencies.append(time.perf_counter() - started)
        if not status_and_headers.startswith(b"HTTP/1.1 200"):
            raise RuntimeError(status_and_headers[:80] + payload[:200])
        if answers is not None:
            answers[index] = payload
    writer.close()


def _load(port: int, bodies: list[bytes], token: str, seconds: float, concurrency: int,
          collect: bool) -> dict[str, Any]:
    latencies: list[float] = []
    answers: dict[int, bytes] | None = {} if collect else None
    indexed = list(enumerate(bodies))

    async def main() -> float:
        deadline = time.perf_counter() + seconds
        started = time.perf_counter()
        share = [indexed[k::concurrency] for k in range(concurrency)] if collect else \
            [indexed[k::concurrency] + indexed[:k] for k in range(concurrency)]
        await asyncio.gather(*(_worker(port, s, token, deadline, latencies, answers)
                               for s in share))
        return time.perf_counter() - started

    elapsed = asyncio.run(main())
    lat = np.array(latencies) * 1000.0
    out: dict[str, Any] = {
        "requests": int(lat.shape[0]), "req_per_s": round(lat.shape[0] / elapsed, 1),
        "p50_ms": round(float(np.percentile(lat, 50)), 3),
        "p99_ms": round(float(np.percentile(lat, 99)), 3),
        "max_ms": round(float(lat.max()), 3), "concurrency": concurrency}
    if answers is not None:
        out["answers"] = [json.loads(answers[k]) if k in answers else {} for k in range(len(bodies))]
    return out


def load_process(conn: Any, port: int, plan: dict[str, Any]) -> None:
    """Runs in its own process: every phase of load, results back over the pipe."""
    try:
        results = {}
        for phase, spec in plan.items():
            bodies = [json.dumps(b).encode() for b in spec["bodies"]]
            results[phase] = _load(port, bodies, spec["token"],
                                   spec["seconds"], spec["concurrency"], spec.get("collect", False))
        conn.send(results)
    except Exception as exc:  # the parent reports it in the JSON instead of hanging
        conn.send({"error": f"{type(exc).__name__}: {exc}"})


def not_in_graph(snap: Any, names: list[str], n: int) -> dict[str, Any]:
    """n generated names of companies that are not in the graph, screened: how many NO_MATCH."""
    from api.schemas import ScreenRequest
    from api.screen import resolve

    absent, _ = synthetic_names(n, seed=991, avoid={core_of(x) for x in names})
    no_match = sum(1 for name in absent if resolve(snap, ScreenRequest(name=name)) is None)
    return {"names": n, "no_match": no_match, "share": round(no_match / n, 4)}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--entities", type=int, default=None)
    parser.add_argument("--seconds", type=float, default=None)
    args = parser.parse_args()
    n = args.entities or (30_000 if args.quick else 1_000_000)
    seconds = args.seconds or (4.0 if args.quick else 15.0)
    n_variants = 500 if args.quick else 2000

    import logging

    import uvicorn

    from api.app import create_app
    from api.auth import KeyStore, Role
    from api.settings import Settings

    logging.disable(logging.INFO)
    t0 = time.perf_counter()
    snap, names, countries = build_snapshot(n, seed=11)
    build_s = time.perf_counter() - t0
    home = Path(tempfile.mkdtemp(prefix="og-bench-"))
    settings = Settings(home=home, policies=["cn-majority"], audit_retention_days=1)
    token = KeyStore(home / "keys.json").create(Role.GATEWAY, "bench")[0]
    app = create_app(settings, snapshot=snap, open_store=False)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, loop="uvloop",
                                           http="httptools", log_config=None, access_log=False,
                                           lifespan="on"))
    rng = random.Random(5)
    sample = [rng.randrange(n) for _ in range(n_variants)]
    variants = [variant(names[i], countries[i], rng) for i in sample]
    id_bodies = [{"identifiers": {"lei": lei_for(rng.randrange(n))}} for _ in range(5000)]
    plan = {
        "warmup": {"bodies": id_bodies[:200], "token": token, "seconds": 1.0, "concurrency": 2},
        "identifier": {"bodies": id_bodies, "token": token, "seconds": seconds, "concurrency": 4},
        "name": {"bodies": [{"name": v} for v in variants], "token": token,
                 "seconds": seconds, "concurrency": 2, "collect": True},
    }
    results: dict[str, Any] = {}

    def drive() -> None:
        while not server.started:
            time.sleep(0.05)
        parent, child = mp.Pipe()
        proc = mp.get_context("spawn").Process(target=load_process, args=(child, port, plan))
        proc.start()
        results.update(parent.recv())
        proc.join()
        server.should_exit = True

    threading.Thread(target=drive, daemon=True).start()
    server.run()
    if "error" in results:
        print(json.dumps({"error": results["error"]}))
        sys.exit(1)
    name_phase = results["name"]
    answers = name_phase.pop("answers")
    hits = sum(1 for i, a in zip(sample, answers, strict=False)
               if a.get("entity") and a["entity"]["id"] == f"bench:{i}")
    pinyin = [k for k, i in enumerate(sample) if names[i].endswith("有限公司")]
    pinyin_hits = sum(1 for k in pinyin if answers[k].get("entity")
                      and answers[k]["entity"]["id"] == f"bench:{sample[k]}")
    absent = not_in_graph(snap, names, 1000)
    identifier = results["identifier"]
    print(json.dumps({
        "entities": n, "snapshot_build_s": round(build_s, 1),
        "screen_identifier_req_per_s": identifier["req_per_s"],
        "screen_identifier_p50_ms": identifier["p50_ms"],
        "screen_identifier_p99_ms": identifier["p99_ms"],
        "screen_identifier_concurrency": identifier["concurrency"],
        "screen_name_req_per_s": name_phase["req_per_s"],
        "screen_name_p50_ms": name_phase["p50_ms"], "screen_name_p99_ms": name_phase["p99_ms"],
        "screen_name_concurrency": name_phase["concurrency"],
        "name_variants": len(answers), "name_recall_at_1": round(hits / max(len(answers), 1), 4),
        "han_variants": len(pinyin), "han_recall_at_1": round(pinyin_hits / max(len(pinyin), 1), 4),
        "absent_names": absent["names"], "absent_no_match": absent["no_match"],
        "absent_no_match_share": absent["share"],
        "targets": {"identifier_req_per_s": 2000, "identifier_p99_ms": 5, "name_p99_ms": 25,
                    "name_recall_at_1": 0.98, "absent_no_match_share": 0.99},
        "load": "separate process, HTTP/1.1 keep-alive over 127.0.0.1",
        "cpu_count": os.cpu_count(),
    }))


if __name__ == "__main__":
    main()
