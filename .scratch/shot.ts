import { chromium } from "playwright-core";
import { Event, type Future, Scheduler, serveMonitor, Flow, job } from "../mod.ts";

const OUTPUT = new Event<[Future, string, string]>("output");
const scheduler = Scheduler.withWorkers(2, { name: "random-search" });
async function trial(config: { lr: number; depth: number; optimizer: string }): Promise<number> {
  await new Promise((r) => setTimeout(r, 80 + Math.random() * 220));
  if (config.lr > 0.05) {
    throw new RangeError(`loss diverged to NaN at lr=${config.lr.toFixed(4)}`, { cause: new Error("gradient norm 1.3e9 > clip 10") });
  }
  return -((Math.log10(config.lr) + 2.5) ** 2) - (config.depth - 6) ** 2 / 10 + Math.random();
}
const task = scheduler.task(trial, { limits: { wallTime: "30s" } });
const sample = () => ({ lr: 10 ** (-5 + 4 * Math.random()), depth: 1 + Math.floor(Math.random() * 12), optimizer: Math.random() < 0.5 ? "adam" : "sgd" });
scheduler.onStart(() => { for (let i = 0; i < 4; i++) task.submit(sample()); });
task.onSubmitted((f) => {
  task.emit(OUTPUT, f, `loading data for trial #${f.id}\n`, "stdout");
  setTimeout(() => task.emit(OUTPUT, f, `epoch 1: loss 0.93\nepoch 2: loss 0.71\n`, "stdout"), 40);
});
task.onException((f) => task.emit(OUTPUT, f, "warning: gradient overflow, stopping\n", "stderr"));
task.onDone(() => { if (scheduler.running()) task.submit(sample()); });
const server = serveMonitor(scheduler, { token: "t0ken", title: "baton monitor" });
const run = scheduler.run({ timeout: "60s", onException: "continue" });
console.log(server.url);
const dir = await Deno.makeTempDir();
const ctx = await chromium.launchPersistentContext(dir, { executablePath: "/usr/bin/chromium", headless: true, viewport: { width: 1440, height: 1000 }, args: ["--headless", "--no-sandbox", "--disable-gpu"] });
const page = ctx.pages()[0] ?? await ctx.newPage();
page.on("pageerror", (e) => console.log("pageerror", String(e)));
page.on("console", (m) => { if (m.type() === "error") console.log("console", m.text()); });
await page.goto(server.url + "?token=t0ken");
await page.waitForTimeout(Number(Deno.args[0] ?? 8000));
await page.locator("#failure-list li").first().click();
await page.waitForTimeout(1500);
await page.locator("#explorer").scrollIntoViewIfNeeded();
await page.screenshot({ path: "/tmp/shot.png", fullPage: false });
await page.locator("#timeline").scrollIntoViewIfNeeded();
await page.evaluate(() => document.querySelector("#timeline")!.scrollIntoView());
await page.screenshot({ path: "/tmp/charts.png", fullPage: false });
await ctx.close();
scheduler.stop();
await run;
await server.shutdown();
Deno.exit(0);
