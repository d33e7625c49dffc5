/**
 * The explorer in real headless Chromium: table, filters, detail panel with
 * stack and output, timeline and charts with data, actions behind the
 * token, 100k futures, past runs — and markup in every field of user text
 * shown as text. `BATON_UPDATE_SCREENSHOT=1` writes docs/dashboard.png from
 * the realistic run.
 */
import assert from "node:assert/strict";
import { Event, Flow, type Future, job, Scheduler, serveMonitor } from "../mod.ts";
import { BROWSER_TEST, openBrowser } from "./monitor_browser.ts";
import { waitFor } from "./monitor_helpers.ts";
import { twoRuns } from "./monitor_runs_fixture.ts";

/** An element inside the page, as `evaluate` callbacks see it (the DOM types are not loaded here). */
// deno-lint-ignore no-explicit-any
type DomNode = any;

const OUTPUT = new Event<[future: Future, text: string, stream: string]>("output");
const JOB_OUTPUT = new Event<[job: unknown, text: string, stream: string]>("job-output");

/** Markup that would set `window.__pwned` if any of it were ever rendered as HTML. */
const XSS = {
  task: `<img src=x onerror="window.__pwned='task'">`,
  arg: `<script>window.__pwned='arg'</script>`,
  result: `<svg onload="window.__pwned='result'">`,
  error: `<img src=x onerror="window.__pwned='error'">`,
  field: `<b onmouseover="window.__pwned='field'">code</b>`,
  output: `<script>window.__pwned='output'</script>`,
  flow: `<i onclick="window.__pwned='flow'">flow</i>`,
  job: `<iframe src="javascript:window.__pwned='job'"></iframe>`,
  jobOutput: `<img src=x onerror="window.__pwned='job-output'">`,
};

class MarkupError extends Error {
  code = XSS.field;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "MarkupError";
  }
}

// deno-lint-ignore no-explicit-any
async function noMarkupRan(page: any): Promise<void> {
  assert.equal(await page.evaluate(() => (globalThis as { __pwned?: string }).__pwned), undefined);
  assert.equal(await page.locator("script").count(), 1, "only the page's own script");
  assert.equal(
    await page.locator(
      "main img, main iframe, #detail img, #detail iframe, #detail script, main b, main i[onclick]",
    ).count(),
    0,
  );
}

