/**
 * End to end: a scheduler with running tasks, `serveMonitor`, and the
 * dashboard in headless Chromium (Debian's `chromium`, driven by
 * playwright-core). Skips, saying why, when Chromium is not installed;
 * `.ci/browser-setup.sh` installs it in CI.
 * (The README's screenshot comes from the realistic run of
 * monitor_screenshot_test.ts, not from this fixture.)
 */
import assert from "node:assert/strict";
import { Flow, job, type JobContext, Scheduler, serveMonitor } from "../mod.ts";
import { BROWSER_TEST, openBrowser } from "./monitor_browser.ts";

const EVIL = `<script>window.__pwned = 1</script>`;

async function sleep(this: JobContext | void, ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

Deno.test({
  name: "the dashboard in headless Chromium shows counters that change while a task runs",
  ...BROWSER_TEST,
  async fn() {
    const scheduler = Scheduler.sequential({ name: "search" });
    // A task named like markup, failing now and then with markup in its error.
    const trial = scheduler.task(async function trial(i: number): Promise<number> {
      await new Promise((r) => setTimeout(r, 40));
      if (i % 5 === 4) throw new Error(`<img src=x onerror="window.__pwned = 2"> trial ${i}`);
      return Math.sin(i);
    }, { name: EVIL });
    let i = 0;
    scheduler.onStart(() => trial.submit(i++));
    trial.onDone(() => {
      if (scheduler.running()) trial.submit(i++);
    });
    const flow = new Flow({ label: "pipeline" });
    const fetchJob = flow.add(job(sleep, 300), { label: "fetch" });
    const prep = flow.add(job(sleep, 600), { label: "prepare", requires: fetchJob });
    flow.add(job(sleep, 60_000), { label: "train", requires: prep });
    flow.add(job(sleep, 200), { label: "report <b>", requires: fetchJob, critical: false });
    const server = serveMonitor([scheduler, flow], { token: "t0ken", title: "baton monitor" });
    const run = scheduler.run({ onException: "continue", timeout: "120s" });
    const flowRun = flow.run().catch(() => false);
    const browser = await openBrowser();
    try {
      const { page, errors } = browser;
      await page.goto(server.url, { timeout: 60_000 });
      const results = page.locator('[data-counter="s0/future-done"]');
      await results.waitFor({ timeout: 30_000 });
      const read = async () => Number(await results.textContent());
      const first = await read();
      // Poll with a deadline: the counter must grow while the task runs.
      const deadline = Date.now() + 30_000;
      let now = first;
      while (now < first + 5 && Date.now() < deadline) {
        await page.waitForTimeout(100);
        now = await read();
      }
      assert.ok(now >= first + 5, `done counter went from ${first} to ${now} only`);
      // The page agrees with the scheduler (it never counts ahead of it).
      assert.ok(now <= scheduler.eventCounts.get("future-done")!);
      const submitted = Number(
        await page.locator('[data-counter="s0/future-submitted"]').textContent(),
      );
      assert.ok(submitted >= now, `submitted ${submitted} < done ${now}`);
      // Events flow into the log, and the flow graph shows job states.
      await page.locator("#log tbody tr").first().waitFor({ timeout: 10_000 });
      await page.locator('svg [data-state="running"]').first().waitFor({ timeout: 10_000 });
      await page.locator('svg [data-state="done"]').first().waitFor({ timeout: 10_000 });
      // Wait for at least one exception to be shown in the log, to check escaping.
      await page.locator("#log td.detail", { hasText: "onerror" }).first().waitFor({
        timeout: 20_000,
      });
      // User text is shown as text, never run as markup.
      const pwned = await page.evaluate(() => (globalThis as { __pwned?: number }).__pwned);
      assert.equal(pwned, undefined);
      assert.equal(await page.locator("script").count(), 1);
      assert.equal(await page.locator("#log img, #schedulers script, #schedulers img").count(), 0);
      const taskCell = page.locator("table.tasks td").first();
      assert.equal(await taskCell.textContent(), EVIL);
      assert.deepEqual(errors, []);
      await page.waitForTimeout(300); // let a render settle for the picture
      const png = await page.screenshot({ fullPage: false });
      assert.deepEqual([...png.subarray(1, 4)], [0x50, 0x4e, 0x47]); // "PNG"
    } finally {
      await browser.close();
      flow.stop("test over");
      scheduler.stop({ reason: "test over" });
      await Promise.all([run, flowRun]);
      await server.shutdown();
    }
  },
});
