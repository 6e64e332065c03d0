// Upstream ownership diagram: a small layered layout drawn as inline SVG (no library).
// Owners sit above what they own; the entity itself is at the bottom. Edges of a cycle are
// found by a depth-first search from the entity and drawn as orange curves; news claims are
// dashed; restricted nodes are red, restricted roots have a thick border and a ROOT tag.
"use strict";
(function () {
  const SVG = "http://www.w3.org/2000/svg";
  const W = 250, H = 58, HGAP = 36, VGAP = 100, PAD = 24, DW = 16;

  function s(tag, attrs, ...children) {
    const node = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) if (v !== null && v !== undefined) node.setAttribute(k, String(v));
    for (const c of children) if (c !== null && c !== undefined) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    return node;
  }

  const today = () => new Date().toISOString().slice(0, 10);

  // An interest that has ended (its end date is past): drawn dotted, or left out.
  function ended(e) {
    return Boolean(e.end) && String(e.end).slice(0, 10) <= today();
  }

  // edges: raw API edges (owner_canonical, owned_canonical, share_lo, share_hi, kind, source)
  function groupEdges(edges) {
    const pairs = new Map();
    for (const e of edges) {
      const owner = e.owner_canonical || e.owner, owned = e.owned_canonical || e.owned;
      if (!owner || !owned || owner === owned) continue;
      const key = owner + "\u0000" + owned;
      if (!pairs.has(key)) pairs.set(key, { owner, owned, labels: [], news: true, ended: true, raw: [] });
      const pair = pairs.get(key);
      const label = ended(e) ? `ended ${String(e.end).slice(0, 10)}` : og.shareLabel(e);
      if (label && !pair.labels.includes(label)) pair.labels.push(label);
      pair.news = pair.news && (e.kind === "news_claim" || e.source === "news");
      pair.ended = pair.ended && ended(e);
      pair.raw.push(e);
    }
    return [...pairs.values()];
  }

  // Back edges of a DFS from the focal entity along owner links close cycles.
  function markCycles(focal, pairs) {
    const up = new Map();
    for (const p of pairs) {
      if (!up.has(p.owned)) up.set(p.owned, []);
      up.get(p.owned).push(p);
    }
    const state = new Map(); // 1 = on stack, 2 = done
    const visit = (node) => {
      state.set(node, 1);
      for (const p of up.get(node) || []) {
        const st = state.get(p.owner);
        if (st === 1) p.cycle = true;
        else if (st === undefined) visit(p.owner);
      }
      state.set(node, 2);
    };
    visit(focal);
    for (const p of pairs) if (!state.has(p.owner)) p.cycle = false;
  }

  function layers(focal, ids, pairs) {
    const layer = new Map(ids.map((id) => [id, 0]));
    const dag = pairs.filter((p) => !p.cycle);
    for (let i = 0; i < ids.length; i++) {
      let changed = false;
      for (const p of dag) {
        const want = layer.get(p.owned) + 1;
        if (layer.get(p.owner) < want) { layer.set(p.owner, want); changed = true; }
      }
      if (!changed) break;
    }
    layer.set(focal, 0);
    return layer;
  }

  // Edges spanning several layers pass through one small virtual node per layer they cross,
  // so they are ordered like real nodes and never run through a box (Sugiyama's layout).
  function chains(pairs, layer, vnodes) {
    const segs = [];
    pairs.forEach((p, i) => {
      if (p.cycle) return;
      p.chain = [p.owner];
      for (let k = layer.get(p.owner) - 1; k > layer.get(p.owned); k--) {
        const d = `~${i}~${k}`;
        vnodes.set(d, { layer: k, dummy: true });
        p.chain.push(d);
      }
      p.chain.push(p.owned);
      for (let j = 0; j + 1 < p.chain.length; j++) segs.push({ from: p.chain[j], to: p.chain[j + 1], pair: p });
    });
    return segs;
  }

  // Order nodes within layers by the mean position of their neighbours (a few sweeps).
  function order(vnodes, segs) {
    const rows = [];
    for (const [id, v] of vnodes) (rows[v.layer] = rows[v.layer] || []).push(id);
    for (let k = 0; k < rows.length; k++) rows[k] = rows[k] || [];
    const pos = new Map();
    const index = () => rows.forEach((row) => row.forEach((id, i) => pos.set(id, i - (row.length - 1) / 2)));
    index();
    const up = new Map(), down = new Map();
    for (const sg of segs) {
      (down.get(sg.from) || down.set(sg.from, []).get(sg.from)).push(sg.to);
      (up.get(sg.to) || up.set(sg.to, []).get(sg.to)).push(sg.from);
    }
    const mean = (id, links) => {
      const xs = (links.get(id) || []).map((n) => pos.get(n));
      return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : pos.get(id);
    };
    for (let sweep = 0; sweep < 6; sweep++) {
      const upward = sweep % 2 === 0; // place layer k by its neighbours in layer k-1
      const ks = upward ? [...rows.keys()].slice(1) : [...rows.keys()].reverse().slice(1);
      for (const k of ks) {
        const key = new Map(rows[k].map((id) => [id, mean(id, upward ? down : up)]));
        rows[k].sort((a, b) => key.get(a) - key.get(b));
        index();
      }
    }
    return rows;
  }

  function draw(container, graph) {
    const { focal, nodes, policy } = graph;
    const pairs = groupEdges(graph.edges);
    const ids = [...nodes.keys()];
    markCycles(focal, pairs);
    const layer = layers(focal, ids, pairs);
    const vnodes = new Map(ids.map((id) => [id, { layer: layer.get(id), dummy: false }]));
    const segs = chains(pairs, layer, vnodes);
    const rows = order(vnodes, segs);
    const wide = (id) => (vnodes.get(id).dummy ? DW : W);
    const rowWidth = (row) => row.reduce((a, id) => a + wide(id), 0) + Math.max(0, row.length - 1) * HGAP;
    const cycles = pairs.filter((p) => p.cycle);
    const cycleIndex = new Map(cycles.map((p, i) => [p, i]));
    const margin = cycles.length ? 40 + 16 * cycles.length : 0;
    const width = PAD * 2 + Math.max(...rows.map(rowWidth), W) + margin;
    const height = PAD * 2 + rows.length * H + (rows.length - 1) * VGAP;
    const xy = new Map();
    rows.forEach((row, k) => {
      let x = (width - margin - rowWidth(row)) / 2;
      const y = height - PAD - H - k * (H + VGAP);
      for (const id of row) { xy.set(id, { x, y, w: wide(id) }); x += wide(id) + HGAP; }
    });

    const titleId = "diagram-title-svg", descId = "diagram-desc-svg";
    // a group, not an image: its nodes are links to the owners' pages
    const svg = s("svg", { viewBox: `0 0 ${width} ${height}`, width, height, role: "group",
      "aria-labelledby": titleId, "aria-describedby": descId, class: "ownership", "data-policy": policy || "" });
    svg.append(s("title", { id: titleId }, `Upstream ownership of ${nodes.get(focal).name}`));
    svg.append(s("desc", { id: descId }, pairs.map((p) =>
      `${nodes.get(p.owner).name} owns ${p.labels.join(", ") || "an interest"} of ${nodes.get(p.owned).name}` +
      (p.cycle ? " (cycle)" : "") + (p.news ? " (news claim)" : "")).join(". ")));
    const defs = s("defs");
    for (const [id, cls] of [["arrow", "arrow"], ["arrow-cycle", "arrow cycle"]]) {
      defs.append(s("marker", { id, viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7,
        markerHeight: 7, orient: "auto-start-reverse", class: cls }, s("path", { d: "M0,0 L10,5 L0,10 z" })));
    }
    svg.append(defs);

    // spread segment ends along a real node's bottom (outgoing) and top (incoming) sides
    const portX = new Map();
    const spread = (end, other) => {
      const byNode = new Map();
      for (const sg of segs) (byNode.get(sg[end]) || byNode.set(sg[end], []).get(sg[end])).push(sg);
      for (const [id, list] of byNode) {
        const box = xy.get(id);
        list.sort((a, b) => xy.get(a[other]).x - xy.get(b[other]).x);
        list.forEach((sg, i) => portX.set(`${end}|${sg.from}|${sg.to}|${labelKey(sg.pair)}`,
          vnodes.get(id).dummy ? box.x + box.w / 2 : box.x + (box.w * (i + 1)) / (list.length + 1)));
      }
    };
    const labelKey = (p) => `${p.owner}>${p.owned}`;
    spread("from", "to");
    spread("to", "from");
    const port = (end, sg) => portX.get(`${end}|${sg.from}|${sg.to}|${labelKey(sg.pair)}`);

    const edgeLayer = s("g", { class: "edges" }), labelLayer = s("g", { class: "labels" });
    const labels = [];
    for (const p of pairs) {
      let d, lx, ly;
      if (!p.cycle) {
        const mine = segs.filter((sg) => sg.pair === p);
        d = "";
        mine.forEach((sg, j) => {
          const a = xy.get(sg.from), b = xy.get(sg.to);
          const x1 = port("from", sg), x2 = port("to", sg);
          const y1 = a.y + (vnodes.get(sg.from).dummy ? H : H), y2 = b.y;
          if (j === 0) { d += `M${x1},${a.y + H}`; lx = (x1 + x2) / 2; ly = (y1 + y2) / 2; }
          else d += ` L${x1},${a.y + H}`;
          d += ` C${x1},${(y1 + y2) / 2} ${x2},${(y1 + y2) / 2} ${x2},${vnodes.get(sg.to).dummy ? y2 : y2 - 2}`;
        });
      } else {
        // a cycle edge goes up (or sideways): out of the owner's right side to the right
        // margin, up the margin, along the gap above the owned entity and down into it
        const a = xy.get(p.owner), b = xy.get(p.owned), i = cycleIndex.get(p), r = 10;
        const side = width - 24 - 16 * i, y1 = a.y + H / 2, top = b.y - 22 - 10 * i;
        const x2 = b.x + W - 24 - 12 * i;
        d = `M${a.x + W},${y1} L${side - r},${y1} Q${side},${y1} ${side},${y1 - r}` +
          ` L${side},${top + r} Q${side},${top} ${side - r},${top} L${x2 + r},${top}` +
          ` Q${x2},${top} ${x2},${top + r} L${x2},${b.y - 2}`;
        lx = side - 22; ly = (y1 + top) / 2;
      }
      const cls = ["edge", p.news ? "news" : "", p.cycle ? "cycle" : "", p.ended ? "ended" : ""]
        .filter(Boolean).join(" ");
      edgeLayer.append(s("path", { d, class: cls, "marker-end": `url(#${p.cycle ? "arrow-cycle" : "arrow"})`,
        "data-owner": p.owner, "data-owned": p.owned }));
      const text = p.labels.join(" · ") || "interest";
      const tw = Math.max(30, text.length * 6.6 + 10);
      labels.push({ p, text, tw, lx, ly });
    }
    // labels that would overlap move down, one line at a time, within the gap
    const placed = [];
    for (const l of labels.sort((a, b) => a.ly - b.ly || a.lx - b.lx)) {
      const hits = () => placed.some((o) => Math.abs(o.lx - l.lx) < (o.tw + l.tw) / 2 + 4 && Math.abs(o.ly - l.ly) < 22);
      for (let n = 0; n < 6 && hits(); n++) l.ly += 22;
      placed.push(l);
      labelLayer.append(s("g", { class: `edge-label${l.p.cycle ? " cycle" : ""}${l.p.news ? " news" : ""}${l.p.ended ? " ended" : ""}`,
        "data-owner": l.p.owner, "data-owned": l.p.owned },
        s("rect", { x: l.lx - l.tw / 2, y: l.ly - 10, width: l.tw, height: 20, rx: 4 }),
        s("text", { x: l.lx, y: l.ly + 4, "text-anchor": "middle" }, l.text)));
    }
    svg.append(edgeLayer);

    const nodeLayer = s("g", { class: "nodes" });
    for (const [id, n] of nodes) {
      const { x, y } = xy.get(id);
      const cls = ["node", id === focal ? "focal" : "", n.restricted ? "restricted" : "",
        n.root ? "root" : "", n.verdict ? `v-${n.verdict.toLowerCase()}` : ""].filter(Boolean).join(" ");
      const where = [n.jurisdiction, n.hq_country && n.hq_country !== n.jurisdiction ? `HQ ${n.hq_country}` : null]
        .filter(Boolean).join(" · ");
      const sub = [where, n.verdict ? og.VERDICT_TEXT[n.verdict] : null].filter(Boolean).join(" — ");
      // the <title> names the link (full name, where, verdict, root) and is its tooltip
      const link = s("a", { href: og.entityHref(id), class: cls, "data-id": id, "data-name": n.name },
        s("title", {}, [`${n.name} (${id})`, where, n.verdict ? og.VERDICT_TEXT[n.verdict] : null,
          n.root ? "restricted root" : null].filter(Boolean).join(", ")),
        s("rect", { x, y, width: W, height: H, rx: 8 }),
        s("text", { x: x + 10, y: y + 22, class: "node-name" }, n.name),
        s("text", { x: x + 10, y: y + 43, class: "node-sub" }, sub),
        n.root ? s("text", { x: x + W - 10, y: y + 43, class: "node-tag", "text-anchor": "end" }, "ROOT") : null);
      nodeLayer.append(link);
    }
    svg.append(nodeLayer);
    svg.append(labelLayer);
    container.querySelectorAll("svg.ownership, p.diagram-note").forEach((old) => old.remove());
    container.append(svg);
    // names longer than the box are shortened to fit (measured, not guessed), full name in <title>
    for (const t of svg.querySelectorAll("text.node-name, text.node-sub")) {
      let full = t.textContent;
      while (full.length > 4 && t.getComputedTextLength() > W - 20) {
        full = full.slice(0, -1);
        t.textContent = full.trimEnd() + "…";
      }
    }
    container.append(og.el("p", { class: "diagram-note muted" },
      `${nodes.size} entities, ${pairs.length} ownership links` + (cycles.length ? `, ${cycles.length} closing a cycle` : "") +
      (graph.hiddenEnded ? `; ${graph.hiddenEnded} ended interests not drawn` : "") +
      (graph.truncated ? ". Stopped at the size limit; open an owner to see further up." : ".")));
    return { pairs };
  }

  window.ogGraph = { draw, groupEdges, ended };
})();
