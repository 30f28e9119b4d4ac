/// The page around the viewer data: markup, styles and script, all inline.
enum ViewerAssets {
  static func page(title: String, data: String) -> String {
    """
    <!DOCTYPE html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <title>\(title) — Scalpel IR viewer</title>
    <style>\(style)</style>
    </head>
    <body>
    <header>
      <h1>\(title)</h1>
      <nav id="timeline" aria-label="passes"></nav>
      <div id="tools">
        <span id="crumbs"></span>
        <input id="search" type="search" placeholder="Search values by name" autocomplete="off">
        <ul id="search-results" hidden></ul>
        <span id="legend"><i class="sw added"></i>added by this pass <i class="sw earlier"></i>added \
    by an earlier pass <i class="sw removed"></i>removed by this pass <i class="sw param"></i>\
    parameter <i class="sw stub"></i>from another cluster</span>
      </div>
    </header>
    <main>
      <svg id="canvas" xmlns="http://www.w3.org/2000/svg"><defs><marker id="arrow" \
    viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">\
    <path d="M0,0L10,5L0,10z"/></marker></defs><g id="root"></g></svg>
      <aside id="details"><p class="hint">Click a cluster to open it, a node to see its type, \
    attributes, source location, operands and users. Drag to pan, scroll to zoom.</p></aside>
    </main>
    <script type="application/json" id="viewer-data">\(data)</script>
    <script>\(script)</script>
    </body>
    </html>

    """
  }

  static let style = """
    *{box-sizing:border-box}
    body{margin:0;font:13px system-ui,sans-serif;display:flex;flex-direction:column;height:100vh;color:#222}
    header{padding:6px 10px;border-bottom:1px solid #ccc;background:#f7f7f7}
    h1{font-size:15px;margin:0 0 4px}
    #timeline{display:flex;flex-wrap:wrap;gap:4px;margin-bottom:4px}
    #timeline button{border:1px solid #aaa;background:#fff;border-radius:4px;padding:2px 8px;cursor:pointer;font:inherit}
    #timeline button.active{background:#2d6cdf;color:#fff;border-color:#2d6cdf}
    #timeline .plus{color:#1c7c1c}#timeline .minus{color:#b42318}
    #timeline button.active .plus,#timeline button.active .minus{color:#fff}
    #tools{display:flex;align-items:center;gap:10px;position:relative;flex-wrap:wrap}
    #crumbs a{cursor:pointer;color:#2d6cdf;text-decoration:underline}
    #search{width:240px;padding:2px 6px}
    #search-results{position:absolute;top:24px;left:0;z-index:5;background:#fff;border:1px solid #aaa;
     margin:0;padding:0;list-style:none;max-height:300px;overflow:auto;min-width:320px}
    #search-results li{padding:2px 6px;cursor:pointer;font-family:monospace}
    #search-results li:hover{background:#e8f0fe}
    #legend{color:#555;font-size:12px}
    .sw{display:inline-block;width:12px;height:10px;border:1px solid #666;margin:0 3px 0 8px;vertical-align:middle}
    .sw.added{background:#c9efc0;border-color:#1c7c1c}.sw.earlier{background:#eef3ff}
    .sw.removed{background:#fde2df;border:1px dashed #b42318}.sw.param{border-style:dashed}
    .sw.stub{border-color:#bbb;border-style:dotted}
    main{flex:1;display:flex;min-height:0}
    #canvas{flex:1;background:#fff;cursor:grab;user-select:none}
    #details{width:360px;overflow:auto;border-left:1px solid #ccc;padding:8px 10px;background:#fcfcfc}
    #details h2{font:bold 14px monospace;margin:0 0 6px;word-break:break-all}
    #details dt{font-weight:bold;color:#555;margin-top:4px}
    #details dd{margin:0 0 0 10px;font-family:monospace;word-break:break-all}
    #details a{color:#2d6cdf;cursor:pointer}
    .hint{color:#666}
    .node rect{fill:#fff;stroke:#555;stroke-width:1}
    .node text{font:10px Courier,monospace;fill:#222;pointer-events:none}
    .node text.op{font-weight:bold}
    .node{cursor:pointer}
    .node.param rect{stroke-dasharray:4 2;fill:#fafafa}
    .node.earlier rect{fill:#eef3ff}
    .node.added rect{fill:#c9efc0;stroke:#1c7c1c}
    .node.removed rect{fill:#fde2df;stroke:#b42318;stroke-dasharray:4 2}
    .node.removed text{fill:#b42318;text-decoration:line-through}
    .node.stub rect{fill:#fff;stroke:#bbb;stroke-dasharray:2 2}
    .node.stub text{fill:#777}
    .node.selected rect{stroke:#e8590c;stroke-width:3}
    .node.highlight rect{stroke:#d6336c;stroke-width:3}
    .edge{fill:none;stroke:#888;stroke-width:1}
    .edge.removed{stroke:#b42318;stroke-dasharray:4 2}
    .edge.external{stroke:#ccc}
    marker path{fill:#888}
    .cluster rect{fill:#f4f6fb;stroke:#7a8bb5}
    .cluster.has-added rect{fill:#c9efc0;stroke:#1c7c1c}
    .cluster.has-removed rect{stroke:#b42318;stroke-width:2}
    .cluster.highlight rect{stroke:#d6336c;stroke-width:3}
    """

