"""The investigator UI in headless Chromium against the demo data on a real embedded store:
search -> entity page -> ownership diagram -> judgement -> printable report, screenshots in
test-artifacts/ui/, and axe-core on the pages."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
from ui_helpers import Browsing, axe_violations, diagram_edges, diagram_nodes, login, wait_loaded

HOLDING = "Dragon Peak Holdings Limited"
HONG_KONG = "Dragon Peak (Hong Kong) Limited"
SINGAPORE = "Dragon Peak Technology (Singapore) Pte. Ltd."
LION = "Lion City Cloud Pte. Ltd."
MERIDIAN = "Meridian Growth Partners LLC"
JOINT_VENTURE = "Northbridge Dragon Data Services Limited"
NORTHBRIDGE = "Northbridge Analytics PLC"


def search(page: Any, query: str, country: str = "", by: str = "name") -> None:
    """Fill the search form with the keyboard only and submit with Enter."""
    page.goto("/ui/")
    page.select_option("#by", by)
    page.select_option("#country", country)
    page.focus("#q")
    page.keyboard.type(query)
    page.keyboard.press("Enter")
    # locator waits, not wait_for_function: the pages' CSP forbids evaluating strings
    page.locator("#status", has_text=re.compile("result|No match")).wait_for()


def test_search_entity_page_and_diagram(investigator: Browsing, artifacts: Path) -> None:
    page = investigator.page
    search(page, "dragon peak technology singapore", country="SG")
    first = page.locator("#results tbody tr").first
    assert first.locator("a").inner_text() == SINGAPORE
    first.locator(".badge", has_text="cn-majority").wait_for()
    assert "Block" in first.locator(".badge", has_text="cn-majority").inner_text()
    page.screenshot(path=str(artifacts / "search.png"), full_page=True)

    first.locator("a").focus()  # keyboard: follow the result link with Enter
    page.keyboard.press("Enter")
    page.wait_for_url("**/ui/entity/**")
    wait_loaded(page)
    assert page.locator("h1#entity-name").inner_text() == SINGAPORE
    verdict = page.locator("#verdicts tr[data-policy='cn-majority']")
    assert "Block" in verdict.inner_text() and "100% – 100%" in verdict.inner_text()
    assert HOLDING in verdict.inner_text()  # the ultimate controller
    assert "Private Limited" in page.locator("#names").inner_text()  # the BODS name variant
    assert "5493004DPSGTEC000354" in page.locator("#identifiers").inner_text()

    nodes = diagram_nodes(page)
    assert set(nodes) == {HOLDING, HONG_KONG, SINGAPORE, LION, MERIDIAN}
    assert "root" in nodes[HOLDING]["classes"] and "restricted" in nodes[HOLDING]["classes"]
    assert "restricted" in nodes[HONG_KONG]["classes"] and "root" not in nodes[HONG_KONG]["classes"]
    assert "restricted" not in nodes[MERIDIAN]["classes"]
    assert "focal" in nodes[SINGAPORE]["classes"]
    ids = {name: node["id"] for name, node in nodes.items()}
    edges = diagram_edges(page)
    assert edges[(ids[HONG_KONG], ids[SINGAPORE])]["label"].startswith("95%")
    assert "consolidation" in edges[(ids[HONG_KONG], ids[SINGAPORE])]["label"]
    assert edges[(ids[HOLDING], ids[HONG_KONG])]["label"].startswith("100%")
    assert edges[(ids[HONG_KONG], ids[LION])]["label"] == "40%"
    assert edges[(ids[MERIDIAN], ids[LION])]["label"] == "40%"
    assert edges[(ids[LION], ids[SINGAPORE])]["label"] == "5%"
    # Singapore holds 20 % of Lion City, which holds 5 % of Singapore: the cycle is drawn
    assert edges[(ids[SINGAPORE], ids[LION])]["label"] == "20%"
    assert "cycle" in edges[(ids[SINGAPORE], ids[LION])]["classes"]
    assert not any("news" in e["classes"] for e in edges.values())  # no news claims in the demo
    subs = page.locator("#subsidiaries").inner_text()
    assert "Harbourline Logistics" in subs and LION in subs
    edges_table = page.locator("#edges").inner_text()
    assert "r-hk-sg#0" in edges_table and "bods-register.json @ [12]" in edges_table
    assert "gleif-rr.xml" in edges_table  # the GLEIF consolidation relationship
    assert "lei:5493004DPSGTEC000354" in page.locator("#records").inner_text()  # merged record
    page.screenshot(path=str(artifacts / "entity.png"), full_page=True)
    page.locator("#diagram").screenshot(path=str(artifacts / "diagram-singapore.png"))
    assert investigator.errors == []


def test_joint_venture_bands_and_policy_switch(investigator: Browsing, artifacts: Path) -> None:
    page = investigator.page
    search(page, "12345678", by="gb_crn")  # identifier search: UK company number
    page.locator("#results tbody tr a", has_text=JOINT_VENTURE).click()
    wait_loaded(page)
    nodes = diagram_nodes(page)
    ids = {name: node["id"] for name, node in nodes.items()}
    edges = diagram_edges(page)
    # BODS says 50 %, the PSC register the band (25, 50] for shares and for votes
    hk_label = edges[(ids[HONG_KONG], ids[JOINT_VENTURE])]["label"]
    assert "50%" in hk_label.split(" · ") and "25–50%" in hk_label and "25–50% votes" in hk_label
    assert "50%" in edges[(ids[NORTHBRIDGE], ids[JOINT_VENTURE])]["label"].split(" · ")
    assert "restricted" not in nodes[JOINT_VENTURE]["classes"]  # "more than 50 %": not blocked
    page.select_option("#policy", "cn-50-inclusive")  # "50 % or more": blocked
    page.wait_for_selector("svg.ownership[data-policy='cn-50-inclusive']")
    assert "restricted" in diagram_nodes(page)[JOINT_VENTURE]["classes"]
    page.locator("#diagram").screenshot(path=str(artifacts / "diagram-joint-venture.png"))
    # the 50 % stake of the Hong Kong intermediate starts on 2022-03-01: evaluate before it
    page.fill("#as-of-date", "2021-06-30")
    page.press("#as-of-date", "Enter")
    cell = page.locator("#verdicts tr[data-policy='cn-50-inclusive'] td[data-as-of='2021-06-30']")
    cell.wait_for()
    assert "Block" not in cell.inner_text()
    now = page.locator("#verdicts tr[data-policy='cn-50-inclusive'] td").nth(0).inner_text()
    assert "Block" in now
    assert investigator.errors == []


def _queue_a_review(store: Any) -> None:
    """The demo's look-alike pair (the WFOE and the VIE) holds two different USCC numbers, so
    the resolver never queues it now; an earlier resolver's candidate is put back to judge."""
    from graph.model import MatchCandidate

    explanation = json.dumps({"probability": 0.71, "features": [
        {"feature": "name", "level": "good", "score": 0.86},
        {"feature": "identifiers", "level": "missing", "score": 0.5}]})
    queued = MatchCandidate("bods:dp-wfoe", "bods:dp-vie", 0.71, explanation, "review")
    store.write_candidates([c for c in store.candidates() if c.status != "review"] + [queued])


