/**
 * The dashboard page: plain HTML, CSS and JavaScript served by the monitor
 * itself (no build step, no CDN, charts drawn as SVG). Every piece of user
 * text (task names, labels, arguments, results, errors, log lines) reaches
 * the page through `textContent`, never as markup.
 *
 * @module
 */

import { CSS } from "./style.ts";
import { BOOT, CORE } from "./core.ts";
import { EXPLORER } from "./explorer.ts";
import { CHARTS } from "./charts.ts";
import { RUNS } from "./runs.ts";

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/** The page, with `nonce` on its one script and one style (the CSP allows nothing else). */
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
  <nav>
    <a href="#schedulers">Overview</a><a href="#explorer">Explorer</a><a href="#failures">Failures</a>
    <a href="#timeline">Timeline</a><a href="#charts">Charts</a><a href="#events">Events</a>
    <a href="#runs" id="runs-link" hidden>Past runs</a>
  </nav>
  <span class="spacer"></span>
  <button id="stop" class="danger" hidden>Stop</button>
</header>
<main>
  <section id="schedulers"></section>
  <section id="flows"></section>
  <section id="explorer">
    <h2>Explorer
      <span class="tabs"><button data-kind="futures" aria-pressed="true">Futures</button>
      <button data-kind="jobs" aria-pressed="false">Jobs</button></span>
    </h2>
    <div class="filters"><span id="state-chips"></span>
      <label>task <select id="group-filter"><option value="">all</option></select></label>
      <label><input type="checkbox" id="reverse-order"> reverse order</label></div>
    <div class="vt" id="table">
      <div class="vt-head" id="table-head"></div>
      <div class="vt-scroll" id="table-scroll"><div id="table-spacer"></div><div class="vt-rows" id="table-rows"></div></div>
    </div>
    <div class="vt-info muted" id="table-info"></div>
  </section>
  <section id="failures">
    <h2>Failures <small class="muted" id="failure-count"></small></h2>
    <ul id="failure-list"></ul>
  </section>
  <section id="timeline">
    <h2>Timeline <small class="muted">calls per worker</small>
      <label><small>scheduler</small> <select class="scheduler-pick"></select></label>
      <label><small>window</small> <select id="timeline-window">
        <option value="60000">1 min</option><option value="300000">5 min</option>
        <option value="1800000">30 min</option><option value="all">whole run</option></select></label>
      <small class="muted" id="timeline-info"></small>
    </h2>
    <div id="timeline-chart"></div>
  </section>
  <section id="charts">
    <h2>Charts <small class="muted">queue history, throughput and durations</small></h2>
    <div class="row2">
      <div class="box"><h3>Queue <small class="muted" id="history-info"></small></h3>
        <div id="history-chart"></div></div>
      <div class="box"><h3>Throughput <small class="muted">calls ended per second</small></h3>
        <div id="throughput-chart"></div></div>
      <div class="box"><h3>Durations <small class="muted" id="durations-info"></small>
        <select id="durations-task"><option value="">all tasks</option></select></h3>
        <div id="durations-chart"></div></div>
    </div>
  </section>
  <section id="events">
    <h2>Recent events <small id="event-total" class="muted"></small></h2>
    <div class="scroll"><table id="log"><thead><tr><th>#</th><th>time</th><th>source</th><th>event</th><th>about</th><th>detail</th></tr></thead><tbody></tbody></table></div>
  </section>
  <section id="runs" hidden>
    <h2>Past runs</h2>
    <table id="run-list"><thead><tr><th>run</th><th>flow</th><th>started</th><th>took</th><th>outcome</th><th>jobs</th><th>failed</th></tr></thead><tbody></tbody></table>
    <div id="run-view"></div>
  </section>
</main>
<aside id="detail" hidden aria-live="polite"></aside>
<script nonce="${nonce}">${CORE}${EXPLORER}${CHARTS}${RUNS}${BOOT}</script>
</body>
</html>
`;
}