  static let script = #"""
    "use strict";
    const D = JSON.parse(document.getElementById("viewer-data").textContent);
    const NS = "http://www.w3.org/2000/svg";
    const svg = document.getElementById("canvas"), root = document.getElementById("root");
    const details = document.getElementById("details"), search = document.getElementById("search");
    const results = document.getElementById("search-results");
    const S = {snap: -1, view: null, selected: null, byName: new Map(), removed: new Map(),
      users: new Map(), clusterOf: new Map(), views: new Map(), box: {x: 0, y: 0, w: 100, h: 100}};

    function el(tag, attrs, parent, text) {
      const e = document.createElementNS(NS, tag);
      for (const k in attrs) e.setAttribute(k, attrs[k]);
      if (text !== undefined) e.textContent = text;
      if (parent) parent.appendChild(e);
      return e;
    }
    function h(tag, text, parent, attrs) {
      const e = document.createElement(tag);
      if (text !== undefined) e.textContent = text;
      for (const k in attrs || {}) e.setAttribute(k, attrs[k]);
      if (parent) parent.appendChild(e);
      return e;
    }
    // The same lines as labelLines in GraphView (Graphviz sized the boxes for them).
    function lines(r) {
      if (!r.o) return ["%" + r.n, r.t];
      let head = r.o;
      if (r.a.length) {
        const a = r.a.join(", ");
        head += " {" + (a.length > 40 ? a.slice(0, 38) + "\u2026" : a) + "}";
      }
      return [head, "%" + r.n + " : " + r.t];
    }
    function passName(i) { return D.passes[i] ? D.passes[i].name : "?"; }

    function buildTimeline() {
      const nav = document.getElementById("timeline");
      D.snapshots.forEach((s, k) => {
        const b = h("button", undefined, nav, {"data-pass": passName(k), "data-index": k});
        h("span", (k ? k + ". " : "") + passName(k), b);
        const added = s.values.filter(i => D.records[i].p === k && k > 0).length;
        if (added) h("span", " +" + added, b, {class: "plus"});
        if (s.removed.length) h("span", " \u2212" + s.removed.length, b, {class: "minus"});
        const p = D.passes[k];
        if (p.milliseconds !== undefined) b.title = p.milliseconds + " ms" + (p.changed ? ", changed the graph" : "");
        b.onclick = () => { showSnapshot(k); setHash(); };
      });
    }

    function showSnapshot(k) {
      const s = D.snapshots[k];
      S.snap = k; S.byName.clear(); S.removed.clear(); S.users.clear(); S.clusterOf.clear(); S.views.clear();
      for (const i of s.values) S.byName.set(D.records[i].n, D.records[i]);
      for (const i of s.removed) S.removed.set(D.records[i].n, D.records[i]);
      for (const r of S.byName.values()) for (const o of r.i) {
        if (!S.users.has(o)) S.users.set(o, []);
        S.users.get(o).push(r.n);
      }
      for (const c of s.clusters) {
        for (const v of c.values) S.clusterOf.set(v, c.id);
        for (const v of c.removed) if (!S.clusterOf.has(v)) S.clusterOf.set(v, c.id);
      }
      root.textContent = "";
      if (s.top >= 0) S.views.set("top", buildOverview(s));
      for (const c of s.clusters) S.views.set(c.id, buildCluster(c));
      for (const b of document.querySelectorAll("#timeline button"))
        b.classList.toggle("active", +b.dataset.index === k);
      const keep = S.view && S.views.has(S.view) ? S.view : null;
      openView(keep || (s.top >= 0 ? "top" : (s.clusters[0] || {}).id));
      const sel = S.selected;
      S.selected = null;
      if (sel && (S.byName.has(sel) || S.removed.has(sel))) select(sel, false);
      else showHint();
      document.body.dataset.snapshot = passName(k);
    }

