// Entity page and printable evidence report: everything read from /v1 with the session.
"use strict";
(function () {
  const { api, el, pct, shareLabel, badge, status, entityHref, entityPath, fmtDate } = og;
  const root = document.getElementById("entity") || document.getElementById("report");
  const isReport = root.id === "report";
  const MAX_NODES = 40, MAX_DEPTH = 6;

  const fill = (id, rows) => {
    const body = document.querySelector(`#${id} tbody`);
    if (body) body.replaceChildren(...rows);
  };

  function renderHead(e, ready) {
    document.getElementById("entity-name").textContent = e.name;
    document.title = `${e.name} · ownergraph`;
    const facts = [e.kind, e.jurisdiction && `incorporated in ${e.jurisdiction}`,
      e.hq_country && `headquarters ${e.hq_country}`, ...(e.flags || []), `id ${e.id}`].filter(Boolean);
    document.getElementById("entity-facts").textContent = facts.join(" · ");
    const asOf = document.getElementById(isReport ? "report-meta" : "as-of");
    asOf.textContent = `Data as of ${ready.data_as_of || "unknown"} · generation ${e.generation}` +
      ` · loaded ${ready.loaded_at}` + (isReport ? ` · report printed ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC` : "");
    const byScript = new Map();
    for (const name of e.names.length ? e.names : [e.name]) {
      const script = og.scriptOf(name);
      if (!byScript.has(script)) byScript.set(script, []);
      byScript.get(script).push(name);
    }
    document.getElementById("names").replaceChildren(el("dl", { class: "names" },
      [...byScript].map(([script, names]) => [el("dt", {}, script),
        ...names.map((n) => el("dd", { lang: script === "Han" ? "zh" : null }, n))])));
    document.getElementById("identifiers").replaceChildren(...(e.identifiers.length
      ? e.identifiers.map((i) => el("li", {}, el("span", { class: "scheme" }, i.scheme), " ", el("code", {}, i.value)))
      : [el("li", { class: "muted" }, "No identifiers")]));
    document.getElementById("addresses").replaceChildren(...(e.addresses.length
      ? e.addresses.map((a) => el("li", {}, a)) : [el("li", { class: "muted" }, "No addresses")]));
  }

  const controllerLinks = (list) => (list.length
    ? list.map((c, i) => [i ? ", " : "", el("a", { href: entityHref(c.id) }, c.name),
      c.hq_country || c.jurisdiction ? ` (${[c.jurisdiction, c.hq_country].filter(Boolean).join("/")})` : ""])
    : el("span", { class: "muted" }, "none above the threshold"));

  function renderVerdicts(answers) {
    fill("verdicts", answers.map((a) => el("tr", { "data-policy": a.policy },
      el("th", { scope: "row" }, a.policy), el("td", {}, badge(a.verdict)),
      el("td", {}, `${pct(a.exposure.lo)} – ${pct(a.exposure.hi)}`),
      el("td", {}, controllerLinks(a.ultimate_controllers || [])))));
  }

  // Verdicts on another date: POST /v1/screen by one of the entity's identifiers with as_of
  // (the API re-evaluates the policy on that date); shown in an extra column.
  function asOfForm(e, policies) {
    const form = document.getElementById("as-of-form");
    if (!form) return;
    const note = document.getElementById("as-of-status");
    const id = e.identifiers[0];
    if (!id) {
      form.hidden = true;
      note.textContent = "Evaluating on another date needs an identifier; this entity has none.";
      return;
    }
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const date = document.getElementById("as-of-date").value;
      note.textContent = `Evaluating on ${date}…`;
      try {
        const answers = await Promise.all(policies.map((policy) => api("/v1/screen", { method: "POST",
          json: { identifiers: { [id.scheme]: id.value }, policy, as_of: date } })));
        const head = document.querySelector("#verdicts thead tr");
        head.querySelectorAll(".as-of-col").forEach((n) => n.remove());
        head.append(el("th", { scope: "col", class: "as-of-col" }, `On ${date}`));
        answers.forEach((a, i) => {
          const row = document.querySelector(`#verdicts tr[data-policy="${CSS.escape(policies[i])}"]`);
          row.querySelectorAll(".as-of-col").forEach((n) => n.remove());
          const same = a.entity && a.entity.id === e.id;
          row.append(el("td", { class: "as-of-col", "data-as-of": date }, same
            ? [badge(a.verdict), ` ${pct(a.exposure.lo)} – ${pct(a.exposure.hi)}`]
            : el("span", { class: "muted" }, `identifier ${id.scheme} resolved to ${a.entity ? a.entity.id : "nothing"}`)));
        });
        note.textContent = `Verdicts on ${date} added (by ${id.scheme} ${id.value}; screens are audit-logged).`;
      } catch (err) {
        note.textContent = `Could not evaluate: ${err.message}`;
      }
    });
  }

  function edgeRow(e) {
    const p = e.provenance || e;
    return el("tr", {},
      el("td", {}, el("a", { href: entityHref(e.owner_canonical || e.owner) }, e.owner_name || e.owner), " → ",
        el("a", { href: entityHref(e.owned_canonical || e.owned) }, e.owned_name || e.owned)),
      el("td", {}, `${e.kind}${shareLabel(e) ? " · " + shareLabel(e) : ""}`),
      el("td", {}, `${fmtDate(e.start)} – ${e.end ? fmtDate(e.end) : "open"}`),
      el("td", {}, el("span", { class: `src src-${p.source}` }, p.source), " ", el("code", {}, p.record_id || "—")),
      el("td", { class: "file" }, `${(p.file || "—").split("/").pop()}${p.location ? " @ " + p.location : ""}`),
      el("td", {}, `${fmtDate(p.published)} / ${fmtDate(p.retrieved)}`),
      el("td", {}, el("code", {}, p.run_id || "—")));
  }

  function renderRecords(records) {
    fill("records", records.map((r) => el("tr", {},
      el("td", {}, el("code", {}, r.entity_id)), el("td", {}, `${r.source} ${r.record_id}`),
      el("td", { class: "file" }, `${(r.file || "").split("/").pop()} @ ${r.location || "—"}`),
      el("td", {}, `${fmtDate(r.published)} / ${fmtDate(r.retrieved)}`),
      el("td", {}, el("code", {}, r.run_id || "—")))));
  }

  // Owners level by level (one hop per entity, so merged records' edges are all included).
  async function upstream(focal) {
    const edges = new Map(), seen = new Set([focal]);
    let frontier = [focal], truncated = false;
    for (let depth = 0; depth < MAX_DEPTH && frontier.length; depth++) {
      const answers = await Promise.all(frontier.map((id) => api(`${entityPath(id)}/owners?hops=1`)));
      const next = [];
      for (const answer of answers) {
        for (const e of answer.edges) {
          edges.set(e.key || JSON.stringify(e), e);
          const owner = e.owner_canonical || e.owner;
          if (!seen.has(owner)) {
            if (seen.size >= MAX_NODES) { truncated = true; continue; }
            seen.add(owner); next.push(owner);
          }
        }
      }
      frontier = next;
    }
    const kept = [...edges.values()].filter((e) => seen.has(e.owner_canonical || e.owner) && seen.has(e.owned_canonical || e.owned));
    return { ids: [...seen], edges: kept, truncated };
  }

  const rootCache = new Map();
  async function isRoot(id, policy, verdict) {
    if (verdict !== "BLOCK") return false;
    const key = `${policy}\u0000${id}`;
    if (!rootCache.has(key)) {
      rootCache.set(key, api(`${entityPath(id)}/controllers?policy=${encodeURIComponent(policy)}`)
        .then((a) => a.verdict === "BLOCK" && (a.evidence || []).length === 0));
    }
    return rootCache.get(key);
  }

  async function drawDiagram(focal, up, details, policy) {
    const nodes = new Map();
    await Promise.all(up.ids.map(async (id) => {
      const d = details.get(id);
      const verdict = d.verdicts[policy] ? d.verdicts[policy].verdict : null;
      nodes.set(id, { name: d.name, jurisdiction: d.jurisdiction, hq_country: d.hq_country, verdict,
        restricted: verdict === "BLOCK", root: await isRoot(id, policy, verdict) });
    }));
    const toggle = document.getElementById("show-ended");
    const showEnded = toggle ? toggle.checked : false;
    const edges = showEnded ? up.edges : up.edges.filter((e) => !ogGraph.ended(e));
    // an owner known only through ended interests is left out with them
    const drawn = new Set([focal]);
    for (let grew = true; grew;) {
      grew = false;
      for (const e of edges) {
        const owner = e.owner_canonical || e.owner, owned = e.owned_canonical || e.owned;
        if (drawn.has(owned) && !drawn.has(owner)) { drawn.add(owner); grew = true; }
      }
    }
    const ordered = new Map(up.ids.filter((id) => drawn.has(id)).map((id) => [id, nodes.get(id)]));
    ogGraph.draw(document.getElementById("diagram"),
      { focal, nodes: ordered, edges: edges.filter((e) => drawn.has(e.owner_canonical || e.owner)),
        policy, truncated: up.truncated,
        hiddenEnded: up.edges.length - edges.length });
  }

  function renderPaths(answers) {
    const box = document.getElementById("paths");
    box.replaceChildren(...answers.map((a) => el("section", { class: "policy-paths" },
      el("h3", {}, a.policy, " ", badge(a.verdict)),
      (a.evidence || []).length ? el("ol", {}, a.evidence.map((path) => el("li", {},
        el("table", { class: "path" }, el("tbody", {}, path.edges.map(edgeRow))))))
        : el("p", { class: "muted" }, a.verdict === "BLOCK" ? "Restricted in its own right (a root of this policy)." : "No ownership path carries this entity over the threshold."))));
  }

  async function renderMerges(e) {
    const box = document.getElementById("merges");
    if (!box) return;
    const ids = new Set([e.id, ...e.members]);
    const items = [el("p", {}, e.members.length > 1
      ? `${e.members.length} source records were merged into this entity by resolution (listed above with their provenance). ` +
        "The API serves the explanation of pairs still waiting for review; the scores of automatic merges and past judgements are not served by /v1 yet."
      : "This entity rests on one source record.")];
    try {
      const review = await api("/v1/review?limit=1000");
      const mine = review.candidates.filter((c) => ids.has(c.left) || ids.has(c.right));
      for (const c of mine) items.push(explanation(c));
      if (!mine.length) items.push(el("p", { class: "muted" }, "No open match candidates involve this entity."));
    } catch (err) {
      items.push(el("p", { class: "error" }, `Review candidates: ${err.message}`));
    }
    box.replaceChildren(...items);
  }

  function explanation(c) {
    let doc = {};
    try { doc = JSON.parse(c.explanation || "{}"); } catch (err) { doc = {}; }
    return el("div", { class: "candidate" },
      el("p", {}, el("code", {}, c.left), " ↔ ", el("code", {}, c.right), ` · match probability ${pct(c.probability)} · ${c.status}`,
        " · ", el("a", { href: "/ui/review" }, "judge in the review queue")),
      el("table", { class: "features" }, el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "Feature"),
        el("th", { scope: "col" }, "Level"), el("th", { scope: "col" }, "Score"), el("th", { scope: "col" }, "Weight"))),
        el("tbody", {}, (doc.features || []).map((f) => el("tr", {}, el("td", {}, f.feature), el("td", {}, f.level),
          el("td", {}, f.score), el("td", {}, f.weight))))));
  }

  async function main() {
    const requested = root.dataset.entityId;
    const [e, ready] = await Promise.all([api(entityPath(requested)), og.ready()]);
    if (e.id !== requested) { // a merged record id: the API redirected to the canonical entity
      history.replaceState(null, "", (isReport ? "/ui/report/" : "/ui/entity/") + encodeURIComponent(e.id));
    }
    renderHead(e, ready);
    const link = document.getElementById("report-link");
    if (link) link.href = `/ui/report/${encodeURIComponent(e.id)}`;
    const policies = Object.keys(e.verdicts);
    const answers = await Promise.all(policies.map((p) =>
      api(`${entityPath(e.id)}/controllers?policy=${encodeURIComponent(p)}`)));
    renderVerdicts(answers);
    asOfForm(e, policies);
    status("Loading ownership…");
    const [up, records] = await Promise.all([upstream(e.id), api(`${entityPath(e.id)}/records`)]);
    const details = new Map(await Promise.all(up.ids.map(async (id) => [id, id === e.id ? e : await api(entityPath(id))])));
    fill("edges", up.edges.map(edgeRow));
    renderRecords(records.records);
    const wanted = new URLSearchParams(location.search).get("policy");
    let policy = policies.includes(wanted) ? wanted : policies[0];
    if (isReport) {
      document.getElementById("report-policy").textContent = policy;
      renderPaths(answers);
      await drawDiagram(e.id, up, details, policy);
      document.getElementById("print").addEventListener("click", () => window.print());
    } else {
      const select = document.getElementById("policy");
      select.replaceChildren(...policies.map((p) => el("option", { value: p, selected: p === policy }, p)));
      select.addEventListener("change", async () => {
        policy = select.value;
        await drawDiagram(e.id, up, details, policy);
      });
      document.getElementById("show-ended").addEventListener("change",
        () => drawDiagram(e.id, up, details, policy));
      await drawDiagram(e.id, up, details, policy);
      const subs = await api(`${entityPath(e.id)}/subsidiaries?hops=3`);
      const unique = new Map(subs.edges.map((s) => [s.key || JSON.stringify(s), s]));
      fill("subsidiaries", [...unique.values()].sort((a, b) => a.depth - b.depth).map((s) => el("tr", {},
        el("td", {}, s.depth), el("td", {}, el("a", { href: entityHref(s.owner_canonical || s.owner) }, s.owner_name || s.owner)),
        el("td", {}, el("a", { href: entityHref(s.owned_canonical || s.owned) }, s.owned_name || s.owned)),
        el("td", {}, `${s.kind}${shareLabel(s) ? " · " + shareLabel(s) : ""}`), el("td", {}, `${s.source} ${s.record_id || ""}`))));
      if (!unique.size) fill("subsidiaries", [el("tr", {}, el("td", { colspan: 5, class: "muted" }, "No subsidiaries"))]);
      await renderMerges(e);
    }
    status("");
    root.dataset.loaded = "true";
  }

  main().catch((err) => status(err.status === 403
    ? `Your key's role may not read entities (${err.message}).` : `Could not load: ${err.message}`, true));
})();
