/**
 * The dashboard's "Past runs" section, shown when the monitor has a
 * `RunSource`: the runs, a run's jobs with their timeline, a job's error
 * and log in the detail panel.
 *
 * @module
 */

/** The past-runs part of the page script. */
export const RUNS = String.raw`
const hasRuns = document.body.dataset.hasRuns === "1";
let openRun = null;

async function loadRuns() {
  let runs;
  try { runs = await getJSON("api/runs"); } catch (_) { return; }
  $("#run-list tbody").replaceChildren(...runs.map((r) => {
    const row = el("tr", { tabindex: 0, "data-run": r.id, class: openRun === r.id ? "selected" : "" });
    const outcome = r.ok === undefined ? (r.ended ? "ended" : "running") : r.ok ? "ok" : "failed";
    row.append(el("td", {}, r.id), el("td", {}, r.label), el("td", {}, new Date(r.started).toLocaleString()),
      el("td", {}, r.ended ? fmtMs(r.ended - r.started) : ""),
      el("td", { class: "state " + (outcome === "ok" ? "done" : outcome), title: r.why || "" }, outcome + (r.why ? " — " + r.why : "")),
      el("td", { class: "num-cell" }, r.jobs), el("td", { class: "num-cell" + (r.failed ? " err" : "") }, r.failed));
    row.style.cursor = "pointer";
    row.onclick = () => showRun(r.id);
    return row;
  }));
}

async function showRun(id) {
  openRun = id;
  let jobsOfRun;
  try { jobsOfRun = await getJSON("api/runs/" + encodeURIComponent(id) + "/jobs"); } catch (e) { return; }
  const view = $("#run-view");
  const table = el("table", { class: "run-jobs", "data-run": id });
  const head = el("tr");
  for (const h of ["job", "state", "requires", "took", "result / error"]) head.append(el("th", {}, h));
  table.append(head);
  for (const j of jobsOfRun) {
    const row = el("tr", { tabindex: 0, "data-job": j.id, "data-state": j.state });
    row.append(el("td", {}, j.label), el("td", { class: "state " + j.state }, j.state), el("td", {}, j.requires.join(", ")),
      el("td", {}, j.started && j.ended ? fmtMs(j.ended - j.started) : ""),
      el("td", { class: j.error ? "err detail" : "detail", title: j.error || j.result || "" }, j.error || j.result || ""));
    row.style.cursor = "pointer";
    row.onclick = () => showPastJob(id, j);
    table.append(row);
  }
  view.replaceChildren(el("h3", {}, "Run " + id), table, runTimeline(id, jobsOfRun));
  loadRuns();
}

function runTimeline(run, list) {
  const timed = list.filter((j) => j.started);
  if (timed.length === 0) return el("p", { class: "muted" }, "no job of this run has times");
  const from = Math.min(...timed.map((j) => j.started));
  const to = Math.max(...timed.map((j) => j.ended || j.started));
  const W = widthOf($("#run-view")), left = 150, rowH = 18, H = timed.length * rowH + 30;
  const span = Math.max(1, to - from);
  const x = (v) => left + (v - from) / span * (W - left - 10);
  const svg = sv("svg", { width: W, height: H, "data-chart": "run-timeline" });
  timed.forEach((j, i) => {
    svg.append(sv("text", { class: "lane-label", x: left - 6, y: i * rowH + 13, "text-anchor": "end" }, j.label.length > 22 ? j.label.slice(0, 21) + "…" : j.label));
    const r = sv("rect", { class: "bar " + j.state, x: x(j.started), y: i * rowH + 2, width: Math.max(1, x(j.ended || j.started) - x(j.started)), height: rowH - 4, rx: 2 });
    r.append(sv("title", {}, j.label + " — " + j.state));
    r.addEventListener("click", () => showPastJob(run, j));
    svg.append(r);
  });
  timeAxis(svg, x, from, to, H - 22, 5);
  return svg;
}

async function showPastJob(run, j) {
  selected = { kind: "past", id: run + "/" + j.id, note: "", expanded: new Set(), json: "" };
  tail = null;
  clearTimeout(detailTimer);
  document.body.classList.add("detail-open");
  const root = $("#detail");
  root.hidden = false;
  const parts = [detailHead("Job " + j.label + " · run " + run, j.state)];
  const dl = el("dl", { class: "facts" });
  fact(dl, "requires", j.requires.join(", ") || "—");
  fact(dl, "started", j.started ? new Date(j.started).toLocaleString() : "");
  fact(dl, "took", j.started && j.ended ? fmtMs(j.ended - j.started) : "");
  parts.push(dl);
  if (j.error) {
    // The store keeps "Name: message".
    const colon = j.error.indexOf(": ");
    const line = el("p", {});
    if (colon > 0 && colon < 60 && !/\s/.test(j.error.slice(0, colon))) {
      line.append(el("span", { class: "error-name" }, j.error.slice(0, colon)), document.createTextNode(j.error.slice(colon)));
    } else line.append(el("span", { class: "error-name" }, j.error));
    parts.push(el("h3", {}, "Error"), line);
    if (j.stack) parts.push(el("pre", { class: "stack" }, j.stack));
  }
  if (j.result) parts.push(el("h3", {}, "Result"), el("pre", {}, j.result));
  const path = "api/runs/" + encodeURIComponent(run) + "/logs/" + encodeURIComponent(j.id);
  const h = el("h3", {}, "Log ");
  h.append(rawLink(path + "?raw=1", "whole log"));
  const pre = el("pre", { class: "logs" });
  parts.push(h, pre);
  root.replaceChildren(...parts);
  try {
    const lines = await getJSON(path, { limit: 2000 });
    if (lines.length === 0) pre.append(el("span", { class: "muted" }, "no output"));
    for (const line of lines) {
      const node = el("span", { class: "line " + line.stream });
      node.append(el("span", { class: "line-no" }, String(line.seq).padStart(4) + "  "), document.createTextNode(line.text));
      if (line.truncated) node.append(el("span", { class: "cut" }, " … " + fmtChars(line.size) + " in all, see the whole log"));
      node.append(document.createTextNode("\n"));
      pre.append(node);
    }
  } catch (_) {
    pre.append(el("span", { class: "muted" }, "no log for this job"));
  }
}

if (hasRuns) {
  $("#runs").hidden = false;
  $("#runs-link").hidden = false;
  boot.push(() => {
    loadRuns();
    poll(5000, loadRuns);
  });
}
`;