    function buildCluster(c) {
      const L = D.layouts[c.layout];
      const g = el("g", {class: "view", "data-view": c.id, display: "none"}, root);
      const eg = el("g", {class: "edges"}, g);
      for (const [a, b, d] of L.edges) {
        let cls = "edge";
        if (a[0] === "~" || b[0] === "~") cls += " removed";
        if (a[0] === "^") cls += " external";
        el("path", {d: d, class: cls, "marker-end": "url(#arrow)"}, eg);
      }
      const ng = el("g", {class: "nodes"}, g);
      for (const id in L.nodes) {
        const [x, y, w, hh] = L.nodes[id];
        const kind = id[0] === "^" ? "stub" : id[0] === "~" ? "removed" : "value";
        const name = kind === "value" ? id : id.slice(1);
        const r = kind === "removed" ? S.removed.get(name) : S.byName.get(name);
        const a = {"data-name": name};
        let cls = "node";
        if (kind === "stub") { cls += " stub"; a["data-ref"] = name; }
        else if (kind === "removed") {
          cls += " removed"; a["data-removed-op"] = r ? r.o : "?"; a["data-pass-removed"] = passName(S.snap);
        } else if (r) {
          if (r.o) a["data-op"] = r.o; else { cls += " param"; a["data-param"] = r.n; }
          if (r.p > 0) {
            a["data-pass-added"] = passName(r.p);
            cls += r.p === S.snap ? " added" : " earlier";
          }
        }
        a.class = cls;
        const e = el("g", a, ng);
        el("rect", {x: x - w / 2, y: y - hh / 2, width: w, height: hh, rx: 4}, e);
        const t = kind === "stub" ? ["\u2191 %" + name] : r ? lines(r) : [name];
        if (t.length === 1) el("text", {x: x, y: y + 3.5, "text-anchor": "middle"}, e, t[0]);
        else {
          el("text", {x: x, y: y - 2, "text-anchor": "middle", class: "op"}, e, t[0]);
          el("text", {x: x, y: y + 10, "text-anchor": "middle"}, e, t[1]);
        }
      }
      return g;
    }

    function buildOverview(s) {
      const L = D.layouts[s.top];
      const g = el("g", {class: "view", "data-view": "top", display: "none"}, root);
      const eg = el("g", {class: "edges"}, g);
      for (const [, , d] of L.edges) el("path", {d: d, class: "edge", "marker-end": "url(#arrow)"}, eg);
      for (const c of s.clusters) {
        const p = L.nodes[c.id];
        if (!p) continue;
        const added = c.values.filter(v => (S.byName.get(v) || {}).p === S.snap && S.snap > 0).length;
        let cls = "node cluster";
        if (added) cls += " has-added";
        if (c.removed.length) cls += " has-removed";
        const e = el("g", {class: cls, "data-cluster": c.id}, g);
        el("rect", {x: p[0] - p[2] / 2, y: p[1] - p[3] / 2, width: p[2], height: p[3], rx: 6}, e);
        el("text", {x: p[0], y: p[1] - 2, "text-anchor": "middle", class: "op"}, e, c.label);
        el("text", {x: p[0], y: p[1] + 10, "text-anchor": "middle"}, e,
          c.values.length + " values, " + c.removed.length + " removed");
        if (added) el("title", {}, e, added + " added by " + passName(S.snap));
      }
      return g;
    }

    function openView(id) {
      if (!S.views.has(id)) return;
      for (const [k, g] of S.views) g.setAttribute("display", k === id ? "inline" : "none");
      S.view = id;
      const crumbs = document.getElementById("crumbs");
      crumbs.textContent = "";
      const s = D.snapshots[S.snap];
      if (s.top >= 0) {
        const a = h("a", "all clusters", crumbs);
        a.onclick = () => { openView("top"); };
        if (id !== "top") h("span", " \u203a " + id, crumbs);
      } else h("span", id, crumbs);
      fit(S.views.get(id));
    }