def test_judgement_click_persists(investigator: Browsing, base_url: str, ui_demo: Any,
                                  ui_keys: dict[str, str], artifacts: Path) -> None:
    _queue_a_review(ui_demo[1])
    page = investigator.page
    page.goto("/ui/review")
    card = page.locator("article.candidate").first
    card.wait_for()
    left, right = card.get_attribute("data-left"), card.get_attribute("data-right")
    assert "identifiers" in card.inner_text()  # the match explanation's features
    card.locator("button[data-decision=unsure]").focus()  # keyboard: Enter on a button
    page.keyboard.press("Enter")
    page.wait_for_selector("article.candidate[data-judged=unsure]")
    card.locator("input[name=reason]").fill("different USCC numbers")
    card.locator("button[data-decision=not_same]").click()
    page.wait_for_selector("article.candidate[data-judged=not_same]")
    assert "Recorded" in card.locator(".result").inner_text()
    page.screenshot(path=str(artifacts / "review.png"), full_page=True)
    stored = httpx.post(f"{base_url}/v1/cypher", headers={
        "Authorization": f"Bearer {ui_keys['investigator']}"}, json={
        "query": "MATCH (j:Judgement) WHERE j.left = $left AND j.right = $right "
                 "RETURN j.decision, j.user, j.reason",
        "parameters": {"left": left, "right": right}}).json()
    assert ["not_same", "ui-investigator", "different USCC numbers"] in stored["rows"]
    assert ["unsure", "ui-investigator", ""] in stored["rows"]
    assert investigator.errors == []


