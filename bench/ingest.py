"""Ingestion benchmark: generated GLEIF-shaped XML into the embedded store, end to end.

Generates LEI-CDF (default 1M records), RR-CDF (300k relationships) and repex (1M
exceptions) files shaped like the golden copy, ingests them in one run through the same
pipeline the CLI uses, and prints ONE JSON object: records/s end to end (parse, map, batch
upsert, summary) and the peak RSS of this process and of the store server.

    .venv/bin/python bench/ingest.py            # full scale
    .venv/bin/python bench/ingest.py --quick    # reduced scale, < 60 s
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

from stdnum.iso7064 import mod_97_10

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from graph.falkordb.server import EmbeddedServer  # noqa: E402
from graph.store_config import StoreConfig  # noqa: E402
from graph.stores import open_store  # noqa: E402
from ingest.run import RunOptions, run_ingest  # noqa: E402

LEI_HEAD = """<?xml version="1.0" encoding="UTF-8"?><lei:LEIData xmlns:lei="http://www.gleif.org/data/schema/leidata/2016">
<lei:LEIHeader><lei:ContentDate>2024-05-05T08:00:00Z</lei:ContentDate><lei:FileContent>GLEIF_FULL_PUBLISHED</lei:FileContent><lei:RecordCount>{n}</lei:RecordCount></lei:LEIHeader>
<lei:LEIRecords>
"""
LEI_RECORD = """<lei:LEIRecord><lei:LEI>{lei}</lei:LEI><lei:Entity><lei:LegalName xml:lang="en">{name}</lei:LegalName>
<lei:OtherEntityNames><lei:OtherEntityName xml:lang="{lang}" type="ALTERNATIVE_LANGUAGE_LEGAL_NAME">{alt}</lei:OtherEntityName></lei:OtherEntityNames>
<lei:LegalAddress xml:lang="en"><lei:FirstAddressLine>{num} Main Street</lei:FirstAddressLine><lei:City>Springfield</lei:City><lei:Region>{cc}-01</lei:Region><lei:Country>{cc}</lei:Country><lei:PostalCode>{num}</lei:PostalCode></lei:LegalAddress>
<lei:HeadquartersAddress xml:lang="en"><lei:FirstAddressLine>{num} High Street</lei:FirstAddressLine><lei:City>Capital</lei:City><lei:Country>{hq}</lei:Country><lei:PostalCode>{num}</lei:PostalCode></lei:HeadquartersAddress>
<lei:RegistrationAuthority><lei:RegistrationAuthorityID>RA000585</lei:RegistrationAuthorityID><lei:RegistrationAuthorityEntityID>{num:08d}</lei:RegistrationAuthorityEntityID></lei:RegistrationAuthority>
<lei:LegalJurisdiction>{cc}</lei:LegalJurisdiction><lei:EntityCategory>{cat}</lei:EntityCategory><lei:LegalForm><lei:EntityLegalFormCode>8888</lei:EntityLegalFormCode></lei:LegalForm>
<lei:EntityStatus>ACTIVE</lei:EntityStatus><lei:EntityCreationDate>2010-01-01T00:00:00+08:00</lei:EntityCreationDate></lei:Entity>
<lei:Registration><lei:InitialRegistrationDate>2012-11-29T16:33:00.000Z</lei:InitialRegistrationDate><lei:LastUpdateDate>2024-05-01T15:41:20.212Z</lei:LastUpdateDate><lei:RegistrationStatus>ISSUED</lei:RegistrationStatus><lei:ManagingLOU>EVK05KS7XY1DEII3R011</lei:ManagingLOU></lei:Registration></lei:LEIRecord>
"""
RR_HEAD = """<?xml version="1.0" encoding="UTF-8"?><rr:RelationshipData xmlns:rr="http://www.gleif.org/data/schema/rr/2016">
<rr:Header><rr:ContentDate>2024-05-05T08:00:00Z</rr:ContentDate><rr:FileContent>GLEIF_FULL_PUBLISHED</rr:FileContent><rr:RecordCount>{n}</rr:RecordCount></rr:Header>
<rr:RelationshipRecords>
"""
RR_RECORD = """<rr:RelationshipRecord><rr:Relationship><rr:StartNode><rr:NodeID>{child}</rr:NodeID><rr:NodeIDType>LEI</rr:NodeIDType></rr:StartNode>
<rr:EndNode><rr:NodeID>{parent}</rr:NodeID><rr:NodeIDType>LEI</rr:NodeIDType></rr:EndNode><rr:RelationshipType>{rtype}</rr:RelationshipType>
<rr:RelationshipPeriods><rr:RelationshipPeriod><rr:StartDate>2015-01-01T00:00:00.000Z</rr:StartDate><rr:PeriodType>RELATIONSHIP_PERIOD</rr:PeriodType></rr:RelationshipPeriod>
<rr:RelationshipPeriod><rr:StartDate>2023-01-01T00:00:00Z</rr:StartDate><rr:EndDate>2023-12-31T00:00:00Z</rr:EndDate><rr:PeriodType>ACCOUNTING_PERIOD</rr:PeriodType></rr:RelationshipPeriod></rr:RelationshipPeriods>
<rr:RelationshipStatus>ACTIVE</rr:RelationshipStatus></rr:Relationship><rr:Registration><rr:LastUpdateDate>2024-05-01T00:00:00Z</rr:LastUpdateDate><rr:RegistrationStatus>PUBLISHED</rr:RegistrationStatus></rr:Registration></rr:RelationshipRecord>
"""
REPEX_HEAD = """<?xml version="1.0" encoding="UTF-8"?><repex:ReportingExceptionData xmlns:repex="http://www.gleif.org/data/schema/repex/2016">
<repex:Header><repex:ContentDate>2024-05-05T08:00:00Z</repex:ContentDate><repex:FileContent>GLEIF_FULL_PUBLISHED</repex:FileContent><repex:RecordCount>{n}</repex:RecordCount></repex:Header>
<repex:ReportingExceptions>
"""
REPEX_RECORD = """<repex:Exception><repex:LEI>{lei}</repex:LEI><repex:ExceptionCategory>{cat}</repex:ExceptionCategory><repex:ExceptionReason>{reason}</repex:ExceptionReason></repex:Exception>
"""
COUNTRIES = ("US", "GB", "DE", "CN", "HK", "FR", "JP", "KY", "LU", "NL")
REASONS = ("NATURAL_PERSONS", "NON_CONSOLIDATING", "NO_KNOWN_PERSON", "NON_PUBLIC", "NO_LEI")
RTYPES = ("IS_DIRECTLY_CONSOLIDATED_BY", "IS_ULTIMATELY_CONSOLIDATED_BY", "IS_FUND-MANAGED_BY")


def make_lei(i: int) -> str:
    base = f"BENCH{i:013d}"
    return base + mod_97_10.calc_check_digits(base)


def generate(folder: Path, n_lei: int, n_rr: int, n_exc: int, seed: int = 7) -> list[Path]:
    rnd = random.Random(seed)
    leis = [make_lei(i) for i in range(n_lei)]
    lei_file, rr_file, repex_file = folder / "lei.xml", folder / "rr.xml", folder / "repex.xml"
    with lei_file.open("w", encoding="utf-8") as fh:
        fh.write(LEI_HEAD.format(n=n_lei))
        for i, lei in enumerate(leis):
            cc = COUNTRIES[i % len(COUNTRIES)]
            fh.write(LEI_RECORD.format(lei=lei, name=f"Bench Holdings {i} Limited", alt=f"Bench {i} AG",
                                       lang="de", num=i, cc=cc, hq=COUNTRIES[(i * 7) % len(COUNTRIES)],
                                       cat="FUND" if i % 13 == 0 else "GENERAL"))
        fh.write("</lei:LEIRecords></lei:LEIData>\n")
    with rr_file.open("w", encoding="utf-8") as fh:
        fh.write(RR_HEAD.format(n=n_rr))
        for i in range(n_rr):
            child = leis[rnd.randrange(n_lei)]
            parent = leis[rnd.randrange(n_lei)]
            fh.write(RR_RECORD.format(child=child, parent=parent, rtype=RTYPES[i % len(RTYPES)]))
        fh.write("</rr:RelationshipRecords></rr:RelationshipData>\n")
    with repex_file.open("w", encoding="utf-8") as fh:
        fh.write(REPEX_HEAD.format(n=n_exc))
        for i in range(n_exc):
            cat = "DIRECT_ACCOUNTING_CONSOLIDATION_PARENT" if i % 2 == 0 else "ULTIMATE_ACCOUNTING_CONSOLIDATION_PARENT"
            fh.write(REPEX_RECORD.format(lei=leis[(i // 2) % n_lei], cat=cat, reason=REASONS[i % len(REASONS)]))
        fh.write("</repex:ReportingExceptions></repex:ReportingExceptionData>\n")
    return [lei_file, rr_file, repex_file]


def server_rss_mb(home: Path) -> float | None:
    import psutil

    pid = EmbeddedServer(home).pid()
    if pid is None:
        return None
    return round(float(psutil.Process(pid).memory_info().rss) / 2**20, 1)


def server_memory_mb(store: object) -> dict[str, float]:
    """What the store server holds (its allocator's count) next to its RSS."""
    db = getattr(store, "db", None)
    if db is None:
        return {}
    info = db.connection.info("memory")
    return {"store_server_used_memory_mb": round(int(info["used_memory"]) / 2**20, 1),
            "store_server_peak_memory_mb": round(int(info["used_memory_peak"]) / 2**20, 1)}


def cpu_seconds(home: Path) -> dict[str, float]:
    import psutil

    own = resource.getrusage(resource.RUSAGE_SELF)
    readers = resource.getrusage(resource.RUSAGE_CHILDREN)  # readers are joined: counted here
    pid = EmbeddedServer(home).pid()
    server = psutil.Process(pid).cpu_times() if pid is not None else None
    return {"ingest_process": own.ru_utime + own.ru_stime,
            "reader_processes": readers.ru_utime + readers.ru_stime,
            "store_server": (server.user + server.system) if server is not None else 0.0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="reduced scale (< 60 s)")
    parser.add_argument("--batch-size", type=int, default=2000)
    args = parser.parse_args()
    n_lei, n_rr, n_exc = (40_000, 12_000, 40_000) if args.quick else (1_000_000, 300_000, 1_000_000)
    folder = Path(tempfile.mkdtemp(prefix="og-bench-ingest-"))
    home = folder / "home"
    try:
        t0 = time.perf_counter()
        files = generate(folder, n_lei, n_rr, n_exc)
        generated_s = time.perf_counter() - t0
        store = open_store(StoreConfig(home=home, graph_name="bench", batch_size=args.batch_size))
        store.ensure_schema()
        load_before = os.getloadavg()
        cpu0 = cpu_seconds(home)
        t1 = time.perf_counter()
        summary = run_ingest(store, RunOptions("gleif", files, home, batch_size=args.batch_size))
        seconds = time.perf_counter() - t1
        cpu1 = cpu_seconds(home)
        result = {
            "benchmark": "ingest-gleif-xml",
            "lei_records": n_lei, "relationships": n_rr, "exceptions": n_exc,
            "input_mb": round(sum(f.stat().st_size for f in files) / 2**20, 1),
            "records_read": summary.read, "quarantined": summary.quarantined,
            "entities_written": summary.entities, "edges_written": summary.edges,
            "entities_in_store": store.count("Entity"), "edges_in_store": store.count("OWNS"),
            "ingest_seconds": round(seconds, 2),
            "records_per_s": round(summary.read / seconds),
            "target_records_per_s": 20_000,
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "target_peak_rss_mb": 2048,
            # The store server's memory is the graph it holds (it grows with the data, not
            # with the run); the target is this process's.
            "store_server_rss_mb": server_rss_mb(home), **server_memory_mb(store),
            "reader_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1),
            # CPU seconds during the run: this process (map + write), the forked file readers
            # (parse), the store server; with 2 cores, wall time >= their sum / 2.
            "cpu_seconds": {k: round(cpu1[k] - cpu0[k], 2) for k in cpu0},
            "load_average_before": [round(x, 2) for x in load_before],
            "load_average_after": [round(x, 2) for x in os.getloadavg()],
            "generate_seconds": round(generated_s, 2),
            "batch_size": args.batch_size,
            "quick": args.quick,
        }
        store.drop()  # type: ignore[attr-defined]
        store.close()
    finally:
        EmbeddedServer(home).stop()
        shutil.rmtree(folder, ignore_errors=True)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