    // Fits the view to the canvas, between 0.75 and 1.25 pixels per point so that labels stay
    // readable; a view larger than that opens at its top.
    function fit(g) {
      const b = g.getBBox(), m = 20, r = svg.getBoundingClientRect();
      let w = b.width + 2 * m, hh = b.height + 2 * m, s = 1;
      if (r.width > 0 && r.height > 0) {
        s = Math.min(Math.max(w / r.width, hh / r.height, 0.8), 1 / 0.75);
        w = r.width * s; hh = r.height * s;
      }
      const fits = b.height + 2 * m <= hh;
      S.box = {x: b.x + b.width / 2 - w / 2, y: fits ? b.y + b.height / 2 - hh / 2 : b.y - m, w: w, h: hh};
      applyBox();
    }
    function applyBox() { svg.setAttribute("viewBox", [S.box.x, S.box.y, S.box.w, S.box.h].join(" ")); }
    function centerOn(e) {
      const b = e.getBBox();
      const r = svg.getBoundingClientRect();
      const w = Math.min(S.box.w, Math.max(600, r.width));
      const hh = S.box.h * w / S.box.w;
      S.box = {x: b.x + b.width / 2 - w / 2, y: b.y + b.height / 2 - hh / 2, w: w, h: hh};
      applyBox();
    }

    function elementOf(name) {
      const g = S.views.get(S.clusterOf.get(name));
      if (!g) return null;
      for (const e of g.querySelectorAll(".node")) {
        if (e.dataset.name === name && !e.classList.contains("stub")) return e;
      }
      return null;
    }

    function goTo(name) {
      const c = S.clusterOf.get(name);
      if (!c) return false;
      if (S.view !== c) openView(c);
      select(name, true);
      return true;
    }

    function select(name, center) {
      for (const e of root.querySelectorAll(".node.selected")) e.classList.remove("selected");
      S.selected = name;
      const e = elementOf(name);
      if (e) { e.classList.add("selected"); if (center) centerOn(e); }
      showDetails(name);
      setHash();
    }

    function link(name, parent) {
      const r = S.byName.get(name);
      const a = h("a", "%" + name, parent, {"data-goto": name});
      a.onclick = () => goTo(name);
      if (r) h("span", " : " + r.t + (r.o ? "  (" + r.o + ")" : ""), parent);
    }

    function showHint() {
      details.textContent = "";
      h("p", "Click a cluster to open it, a node to see its type, attributes, source location, " +
        "operands and users. Drag to pan, scroll to zoom. The overview leaves out the edges of " +
        "clusters that feed more than eight others (masks, rotary tables).", details, {class: "hint"});
      const s = D.snapshots[S.snap];
      const ops = s.values.filter(i => D.records[i].o).length;
      h("p", ops + " ops, " + (s.values.length - ops) + " parameters, " + s.clusters.length +
        " clusters after " + passName(S.snap) + ".", details, {id: "summary"});
    }

    function showDetails(name) {
      const removed = !S.byName.has(name);
      const r = removed ? S.removed.get(name) : S.byName.get(name);
      details.textContent = "";
      if (!r) return;
      details.dataset.selected = name;
      h("h2", "%" + name, details);
      const dl = h("dl", undefined, details);
      const row = (k, v) => { h("dt", k, dl); return h("dd", v, dl, {"data-field": k}); };
      const m = /^(\w+)\[(.*)\]$/.exec(r.t);
      row("op", r.o || "parameter");
      row("type", r.t);
      if (m) { row("dtype", m[1]); row("shape", "[" + m[2] + "]"); }
      if (r.a.length) row("attributes", r.a.join(", "));
      if (r.l) row("location", r.l);
      row("added by", r.p > 0 ? passName(r.p) : "the input graph");
      if (removed) row("removed by", passName(S.snap));
      row("cluster", S.clusterOf.get(name) || "");
      const ops = row("operands", r.i.length ? undefined : "none");
      for (const o of r.i) link(o, h("div", undefined, ops));
      const us = removed ? [] : S.users.get(name) || [];
      const uses = row("users", us.length ? undefined : "none");
      for (const u of us) link(u, h("div", undefined, uses));
      const res = D.snapshots[S.snap].results.filter(x => x[1] === name).map(x => x[0]);
      if (res.length) row("results", res.join(", "));
    }

