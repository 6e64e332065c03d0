// Search by name (GET /v1/search) or by identifier (POST /v1/screen), with verdict badges.
"use strict";
(function () {
  const { api, el, badge, status, entityHref, entityPath } = og;
  const params = new URLSearchParams(location.search);
  const form = document.getElementById("search-form");
  for (const name of ["q", "country", "by"]) if (params.get(name)) form.elements[name].value = params.get(name);

  async function verdictCell(id) {
    const cell = el("td", { class: "badges" }, el("span", { class: "muted" }, "…"));
    api(entityPath(id)).then((e) => cell.replaceChildren(...Object.entries(e.verdicts)
      .map(([policy, v]) => badge(v.verdict, policy))))
      .catch((err) => cell.replaceChildren(el("span", { class: "muted" },
        err.status === 403 ? "verdicts need the investigator role" : err.message)));
    return cell;
  }

  async function byName(q, country) {
    const query = new URLSearchParams({ q, limit: "20" });
    if (country) query.set("country", country);
    const answer = await api(`/v1/search?${query}`);
    return answer.results.map((r) => ({ id: r.id, name: r.name, matched: r.matched_name,
      jurisdiction: r.jurisdiction, score: r.score }));
  }

  async function byIdentifier(scheme, value, country) {
    const body = { identifiers: { [scheme]: value } };
    if (country) body.country = country;
    const answer = await api("/v1/screen", { method: "POST", json: body });
    if (!answer.entity) return [];
    return [{ id: answer.entity.id, name: answer.entity.name, matched: `${scheme} ${value}`,
      jurisdiction: answer.entity.jurisdiction, score: answer.match ? answer.match.probability : 1 }];
  }

  async function run() {
    const q = (params.get("q") || "").trim();
    if (!q) { status("Type a name (any script) or choose an identifier scheme."); return; }
    const by = params.get("by") || "name", country = params.get("country") || "";
    status("Searching…");
    const hits = by === "name" ? await byName(q, country) : await byIdentifier(by, q, country);
    const rows = await Promise.all(hits.map(async (h) => el("tr", {},
      el("td", {}, el("a", { href: entityHref(h.id) }, h.name),
        h.matched && h.matched !== h.name ? el("div", { class: "muted" }, `matched: ${h.matched}`) : null),
      el("td", {}, h.jurisdiction || "—"), el("td", {}, h.score.toFixed(2)), await verdictCell(h.id))));
    document.querySelector("#results tbody").replaceChildren(...rows);
    status(hits.length ? `${hits.length} result${hits.length === 1 ? "" : "s"} for “${q}”` : `No match for “${q}”.`);
  }

  run().catch((err) => status(`Search failed: ${err.message}`, true));
})();
