import { batonThroughput, batonKillReplace } from "./processes.ts";
import { rawKillRespawn, rawThroughput } from "./raw_processes.ts";
import { compareRounds, ratioLine } from "./stats.ts";
const rows = Deno.args[0] ?? "1k";
if (rows.includes("1")) console.log(ratioLine("1 in flight", await compareRounds(4, () => rawThroughput(2, 1, 3000), () => batonThroughput(2, 1, 3000))));
if (rows.includes("6")) console.log(ratioLine("64 in flight", await compareRounds(4, () => rawThroughput(2, 64, 20000), () => batonThroughput(2, 64, 20000))));
if (rows.includes("k")) console.log(ratioLine("kill", await compareRounds(4, () => rawKillRespawn(5), () => batonKillReplace(5), "p50"), "p50"));