def test_report_renders_and_prints(investigator: Browsing, artifacts: Path,
                                   axe_source: str) -> None:
    page = investigator.page
    page.goto("/ui/")
    search(page, "Lion City Cloud")
    page.locator("#results tbody tr a", has_text=LION).click()
    wait_loaded(page)
    page.click("#report-link")
    wait_loaded(page, "#report")
    text = page.locator("#report").inner_text()
    assert LION in text and "Data as of 2025-06-30" in text
    paths = page.locator("#paths section", has_text="cn-majority").inner_text()
    assert "r-hk-lion#0" in paths and "r-hold-hk#0" in paths  # holding -> Hong Kong -> Lion
    # the aggregate also rests on 20 % from the restricted Singapore subsidiary: every edge
    # with its record is listed whether or not the API's explanation names it
    assert "r-sg-lion#0" in page.locator("#edges").inner_text()
    assert len(diagram_nodes(page)) >= 4
    assert axe_violations(page, axe_source) == []
    page.emulate_media(media="print")
    assert not page.locator("header.top").is_visible()  # no navigation on paper
    assert not page.locator("#print").is_visible()
    page.screenshot(path=str(artifacts / "report-print.png"), full_page=True)
    pdf = page.pdf(format="A4", print_background=True)
    (artifacts / "report.pdf").write_bytes(pdf)
    assert pdf.startswith(b"%PDF") and len(pdf) > 10_000
    page.emulate_media(media="screen")
    assert investigator.errors == []


def test_accessibility_search_entity_review(investigator: Browsing, axe_source: str,
                                             ui_demo: Any) -> None:
    page = investigator.page
    search(page, "dragon peak")
    page.locator("#results .badge").first.wait_for()
    checked = {"search": axe_violations(page, axe_source)}
    page.locator("#results tbody tr a", has_text=HONG_KONG).click()
    wait_loaded(page)
    checked["entity"] = axe_violations(page, axe_source)
    _queue_a_review(ui_demo[1])
    page.goto("/ui/review")
    page.locator("article.candidate").first.wait_for()
    checked["review"] = axe_violations(page, axe_source)
    page.goto("/ui/generation")
    page.locator("#runs tbody tr").first.wait_for()
    checked["generation"] = axe_violations(page, axe_source)
    assert checked == {"search": [], "entity": [], "review": [], "generation": []}


def test_generation_page_shows_what_is_served_and_what_changed(
        investigator: Browsing, base_url: str, artifacts: Path,
        two_generations: tuple[str, str]) -> None:
    earlier, now = two_generations
    page = investigator.page
    page.goto("/ui/generation")
    page.locator("#runs tbody tr").first.wait_for()
    page.wait_for_selector("#diff[data-loaded=true]")
    assert page.locator("#diff-from").input_value() == earlier
    assert page.locator("#diff-to").input_value() == now
    change = page.locator("article.change[data-entity='bods:nb-jv']")
    assert JOINT_VENTURE in change.locator("h3").inner_text()
    row = change.locator("tr[data-policy='cn-majority']").inner_text()
    _, before, after, what = row.split("\t")
    # before: 60 % in BODS but the PSC band (25, 50] still on file, so possibly restricted
    assert before == "Review 25%–60%" and "60%" not in after and "verdict" in what
    causes = change.locator("table.causes").inner_text()
    assert "changed" in causes and "bods:dp-hk" in causes and "60%" in causes and "50%" in causes
    assert "current" in page.locator(f"#generations tr[data-generation='{now}']").inner_text()
    ready = httpx.get(f"{base_url}/readyz").json()
    served = page.locator("#served").inner_text()
    assert ready["generation"] in served and "2025-06-30" in served and "cn-50-inclusive" in served
    runs = page.locator("#runs").inner_text()
    assert "bods-register.json" in runs and "gleif-lei.xml" in runs and "uk-psc-snapshot.jsonl" in runs
    page.screenshot(path=str(artifacts / "generation.png"), full_page=True)
    assert investigator.errors == []