    function runSearch() {
      const q = search.value.trim().replace(/^%/, "").toLowerCase();
      results.textContent = "";
      if (!q) { results.hidden = true; return; }
      const found = [];
      for (const n of S.byName.keys()) {
        const l = n.toLowerCase();
        const i = l.indexOf(q);
        if (i >= 0) found.push([l === q ? 0 : i === 0 ? 1 : 2, n.length, n]);
      }
      found.sort((a, b) => a[0] - b[0] || a[1] - b[1] || (a[2] < b[2] ? -1 : 1));
      for (const [, , n] of found.slice(0, 100)) {
        const r = S.byName.get(n);
        const li = h("li", "%" + n + "  " + (r.o || "parameter") + " : " + r.t, results, {"data-result": n});
        li.onclick = () => { results.hidden = true; goTo(n); };
      }
      if (!found.length) h("li", "no value matches", results, {class: "none"});
      results.hidden = false;
    }
    search.addEventListener("input", runSearch);
    search.addEventListener("keydown", ev => {
      if (ev.key === "Enter") { const f = results.querySelector("li[data-result]"); if (f) f.click(); }
      if (ev.key === "Escape") results.hidden = true;
    });

    root.addEventListener("click", ev => {
      if (S.dragged) return;
      const e = ev.target.closest(".node");
      if (!e) return;
      if (e.dataset.cluster) openView(e.dataset.cluster);
      else if (e.classList.contains("stub")) goTo(e.dataset.ref);
      else select(e.dataset.name, false);
    });
    svg.addEventListener("wheel", ev => {
      ev.preventDefault();
      const r = svg.getBoundingClientRect();
      const f = Math.exp(ev.deltaY * 0.0015);
      const px = S.box.x + (ev.clientX - r.left) / r.width * S.box.w;
      const py = S.box.y + (ev.clientY - r.top) / r.height * S.box.h;
      S.box = {x: px - (px - S.box.x) * f, y: py - (py - S.box.y) * f, w: S.box.w * f, h: S.box.h * f};
      applyBox();
    }, {passive: false});
    svg.addEventListener("mousedown", ev => {
      const r = svg.getBoundingClientRect();
      const start = {x: ev.clientX, y: ev.clientY, bx: S.box.x, by: S.box.y, s: S.box.w / r.width};
      S.dragged = false;
      const move = e => {
        const dx = e.clientX - start.x, dy = e.clientY - start.y;
        if (Math.abs(dx) + Math.abs(dy) > 3) S.dragged = true;
        S.box.x = start.bx - dx * start.s; S.box.y = start.by - dy * start.s;
        applyBox();
      };
      const up = () => { removeEventListener("mousemove", move); removeEventListener("mouseup", up);
        setTimeout(() => { S.dragged = false; }, 0); };
      addEventListener("mousemove", move); addEventListener("mouseup", up);
    });

    function setHash() {
      const parts = ["pass=" + encodeURIComponent(passName(S.snap))];
      if (S.selected) parts.push("node=" + encodeURIComponent(S.selected));
      history.replaceState(null, "", "#" + parts.join("&"));
    }
    // #pass=NAME, #node=NAME, #attention=LAYER[&head=H] (the sink heat map links here).
    function readHash() {
      const p = new URLSearchParams(location.hash.slice(1));
      const want = p.get("pass");
      let k = D.snapshots.length - 1;
      if (want !== null) D.passes.forEach((x, i) => { if (x.name === want) k = i; });
      if (k !== S.snap) showSnapshot(k);
      if (p.get("node")) goTo(p.get("node"));
      const layer = p.get("attention");
      if (layer !== null) {
        const names = D.snapshots[S.snap].attention[+layer] || [];
        for (const e of root.querySelectorAll(".highlight")) e.classList.remove("highlight");
        if (names.length && goTo(names[0])) {
          for (const n of names) { const e = elementOf(n); if (e) e.classList.add("highlight"); }
          const note = h("p", "Attention softmax of layer " + layer +
            (p.get("head") !== null ? ", head " + p.get("head") + " (axis 1 of its result)" : "") +
            ": " + names.map(n => "%" + n).join(", "), null, {id: "attention-note"});
          details.insertBefore(note, details.firstChild);
        }
      }
    }
    addEventListener("hashchange", readHash);

    const t0 = performance.now();
    buildTimeline();
    readHash();
    document.body.dataset.renderMs = Math.round(performance.now() - t0);
    document.body.dataset.ready = "true";
    """#
}
