/**
 * The README's screenshot: a realistic run (a random search on two Web
 * Workers, some trials diverging) in the explorer with a failure open.
 * `BATON_UPDATE_SCREENSHOT=1 deno test -A tests/monitor_screenshot_test.ts`
 * writes it to docs/dashboard.png.
 */
import assert from "node:assert/strict";
import { Scheduler, serveMonitor } from "../mod.ts";
import { BROWSER_TEST, openBrowser } from "./monitor_browser.ts";
import { sampler, trial } from "./monitor_search.ts";

Deno.test({
  name: "a realistic run in the explorer, with a failure open (the README's screenshot)",
  ...BROWSER_TEST,
  async fn() {
    const scheduler = Scheduler.withWorkers(2, { name: "random-search" });
    const task = scheduler.task(trial, { limits: { wallTime: "30s" } });
    const sample = sampler();
    let started = 0;
    scheduler.onStart(() => {
      for (let i = 0; i < 4; i++, started++) task.submit(sample());
    });
    task.onDone(() => {
      if (scheduler.running() && started++ < 160) task.submit(sample());
    });
    const token = crypto.randomUUID();
    const server = serveMonitor(scheduler, { token, title: "baton monitor — random search" });
    const run = scheduler.run({ onException: "continue", timeout: "120s" });
    const browser = await openBrowser(1440, 960);
    try {
      const { page, errors } = browser;
      await page.goto(`${server.url}?token=${token}`);
      // Let the run go for a while, then open its latest failure.
      await page.locator("#failure-list li").nth(4).waitFor({ timeout: 60_000 });
      await page.locator('#state-chips [data-state="failed"]').waitFor();
      await page.locator("#failure-list li").first().click();
      const detail = page.locator("#detail");
      await detail.locator(".error-name").first().waitFor({ timeout: 10_000 });
      assert.equal(await detail.locator(".error-name").first().textContent(), "RangeError");
      assert.match(
        await detail.locator("pre.stack").first().textContent(),
        /RangeError: loss diverged/,
      );
      await page.locator('svg[data-chart="timeline"] rect.bar').first().waitFor({
        timeout: 15_000,
      });
      await page.locator('svg[data-chart="history"]').waitFor({ timeout: 15_000 });
      await page.evaluate("scrollTo(0, 0)");
      await page.waitForTimeout(400); // let a render settle for the picture
      const png = await page.screenshot({ fullPage: false });
      assert.deepEqual([...png.subarray(1, 4)], [0x50, 0x4e, 0x47]); // "PNG"
      if (Deno.env.get("BATON_UPDATE_SCREENSHOT") === "1") {
        await Deno.writeFile(new URL("../docs/dashboard.png", import.meta.url), png);
      }
      assert.deepEqual(errors, []);
    } finally {
      scheduler.stop();
      await run;
      await browser.close();
      await server.shutdown();
    }
  },
});
