// What is served now (GET /readyz), the kept generations and what changed between two of
// them (GET /v1/generations, GET /v1/generations/{a}/diff/{b}), and the runs behind them.
"use strict";
(function () {
  const { api, el, badge, pct, status, entityHref, fmtDate } = og;

  function renderServed(ready) {
    const facts = [["Generation", ready.generation], ["Entities", ready.entities],
      ["Data as of", ready.data_as_of || "unknown"], ["Loaded at", ready.loaded_at],
      ["Policies", (ready.policies || []).join(", ")]];
    document.getElementById("served").replaceChildren(...facts.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, String(v))]));
  }

  function renderGenerations(list) {
    document.querySelector("#generations tbody").replaceChildren(...(list.length ? list.map((g) => el("tr", { "data-generation": g.id },
      el("td", {}, el("code", {}, g.id)), el("td", {}, g.status), el("td", {}, g.created || "—"),
      el("td", {}, g.data_as_of || "—"), el("td", {}, `${g.entities ?? "—"} / ${g.edges ?? "—"}`),
      el("td", {}, g.previous ? el("code", {}, g.previous) : "—"),
      el("td", {}, (g.guards || []).length ? `${g.forced ? "forced past: " : ""}${g.guards.join("; ")}` : "passed")))
      : [el("tr", {}, el("td", { colspan: 7, class: "muted" }, "No generation has been published in this data directory yet (runs of ownergraph generations / the schedule publish them)."))]));
    const from = document.getElementById("diff-from"), to = document.getElementById("diff-to");
    const options = (selected) => list.map((g) => el("option", { value: g.id, selected: g.id === selected },
      `${g.id} (${g.status}, ${g.created ? g.created.slice(0, 16).replace("T", " ") : "?"})`));
    const current = list.find((g) => g.current) || list[0];
    const before = current && (list.find((g) => g.id === current.previous) || list.find((g) => g !== current));
    from.replaceChildren(...options(before ? before.id : null));
    to.replaceChildren(...options(current ? current.id : null));
    return Boolean(before && current);
  }

  const verdictCell = (answer) => (answer ? [badge(answer.verdict), ` ${pct(answer.exposure.lo)}–${pct(answer.exposure.hi)}`]
    : el("span", { class: "muted" }, "absent"));
  const share = (e) => (e ? `${e.kind} ${pct(e.share_lo)}${e.share_hi !== e.share_lo ? "–" + pct(e.share_hi) : ""}${e.end ? ", ended " + e.end : ""}` : "—");

  function renderDiff(d) {
    const box = document.getElementById("diff");
    document.getElementById("diff-status").textContent =
      `${d.changed} entit${d.changed === 1 ? "y" : "ies"} changed from ${d.from} to ${d.to}; ${d.edges_changed} ownership statement${d.edges_changed === 1 ? "" : "s"} changed.`;
    box.replaceChildren(...d.entities.map((e) => el("article", { class: "change", "data-entity": e.id },
      el("h3", {}, el("a", { href: entityHref(e.id) }, e.name), " ", el("code", {}, e.id)),
      el("table", {}, el("thead", {}, el("tr", {}, ["Policy", "Before", "After", "What changed"].map((h) => el("th", { scope: "col" }, h)))),
        el("tbody", {}, Object.entries(e.policies).map(([policy, c]) => el("tr", { "data-policy": policy },
          el("th", { scope: "row" }, policy), el("td", {}, verdictCell(c.before)), el("td", {}, verdictCell(c.after)),
          el("td", {}, c.changed.join(", ")))))),
      e.edges.length ? el("table", { class: "causes" }, el("caption", {}, "Why: ownership statements above it that changed"),
        el("thead", {}, el("tr", {}, ["Change", "Owner → owned", "Before", "After", "Statement"].map((h) => el("th", { scope: "col" }, h)))),
        el("tbody", {}, e.edges.map((c) => el("tr", {}, el("td", {}, c.change),
          el("td", {}, el("a", { href: entityHref(c.owner) }, c.owner), " → ", el("a", { href: entityHref(c.owned) }, c.owned)),
          el("td", {}, share(c.before)), el("td", {}, share(c.after)), el("td", {}, el("code", {}, c.key))))))
        : el("p", { class: "muted" }, "No ownership statement above it changed" +
          (Object.keys(e.entity_facts || {}).length ? `; changed entity facts: ${JSON.stringify(e.entity_facts)}` : ".")))));
  }

  async function compare(event) {
    if (event) event.preventDefault();
    const a = document.getElementById("diff-from").value, b = document.getElementById("diff-to").value;
    if (!a || !b) return;
    document.getElementById("diff-status").textContent = "Comparing…";
    try {
      renderDiff(await api(`/v1/generations/${encodeURIComponent(a)}/diff/${encodeURIComponent(b)}`));
    } catch (err) {
      document.getElementById("diff-status").textContent = `Could not compare: ${err.message}`;
    }
    document.getElementById("diff").dataset.loaded = "true";
  }

  async function main() {
    renderServed(await og.ready());
    const [kept, runs] = await Promise.all([api("/v1/generations"), api("/v1/runs")]);
    document.getElementById("diff-form").addEventListener("submit", compare);
    if (renderGenerations(kept.generations)) await compare();
    else document.getElementById("diff-status").textContent = "A comparison needs two kept generations.";
    const rows = [
      ...runs.runs.map((r) => el("tr", {}, el("td", {}, el("code", {}, r.id)), el("td", {}, "API run"),
        el("td", {}, r.state), el("td", {}, `${r.started} / ${r.finished || "—"}`),
        el("td", {}, ""), el("td", {}, ""), el("td", {}, r.detail && r.detail.generation ? `generation ${r.detail.generation}` : ""),
        el("td", {}, r.detail && r.detail.error ? r.detail.error : ""))),
      ...runs.ingest_runs.map((r) => el("tr", {}, el("td", {}, el("code", {}, r.run_id)), el("td", {}, `${r.format} (${r.mode})`),
        el("td", {}, r.status), el("td", {}, `${fmtDate(r.started)} ${String(r.started).slice(11, 19)} / ${r.finished ? String(r.finished).slice(11, 19) : "—"}`),
        el("td", { class: "file" }, (r.files || []).map((f) => f.split("/").pop()).join(", ")),
        el("td", {}, r.read), el("td", {}, `${r.entities} / ${r.edges}`), el("td", {}, r.quarantined))),
    ];
    document.querySelector("#runs tbody").replaceChildren(...rows);
    status("");
    document.getElementById("served").dataset.loaded = "true";
  }
  main().catch((err) => status(`Could not load: ${err.message}`, true));
})();
