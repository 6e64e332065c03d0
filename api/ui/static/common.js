// Shared helpers of the ownergraph UI: API calls with the session cookie, safe DOM building.
"use strict";
window.og = (function () {
  const meta = (name) => (document.querySelector(`meta[name="${name}"]`) || {}).content || "";

  class ApiError extends Error {
    constructor(status, body) {
      super((body && body.message) || `HTTP ${status}`);
      this.status = status;
      this.body = body;
    }
  }

  // Every call goes to the public API; the session cookie authenticates it and the CSRF
  // token (double submit) accompanies anything that changes state.
  async function api(path, options = {}) {
    const method = options.method || "GET";
    const headers = { Accept: "application/json" };
    let body;
    if (options.json !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(options.json);
    }
    if (method !== "GET") headers["X-CSRF-Token"] = meta("og-csrf");
    const response = await fetch(path, { method, headers, body, credentials: "same-origin" });
    if (response.status === 401) {
      window.location.assign("/ui/login?next=" + encodeURIComponent(location.pathname + location.search));
      throw new ApiError(401, { message: "signed out" });
    }
    const text = await response.text();
    let doc = null;
    try { doc = text ? JSON.parse(text) : null; } catch (e) { doc = { message: text }; }
    if (!response.ok) throw new ApiError(response.status, doc);
    return doc;
  }

  // el("a", {href: "/x", class: "c"}, "text", child) — text is always a text node (no HTML).
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "class") node.className = v;
      else if (k === "dataset") Object.assign(node.dataset, v);
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? "" : String(v));
    }
    for (const child of children.flat(Infinity)) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  const pct = (x) => {
    const v = Math.round(x * 1000) / 10;
    return `${Number.isInteger(v) ? v.toFixed(0) : v.toFixed(1)}%`;
  };

  const KIND_LABELS = {
    shareholding: "", voting_rights: "votes", board_appointment: "board",
    contractual_control: "contract (VIE)", consolidation_parent: "consolidation",
    ultimate_consolidation_parent: "ultimate consolidation", news_claim: "news", other: "other",
  };

  // "95%", "25–50% votes", "consolidation" (an unknown share of a full-control interest)
  function shareLabel(edge) {
    const lo = Number(edge.share_lo), hi = Number(edge.share_hi);
    const kind = KIND_LABELS[edge.kind] !== undefined ? KIND_LABELS[edge.kind] : edge.kind;
    let share;
    if (lo === 0 && hi === 1) share = kind ? "" : "share unknown";
    else if (Math.abs(lo - hi) < 1e-9) share = pct(lo);
    else share = `${pct(lo).replace("%", "")}–${pct(hi)}`;
    return [share, kind].filter(Boolean).join(" ");
  }

  const VERDICT_TEXT = {
    BLOCK: "Block", REVIEW: "Review", ALLOW: "Allow",
    INSUFFICIENT_DATA: "Insufficient data", NO_MATCH: "No match",
  };

  function badge(verdict, policy) {
    return el("span", { class: `badge v-${(verdict || "").toLowerCase()}`,
                        title: policy ? `${policy}: ${verdict}` : verdict },
              policy ? el("span", { class: "badge-policy" }, policy) : null,
              VERDICT_TEXT[verdict] || verdict);
  }

  function status(message, isError) {
    const node = document.getElementById("status");
    if (!node) return;
    node.textContent = message || "";
    node.classList.toggle("error", Boolean(isError));
  }

  const entityHref = (id) => `/ui/entity/${encodeURIComponent(id)}`;
  const entityPath = (id) => `/v1/entities/${encodeURIComponent(id)}`;
  const role = () => meta("og-role");

  let readyCache = null;
  const ready = () => (readyCache = readyCache || api("/readyz"));

  // Group names by the Unicode script they are written in.
  const SCRIPTS = [["Han", /\p{Script=Han}/u], ["Cyrillic", /\p{Script=Cyrillic}/u],
    ["Arabic", /\p{Script=Arabic}/u], ["Greek", /\p{Script=Greek}/u],
    ["Hangul", /\p{Script=Hangul}/u], ["Kana", /[\p{Script=Hiragana}\p{Script=Katakana}]/u],
    ["Hebrew", /\p{Script=Hebrew}/u], ["Thai", /\p{Script=Thai}/u], ["Latin", /\p{Script=Latin}/u]];
  function scriptOf(text) {
    for (const [name, re] of SCRIPTS) if (re.test(text)) return name;
    return "Other";
  }

  const fmtDate = (s) => (s ? String(s).slice(0, 10) : "—");

  return { api, el, pct, shareLabel, badge, status, entityHref, entityPath, role, ready,
           scriptOf, fmtDate, ApiError, VERDICT_TEXT };
})();

// Scrollable table wrappers are reachable and named for keyboard and screen-reader users.
document.addEventListener("DOMContentLoaded", () => {
  for (const wrap of document.querySelectorAll(".table-wrap")) {
    const heading = wrap.closest("section") && wrap.closest("section").querySelector("h2, h3");
    wrap.setAttribute("tabindex", "0");
    wrap.setAttribute("role", "region");
    wrap.setAttribute("aria-label", heading ? heading.textContent : "table");
  }
});