def test_login_page_accessibility_and_bad_key(browser: Any, base_url: str,
                                              axe_source: str) -> None:
    context = browser.new_context(base_url=base_url)
    try:
        page = context.new_page()
        page.goto("/ui/review")
        assert "/ui/login?next=%2Fui%2Freview" in page.url
        assert axe_violations(page, axe_source) == []
        page.fill("#api_key", "og_000000000000_wrong")
        page.press("#api_key", "Enter")
        page.wait_for_selector("p.error[role=alert]:not([hidden])")
        assert "not valid" in page.locator("p.error").inner_text()
        assert context.cookies() == []
    finally:
        context.close()


def test_narrow_window(browser: Any, base_url: str, ui_keys: dict[str, str],
                       artifacts: Path, axe_source: str) -> None:
    context, page = login(browser, base_url, ui_keys["investigator"],
                          viewport={"width": 390, "height": 844})
    try:
        search(page, "lion city")
        page.locator("#results tbody tr a", has_text=LION).click()
        wait_loaded(page)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1  # wide tables and the diagram scroll inside their own boxes
        box = page.locator("#diagram").bounding_box()
        assert box is not None and box["width"] <= 390
        page.locator("svg.ownership a.node").first.focus()  # reachable by keyboard
        page.locator("#diagram").screenshot(path=str(artifacts / "diagram-narrow.png"))
        assert axe_violations(page, axe_source) == []
        page.screenshot(path=str(artifacts / "entity-narrow.png"), full_page=True)
    finally:
        context.close()


def test_roles_sessions_and_csrf(browser: Any, base_url: str, ui_keys: dict[str, str]) -> None:
    context, page = login(browser, base_url, ui_keys["gateway"])
    try:
        cookies = {c["name"]: c for c in context.cookies()}
        assert cookies["og_session"]["httpOnly"] and cookies["og_session"]["sameSite"] == "Strict"
        assert not cookies["og_csrf"]["httpOnly"] and cookies["og_csrf"]["sameSite"] == "Strict"
        assert ui_keys["gateway"] not in str(context.cookies())  # the key stays on the server
        page.goto("/ui/review")  # a gateway key may not read the queue: the API's 403
        page.locator("#status", has_text="may not").wait_for()
        csrf = page.get_attribute("meta[name=og-csrf]", "content")
        body = {"left": "a", "right": "b", "decision": "same"}
        no_token = page.request.post("/v1/judgements", data=body)
        assert no_token.status == 403 and no_token.json()["code"] == "csrf_failed"
        with_token = page.request.post("/v1/judgements", data=body, headers={"X-CSRF-Token": csrf})
        assert with_token.status == 403 and "may not judge" in with_token.json()["message"]
        assert page.request.get("/v1/search?q=lion").status == 200  # screen scope: allowed
        assert page.request.get("/v1/review").status == 403  # read scope: not for gateway
        page.click("form.account button")  # sign out
        page.wait_for_url("**/ui/login")
        assert page.request.get("/v1/search?q=lion").status == 401
        page.goto("/ui/entity/whatever")
        assert "/ui/login?next=" in page.url
    finally:
        context.close()


