/**
 * Storms: 500 calls where every third is killed by a limit, every fifth
 * throws and every seventh ends its worker. Each future settles exactly
 * once, with the right class, and nothing is left running.
 */
import assert from "node:assert/strict";
import { type Future, Scheduler, WallTimeLimitError, WorkerCrashedError } from "../mod.ts";
import { stormCall, type StormKind } from "./fixtures/storm_fns.ts";
import { childPids } from "./processes_fixtures.ts";

const CALLS = 500;

function kindOf(i: number, crashes: StormKind[]): StormKind {
  if (i % 3 === 0) return "limit";
  if (i % 5 === 0) return "throw";
  if (i % 7 === 0) return crashes[(i / 7) % crashes.length];
  return "ok";
}

async function storm(scheduler: Scheduler, crashes: StormKind[]): Promise<void> {
  const limited = scheduler.task(stormCall, { limits: { wallTime: "200ms" } });
  const free = scheduler.task(stormCall);
  const settled = new Map<number, number>();
  const futures: Array<[number, StormKind, Future]> = [];
  const count = (future: Future) => settled.set(future.id, (settled.get(future.id) ?? 0) + 1);
  scheduler.onFutureDone(count);
  scheduler.onFutureCancelled(count);
  scheduler.onStart(() => {
    for (let i = 1; i <= CALLS; i++) {
      const kind = kindOf(i, crashes);
      futures.push([i, kind, (kind === "limit" ? limited : free).submit(kind, i)!]);
    }
  });
  const exit = await scheduler.run({ onException: "continue", timeout: "300s" });
  assert.equal(exit.code, "exhausted");
  assert.equal(settled.size, CALLS);
  assert.ok([...settled.values()].every((n) => n === 1), "every future settled exactly once");
  const tally: Record<string, number> = {};
  for (const [i, kind, future] of futures) {
    tally[kind] = (tally[kind] ?? 0) + 1;
    const where = `call ${i} (${kind}): ${future.status} ${future.error}`;
    switch (kind) {
      case "ok":
        assert.equal(future.value, i * 2, where);
        break;
      case "throw":
        assert.ok(future.error instanceof TypeError, where);
        assert.equal((future.error as Error).message, `storm ${i}`);
        break;
      case "limit":
        assert.ok(future.error instanceof WallTimeLimitError, where);
        break;
      default: {
        const error = future.error as WorkerCrashedError;
        assert.ok(error instanceof WorkerCrashedError, where);
        if (kind === "exit") assert.equal(error.code, 3, where);
        if (kind === "kill") assert.equal(error.signal, "SIGKILL", where);
      }
    }
  }
  assert.equal(tally.limit, Math.floor(CALLS / 3));
  assert.ok(tally.throw > 60 && tally.ok > 200, JSON.stringify(tally));
  assert.equal(limited.eventCounts.get("wall-time-limit-reached"), tally.limit);
}

Deno.test("storm on processes: limits kill, throws reject, Deno.exit and SIGKILL crash; each settles once, no process left", async () => {
  const scheduler = Scheduler.withProcesses(4, { forwardStderr: false });
  await storm(scheduler, ["exit", "kill", "close"]);
  assert.deepEqual(childPids(scheduler), []);
});

Deno.test("storm on workers: cooperative wall time, throws, Deno.exit and self.close; each settles once", async () => {
  await storm(Scheduler.withWorkers(4), ["exit", "close"]);
});
