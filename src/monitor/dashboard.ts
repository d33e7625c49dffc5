/**
 * The dashboard page: plain HTML, CSS and JavaScript in one string, served
 * by the monitor itself (no build step, no CDN). Every piece of user text
 * (task names, labels, results, errors) reaches the page through
 * `textContent`, never as markup.
 *
 * @module
 */

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/** The page, with `nonce` on its script and style (the CSP allows nothing else). */
export function dashboardHtml(
  options: { nonce: string; title?: string; canAct: boolean; hasRuns: boolean },
): string {
  const title = escapeHtml(options.title ?? "baton monitor");
  const nonce = escapeHtml(options.nonce);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>${title}</title>
<style nonce="${nonce}">${CSS}</style>
</head>
<body data-can-act="${options.canAct ? "1" : "0"}" data-has-runs="${options.hasRuns ? "1" : "0"}">
<header>
  <h1>${title}</h1>
  <span id="conn" class="pill">connecting…</span>
  <button id="stop" hidden>Stop</button>
</header>
<main>
  <section id="schedulers"></section>
  <section id="flows"></section>
  <section>
    <h2>Running futures <small id="running-count"></small></h2>
    <table id="futures"><thead><tr><th>id</th><th>task</th><th>status</th><th>elapsed</th></tr></thead><tbody></tbody></table>
  </section>
  <section>
    <h2>Recent events <small id="event-total"></small></h2>
    <table id="log"><thead><tr><th>#</th><th>time</th><th>source</th><th>event</th><th>about</th><th>detail</th></tr></thead><tbody></tbody></table>
  </section>
</main>
<script nonce="${nonce}">${SCRIPT}</script>
</body>
</html>
`;
}

const CSS = `
:root { color-scheme: light dark; --ok: #2e7d32; --bad: #c62828; --run: #1565c0; --wait: #ef6c00; --mute: #888; }
body { font: 14px/1.4 system-ui, sans-serif; margin: 0; }
header { display: flex; gap: 1em; align-items: center; padding: .6em 1em; border-bottom: 1px solid #8884; }
h1 { font-size: 1.2em; margin: 0; }
h2 { font-size: 1.05em; margin: 1em 0 .4em; }
h3 { font-size: 1em; margin: .8em 0 .3em; }
main { padding: 0 1em 2em; }
.pill { border-radius: 1em; padding: .1em .7em; background: #8882; font-size: .9em; }
.pill.live { background: #2e7d3233; } .pill.down { background: #c6282833; }
.cards { display: flex; flex-wrap: wrap; gap: .6em; }
.card { border: 1px solid #8884; border-radius: .4em; padding: .4em .8em; min-width: 7em; }
.card .num { display: block; font-size: 1.6em; font-variant-numeric: tabular-nums; }
.card .lbl { color: var(--mute); font-size: .85em; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: .15em .5em; border-bottom: 1px solid #8882; vertical-align: top; }
td.detail { max-width: 40em; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.muted { color: var(--mute); }
svg text { font: 12px system-ui, sans-serif; fill: currentColor; }
svg .job rect { fill: #8881; stroke: var(--mute); stroke-width: 1.5; rx: 5; }
svg .job.scheduled rect { stroke: var(--wait); fill: #ef6c0022; }
svg .job.running rect { stroke: var(--run); fill: #1565c033; }
svg .job.done rect { stroke: var(--ok); fill: #2e7d3233; }
svg .job.failed rect { stroke: var(--bad); fill: #c6282833; }
svg .job.cancelled rect { stroke: var(--mute); stroke-dasharray: 4 3; }
svg .job.critical rect { stroke-width: 2.5; }
svg .job.forever rect { stroke-dasharray: 6 3; }
svg line { stroke: var(--mute); stroke-width: 1.2; }
button { font: inherit; }
`;

// Plain ES2020 in the browser. Text goes through textContent only.
const SCRIPT = `
"use strict";
const base = location.pathname.endsWith("/") ? location.pathname : location.pathname + "/";
const token = new URLSearchParams(location.search).get("token");
const q = (extra) => {
  const p = new URLSearchParams(extra || {});
  if (token) p.set("token", token);
  const s = p.toString();
  return s ? "?" + s : "";
};
const $ = (sel, root) => (root || document).querySelector(sel);
function el(tag, attrs, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = String(text);
  return e;
}
const SVG = "http://www.w3.org/2000/svg";
function sv(tag, attrs, text) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = String(text);
  return e;
}

let status = null;
const counts = new Map();        // "s0/future-result" or "s0/t1/result" -> n
let pending = [];                // events newer than the last status, to recount on a new one
const futures = new Map();       // id -> { task, status, since }
const jobs = new Map();          // job id -> state class
const log = [];
let total = 0;
let dirty = true;

function keyOf(e) {
  if (e.source === "scheduler") return "s" + e.scheduler + "/" + e.event;
  if (e.source === "task") return "s" + e.scheduler + "/t" + e.taskIndex + "/" + e.event;
  return null;
}

function applyStatus(s) {
  status = s;
  counts.clear();
  for (const sc of s.schedulers) {
    for (const [ev, n] of Object.entries(sc.eventCounts)) counts.set("s" + sc.index + "/" + ev, n);
    for (const t of sc.tasks) {
      for (const [ev, n] of Object.entries(t.eventCounts)) {
        counts.set("s" + sc.index + "/t" + t.index + "/" + ev, n);
      }
    }
  }
  pending = pending.filter((e) => e.id > s.lastEventId);
  for (const e of pending) count(e);
  futures.clear();
  for (const sc of s.schedulers) {
    for (const f of sc.futures) {
      futures.set(f.id, { task: f.task || "", status: f.status, since: Date.now() - f.elapsed });
    }
  }
  for (const e of pending) trackFuture(e);
  for (const f of s.flows) for (const j of f.jobs) jobs.set(j.id, jobClass(j));
  dirty = true;
}

function count(e) {
  const k = keyOf(e);
  if (k) counts.set(k, (counts.get(k) || 0) + 1);
}

function trackFuture(e) {
  if (e.source !== "scheduler" || e.future === undefined) return;
  if (e.event === "future-submitted") futures.set(e.future, { task: e.task || "", status: "submitted", since: e.time });
  else if (e.event === "future-done" || e.event === "future-cancelled") futures.delete(e.future);
}

function jobClass(j) {
  if (j.cancelled) return "cancelled";
  if (j.failed) return "failed";
  return j.state;
}

function onEvent(e) {
  total++;
  if (!status || e.id > status.lastEventId) {
    pending.push(e);
    if (pending.length > 20000) pending.splice(0, 10000);
    count(e);
    trackFuture(e);
  }
  if (e.source === "flow" && e.job !== undefined) {
    const next = { "job-scheduled": "scheduled", "job-started": "running", "job-done": "done",
      "job-failed": "failed", "job-cancelled": "cancelled" }[e.event];
    if (next) jobs.set(e.job, next);
  }
  log.push(e);
  if (log.length > 400) log.splice(0, 200);
  dirty = true;
}

async function refresh() {
  try {
    const res = await fetch(base + "api/status" + q(), { cache: "no-store" });
    if (res.ok) applyStatus(await res.json());
  } catch (_) { /* the next poll retries */ }
}

function connect() {
  const src = new EventSource(base + "api/events" + q({ after: status ? status.lastEventId : 0 }));
  src.onopen = () => { const c = $("#conn"); c.textContent = "live"; c.className = "pill live"; };
  src.onerror = () => { const c = $("#conn"); c.textContent = "reconnecting…"; c.className = "pill down"; };
  src.onmessage = (m) => onEvent(JSON.parse(m.data));
  src.addEventListener("gap", refresh);
  src.addEventListener("reset", refresh);
}

const SUMMARY = [
  ["future-submitted", "submitted"], ["future-done", "done"], ["future-result", "results"],
  ["future-exception", "exceptions"], ["future-cancelled", "cancelled"],
];

function card(value, label, id) {
  const c = el("div", { class: "card" });
  const n = el("span", { class: "num" }, value);
  if (id) n.setAttribute("data-counter", id);
  c.append(n, el("span", { class: "lbl" }, label));
  return c;
}

function renderSchedulers() {
  const root = $("#schedulers");
  root.replaceChildren();
  for (const s of status.schedulers) {
    const running = [...futures.values()].length;
    const h = el("h2", {}, "Scheduler " + s.name + " ");
    h.append(el("small", { class: "muted" }, (s.running ? "running" : "idle") +
      (s.exit ? " — ended: " + s.exit.code + (s.exit.error ? " (" + s.exit.error + ")" : "") : "")));
    const cards = el("div", { class: "cards" });
    for (const [ev, label] of SUMMARY) {
      cards.append(card(counts.get("s" + s.index + "/" + ev) || 0, label, "s" + s.index + "/" + ev));
    }
    cards.append(card(running, "in flight", "s" + s.index + "/in-flight"));
    const x = s.executor;
    cards.append(card(x.busy + " / " + (x.busy + x.idle), x.kind + " busy", "s" + s.index + "/busy"));
    cards.append(card(x.queued, "queued", "s" + s.index + "/queued"));
    const tasks = el("table", { class: "tasks" });
    const head = el("tr");
    for (const t of ["task", "running", "submitted", "results", "exceptions", "plugins", "limits"]) head.append(el("th", {}, t));
    tasks.append(head);
    for (const t of s.tasks) {
      const k = "s" + s.index + "/t" + t.index + "/";
      const row = el("tr", { "data-task": t.index });
      row.append(el("td", {}, t.name), el("td", {}, t.running),
        el("td", {}, counts.get(k + "submitted") || 0), el("td", {}, counts.get(k + "result") || 0),
        el("td", {}, counts.get(k + "exception") || 0),
        el("td", {}, t.plugins.map((p) => p.name + (p.state ? ": " + p.state : "")).join("; ")),
        el("td", {}, Object.entries(t.limits).map(([a, b]) => a + " " + b).join(", ")));
      tasks.append(row);
    }
    const evs = el("p", { class: "muted" });
    evs.textContent = [...counts.entries()].filter(([k]) => k.startsWith("s" + s.index + "/") && k.split("/").length === 2)
      .map(([k, n]) => k.split("/")[1] + " " + n).join(" · ");
    root.append(h, cards, el("h3", {}, "Tasks"), tasks, evs);
  }
}

function renderFlows() {
  const root = $("#flows");
  root.replaceChildren();
  for (const f of status.flows) {
    const h = el("h2", {}, "Flow " + f.label + " ");
    h.append(el("small", { class: "muted" }, f.why + " — " + f.stats));
    root.append(h, graph(f));
  }
}

function graph(f) {
  const byId = new Map(f.jobs.map((j) => [j.id, j]));
  const level = new Map();
  const depth = (j, seen) => {
    if (level.has(j.id)) return level.get(j.id);
    if (seen.has(j.id)) return 0;
    seen.add(j.id);
    let d = 0;
    for (const r of j.requirements) if (byId.has(r)) d = Math.max(d, depth(byId.get(r), seen) + 1);
    level.set(j.id, d);
    return d;
  };
  const rows = [];
  for (const j of f.jobs) {
    const d = depth(j, new Set());
    (rows[d] = rows[d] || []).push(j);
  }
  const W = 170, H = 46, BW = 150, BH = 30;
  const pos = new Map();
  rows.forEach((col, x) => col.forEach((j, y) => pos.set(j.id, [10 + x * W, 10 + y * H])));
  const height = Math.max(1, ...rows.map((c) => c.length)) * H + 10;
  const svg = sv("svg", { width: rows.length * W + 10, height, "data-flow": f.index });
  for (const j of f.jobs) {
    const [x2, y2] = pos.get(j.id);
    for (const r of j.requirements) {
      if (!pos.has(r)) continue;
      const [x1, y1] = pos.get(r);
      svg.append(sv("line", { x1: x1 + BW, y1: y1 + BH / 2, x2, y2: y2 + BH / 2 }));
    }
  }
  for (const j of f.jobs) {
    const [x, y] = pos.get(j.id);
    const state = jobs.get(j.id) || jobClass(j);
    const g = sv("g", { class: "job " + state + (j.critical ? " critical" : "") + (j.forever ? " forever" : ""),
      "data-job": j.id, "data-state": state });
    const label = j.label.length > 22 ? j.label.slice(0, 21) + "…" : j.label;
    const title = sv("title", {}, j.label + " — " + state + (j.error ? ": " + j.error : j.result !== undefined ? ": " + j.result : ""));
    g.append(title, sv("rect", { x, y, width: BW, height: BH, rx: 5 }), sv("text", { x: x + 8, y: y + 19 }, label));
    svg.append(g);
  }
  return svg;
}

function renderFutures() {
  const body = $("#futures tbody");
  body.replaceChildren();
  const now = Date.now();
  const list = [...futures.entries()].slice(0, 50);
  for (const [id, f] of list) {
    const row = el("tr");
    row.append(el("td", {}, id), el("td", {}, f.task), el("td", {}, f.status),
      el("td", {}, ((now - f.since) / 1000).toFixed(1) + " s"));
    body.append(row);
  }
  $("#running-count").textContent = "(" + futures.size + ")";
}

function renderLog() {
  const body = $("#log tbody");
  body.replaceChildren();
  for (let i = log.length - 1; i >= Math.max(0, log.length - 100); i--) {
    const e = log[i];
    const about = e.future !== undefined ? "future " + e.future + (e.task ? " (" + e.task + ")" : "")
      : e.jobLabel !== undefined ? "job " + e.jobLabel : "";
    const row = el("tr");
    row.append(el("td", {}, e.id), el("td", {}, new Date(e.time).toLocaleTimeString()),
      el("td", {}, e.source + " " + e.emitter), el("td", {}, e.event), el("td", {}, about),
      el("td", { class: "detail", title: e.detail || "" }, e.detail || ""));
    body.append(row);
  }
  $("#event-total").textContent = "(" + total + " received)";
}

function render() {
  if (!status || !dirty) return;
  dirty = false;
  renderSchedulers();
  renderFlows();
  renderFutures();
  renderLog();
}

if (document.body.dataset.canStop === "1") {
  const b = $("#stop");
  b.hidden = false;
  b.onclick = async () => {
    const secret = token || prompt("Monitor token");
    if (!secret) return;
    const res = await fetch(base + "api/stop", { method: "POST", headers: { Authorization: "Bearer " + secret } });
    b.textContent = res.ok ? "Stopped" : "Stop (" + res.status + ")";
  };
}

(async () => {
  await refresh();
  connect();
  render();
  setInterval(render, 250);
  setInterval(() => { refresh(); }, 2000);
  setInterval(() => { dirty = true; }, 1000);
})();
`;