DRAW_SYNTHETIC = """() => {
  const box = document.createElement("figure");
  document.body.append(box);
  const nodes = new Map([
    ["c", {name: "Target C", verdict: "REVIEW"}],
    ["b", {name: "Middle B", verdict: "BLOCK", restricted: true}],
    ["a", {name: "Root A", verdict: "BLOCK", restricted: true, root: true}],
    ["n", {name: "Named in the news N", verdict: "ALLOW"}]]);
  const edge = (owner, owned, lo, hi, kind, source) => ({owner, owned, share_lo: lo,
    share_hi: hi, kind: kind || "shareholding", source: source || "bods"});
  ogGraph.draw(box, {focal: "c", nodes, policy: "p", edges: [
    edge("a", "b", 1, 1), edge("b", "c", 0.6, 0.6), edge("c", "b", 0.1, 0.1),
    edge("n", "c", 0.3, 0.3, "news_claim", "news"), edge("a", "c", 0.25, 0.5)]});
  const y = (id) => Number(box.querySelector(`a.node[data-id="${id}"] rect`).getAttribute("y"));
  const cls = (o, d) => box.querySelector(`path.edge[data-owner="${o}"][data-owned="${d}"]`)
    .getAttribute("class");
  const label = (o, d) => box.querySelector(`g.edge-label[data-owner="${o}"][data-owned="${d}"]`)
    .textContent;
  const out = {ya: y("a"), yb: y("b"), yc: y("c"), yn: y("n"),
    news: cls("n", "c"), cycle: cls("c", "b"), plain: cls("b", "c"),
    band: label("a", "c"), newsLabel: label("n", "c"),
    rootClass: box.querySelector('a.node[data-id="a"]').getAttribute("class"),
    newsDash: getComputedStyle(box.querySelector('path.edge.news')).strokeDasharray,
    plainDash: getComputedStyle(box.querySelector('path.edge[data-owner="b"]')).strokeDasharray};
  box.remove();
  return out;
}"""


def test_diagram_draws_news_claims_dashed_cycles_and_layers(investigator: Browsing) -> None:
    """The drawing on a synthetic structure the demo does not have: a news claim, a band and
    a cycle (the same script as the pages, in the same browser)."""
    page = investigator.page
    page.goto("/ui/entity/bods:lion")
    wait_loaded(page)
    got = page.evaluate(DRAW_SYNTHETIC)
    assert got["ya"] < got["yb"] < got["yc"] and got["yn"] < got["yc"]  # owners above
    assert "news" in got["news"].split() and "news" not in got["plain"].split()
    assert "cycle" in got["cycle"].split() and "cycle" not in got["plain"].split()
    assert got["band"] == "25–50%" and got["newsLabel"] == "30% news"
    assert {"root", "restricted"} <= set(got["rootClass"].split())
    assert got["newsDash"] not in ("none", "") and got["plainDash"] == "none"  # drawn dashed
    assert investigator.errors == []


def test_a_merged_record_id_opens_the_canonical_entity(investigator: Browsing) -> None:
    page = investigator.page
    page.goto("/ui/entity/lei:5493004DPSGTEC000354")  # the GLEIF record merged into the entity
    wait_loaded(page)
    assert page.locator("h1#entity-name").inner_text() == SINGAPORE
    assert page.url.endswith("/ui/entity/bods%3Adp-sg")  # the API's 308, reflected in the URL
    assert page.locator("#report-link").get_attribute("href") == "/ui/report/bods%3Adp-sg"
    page.goto("/ui/entity/nope:1")
    page.locator("#status", has_text="Could not load").wait_for()
    assert "no entity" in page.locator("#status").inner_text()
    assert investigator.errors == []


def test_an_ended_interest_is_left_out_or_drawn_dotted(investigator: Browsing) -> None:
    """Dragon Peak Europe's former PSC (shares and votes 75-100 %, ceased 2021-05-31) no longer counts: the
    diagram leaves it out and says so, and draws it dotted, labelled ended, on request."""
    page = investigator.page
    search(page, "Dragon Peak Europe")
    page.locator("#results tbody tr a", has_text="DRAGON PEAK EUROPE").first.click()
    wait_loaded(page)
    assert not any("HARROW" in name.upper() for name in diagram_nodes(page))
    assert "2 ended interests not drawn" in page.locator("p.diagram-note").inner_text()
    page.check("#show-ended")
    page.locator("svg.ownership path.edge.ended").first.wait_for()
    nodes = diagram_nodes(page)
    harrow = next(n for name, n in nodes.items() if "HARROW" in name.upper())
    ended = [e for (owner, _), e in diagram_edges(page).items() if owner == harrow["id"]]
    assert len(ended) == 1 and "ended" in ended[0]["classes"]
    assert ended[0]["label"] == "ended 2021-05-31"
    assert "ended interests not drawn" not in page.locator("p.diagram-note").inner_text()