Deno.test({
  name:
    "the explorer in Chromium: table, filters, detail with stack and output, timeline and charts, all text escaped",
  ...BROWSER_TEST,
  async fn() {
    const scheduler = Scheduler.sequential({ name: "search" });
    const trial = scheduler.task(async function trial(i: number, note: string) {
      await new Promise((r) => setTimeout(r, 5 + (i % 4) * 5));
      if (i % 3 === 2) {
        throw new MarkupError(`${XSS.error} trial ${i}`, { cause: new RangeError("loss is NaN") });
      }
      return i % 5 === 0 ? `${XSS.result} ${note.length}` : i * 1.5;
    }, { name: XSS.task, limits: { wallTime: "30s" } });
    const other = scheduler.task(function square(n: number) {
      return n * n;
    });
    trial.onSubmitted((future) => {
      trial.emit(OUTPUT, future, `starting trial #${future.id}\n${XSS.output}\n`, "stdout");
      trial.emit(OUTPUT, future, "a warning\n", "stderr");
    });
    scheduler.onStart(() => {
      for (let i = 0; i < 30; i++) trial.submit(i, XSS.arg);
      for (let i = 0; i < 5; i++) other.submit(i);
    });
    const flow = new Flow({ label: XSS.flow, critical: false });
    const gate = Promise.withResolvers<void>();
    const first = flow.add(job(() => "fetched"), { label: "fetch" });
    flow.add(job(async () => await gate.promise), {
      label: XSS.job,
      requires: first,
      critical: false,
    });
    flow.onJobStarted((j) => flow.emit(JOB_OUTPUT, j, `${XSS.jobOutput}\n`, "stderr"));
    const server = serveMonitor([scheduler, flow], { token: "t0ken" });
    const browser = await openBrowser();
    const flowRun = flow.run();
    try {
      await scheduler.run({ onException: "continue" });
      const { page, errors } = browser;
      await page.goto(server.url);
      // The table: 35 futures, newest first, in a virtualized list.
      await page.locator("#table-rows .vt-row").first().waitFor({ timeout: 30_000 });
      await matching(page, "of 35 matching");
      const rows = page.locator("#table-rows .vt-row");
      assert.ok((await rows.count()) <= 35);
      assert.equal(await rows.first().locator("span").nth(1).textContent(), "square");
      // The task cell holds the markup name as text.
      await page.locator("#group-filter").selectOption(XSS.task);
      await matching(page, "of 30 matching");
      assert.equal(await rows.first().locator("span").nth(1).textContent(), XSS.task);
      // Filter by state: only failures.
      await page.locator('#state-chips [data-state="failed"]').click();
      await matching(page, "of 10 matching");
      const states = await page.locator("#table-rows .vt-row").evaluateAll((els: DomNode[]) =>
        els.map((e) => e.getAttribute("data-state"))
      );
      assert.equal(states.length, 10);
      assert.ok(states.every((s: string) => s === "failed"), states.join());
      assert.equal(await page.locator('#state-chips [data-state="failed"] .n').textContent(), "10");
      // The detail panel of a failure: its error with stack, cause, fields, arguments, output.
      await page.locator("#table-rows .vt-row").first().click();
      const detail = page.locator("#detail");
      await detail.locator(".error-name").first().waitFor({ timeout: 10_000 });
      assert.equal(await detail.locator(".error-name").first().textContent(), "MarkupError");
      assert.match(
        await detail.locator(".error > p").first().textContent(),
        new RegExp(`^MarkupError: ${escapeRe(XSS.error)} trial \\d+$`),
      );
      const stack = await detail.locator("pre.stack").first().textContent();
      assert.match(stack, /MarkupError: .* trial \d+\n\s+at /);
      assert.match(
        await detail.locator(".cause").textContent(),
        /Caused byRangeError: loss is NaN/,
      );
      assert.equal(
        await detail.locator(".error dd").first().textContent(),
        JSON.stringify(XSS.field),
      );
      assert.match(
        await detail.locator("pre.value").first().textContent(),
        new RegExp(escapeRe(JSON.stringify(XSS.arg))),
      );
      await detail.locator("pre.logs .line").nth(2).waitFor({ timeout: 10_000 });
      const lines = await detail.locator("pre.logs .line").evaluateAll((els: DomNode[]) =>
        els.map((e) => [e.className, e.childNodes[1].textContent])
      );
      assert.match(lines[0][1], /^starting trial #\d+$/);
      assert.equal(lines[1][1], XSS.output);
      assert.deepEqual(lines[2], ["line stderr", "a warning"]);
      // A done future with a markup result.
      await page.locator('#state-chips [data-state="all"]').click();
      await page.locator('#state-chips [data-state="done"]').click();
      await matching(page, "of 20 matching");
      const markupResult = page.locator("#table-rows .vt-row span", { hasText: "<svg onload" })
        .first();
      await markupResult.click();
      await detail.locator("pre.value").nth(1).waitFor({ timeout: 10_000 });
      assert.match(
        await detail.locator("pre.value").nth(1).textContent(),
        new RegExp(`^${escapeRe(XSS.result)} \\d+$`),
      );
      // The failures panel lists them, newest first.
      await page.locator("#failure-list li").nth(9).waitFor({ timeout: 10_000 });
      assert.equal(await page.locator("#failure-list li").count(), 10);
      // Jobs: the flow's, with the markup label, and its output.
      await page.locator('.tabs [data-kind="jobs"]').click();
      await matching(page, "of 2 matching");
      const jobRow = page.locator("#table-rows .vt-row", { hasText: "iframe" });
      assert.equal(await jobRow.locator("span").nth(2).textContent(), XSS.job);
      assert.equal(await jobRow.locator("span").nth(1).textContent(), XSS.flow);
      await jobRow.click();
      // The future's detail stays on screen until the job's arrives: wait for the job's own.
      await detail.locator("h2", { hasText: /^Job / }).waitFor({ timeout: 10_000 });
      await detail.locator("pre.logs .line").first().waitFor({ timeout: 10_000 });
      assert.equal(
        await detail.locator("pre.logs .line").first().evaluate((e: DomNode) =>
          e.childNodes[1].textContent
        ),
        XSS.jobOutput,
      );
      // Timeline and charts are drawn with the data.
      await page.locator('svg[data-chart="timeline"] rect.bar').first().waitFor({
        timeout: 15_000,
      });
      const bars = await page.locator('svg[data-chart="timeline"] rect[data-future]').count();
      assert.equal(bars, 35);
      assert.ok(await page.locator('svg[data-chart="timeline"] rect[data-job]').count() >= 1);
      assert.equal(await page.locator('svg[data-chart="timeline"] rect.bar.failed').count(), 10);
      const path = await page.locator('svg[data-chart="history"] path[data-series="queued"]')
        .getAttribute("d");
      assert.ok(path.split("L").length >= 2, path);
      assert.ok(await page.locator('svg[data-chart="throughput"] rect.s-done').count() >= 1);
      await page.locator('svg[data-chart="durations"] rect.hist').first().waitFor({
        timeout: 15_000,
      });
      assert.match(await page.locator("#durations-info").textContent(), /^35 calls · p50 \d+ms/);
      // Limits are for people.
      assert.equal(
        await page.locator("table.tasks td.limits").first().textContent(),
        "wallTime 30s",
      );
      await noMarkupRan(page);
      assert.deepEqual(errors, []);
    } finally {
      gate.resolve();
      await flowRun;
      await browser.close();
      await server.shutdown();
    }
  },
});

/** Waits until the table says it matches `text` ("of 35 matching"). */
// deno-lint-ignore no-explicit-any
async function matching(page: any, text: string, timeout = 30_000): Promise<void> {
  await page.locator("#table-info", { hasText: text }).waitFor({ timeout });
}

function escapeRe(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

Deno.test({
  name:
    "actions in Chromium: cancel and retry ask for the token when the page has none, and work with it",
  ...BROWSER_TEST,
  async fn() {
    const scheduler = Scheduler.sequential({ name: "s" });
    const gate = Promise.withResolvers<void>();
    const t = scheduler.task(async function t(i: number) {
      await gate.promise;
      if (i === 0) throw new Error("first fails");
      return i;
    });
    scheduler.onStart(() => {
      for (let i = 0; i < 3; i++) t.submit(i);
    });
    const server = serveMonitor(scheduler, { token: "t0ken" });
    const run = scheduler.run({
      onException: "continue",
      onCancelled: "continue",
      endOnEmpty: false,
      timeout: "120s",
    });
    const browser = await openBrowser();
    try {
      const { page, errors } = browser;
      const answers = ["wrong", "t0ken"];
      const asked: string[] = [];
      page.on("dialog", (d: { message(): string; accept(v: string): Promise<void> }) => {
        asked.push(d.message());
        d.accept(answers.shift() ?? "");
      });
      await page.goto(server.url);
      const futures = [...t.futures];
      // Cancel the last queued call from its detail panel.
      await page.locator(`#table-rows .vt-row[data-id="${futures[2].id}"]`).click();
      const cancel = page.locator("#detail .actions button", { hasText: "Cancel" });
      await cancel.click();
      await page.locator("#detail .actions small", { hasText: "wrong token" }).waitFor({
        timeout: 10_000,
      });
      assert.equal(futures[2].status, "pending", "a wrong token changes nothing");
      await page.locator("#detail .actions button", { hasText: "Cancel" }).click();
      await page.locator('#detail .pill[data-state="cancelled"]').waitFor({ timeout: 10_000 });
      assert.equal(futures[2].status, "cancelled");
      assert.equal(asked.length, 2);
      assert.match(asked[0], /Monitor token/);
      // Let the others finish; retry the failed one: a new future, shown at once.
      gate.resolve();
      await page.locator('#state-chips [data-state="failed"] .n', { hasText: /^1$/ }).waitFor({
        timeout: 10_000,
      });
      await page.locator(`#table-rows .vt-row[data-id="${futures[0].id}"]`).click();
      await page.locator("#detail .actions button", { hasText: "Retry" }).click();
      await waitFor(() => t.eventCounts.get("submitted") === 4, 10_000, "the retry");
      const newest = await (await fetch(new URL("api/futures?limit=1", server.url))).json();
      const retried = newest.rows[0];
      assert.equal(retried.args, "0", "the same arguments");
      await page.locator("#detail h2", { hasText: `Future #${retried.id} ` }).waitFor({
        timeout: 10_000,
      });
      assert.equal(asked.length, 2, "the token is kept once it worked");
      // The wrong token's 401 is the only error the page saw.
      assert.deepEqual(errors.filter((e: string) => !/status of 401/.test(e)), []);
    } finally {
      scheduler.stop();
      gate.resolve();
      await run;
      await browser.close();
      await server.shutdown();
    }
  },
});

Deno.test({
  name:
    "100k futures: the page stays usable — server paging, a virtualized table, filters over all of them",
  ...BROWSER_TEST,
  async fn() {
    const scheduler = Scheduler.sequential({ name: "many" });
    const t = scheduler.task(function tiny(i: number) {
      if (i % 1000 === 999) throw new Error(`call ${i} failed`);
      return i;
    });
    // Kept whole: by default the monitor keeps the newest 10 000 finished calls.
    const server = serveMonitor(scheduler, { maxFutures: 100_000 });
    scheduler.onStart(() => {
      for (let i = 0; i < 100_000; i++) t.submit(i);
    });
    await scheduler.run({ onException: "continue" });
    const browser = await openBrowser();
    try {
      const { page, errors } = browser;
      await page.goto(server.url);
      await matching(page, "of 100000 matching", 60_000);
      // Only the rows in view are in the page.
      const inDom = await page.locator("#table-rows .vt-row").count();
      assert.ok(inDom > 5 && inDom < 100, `${inDom} rows in the DOM`);
      assert.equal(await page.locator("#table-rows .vt-row span").nth(3).textContent(), "99999");
      // Scroll to the end: the oldest calls are fetched and shown.
      await page.locator("#table-scroll").evaluate((e: DomNode) => e.scrollTop = e.scrollHeight);
      await page.locator("#table-rows .vt-row span:nth-child(4)", { hasText: /^0$/ }).waitFor({
        timeout: 30_000,
      });
      assert.ok(await page.locator("#table-rows .vt-row").count() < 100);
      // Filtering runs on the server over every call.
      await page.locator('#state-chips [data-state="failed"]').click();
      await matching(page, "of 100 matching");
      assert.equal(
        await page.locator('#state-chips [data-state="done"] .n').textContent(),
        "99900",
      );
      assert.match(await page.locator("#timeline-info").textContent(), /newest \d+ of \d+ calls/);
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
      await server.shutdown();
    }
  },
});

Deno.test({
  name:
    "past runs in Chromium: the runs of a RunSource, a run's jobs and timeline, a job's error and log, escaped",
  ...BROWSER_TEST,
  async fn() {
    const server = serveMonitor([], { runs: twoRuns });
    const browser = await openBrowser();
    try {
      const { page, errors } = browser;
      await page.goto(server.url);
      await page.locator("#run-list tbody tr").nth(1).waitFor({ timeout: 20_000 });
      assert.equal(await page.locator("#explorer").isVisible(), false, "nothing live to explore");
      assert.equal(
        await page.locator("#run-list tbody tr td").nth(1).textContent(),
        "<b>pipeline</b>",
      );
      await page.locator('#run-list tr[data-run="r2"]').click();
      await page.locator('table.run-jobs tr[data-job="train"]').waitFor({ timeout: 10_000 });
      assert.equal(
        await page.locator('table.run-jobs tr[data-job="train"] td').first().textContent(),
        "train <img src=x onerror=alert(1)>",
      );
      assert.equal(await page.locator('svg[data-chart="run-timeline"] rect.bar').count(), 1);
      await page.locator('table.run-jobs tr[data-job="train"]').click();
      await page.locator("#detail pre.logs .line").nth(3).waitFor({ timeout: 10_000 });
      assert.match(
        await page.locator("#detail pre.stack").textContent(),
        /at train \(train\.ts:1:1\)/,
      );
      assert.match(
        await page.locator("#detail pre.logs .line").nth(3).textContent(),
        /4\.9 K characters in all/,
      );
      assert.equal(await page.locator("main img, #detail img, main b").count(), 0);
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
      await server.shutdown();
    }
  },
});
