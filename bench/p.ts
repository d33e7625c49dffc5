import { batonThroughput } from "./processes.ts";
import { rawThroughput } from "./raw_processes.ts";
import { cpuTimeUsed } from "../src/executors/prlimit.ts";
const which = Deno.args[0];
const n = 40000;
for (let i = 0; i < 2; i++) {
  const c0 = cpuTimeUsed(Deno.pid);
  const m = which === "raw" ? await rawThroughput(2, 64, n) : await batonThroughput(2, 64, n);
  const c1 = cpuTimeUsed(Deno.pid);
  console.log(which, Math.round(m.perSecond), "parent µs/call", ((c1 - c0) * 1000 / n).toFixed(1));
}
