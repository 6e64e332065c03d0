"""The one-pass LEI-CDF XML mapper gives exactly the general path's Entity, or declines.

The general path (``element_dict`` + ``gleif.lei_record``) is the reference: for every real
LEI record and for generated variants (missing, repeated, empty, nested and commented
elements, attributes, INACTIVE entities, other addresses, DUPLICATE registrations and their
successors) the fast mapper returns the same
Entity or None (then the run maps the record the general way)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st
from ingest_helpers import REAL
from lxml import etree

from graph.model import ReportingException
from ingest import gleif
from ingest.gleif_fast import lei_from_element, repex_fields
from ingest.gleif_readers import RawRecord, element_dict, read_xml
from ingest.records import ExceptionFact, SourceFile

XML_FILES = sorted(p for p in (REAL / "gleif").rglob("*.xml"))
SRC = SourceFile("f.xml", "run-1", "2026-01-01T00:00:00Z")
NS = "http://www.gleif.org/data/schema/leidata/2016"


def _both(el: etree._Element) -> tuple[object, list[object]]:
    return (lei_from_element(el, SRC, "line 1", "2024-01-01T00:00:00Z"),
            list(gleif._record(RawRecord("lei", "line 1", element_dict(el)), SRC, "2024-01-01T00:00:00Z")))


def _both_repex(el: etree._Element) -> tuple[object, list[object]]:
    """The fast path's ExceptionFact (as ``gleif.parse`` builds it) and the general path's."""
    fields = repex_fields(el)
    general = list(gleif._record(RawRecord("repex", "line 1", element_dict(el)), SRC, "2024-01-01T00:00:00Z"))
    if fields is None:
        return None, general
    lei, category, reason = fields
    return ExceptionFact(f"lei:{lei}", ReportingException(category, reason),
                         SRC.provenance("gleif", f"{lei}|{category}", "line 1", "2024-01-01T00:00:00Z")), general


@pytest.mark.parametrize("path", XML_FILES, ids=lambda p: p.relative_to(REAL).as_posix())
def test_real_lei_and_exception_records_map_the_same_on_both_paths(path: Path) -> None:
    fast = total = 0
    for item in read_xml(path, lazy=frozenset({"lei", "repex"})):
        if isinstance(item, RawRecord) and item.element is not None:
            total += 1
            record, general = (_both if item.kind == "lei" else _both_repex)(item.element)
            if record is not None:
                fast += 1
                assert [record] == general
    if "rr" not in path.name:  # LEI and repex files: the common shape is taken fast
        assert total >= 7 and fast >= total - 1


LEAF = st.sampled_from(["", "  "] + ["x"] * 10 + [ " Acme Ltd ", "US", "GB-ENG", "ACTIVE", "INACTIVE", "FUND", "RA000585",
                        "RA000092", "91350100M000100Y43", "00012345", "de", "é名"])
ATTRS = st.sampled_from(["", ' xml:lang="en"', ' xml:lang=""', ' lang="fr"',
                         ' type="TRADING_OR_OPERATING_NAME"', ' type="AUTO_ASCII_TRANSLITERATED_LEGAL_NAME"',
                         ' xml:lang="zh" type="PREVIOUS_LEGAL_NAME"'])


@st.composite
def leaf(draw: st.DrawFn, tag: str) -> str:
    if draw(st.integers(0, 39)) == 0:  # now and then not a leaf at all
        return f"<lei:{tag}><lei:Inner>{draw(LEAF)}</lei:Inner></lei:{tag}>"
    comment = "<!-- c -->" if draw(st.integers(0, 59)) == 0 else ""
    return f"<lei:{tag}{draw(ATTRS)}>{draw(LEAF)}{comment}</lei:{tag}>"


@st.composite
def some(draw: st.DrawFn, part: st.SearchStrategy[str]) -> str:
    """Usually one, sometimes none or two: the general path sees nothing or a list."""
    n = draw(st.sampled_from([1] * 25 + [0, 2]))
    return "".join(draw(part) for _ in range(n))


@st.composite
def address(draw: st.DrawFn, tag: str) -> str:
    parts = "".join(draw(some(leaf(t))) for t in ("FirstAddressLine", "AdditionalAddressLine", "City", "Region",
                                                  "Country", "PostalCode", "MailRouting"))
    return f"<lei:{tag}{draw(ATTRS)}>{parts}</lei:{tag}>"


SUCCESSOR = "<lei:SuccessorEntity><lei:SuccessorLEI>{}</lei:SuccessorLEI></lei:SuccessorEntity>"
STATUS = "<lei:RegistrationStatus>{}</lei:RegistrationStatus>"


@st.composite
def lei_record(draw: st.DrawFn) -> str:
    names = "".join(draw(some(leaf("OtherEntityName"))) for _ in range(2))
    translit = draw(some(leaf("TransliteratedOtherEntityName")))
    others = "".join(f"<lei:OtherAddress{draw(ATTRS)}>{draw(address('X'))}</lei:OtherAddress>"
                     for _ in range(draw(st.integers(0, 2))))
    entity = "".join([
        draw(some(leaf("LegalName"))),
        draw(some(st.just(f"<lei:OtherEntityNames>{names}</lei:OtherEntityNames>"))),
        draw(some(st.just(f"<lei:TransliteratedOtherEntityNames>{translit}</lei:TransliteratedOtherEntityNames>"))),
        draw(some(address("LegalAddress"))), draw(some(address("HeadquartersAddress"))),
        draw(some(st.just(f"<lei:OtherAddresses>{others}</lei:OtherAddresses>"))),
        draw(some(st.builds(lambda a, b: f"<lei:RegistrationAuthority>{a}{b}</lei:RegistrationAuthority>",
                            some(leaf("RegistrationAuthorityID")), some(leaf("RegistrationAuthorityEntityID"))))),
        draw(some(leaf("LegalJurisdiction"))), draw(some(leaf("EntityCategory"))),
        draw(some(leaf("EntityStatus"))), draw(some(leaf("EntityExpirationDate"))),
        draw(st.sampled_from([""] * 2 + [SUCCESSOR.format("21380068P1DRHMJ8KU70"), SUCCESSOR.format("bad"),
                                         SUCCESSOR.format("21380068P1DRHMJ8KU70") * 2])),
    ])
    lei = draw(st.sampled_from(["5493001KJTIIGC8Y1R12"] * 6 + [" 5493001kjtiigc8y1r12 ", "5493001KJTIIGC8Y1R1",
                                                             "BENCH000000000000017", ""]))
    return (f'<lei:LEIRecord xmlns:lei="{NS}"><lei:LEI>{lei}</lei:LEI>'
            f"{draw(some(st.just(f'<lei:Entity>{entity}</lei:Entity>')))}"
            "<lei:Registration><lei:LastUpdateDate>2024-05-01T00:00:00Z</lei:LastUpdateDate>"
            f"{draw(st.sampled_from(['', STATUS.format('ISSUED'), STATUS.format('DUPLICATE'), STATUS.format('DUPLICATE')]))}</lei:Registration>"
            "</lei:LEIRecord>")


@settings(max_examples=300, deadline=None)
@given(lei_record())
def test_generated_lei_records_map_the_same_or_take_the_general_path(xml: str) -> None:
    entity, general = _both(etree.fromstring(xml.encode()))
    event("fast" if entity is not None else "general path")
    assert entity is None or [entity] == general


REPEX_LEAF = st.sampled_from(["5493001KJTIIGC8Y1R12"] * 4 + [" 5493001kjtiigc8y1r12 ", "", "  ", "X", "NATURAL_PERSONS",
                                                           "DIRECT_ACCOUNTING_CONSOLIDATION_PARENT"])


@st.composite
def repex_leaf(draw: st.DrawFn, tag: str) -> str:
    if draw(st.integers(0, 19)) == 0:
        return f"<r:{tag}><r:Inner>x</r:Inner></r:{tag}>"
    comment = "<!-- c -->" if draw(st.integers(0, 29)) == 0 else ""
    return f"<r:{tag}{draw(ATTRS)}>{draw(REPEX_LEAF)}{comment}</r:{tag}>"


@st.composite
def repex_record(draw: st.DrawFn) -> str:
    parts = [draw(some(repex_leaf(t))) for t in ("LEI", "ExceptionCategory", "ExceptionReason", "ExceptionReference")]
    if draw(st.integers(0, 19)) == 0:
        parts.append("<r:ContentDate>2024-01-01T00:00:00Z</r:ContentDate>")
    order = draw(st.permutations(parts))
    return f'<r:Exception xmlns:r="http://www.gleif.org/data/schema/repex/2016">{"".join(order)}</r:Exception>'


@settings(max_examples=300, deadline=None)
@given(repex_record())
def test_generated_exception_records_map_the_same_or_take_the_general_path(xml: str) -> None:
    record, general = _both_repex(etree.fromstring(xml.encode()))
    event("fast" if record is not None else "general path")
    assert record is None or [record] == general


def test_the_common_shape_is_taken_fast() -> None:
    xml = (f'<lei:LEIRecord xmlns:lei="{NS}"><lei:LEI>5493001KJTIIGC8Y1R12</lei:LEI><lei:Entity>'
           '<lei:LegalName xml:lang="en">Acme Ltd</lei:LegalName><lei:LegalAddress><lei:City>X</lei:City>'
           "<lei:Country>GB</lei:Country></lei:LegalAddress><lei:EntityStatus>ACTIVE</lei:EntityStatus>"
           "</lei:Entity></lei:LEIRecord>")
    entity, general = _both(etree.fromstring(xml.encode()))
    assert entity is not None and [entity] == general and entity.jurisdiction == "GB"
