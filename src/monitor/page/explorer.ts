/**
 * The dashboard's explorer: a virtualized table of futures or jobs, paged
 * and filtered by the server; the detail panel (arguments, result, error
 * with stack and causes, live output, actions); the failures panel.
 *
 * @module
 */

/** The explorer part of the page script. */
export const EXPLORER = String.raw`
const ROW_H = 26;
const OVERSCAN = 12;
const FUTURE_STATES = ["queued", "running", "done", "failed", "cancelled"];
const JOB_STATES = ["waiting", "queued", "running", "done", "failed", "cancelled"];
const COLUMNS = {
  futures: [
    ["id", (r) => r.id, "num-cell"], ["task", (r) => r.task], ["state", (r) => r.state, (r) => "state " + r.state],
    ["arguments", (r) => r.args], ["tries", (r) => r.attempts, "num-cell"], ["worker", (r) => r.worker || ""],
    ["duration", (r) => fmtMs(r.duration), "num-cell"],
    ["result / error", (r) => r.error || r.result || "", (r) => (r.error ? "err" : "")],
  ],
  jobs: [
    ["id", (r) => r.id, "num-cell"], ["flow", (r) => r.flowLabel], ["job", (r) => r.label], ["kind", (r) => r.kind],
    ["state", (r) => r.state, (r) => "state " + r.state], ["duration", (r) => fmtMs(r.duration), "num-cell"],
    ["result / error", (r) => r.error || r.result || "", (r) => (r.error ? "err" : "")],
  ],
};
const explorer = { kind: "futures", states: new Set(), group: "", reversed: false, page: null, loading: false, again: false };
let selected = null;  // { kind, id, note, expanded, json }

function explorerParams(offset, limit) {
  const p = { state: [...explorer.states].join(","), offset, limit };
  p[explorer.kind === "futures" ? "task" : "flowLabel"] = explorer.group;
  // Futures list newest first, jobs in the order they were defined; the box flips either.
  const newest = explorer.kind === "futures" ? !explorer.reversed : explorer.reversed;
  p.order = newest ? "newest" : "oldest";
  return p;
}

async function loadTable() {
  if (explorer.loading) { explorer.again = true; return; }
  explorer.loading = true;
  try {
    const scroll = $("#table-scroll");
    const first = Math.max(0, Math.floor(scroll.scrollTop / ROW_H) - OVERSCAN);
    const limit = Math.ceil(scroll.clientHeight / ROW_H) + 2 * OVERSCAN;
    const kind = explorer.kind;
    const page = await getJSON("api/" + kind, explorerParams(first, limit));
    if (kind === explorer.kind) { explorer.page = page; renderTable(); }
  } catch (_) { /* the next tick retries */ }
  explorer.loading = false;
  if (explorer.again) { explorer.again = false; loadTable(); }
}

function renderTable() {
  const page = explorer.page;
  const cols = COLUMNS[explorer.kind];
  const head = $("#table-head");
  head.className = "vt-head cols-" + explorer.kind;
  if (head.dataset.kind !== explorer.kind) {
    head.dataset.kind = explorer.kind;
    head.replaceChildren(...cols.map(([name, , cls]) => el("span", { class: typeof cls === "string" ? cls : "" }, name)));
  }
  $("#table-spacer").style.height = Math.min(page.total * ROW_H, 3e7) + "px";
  const rows = $("#table-rows");
  rows.style.top = page.offset * ROW_H + "px";
  rows.replaceChildren(...page.rows.map((r) => {
    const row = el("div", { class: "vt-row cols-" + explorer.kind + (selected && selected.kind === explorer.kind && selected.id === r.id ? " selected" : ""),
      role: "row", tabindex: 0, "data-id": r.id, "data-state": r.state });
    for (const [, value, cls] of cols) {
      const text = value(r);
      row.append(el("span", { class: typeof cls === "function" ? cls(r) : (cls || ""), title: String(text) }, text));
    }
    row.onclick = () => openDetail(explorer.kind, r.id);
    row.onkeydown = (e) => { if (e.key === "Enter") openDetail(explorer.kind, r.id); };
    return row;
  }));
  const states = explorer.kind === "futures" ? FUTURE_STATES : JOB_STATES;
  const chips = $("#state-chips");
  const all = Object.values(page.states).reduce((a, b) => a + b, 0);
  chips.replaceChildren(chip("all", all, explorer.states.size === 0), ...states.map((s) => chip(s, page.states[s] || 0, explorer.states.has(s))));
  const pick = $("#group-filter");
  const names = Object.keys(page.groups).sort();
  if (explorer.group && !names.includes(explorer.group)) names.unshift(explorer.group);
  const key = explorer.kind + ":" + names.join("|");
  if (pick.dataset.key !== key) {
    pick.dataset.key = key;
    pick.replaceChildren(el("option", { value: "" }, "all"), ...names.map((n) => el("option", { value: n }, n)));
    pick.value = explorer.group;
    pick.previousSibling.textContent = explorer.kind === "futures" ? "task " : "flow ";
  }
  const shown = page.rows.length ? (page.offset + 1) + "–" + (page.offset + page.rows.length) : "0";
  $("#table-info").textContent = "rows " + shown + " of " + page.total + " matching" +
    (page.evicted ? " · " + page.evicted + " older finished calls let go (maxFutures)" : "");
}

function chip(state, n, on) {
  const b = el("button", { class: "chip", "data-state": state, "aria-pressed": on ? "true" : "false" }, state);
  b.append(el("span", { class: "n" }, n));
  b.onclick = () => {
    if (state === "all") explorer.states.clear();
    else if (explorer.states.has(state)) explorer.states.delete(state);
    else explorer.states.add(state);
    $("#table-scroll").scrollTop = 0;
    loadTable();
  };
  return b;
}

function setKind(kind) {
  explorer.kind = kind;
  explorer.states.clear();
  explorer.group = "";
  for (const b of document.querySelectorAll(".tabs button")) b.setAttribute("aria-pressed", b.dataset.kind === kind ? "true" : "false");
  $("#table-scroll").scrollTop = 0;
  loadTable();
}
for (const b of document.querySelectorAll(".tabs button")) b.onclick = () => setKind(b.dataset.kind);
$("#group-filter").onchange = (e) => { explorer.group = e.target.value; $("#table-scroll").scrollTop = 0; loadTable(); };
$("#reverse-order").onchange = (e) => { explorer.reversed = e.target.checked; loadTable(); };
let scrollQueued = false;
$("#table-scroll").addEventListener("scroll", () => {
  if (scrollQueued) return;
  scrollQueued = true;
  requestAnimationFrame(() => { scrollQueued = false; loadTable(); });
});

/* The detail panel. */
let detailTimer = null;
let tail = null;  // { key, after, pre, lines }

function closeDetail() {
  selected = null;
  tail = null;
  clearTimeout(detailTimer);
  $("#detail").hidden = true;
  document.body.classList.remove("detail-open");
  if (explorer.page) renderTable();
}
document.addEventListener("keydown", (e) => { if (e.key === "Escape" && selected) closeDetail(); });

async function openDetail(kind, id) {
  if (!selected || selected.kind !== kind || selected.id !== id) {
    tail = null;
    selected = { kind, id, note: "", expanded: new Set(), json: "" };
  }
  clearTimeout(detailTimer);
  document.body.classList.add("detail-open");
  $("#detail").hidden = false;
  if (explorer.page) renderTable();
  await refreshDetail();
}

async function refreshDetail() {
  const mine = selected;
  if (!mine) return;
  let d;
  try {
    d = await getJSON("api/" + mine.kind + "/" + mine.id);
  } catch (e) {
    renderDetailMissing(mine, e);
    return;
  }
  if (selected !== mine) return;
  // Re-render only on change: a re-render would lose the reader's selection.
  const json = JSON.stringify(d);
  if (json !== mine.json) {
    mine.json = json;
    renderDetail(mine.kind, d);
  }
  await pollTail(mine.kind, d);
  const live = ["queued", "running", "waiting"].includes(d.state);
  clearTimeout(detailTimer);
  if (selected === mine) detailTimer = setTimeout(refreshDetail, live ? 800 : 3000);
}

function renderDetailMissing(mine, e) {
  const root = $("#detail");
  root.replaceChildren(detailHead((mine.kind === "futures" ? "Future #" : "Job #") + mine.id, ""), el("p", { class: "muted" }, String(e.message || e)));
}

function detailHead(title, state) {
  const head = el("div", { class: "head" });
  const close = el("button", { title: "close (Esc)", "aria-label": "close" }, "×");
  close.onclick = closeDetail;
  head.append(el("h2", {}, title));
  if (state) head.append(el("span", { class: "pill state " + state, "data-state": state }, state));
  head.append(close);
  return head;
}

function fact(dl, name, value) {
  if (value === undefined || value === null || value === "") return;
  const dd = el("dd", {});
  if (value instanceof Node) dd.append(value);
  else dd.textContent = String(value);
  dl.append(el("dt", {}, name), dd);
}
/** A link that opens another future or job in the panel. */
function opener(kind, id) {
  const a = el("a", { href: "#", class: "opener", "data-kind": kind, "data-id": id }, "#" + id);
  a.onclick = (e) => { e.preventDefault(); openDetail(kind, id); };
  return a;
}

function textBlock(title, view, rawPath) {
  const box = el("div", { class: "block" });
  const h = el("h3", {}, title + " ");
  const pre = el("pre", { class: "value" }, view.text);
  const lines = view.text.split("\n").length;
  if (lines > 6 || view.text.length > 600) {
    const expanded = selected && selected.expanded.has(title);
    if (!expanded) pre.classList.add("collapsed");
    const toggle = el("button", { class: "expand" }, expanded ? "collapse" : "expand");
    toggle.onclick = () => {
      const collapsed = pre.classList.toggle("collapsed");
      toggle.textContent = collapsed ? "expand" : "collapse";
      if (selected) selected.expanded[collapsed ? "delete" : "add"](title);
    };
    h.append(toggle, document.createTextNode(" "));
  }
  if (view.truncated) h.append(el("small", { class: "cut" }, "abbreviated: " + fmtChars(view.text.length) + " shown of " + fmtChars(view.size) + " "));
  if (rawPath) h.append(rawLink(rawPath, "whole text"));
  box.append(h, pre);
  return box;
}

function errorBlock(e, depth) {
  const box = el("div", { class: depth ? "cause" : "error" });
  if (depth) box.append(el("h3", {}, "Caused by"));
  const line = el("p", {});
  line.append(el("span", { class: "error-name" }, e.name), document.createTextNode(": " + e.message.text));
  box.append(line);
  if (e.stack) box.append(el("pre", { class: "stack" }, e.stack.text));
  if (e.fields) {
    const dl = el("dl", { class: "facts" });
    for (const [k, v] of Object.entries(e.fields)) fact(dl, k, v);
    box.append(dl);
  }
  if (e.errors) {
    e.errors.forEach((inner, i) => {
      box.append(el("h3", {}, "errors[" + i + "]"));
      box.append(errorBlock(inner, 0));
    });
  }
  if (e.cause) box.append(errorBlock(e.cause, depth + 1));
  return box;
}

function renderDetail(kind, d) {
  const root = $("#detail");
  const keepScroll = root.scrollTop;
  const title = kind === "futures" ? "Future #" + d.id + " · " + d.task : "Job " + d.label;
  const parts = [detailHead(title, d.state)];
  if (canAct) parts.push(actionsBar(kind, d));
  const dl = el("dl", { class: "facts" });
  if (kind === "futures") {
    fact(dl, "task", d.task);
    if (status && status.schedulers[d.scheduler]) fact(dl, "scheduler", status.schedulers[d.scheduler].name);
    fact(dl, "worker", d.worker);
    fact(dl, "attempts", d.attempts);
    fact(dl, "submitted", fmtTime(d.submitted));
    fact(dl, "started", fmtTime(d.started));
    fact(dl, "ended", fmtTime(d.ended));
    fact(dl, "waited", fmtMs(d.wait));
    fact(dl, d.ended ? "ran" : "running for", fmtMs(d.duration));
    if (d.job !== undefined) fact(dl, "job", opener("jobs", d.job));
  } else {
    fact(dl, "flow", d.flowLabel);
    fact(dl, "kind", d.kind);
    fact(dl, "critical", d.critical ? "yes" : "no");
    if (d.forever) fact(dl, "forever", "yes");
    fact(dl, "requires", d.requirements.length ? d.requirements.map((r) => "#" + r).join(", ") : "—");
    fact(dl, "started", fmtTime(d.started));
    fact(dl, "ended", fmtTime(d.ended));
    fact(dl, d.ended ? "ran" : "running for", fmtMs(d.duration));
    if (d.future !== undefined) fact(dl, "future", opener("futures", d.future));
  }
  parts.push(dl);
  const rawBase = "api/" + kind + "/" + d.id + "/raw/";
  if (d.errorDetail) {
    const h = el("h3", {}, d.state === "cancelled" ? "Cancelled " : "Error ");
    h.append(rawLink(rawBase + "error", "whole text"));
    parts.push(h, errorBlock(d.errorDetail, 0));
  }
  if (d.argsText) parts.push(textBlock("Arguments", d.argsText, rawBase + "args"));
  if (d.resultText) parts.push(textBlock("Result", d.resultText, rawBase + "result"));
  const logKey = (kind === "futures" ? "future=" : "job=") + d.id;
  const outH = el("h3", {}, "Output ");
  outH.append(rawLink("api/logs/raw?" + logKey, "whole log"));
  const pre = tail && tail.pre ? tail.pre : el("pre", { class: "logs" });
  if (!tail) tail = { key: logKey, after: 0, pre, open: null };
  tail.pre = pre;
  parts.push(outH, pre);
  if (!d.hasOutput && tail.after === 0) pre.replaceChildren(el("span", { class: "muted" }, "no output yet"));
  root.replaceChildren(...parts);
  root.scrollTop = keepScroll;
}

function actionsBar(kind, d) {
  const bar = el("div", { class: "actions" });
  const mine = selected;
  const note = el("small", { class: "muted" }, mine ? mine.note : "");
  const button = (label, path, danger) => {
    const b = el("button", { class: danger ? "danger" : "" }, label);
    b.onclick = async () => {
      b.disabled = true;
      const r = await act(path);
      const text = r.ok ? label + ": " + (r.body.retry ? "new future #" + r.body.retry : "done") : label + " failed: " + r.text;
      note.textContent = text;
      b.disabled = false;
      if (r.ok && r.body.retry) return openDetail("futures", r.body.retry);
      if (mine) { mine.note = text; mine.json = ""; }
      clearTimeout(detailTimer);
      detailTimer = setTimeout(refreshDetail, 100);
    };
    return b;
  };
  if (kind === "futures") {
    if (d.state === "queued" || d.state === "running") bar.append(button("Cancel", "api/futures/" + d.id + "/cancel", true));
    else bar.append(button("Retry", "api/futures/" + d.id + "/retry", false));
  } else if (d.state === "running" && d.kind === "task") {
    bar.append(button("Cancel", "api/jobs/" + d.id + "/cancel", true));
  }
  bar.append(note);
  return bar;
}

async function pollTail(kind, d) {
  if (!tail) return;
  const key = tail.key;
  let page;
  try {
    const [name, id] = key.split("=");
    page = await getJSON("api/logs", { [name]: id, after: tail.after, limit: 1000 });
  } catch (_) { return; }
  if (!tail || tail.key !== key || page.lines.length === 0) return;
  const pre = tail.pre;
  if (tail.after === 0) pre.replaceChildren();
  const atBottom = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
  for (const line of page.lines) {
    // An open line is sent again when it grows: replace it.
    if (tail.open && tail.open.seq === line.seq) { tail.open.node.remove(); tail.open = null; }
    const node = el("span", { class: "line " + line.stream, "data-seq": line.seq });
    node.append(el("span", { class: "line-no" }, String(line.seq).padStart(4) + "  "), document.createTextNode(line.text));
    if (line.truncated) node.append(el("span", { class: "cut" }, " … " + fmtChars(line.size) + " in all, see the whole log"));
    node.append(document.createTextNode("\n"));
    pre.append(node);
    if (line.open) tail.open = { seq: line.seq, node };
    tail.after = line.open ? line.seq - 1 : line.seq;
  }
  while (pre.childNodes.length > 2000) pre.firstChild.remove();
  if (atBottom) pre.scrollTop = pre.scrollHeight;
}

/* The failures panel. */
async function loadFailures() {
  let list;
  try { list = await getJSON("api/failures", { limit: 50 }); } catch (_) { return; }
  $("#failure-count").textContent = list.length ? "(latest " + list.length + ")" : "(none)";
  $("#failure-list").replaceChildren(...list.map((f) => {
    const li = el("li", { tabindex: 0, "data-kind": f.kind, "data-id": f.id });
    li.append(el("span", { class: "muted" }, fmtTime(f.time).slice(0, 8)), el("span", { title: f.name }, (f.kind === "job" ? "job " : "#" + f.id + " ") + f.name),
      el("span", { class: "err", title: f.error }, f.error));
    li.onclick = () => openDetail(f.kind === "job" ? "jobs" : "futures", f.id);
    li.onkeydown = (e) => { if (e.key === "Enter") li.onclick(); };
    return li;
  }));
}

boot.push(() => {
  if (status && status.schedulers.length === 0 && status.flows.length > 0) setKind("jobs");
  else loadTable();
  loadFailures();
  poll(1500, loadTable);
  poll(2500, loadFailures);
});
`;
