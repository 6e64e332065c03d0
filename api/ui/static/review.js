// Review queue: GET /v1/review, POST /v1/judgements (investigator role).
"use strict";
(function () {
  const { api, el, pct, status, entityHref, entityPath } = og;
  const canJudge = ["investigator", "admin"].includes(og.role());
  const names = new Map();
  const nameOf = async (id) => {
    if (!names.has(id)) names.set(id, api(entityPath(id)).then((e) => e.name).catch(() => id));
    return names.get(id);
  };

  async function card(c, index) {
    let doc = {};
    try { doc = JSON.parse(c.explanation || "{}"); } catch (err) { doc = {}; }
    const [left, right] = await Promise.all([nameOf(c.left), nameOf(c.right)]);
    const title = `pair-${index}`;
    const result = el("p", { class: "result", role: "status", "aria-live": "polite" });
    const reason = el("input", { id: `reason-${index}`, type: "text", maxlength: 2000, name: "reason" });
    const decide = async (decision, button) => {
      button.disabled = true;
      try {
        const j = await api("/v1/judgements", { method: "POST",
          json: { left: c.left, right: c.right, decision, reason: reason.value } });
        result.textContent = `Recorded “${j.decision.replace("_", " ")}” by ${j.user} at ${j.at}. Applied on the next resolve run.`;
        result.classList.remove("error");
        box.dataset.judged = j.decision;
      } catch (err) {
        result.textContent = `Not recorded: ${err.message}`;
        result.classList.add("error");
      } finally {
        button.disabled = false;
      }
    };
    const action = (decision, label) => {
      const b = el("button", { type: "button", class: `judge judge-${decision}`, "data-decision": decision }, label);
      b.addEventListener("click", () => decide(decision, b));
      return b;
    };
    const box = el("article", { class: "card candidate", "aria-labelledby": title, "data-left": c.left, "data-right": c.right },
      el("h2", { id: title }, el("a", { href: entityHref(c.left) }, left), " ↔ ", el("a", { href: entityHref(c.right) }, right)),
      el("p", {}, `Match probability ${pct(c.probability)}`, doc.prior !== undefined ? ` (prior ${pct(doc.prior)})` : "",
        " · ", el("code", {}, c.left), " / ", el("code", {}, c.right)),
      doc.names ? el("p", { class: "muted" }, `Compared names: ${doc.names.join(" / ")}`) : null,
      el("table", { class: "features" },
        el("caption", {}, "Evidence for and against"),
        el("thead", {}, el("tr", {}, ["Feature", "Level", "Score", "Weight"].map((h) => el("th", { scope: "col" }, h)))),
        el("tbody", {}, (doc.features || []).map((f) => el("tr", { class: f.weight < 0 ? "against" : "for" },
          el("td", {}, f.feature), el("td", {}, f.level), el("td", {}, f.score), el("td", {}, f.weight > 0 ? `+${f.weight}` : f.weight))))),
      canJudge ? el("div", { class: "decide" },
        el("label", { for: `reason-${index}` }, "Reason (optional)"), reason,
        el("div", { class: "buttons", role: "group", "aria-label": "Decision" },
          action("same", "Same entity"), action("not_same", "Not the same"), action("unsure", "Unsure")))
        : el("p", { class: "muted" }, "Judging needs the investigator role."),
      result);
    return box;
  }

  async function main() {
    const review = await api("/v1/review?limit=200");
    const cards = await Promise.all(review.candidates.map(card));
    document.getElementById("queue").replaceChildren(...cards);
    status(review.total ? `${review.total} pair${review.total === 1 ? "" : "s"} waiting for a judgement` +
      (review.total > cards.length ? ` (showing ${cards.length})` : "") : "Nothing waits for review.");
  }
  main().catch((err) => status(err.status === 403 ? `Your key's role may not read the review queue (${err.message}).`
    : `Could not load the queue: ${err.message}`, true));
})();
