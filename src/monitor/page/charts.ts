/**
 * The dashboard's charts, drawn as SVG by hand (no charting library: the
 * four charts need ~250 lines, a library would be 40–200 KB to serve):
 * the timeline of calls per worker, the queue history, throughput and the
 * duration histogram.
 *
 * @module
 */

/** The charts part of the page script. */
export const CHARTS = String.raw`
const chartData = { timeline: null, history: null, durations: null };

function widthOf(node) {
  return Math.max(320, Math.floor(node.clientWidth || node.parentElement.clientWidth || 800));
}
function niceMax(v) {
  if (!(v > 0)) return 1;
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}
function fmtCount(n) {
  if (n >= 1e6) return +(n / 1e6).toFixed(1) + "M";
  if (n >= 1e4) return +(n / 1e3).toFixed(1) + "k";
  return String(+n.toFixed(n < 10 ? 2 : 0));
}
function clock(t, span) {
  const text = new Date(t).toLocaleTimeString([], { hour12: false });
  // Within a few seconds, tenths tell the ticks apart.
  return span !== undefined && span < 20000 ? text + "." + Math.floor(new Date(t).getMilliseconds() / 100) : text;
}
/** An empty chart says so, in the same box. */
function emptyChart(root, text) {
  root.replaceChildren(el("div", { class: "chart-empty" }, text));
}
/** Time axis with about n labels along the bottom of a plot. */
function timeAxis(svg, x, from, to, y, n) {
  const g = sv("g", { class: "axis" });
  g.append(sv("line", { x1: x(from), x2: x(to), y1: y, y2: y }));
  for (let i = 0; i <= n; i++) {
    const t = from + (to - from) * i / n;
    g.append(sv("line", { x1: x(t), x2: x(t), y1: y, y2: y + 4 }));
    g.append(sv("text", { x: x(t), y: y + 15, "text-anchor": i === 0 ? "start" : i === n ? "end" : "middle" }, clock(t, to - from)));
  }
  svg.append(g);
}
function valueAxis(svg, y, max, x0, x1, format) {
  const g = sv("g", { class: "axis" });
  // 4 or 5 steps, whichever gives round labels (50 → 10, 20, …; 2 → 0.5, 1, …).
  const steps = Number.isInteger(max / 4) || max < 4 ? 4 : 5;
  for (let i = 0; i <= steps; i++) {
    const v = max * i / steps;
    g.append(sv("line", { class: "grid", x1: x0, x2: x1, y1: y(v), y2: y(v) }));
    g.append(sv("text", { x: x0 - 4, y: y(v) + 4, "text-anchor": "end" }, format(v)));
  }
  svg.append(g);
}
function legend(items) {
  const box = el("div", { class: "legend" });
  for (const [cls, label] of items) {
    const item = el("span", {});
    const swatch = sv("svg", { width: 12, height: 10 });
    swatch.append(sv("rect", { class: cls, x: 0, y: 0, width: 12, height: 10, rx: 2 }));
    item.append(swatch, document.createTextNode(" " + label));
    box.append(item);
  }
  return box;
}

/* Timeline: one lane per worker, one bar per call; jobs of flows below. */
function renderTimeline() {
  const root = $("#timeline-chart");
  const t = chartData.timeline;
  if (!t) return;
  const jobsShown = t.jobs.slice(0, 40);
  if (t.bars.length === 0 && jobsShown.length === 0) return emptyChart(root, "no calls in this window yet");
  const W = widthOf(root), left = 110, right = 10, laneH = 20, jobH = 16;
  const lanesH = t.lanes.length * laneH, jobsH = jobsShown.length ? jobsShown.length * jobH + 18 : 0;
  const H = lanesH + jobsH + 30;
  const span = Math.max(1, t.to - t.from);
  const x = (v) => left + (Math.min(Math.max(v, t.from), t.to) - t.from) / span * (W - left - right);
  const svg = sv("svg", { width: W, height: H, "data-chart": "timeline", role: "img" });
  t.lanes.forEach((name, i) => {
    svg.append(sv("text", { class: "lane-label", x: left - 6, y: i * laneH + 14, "text-anchor": "end" }, name.length > 16 ? name.slice(0, 15) + "…" : name));
    svg.append(sv("line", { class: "grid", x1: left, x2: W - right, y1: (i + 1) * laneH, y2: (i + 1) * laneH }));
  });
  for (const b of t.bars) {
    const x0 = x(b.start), x1 = x(b.end);
    const r = sv("rect", { class: "bar " + b.state, x: x0, y: b.lane * laneH + 3, width: Math.max(1, x1 - x0), height: laneH - 6, rx: 2, "data-future": b.id, "data-state": b.state });
    r.append(sv("title", {}, "#" + b.id + " " + b.task + " — " + b.state + ", " + fmtMs(b.end - b.start)));
    r.addEventListener("click", () => openDetail("futures", b.id));
    svg.append(r);
  }
  if (jobsShown.length) {
    svg.append(sv("text", { class: "lane-label", x: left - 6, y: lanesH + 13, "text-anchor": "end" }, "jobs"));
    jobsShown.forEach((j, i) => {
      const y = lanesH + 18 + i * jobH;
      svg.append(sv("text", { class: "lane-label", x: left - 6, y: y + 11, "text-anchor": "end" }, j.label.length > 16 ? j.label.slice(0, 15) + "…" : j.label));
      const x0 = x(j.start), x1 = x(j.end);
      const r = sv("rect", { class: "bar " + j.state, x: x0, y: y + 2, width: Math.max(1, x1 - x0), height: jobH - 4, rx: 2, "data-job": j.id, "data-state": j.state });
      r.append(sv("title", {}, j.label + " — " + j.state + ", " + fmtMs(j.end - j.start)));
      r.addEventListener("click", () => openDetail("jobs", j.id));
      svg.append(r);
    });
  }
  timeAxis(svg, x, t.from, t.to, H - 22, Math.max(2, Math.floor((W - left) / 110)));
  root.replaceChildren(svg, legend([["bar done", "done"], ["bar failed", "failed"], ["bar running", "running"], ["bar cancelled", "cancelled"]]));
  $("#timeline-info").textContent = t.total > t.bars.length ? "(newest " + t.bars.length + " of " + t.total + " calls)" : "(" + t.total + " calls)";
}

/* Queue history: queued, running and idle workers over time. */
function renderHistory() {
  const root = $("#history-chart");
  const rows = chartData.history;
  if (!rows) return;
  if (rows.length < 2) return emptyChart(root, "no history yet: it is sampled while the scheduler runs");
  const W = widthOf(root), H = 190, left = 42, right = 8, top = 8, bottom = 24;
  const from = rows[0].time, to = rows[rows.length - 1].time, span = Math.max(1, to - from);
  const max = niceMax(Math.max(1, ...rows.map((r) => Math.max(r.queued, r.running, r.idleWorkers))));
  const x = (t) => left + (t - from) / span * (W - left - right);
  const y = (v) => top + (1 - v / max) * (H - top - bottom);
  const svg = sv("svg", { width: W, height: H, "data-chart": "history", role: "img" });
  valueAxis(svg, y, max, left, W - right, fmtCount);
  for (const [key, cls] of [["queued", "s-queued"], ["running", "s-running"], ["idleWorkers", "s-idle"]]) {
    const d = rows.map((r, i) => (i ? "L" : "M") + x(r.time).toFixed(1) + " " + y(r[key]).toFixed(1)).join(" ");
    svg.append(sv("path", { class: "series " + cls, d, "data-series": key }));
  }
  timeAxis(svg, x, from, to, H - bottom, Math.max(2, Math.floor(W / 130)));
  const last = rows[rows.length - 1];
  root.replaceChildren(svg, legend([["series s-queued", "queued"], ["series s-running", "running"], ["series s-idle", "idle workers"]]));
  root.lastChild.querySelectorAll("rect").forEach((r) => { r.style.fill = "none"; r.style.strokeWidth = "3"; });
  $("#history-info").textContent = rows.length + " samples · now " + last.queued + " queued, " + last.running + " running";
  renderThroughput(rows);
}

/* Throughput: calls ended per second between samples, done and failed stacked. */
function renderThroughput(rows) {
  const root = $("#throughput-chart");
  const W = widthOf(root), H = 190, left = 42, right = 8, top = 8, bottom = 24;
  const bars = [];
  for (let i = 1; i < rows.length; i++) {
    const dt = (rows[i].time - rows[i - 1].time) / 1000;
    if (dt <= 0) continue;
    bars.push({ from: rows[i - 1].time, to: rows[i].time, done: (rows[i].done - rows[i - 1].done) / dt, failed: (rows[i].failed - rows[i - 1].failed) / dt });
  }
  if (bars.length === 0) return emptyChart(root, "no calls ended yet");
  const from = bars[0].from, to = bars[bars.length - 1].to, span = Math.max(1, to - from);
  const max = niceMax(Math.max(...bars.map((b) => b.done + b.failed)));
  const x = (t) => left + (t - from) / span * (W - left - right);
  const y = (v) => top + (1 - v / max) * (H - top - bottom);
  const svg = sv("svg", { width: W, height: H, "data-chart": "throughput", role: "img" });
  valueAxis(svg, y, max, left, W - right, fmtCount);
  for (const b of bars) {
    const x0 = x(b.from), w = Math.max(1, x(b.to) - x0 - 0.5);
    const total = b.done + b.failed;
    const g = sv("g", {});
    g.append(sv("title", {}, clock(b.to) + ": " + fmtCount(b.done) + "/s done, " + fmtCount(b.failed) + "/s failed"));
    g.append(sv("rect", { class: "s-done", x: x0, y: y(b.done), width: w, height: y(0) - y(b.done) }));
    if (b.failed > 0) g.append(sv("rect", { class: "s-failed", x: x0, y: y(total), width: w, height: y(b.done) - y(total) }));
    svg.append(g);
  }
  timeAxis(svg, x, from, to, H - bottom, Math.max(2, Math.floor(W / 130)));
  root.replaceChildren(svg, legend([["s-done", "done"], ["s-failed", "failed"]]));
}

/* Durations: how long calls ran, a histogram over 1-2-5 buckets. */
function renderDurations() {
  const root = $("#durations-chart");
  const d = chartData.durations;
  if (!d) return;
  const pick = $("#durations-task");
  const key = d.tasks.join("|");
  if (pick.dataset.key !== key) {
    const value = pick.value;
    pick.dataset.key = key;
    pick.replaceChildren(el("option", { value: "" }, "all tasks"), ...d.tasks.map((t) => el("option", { value: t }, t)));
    pick.value = value;
  }
  if (d.count === 0) { $("#durations-info").textContent = ""; return emptyChart(root, "no finished calls yet"); }
  let first = d.buckets.findIndex((b) => b.count > 0);
  const buckets = d.buckets.slice(Math.max(0, first - 1));
  const W = widthOf(root), H = 190, left = 42, right = 8, top = 8, bottom = 24;
  const max = niceMax(Math.max(...buckets.map((b) => b.count)));
  const bw = (W - left - right) / buckets.length;
  const y = (v) => top + (1 - v / max) * (H - top - bottom);
  const svg = sv("svg", { width: W, height: H, "data-chart": "durations", role: "img" });
  valueAxis(svg, y, max, left, W - right, fmtCount);
  const axis = sv("g", { class: "axis" });
  buckets.forEach((b, i) => {
    const r = sv("rect", { class: "hist", x: left + i * bw + 1, y: y(b.count), width: Math.max(1, bw - 2), height: y(0) - y(b.count), "data-le": b.le });
    r.append(sv("title", {}, "≤ " + fmtMs(b.le) + ": " + b.count + " calls"));
    svg.append(r);
    if (i % Math.ceil(buckets.length / 8) === 0) axis.append(sv("text", { x: left + i * bw + bw / 2, y: H - 8, "text-anchor": "middle" }, "≤" + fmtMs(b.le)));
  });
  svg.append(axis);
  root.replaceChildren(svg);
  $("#durations-info").textContent = d.count + " calls · p50 " + fmtMs(d.p50) + " · p90 " + fmtMs(d.p90) + " · p99 " + fmtMs(d.p99) + " · max " + fmtMs(d.max);
}

async function loadCharts() {
  const s = { scheduler: status && status.schedulers.length ? schedulerIndex : undefined };
  const windowValue = $("#timeline-window").value;
  const span = windowValue === "all" ? { from: 1 } : { window: windowValue };
  try {
    const [timeline, history] = await Promise.all([
      // No more bars than the chart has pixels: the rest could not be told apart.
      getJSON("api/timeline", Object.assign({ limit: Math.min(1500, widthOf($("#timeline-chart"))) }, s, span)),
      getJSON("api/history", s),
    ]);
    chartData.timeline = timeline;
    chartData.history = history;
    renderTimeline();
    renderHistory();
  } catch (_) { /* the next tick retries */ }
}
async function loadDurations() {
  try {
    chartData.durations = await getJSON("api/durations", { scheduler: status && status.schedulers.length ? schedulerIndex : undefined, task: $("#durations-task").value });
    renderDurations();
  } catch (_) { /* the next tick retries */ }
}
function chartsDirty() {
  loadCharts();
  loadDurations();
}
$("#timeline-window").onchange = loadCharts;
$("#durations-task").onchange = loadDurations;
// Charts follow their boxes' width (the window, and the detail panel opening).
let resizeTimer = null;
const widths = new Map();
new ResizeObserver((entries) => {
  let changed = false;
  for (const entry of entries) {
    const w = Math.round(entry.contentRect.width);
    if (widths.get(entry.target) !== w) { widths.set(entry.target, w); changed = true; }
  }
  if (!changed) return;
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(() => { renderTimeline(); renderHistory(); renderDurations(); }, 120);
}).observe(document.querySelector("main"));
boot.push(() => {
  chartsDirty();
  poll(2000, loadCharts);
  poll(5000, loadDurations);
});
`;
