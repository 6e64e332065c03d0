// What is served now (GET /readyz) and the runs behind it (GET /v1/runs).
"use strict";
(function () {
  const { api, el, status, fmtDate } = og;
  async function main() {
    const ready = await og.ready();
    const facts = [["Generation", ready.generation], ["Entities", ready.entities],
      ["Data as of", ready.data_as_of || "unknown"], ["Loaded at", ready.loaded_at],
      ["Policies", (ready.policies || []).join(", ")]];
    document.getElementById("served").replaceChildren(...facts.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, String(v))]));
    const runs = await api("/v1/runs");
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
  }
  main().catch((err) => status(`Could not load: ${err.message}`, true));
})();
