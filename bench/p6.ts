// child start-up: time until a fresh pool's first call answers, per module kind
const which = Deno.args[0];
const { Scheduler } = await import("../mod.ts");
const mod = which === "heavy"
  ? await import("../tests/processes_fixtures.ts")
  : await import("./fixtures/process_tasks.ts");
const fn = which === "heavy" ? (mod as any).whoAmI : (mod as any).inc;
const times: number[] = [];
for (let i = 0; i < 7; i++) {
  const s = Scheduler.withProcesses(1);
  const t = s.task(fn);
  let t0 = 0;
  s.onStart(() => { t0 = performance.now(); t.submit(1); });
  t.onResult(() => times.push(performance.now() - t0));
  await s.run();
}
times.sort((a, b) => a - b);
console.log(which, "first call on a fresh process, median ms", times[3].toFixed(1), "min", times[0].toFixed(1));
