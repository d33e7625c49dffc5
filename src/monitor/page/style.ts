/**
 * The dashboard's stylesheet: light and dark, no web fonts, no images.
 *
 * @module
 */

/** The CSS of the dashboard page. */
export const CSS = String.raw`
:root {
  color-scheme: light dark;
  --ok: #2e7d32; --bad: #c62828; --run: #1565c0; --wait: #ef6c00; --mute: #888; --idle: #9e9e9e;
  --line: #8884; --soft: #8881; --panel: Canvas; --accent: #1565c0;
  --row: 26px;
}
* { box-sizing: border-box; }
body { font: 13.5px/1.4 system-ui, sans-serif; margin: 0; }
header { display: flex; gap: 1em; align-items: center; padding: .5em 1em; border-bottom: 1px solid var(--line);
  position: sticky; top: 0; background: var(--panel); z-index: 5; }
header nav { display: flex; gap: .8em; flex-wrap: wrap; margin-left: 1em; }
header nav a { color: inherit; opacity: .75; text-decoration: none; font-size: .92em; }
header nav a:hover { opacity: 1; text-decoration: underline; }
header .spacer { flex: 1; }
h1 { font-size: 1.15em; margin: 0; white-space: nowrap; }
h2 { font-size: 1.05em; margin: 1.2em 0 .4em; display: flex; gap: .6em; align-items: baseline; flex-wrap: wrap; }
h2 small, h3 small { font-weight: normal; }
h3 { font-size: .95em; margin: .8em 0 .3em; }
main { padding: 0 1em 3em; transition: margin-right .15s; }
body.detail-open main { margin-right: min(600px, 46vw); }
.pill { border-radius: 1em; padding: .05em .6em; background: #8882; font-size: .88em; white-space: nowrap; }
.pill.live { background: #2e7d3233; } .pill.down { background: #c6282833; }
.muted { color: var(--mute); }
.cards { display: flex; flex-wrap: wrap; gap: .5em; }
.card { border: 1px solid var(--line); border-radius: .4em; padding: .3em .7em; min-width: 6.5em; }
.card .num { display: block; font-size: 1.45em; font-variant-numeric: tabular-nums; }
.card .lbl { color: var(--mute); font-size: .82em; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: .15em .5em; border-bottom: 1px solid #8882; vertical-align: top; }
#events .scroll { max-height: 360px; overflow-y: auto; border: 1px solid var(--line); border-radius: .4em; }
#log td { white-space: nowrap; }
td.detail { max-width: 40em; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
button { font: inherit; padding: .15em .7em; border-radius: .35em; border: 1px solid var(--line); background: var(--soft); cursor: pointer; color: inherit; }
button:hover { background: #8883; }
button[aria-pressed="true"] { background: #1565c033; border-color: var(--accent); }
button.danger { border-color: #c6282888; }
select { font: inherit; }
.row2 { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 1em; }
.box { border: 1px solid var(--line); border-radius: .4em; padding: .4em .6em; min-width: 0; }
.box h3 { margin-top: .2em; display: flex; gap: .6em; align-items: baseline; }

/* Explorer: a virtualized grid. */
.filters { display: flex; gap: .4em; flex-wrap: wrap; align-items: center; margin: .3em 0 .5em; }
.chip { border-radius: 1em; padding: .05em .7em; }
.chip .n { opacity: .7; margin-left: .3em; font-variant-numeric: tabular-nums; }
.vt { border: 1px solid var(--line); border-radius: .4em; overflow: hidden; }
.vt-head, .vt-row { display: grid; gap: 0 .6em; padding: 0 .6em; align-items: center; }
.vt-head { font-weight: 600; border-bottom: 1px solid var(--line); height: var(--row); background: var(--soft); }
.vt-scroll { height: 372px; overflow-y: auto; position: relative; contain: strict; }
.vt-rows { position: absolute; left: 0; right: 0; top: 0; }
.vt-row { height: var(--row); border-bottom: 1px solid #8881; cursor: pointer; }
.vt-row:hover { background: #8882; }
.vt-row.selected { background: #1565c026; }
.vt-row > span, .vt-head > span { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.cols-futures { grid-template-columns: 5em 9em 6.5em minmax(8em, 2fr) 3em 6.5em 5.5em minmax(8em, 2fr); }
.cols-jobs { grid-template-columns: 4em 8em minmax(8em, 2fr) 5em 6.5em 5.5em minmax(8em, 2fr); }
.num-cell { text-align: right; font-variant-numeric: tabular-nums; }
.state { font-weight: 600; }
.state.done { color: var(--ok); } .state.failed { color: var(--bad); } .state.running { color: var(--run); }
.state.queued, .state.waiting { color: var(--wait); } .state.cancelled { color: var(--mute); }
.err { color: var(--bad); }
.vt-info { margin-top: .3em; font-size: .88em; }

/* Failures panel. */
#failure-list { list-style: none; padding: 0; margin: 0; max-height: 220px; overflow-y: auto; }
#failure-list li { display: grid; grid-template-columns: 6.5em 10em 1fr; gap: .6em; padding: .15em .3em;
  border-bottom: 1px solid #8881; cursor: pointer; }
#failure-list li:hover { background: #8882; }
#failure-list li > span { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }

/* Detail panel: a drawer on the right. */
#detail { position: fixed; top: 0; right: 0; bottom: 0; width: min(600px, 46vw); overflow-y: auto;
  background: var(--panel); border-left: 1px solid var(--line); box-shadow: -6px 0 18px #0002; z-index: 10; padding: .6em 1em 2em; }
#detail .head { display: flex; gap: .6em; align-items: center; }
#detail .head h2 { margin: .3em 0; flex: 1; }
#detail .facts { display: grid; grid-template-columns: max-content 1fr; gap: .1em 1em; margin: .5em 0; }
#detail .facts dt { color: var(--mute); }
#detail .facts dd { margin: 0; overflow-wrap: anywhere; }
#detail .actions { display: flex; gap: .5em; align-items: center; margin: .4em 0; }
pre { background: #8881; border: 1px solid #8883; border-radius: .35em; padding: .5em .6em; margin: .3em 0;
  white-space: pre-wrap; overflow-wrap: anywhere; max-height: 22em; overflow-y: auto; font: 12px/1.45 ui-monospace, monospace; }
pre.collapsed { max-height: 6.5em; overflow: hidden; }
pre.stack { color: inherit; }
.error-name { color: var(--bad); font-weight: 600; }
.cause { border-left: 3px solid #c6282855; padding-left: .6em; margin-left: .2em; }
.logs { max-height: 18em; }
.logs .stderr { color: var(--bad); }
.logs .line-no { color: var(--mute); user-select: none; }
.cut { color: var(--mute); font-style: italic; }
a.raw { font-size: .88em; }

/* SVG: flow graph, timeline, charts. */
svg text { font: 11px system-ui, sans-serif; fill: currentColor; }
svg .job rect { fill: #8881; stroke: var(--mute); stroke-width: 1.5; }
svg .job.scheduled rect { stroke: var(--wait); fill: #ef6c0022; }
svg .job.running rect { stroke: var(--run); fill: #1565c033; }
svg .job.done rect { stroke: var(--ok); fill: #2e7d3233; }
svg .job.failed rect { stroke: var(--bad); fill: #c6282833; }
svg .job.cancelled rect { stroke: var(--mute); stroke-dasharray: 4 3; }
svg .job.critical rect { stroke-width: 2.5; }
svg .job.forever rect { stroke-dasharray: 6 3; }
svg line.edge { stroke: var(--mute); stroke-width: 1.2; }
svg .axis line, svg line.grid { stroke: #8884; stroke-width: 1; }
svg .axis text { fill: var(--mute); }
svg .bar { cursor: pointer; }
svg .bar.done { fill: #2e7d32cc; } svg .bar.failed { fill: #c62828dd; } svg .bar.running { fill: #1565c0cc; }
svg .bar.cancelled { fill: #9e9e9e99; } svg .bar.queued, svg .bar.scheduled, svg .bar.waiting { fill: #ef6c0099; }
svg .bar:hover { stroke: currentColor; stroke-width: 1; }
svg .lane-label { fill: var(--mute); }
svg .series { fill: none; stroke-width: 1.8; }
svg .s-queued { stroke: var(--wait); } svg .s-running { stroke: var(--run); } svg .s-idle { stroke: var(--idle); stroke-dasharray: 4 3; }
svg .s-done { fill: #2e7d32bb; } svg .s-failed { fill: #c62828cc; }
svg .hist { fill: #1565c0aa; }
svg .mark { stroke: var(--bad); stroke-dasharray: 3 3; }
.legend { display: flex; gap: .8em; font-size: .85em; color: var(--mute); }
.legend i { display: inline-block; width: .8em; height: .8em; border-radius: .2em; margin-right: .3em; vertical-align: -.05em; }
.chart-empty { color: var(--mute); padding: 1.5em 0; text-align: center; }
`;
