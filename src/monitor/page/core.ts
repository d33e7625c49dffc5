/**
 * The dashboard's core script: helpers, the token, status polling, the
 * event stream, summary cards, tasks, the flow graph and the events log.
 * Plain ES2020; text goes through `textContent` only.
 *
 * @module
 */

/** The core part of the page script (the other parts use its helpers). */
export const CORE = String.raw`
"use strict";
const base = location.pathname.endsWith("/") ? location.pathname : location.pathname + "/";
let token = new URLSearchParams(location.search).get("token");
const canAct = document.body.dataset.canAct === "1";
const q = (extra) => {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(extra || {})) if (v !== undefined && v !== null && v !== "") p.set(k, String(v));
  if (token) p.set("token", token);
  const s = p.toString();
  return s ? "?" + s : "";
};
const $ = (sel, root) => (root || document).querySelector(sel);
function el(tag, attrs, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v !== undefined && v !== null) e.setAttribute(k, String(v));
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}
const SVG = "http://www.w3.org/2000/svg";
function sv(tag, attrs, text) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = String(text);
  return e;
}
/** Polls fn every ms while the tab is in view: a background tab costs the scheduler nothing. */
function poll(ms, fn) {
  setInterval(() => { if (!document.hidden) fn(); }, ms);
}
async function getJSON(path, params) {
  const res = await fetch(base + path + q(params), { cache: "no-store" });
  if (!res.ok) throw new Error(path + ": " + res.status);
  return res.json();
}
function rawLink(path, label) {
  return el("a", { class: "raw", href: base + path + q(), target: "_blank", rel: "noopener" }, label);
}
/** Milliseconds for people, as the server's formatDuration: 850ms, 2.5s, 1.5m, 2h. */
function fmtMs(ms) {
  if (ms === undefined || ms === null || isNaN(ms)) return "";
  if (ms < 1000) return Math.round(ms) + "ms";
  if (ms < 60000) return +(ms / 1000).toFixed(ms < 10000 ? 2 : 1) + "s";
  if (ms < 3600000) return +(ms / 60000).toFixed(1) + "m";
  return +(ms / 3600000).toFixed(1) + "h";
}
function fmtTime(t) {
  if (!t) return "";
  const d = new Date(t);
  return d.toLocaleTimeString([], { hour12: false }) + "." + String(d.getMilliseconds()).padStart(3, "0");
}
function fmtChars(n) {
  if (n < 1024) return n + " characters";
  if (n < 1048576) return (n / 1024).toFixed(1) + " K characters";
  return (n / 1048576).toFixed(1) + " M characters";
}
/** The token for actions: from ?token=, else asked once. */
function actionToken() {
  if (!token) token = prompt("Monitor token (printed where the monitor was started)") || null;
  return token;
}
async function act(path) {
  const secret = actionToken();
  if (!secret) return { ok: false, text: "no token given" };
  const res = await fetch(base + path, { method: "POST", headers: { Authorization: "Bearer " + secret } });
  let body = {};
  try { body = await res.json(); } catch (_) { /* not JSON */ }
  if (res.status === 401) token = null;
  return { ok: res.ok, status: res.status, body, text: res.ok ? "done" : (body.error || ("HTTP " + res.status)) };
}

let status = null;
const counts = new Map();        // "s0/future-result" or "s0/t1/result" -> n
let pending = [];                // events newer than the last status, to recount on a new one
const jobs = new Map();          // job id -> state class
const log = [];
let total = 0;
let dirty = true;
const listeners = { event: [], status: [] };
const boot = [];                 // what the other parts start once the first status is in

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
      for (const [ev, n] of Object.entries(t.eventCounts)) counts.set("s" + sc.index + "/t" + t.index + "/" + ev, n);
    }
  }
  pending = pending.filter((e) => e.id > s.lastEventId);
  for (const e of pending) count(e);
  for (const f of s.flows) for (const j of f.jobs) jobs.set(j.id, jobClass(j));
  for (const fn of listeners.status) fn(s);
  dirty = true;
}

function count(e) {
  const k = keyOf(e);
  if (k) counts.set(k, (counts.get(k) || 0) + 1);
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
  }
  if (e.source === "flow" && e.job !== undefined) {
    const next = { "job-scheduled": "scheduled", "job-started": "running", "job-done": "done",
      "job-failed": "failed", "job-cancelled": "cancelled" }[e.event];
    if (next) jobs.set(e.job, next);
  }
  log.push(e);
  if (log.length > 400) log.splice(0, 200);
  for (const fn of listeners.event) fn(e);
  dirty = true;
}

async function refresh() {
  try {
    applyStatus(await getJSON("api/status"));
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
    const h = el("h2", {}, "Scheduler " + s.name + " ");
    h.append(el("small", { class: "muted" }, (s.running ? "running" : "idle") +
      (s.exit ? " — ended: " + s.exit.code + (s.exit.error ? " (" + s.exit.error + ")" : "") : "")));
    const cards = el("div", { class: "cards" });
    for (const [ev, label] of SUMMARY) {
      cards.append(card(counts.get("s" + s.index + "/" + ev) || 0, label, "s" + s.index + "/" + ev));
    }
    cards.append(card(s.queueSize, "in flight", "s" + s.index + "/in-flight"));
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
        el("td", { class: "limits" }, Object.entries(t.limitsText || {}).map(([a, b]) => a + " " + b).join(", ")));
      tasks.append(row);
    }
    const opts = Object.entries(x.options).map(([k, v]) => k + " " + v).join(", ");
    const evs = el("p", { class: "muted" });
    evs.textContent = (opts ? x.kind + " (" + opts + ") · " : "") +
      [...counts.entries()].filter(([k]) => k.startsWith("s" + s.index + "/") && k.split("/").length === 2)
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
  for (const j of f.jobs.slice(0, 400)) {
    const d = depth(j, new Set());
    (rows[d] = rows[d] || []).push(j);
  }
  const W = 170, H = 40, BW = 150, BH = 28;
  const pos = new Map();
  rows.forEach((col, x) => col.forEach((j, y) => pos.set(j.id, [10 + x * W, 10 + y * H])));
  const height = Math.max(1, ...rows.map((c) => c.length)) * H + 10;
  const svg = sv("svg", { width: rows.length * W + 10, height, "data-flow": f.index });
  for (const j of f.jobs) {
    if (!pos.has(j.id)) continue;
    const [x2, y2] = pos.get(j.id);
    for (const r of j.requirements) {
      if (!pos.has(r)) continue;
      const [x1, y1] = pos.get(r);
      svg.append(sv("line", { class: "edge", x1: x1 + BW, y1: y1 + BH / 2, x2, y2: y2 + BH / 2 }));
    }
  }
  for (const j of f.jobs) {
    if (!pos.has(j.id)) continue;
    const [x, y] = pos.get(j.id);
    const state = jobs.get(j.id) || jobClass(j);
    const g = sv("g", { class: "job " + state + (j.critical ? " critical" : "") + (j.forever ? " forever" : ""),
      "data-job": j.id, "data-state": state });
    const label = j.label.length > 22 ? j.label.slice(0, 21) + "…" : j.label;
    const title = sv("title", {}, j.label + " — " + state + (j.error ? ": " + j.error : j.result !== undefined ? ": " + j.result : ""));
    g.append(title, sv("rect", { x, y, width: BW, height: BH, rx: 5 }), sv("text", { x: x + 8, y: y + 18 }, label));
    g.style.cursor = "pointer";
    g.addEventListener("click", () => openDetail("jobs", j.id));
    svg.append(g);
  }
  return svg;
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

let schedulerIndex = 0;
function renderSchedulerPicks() {
  for (const pick of document.querySelectorAll(".scheduler-pick")) {
    const names = status.schedulers.map((s) => s.index + ":" + s.name).join("|");
    if (pick.dataset.names === names) continue;
    pick.dataset.names = names;
    pick.replaceChildren(...status.schedulers.map((s) => el("option", { value: s.index }, s.name)));
    pick.value = String(schedulerIndex);
    pick.parentElement.hidden = status.schedulers.length < 2;
    pick.onchange = () => { schedulerIndex = Number(pick.value); chartsDirty(); };
  }
}

function render() {
  if (!status || !dirty) return;
  dirty = false;
  // A monitor of past runs only has nothing live to explore.
  const live = status.schedulers.length + status.flows.length > 0;
  for (const id of ["explorer", "failures", "timeline", "charts", "events"]) $("#" + id).hidden = !live;
  renderSchedulers();
  renderFlows();
  renderLog();
  renderSchedulerPicks();
}

if (canAct) {
  const b = $("#stop");
  b.hidden = false;
  b.onclick = async () => {
    const r = await act("api/stop");
    b.textContent = r.ok ? "Stopped" : "Stop (" + r.text + ")";
  };
}
`;

/** Starts the page once every part is defined. */
export const BOOT = String.raw`
(async () => {
  await refresh();
  connect();
  render();
  setInterval(render, 250);
  poll(2000, refresh);
  setInterval(() => { dirty = true; }, 1000);
  for (const fn of boot) fn();
})();
`;
