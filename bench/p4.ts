import { batonThroughput } from "./processes.ts";
import { rawThroughput } from "./raw_processes.ts";
function tree(): number {
  // CPU of all processes (self + children), from /proc, ms.
  let total = 0;
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      const s = Deno.readTextFileSync(`/proc/${e.name}/stat`);
      const f = s.slice(s.lastIndexOf(")") + 2).split(" ");
      if (Number(f[1]) !== Deno.pid && Number(e.name) !== Deno.pid) continue; // ppid
      total += (Number(f[11]) + Number(f[12])) * 10;
    } catch { /* gone */ }
  }
  return total;
}
const n = 30000;
for (const which of [Deno.args[0]]) {
  let childCpu = 0;
  const self0 = tree();
  // sample children CPU just before they exit: poll
  const seen = new Map<number, number>();
  const poll = setInterval(() => {
    for (const e of Deno.readDirSync("/proc")) {
      if (!/^\d+$/.test(e.name)) continue;
      try {
        const s = Deno.readTextFileSync(`/proc/${e.name}/stat`);
        const f = s.slice(s.lastIndexOf(")") + 2).split(" ");
        if (Number(f[1]) !== Deno.pid) continue;
        seen.set(Number(e.name), (Number(f[11]) + Number(f[12])) * 10);
      } catch { /* */ }
    }
  }, 20);
  const t0 = Deno.readTextFileSync(`/proc/self/stat`);
  const m = which === "raw" ? await rawThroughput(2, 64, n) : await batonThroughput(2, 64, n);
  clearInterval(poll);
  for (const v of seen.values()) childCpu += v;
  const s = Deno.readTextFileSync(`/proc/self/stat`);
  const f = s.slice(s.lastIndexOf(")") + 2).split(" ");
  const f0 = t0.slice(t0.lastIndexOf(")") + 2).split(" ");
  const parent = (Number(f[11]) + Number(f[12]) - Number(f0[11]) - Number(f0[12])) * 10;
  console.log(which, Math.round(m.perSecond), "/s parent µs/call", (parent * 1000 / n).toFixed(1), "children µs/call", (childCpu * 1000 / n).toFixed(1), self0 > -1 ? "" : "");
}
