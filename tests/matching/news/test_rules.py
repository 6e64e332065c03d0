"""Claim rules, one case per newswire quirk: "pct", bands, polarity, markup, hedges, passives."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph.model import InterestKind
from matching.news.claims import Claim
from matching.news.pipeline import GazetteerEntry, NewsPipeline


@pytest.fixture(scope="module")
def pipeline() -> NewsPipeline:
    return NewsPipeline()


@dataclass(frozen=True)
class Expect:
    owner: str
    owned: str
    polarity: str
    lo: float
    hi: float
    percent: float | None = None
    band: str = ""


def _found(claims: list[Claim]) -> set[Expect]:
    return {
        Expect(c.owner.text.rstrip("."), c.owned.text.rstrip("."), c.polarity, round(c.share_lo, 4),
               round(c.share_hi, 4), c.percent, c.band)
        for c in claims
    }


CASES = {
    "reuters_pct": (
        "<Sale Tilney Plc> said it has purchased 80 pct of the ordinary share capital of "
        "<B and R International Inc.>, a U.S. Insurance broker, for 5.6 mln dlrs.",
        {Expect("Sale Tilney Plc", "B and R International Inc", "acquire", 0.8, 0.8, 80.0, "exact")},
    ),
    "percent_sign_stake": (
        "Acme Corp bought a 51% stake in Beta Ltd.",
        {Expect("Acme Corp", "Beta Ltd", "acquire", 0.51, 0.51, 51.0, "exact")},
    ),
    "majority_band": (
        "Acme Corp agreed to acquire a majority stake in Beta Holdings Ltd.",
        {Expect("Acme Corp", "Beta Holdings Ltd", "acquire", 0.5, 1.0, None, "majority")},
    ),
    "minority_band": (
        "Acme Corp took a minority stake in Beta Ltd.",
        {Expect("Acme Corp", "Beta Ltd", "acquire", 0.0, 0.5, None, "minority")},
    ),
    "up_to_band": (
        "Acme Corp agreed to buy up to 40 pct of Beta Inc.",
        {Expect("Acme Corp", "Beta Inc", "acquire", 0.0, 0.4, None, "up to")},
    ),
    "percent_owned_by": (
        "Shell Canada , which is 78 percent owned by Royal Dutch Shell , said it would pay 24 Canadian "
        "dollars a share for BlackRock .",
        {Expect("Royal Dutch Shell", "Shell Canada", "subsidiary", 0.78, 0.78, 78.0, "exact")},
    ),
    "wholly_owned_subsidiary_of": (
        "Foote Mineral Co said it signed a letter of intent with Shieldalloy Corp, a wholly-owned "
        "subsidiary of <Metallurg Inc>, for the sale of its Cambridge, Ohio, business.",
        {Expect("Metallurg Inc", "Shieldalloy Corp", "subsidiary", 1.0, 1.0, 100.0, "exact")},
    ),
    "unit_of_with_demonym": (
        "said Pius Rolheiser , a spokesman for Imperial Oil , the Canadian unit of the Exxon Mobil Corporation .",
        {Expect("Exxon Mobil Corporation", "Imperial Oil", "subsidiary", 0.0, 1.0)},
    ),
    "former_subsidiary_is_divest": (
        "They were demonstrating against Crossair , Swissair 's former regional subsidiary that is set "
        "to take over its European and long-haul business .",
        {Expect("Swissair", "Crossair", "divest", 0.0, 1.0)},
    ),
    "sold_stake_to_buyer": (
        "Hutchison Whampoa Ltd sold its 23.5 pct stake in Hongkong Electric Holdings Ltd to "
        "Cavendish International Holdings Ltd.",
        {Expect("Hutchison Whampoa Ltd", "Hongkong Electric Holdings Ltd", "divest", 0.235, 0.235, 23.5, "exact"),
         Expect("Cavendish International Holdings Ltd", "Hongkong Electric Holdings Ltd", "acquire", 0.235, 0.235,
                23.5, "exact")},
    ),
    "acquisition_from_seller": (
        "UtiliCorp United Inc said it completed the acquisition of West Virginia Power from Dominion "
        "Resources for about 21 mln dlrs.",
        {Expect("UtiliCorp United Inc", "West Virginia Power", "acquire", 0.0, 1.0),
         Expect("Dominion Resources", "West Virginia Power", "divest", 0.0, 1.0)},
    ),
    "x_owned": (
        "Xerox-owned Fuji Xerox said profits rose.",
        {Expect("Xerox", "Fuji Xerox", "subsidiary", 0.0, 1.0)},
    ),
    "merger_with": (
        "Security Pacific Corp said it completed its planned merger with Diablo Bank following the "
        "approval of the comptroller of the currency.",
        {Expect("Security Pacific Corp", "Diablo Bank", "acquire", 0.0, 1.0)},
    ),
    "stake_raised_to_pct_after_shares": (
        "Industrial Equity (Pacific) Ltd, a Hong Kong investment firm, said it raised its stake in Wrather "
        "Corp to 816,000 shares, or 11.3 pct of the total outstanding common stock, from 453,300 shares, or 6.3 pct.",
        {Expect("Industrial Equity (Pacific) Ltd", "Wrather Corp", "acquire", 0.113, 0.113, 11.3, "exact")},
    ),
    "possessive_unit_across_markup": (
        "<CCL Industries Inc>'s Continental Can Canada Inc unit said it acquired the Wallaceburg, Ontario, "
        "metal can making operations of Nestle Enterprises Ltd.",
        {Expect("CCL Industries Inc", "Continental Can Canada Inc", "subsidiary", 0.0, 1.0)},
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_rule(pipeline: NewsPipeline, name: str) -> None:
    text, expected = CASES[name]
    assert _found(pipeline.extract_text(text)) == expected


@pytest.mark.parametrize(
    "text",
    [
        # offers, bids, rumours and refusals are not ownership
        "Rospatch Corp said it rejected a proposal by Diagnostic Retrieval Systems Inc to acquire its stock at 22 dlrs a share.",
        "H.J. Heinz <HNZ.N> chairman Tony O'Reilly would be interested in buying Guinness PLC <GUIN.L>'s brewery division if it were for sale, a spokesman said.",
        "Diagnostic Retrieval Systems Inc said it has made an offer to acquire, through a wholly owned unit, all outstanding shares of Rospatch Corp's common stock for 22 dlrs a share cash.",
        # physical assets, products and places are not organisations that are owned
        "Bally Manufacturing Corp said it completed the acquisition of the Golden Nugget Casino Hotel in Atlantic City, New Jersey from Golden Nugget Inc.",
        "Kraft , maker of the Oreo cookie , announced earlier this month that it had succeeded in reducing trans fat .",
        # a revenue share is not a stake
        "Saks Fifth Avenue , which now accounts for about 40 percent of Saks Inc . 's revenue , fell .",
        # nothing about ownership
        "Showers continued throughout the week in the Bahia cocoa zone, alleviating the drought since early January.",
    ],
)
def test_no_claim(pipeline: NewsPipeline, text: str) -> None:
    assert pipeline.extract_text(text) == []


def test_tickers_and_places_are_never_parties(pipeline: NewsPipeline) -> None:
    text = ("<Exco International Plc>, a subsidiary of British and Commonwealth Shipping Co Plc <BCOM.L>, "
            "said it had agreed in principle to buy an 80 pct stake in <RMJ Holdings Corp> for about 79 mln dlrs.")
    found = _found(pipeline.extract_text(text))
    assert found == {
        Expect("British and Commonwealth Shipping Co Plc", "Exco International Plc", "subsidiary", 0.0, 1.0),
        Expect("Exco International Plc", "RMJ Holdings Corp", "acquire", 0.8, 0.8, 80.0, "exact"),
    }


def test_gazetteer_links_mentions_and_unknown_orgs_become_news_entities() -> None:
    pipeline = NewsPipeline([GazetteerEntry("lei:529900RDSHELL000000", ("Royal Dutch Shell plc",))])
    [claim] = pipeline.extract_text(
        "Shell Canada , which is 78 percent owned by Royal Dutch Shell , said it would pay .",
        article_id="nyt-1", published="2001-03-04",
    )
    assert claim.owner.entity_id == "lei:529900RDSHELL000000"
    assert claim.owned.entity_id is None
    edge = claim.to_edge(run_id="r1")
    assert edge.kind is InterestKind.NEWS_CLAIM and edge.is_news_claim
    assert (edge.owner, edge.owned) == ("lei:529900RDSHELL000000", "news:shell-canada")
    assert (edge.share_lo, edge.share_hi, edge.start, edge.end) == (0.78, 0.78, None, None)
    assert edge.provenance.source == "news" and edge.provenance.published == "2001-03-04"
    assert edge.attrs["article_id"] == "nyt-1" and "78 percent owned" in edge.attrs["sentence"]
    assert 0 < edge.provenance.confidence < 1
    [entity] = claim.new_entities("r1")
    assert entity.id == "news:shell-canada" and entity.name == "Shell Canada"


def test_acquisitions_start_and_divestments_end_at_the_article_date(pipeline: NewsPipeline) -> None:
    claims = pipeline.extract_text(
        "Hutchison Whampoa Ltd sold its 23.5 pct stake in Hongkong Electric Holdings Ltd to "
        "Cavendish International Holdings Ltd.", article_id="a1", published="1987-03-02")
    edges = {c.polarity: c.to_edge() for c in claims}
    assert (edges["acquire"].start, edges["acquire"].end) == ("1987-03-02", None)
    assert (edges["divest"].start, edges["divest"].end) == (None, "1987-03-02")
    assert edges["acquire"].key != edges["divest"].key
    row = claims[0].to_json()
    assert set(row) >= {"article_id", "owner", "owned", "share_lo", "share_hi", "polarity", "date", "sentence"}
    assert row["date"] == "1987-03-02" and row["article_id"] == "a1"


def test_a_model_that_is_not_installed_falls_back_to_rules() -> None:
    pipeline = NewsPipeline(model="xx_not_an_installed_pipeline")
    assert pipeline.model_name == "blank:en"
    assert pipeline.extract_text("Acme Corp bought a 51% stake in Beta Ltd.")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.decimals(min_value="0.1", max_value="100", places=1), st.sampled_from(["pct", "percent", "%"]))
def test_any_stated_percentage_becomes_an_exact_fraction(pipeline: NewsPipeline, value: object, unit: str) -> None:
    text = f"Acme Corp bought a {value}{'' if unit == '%' else ' '}{unit} stake in Beta Ltd."
    [claim] = pipeline.extract_text(text)
    assert claim.percent == pytest.approx(float(str(value)))
    assert claim.share_lo == claim.share_hi == pytest.approx(float(str(value)) / 100)
    assert 0.0 < claim.share_lo <= 1.0
