/** The explorer's call log: calls in flight, ends seen once, compaction that keeps calls in flight. */
import assert from "node:assert/strict";
import { CallLog } from "../src/monitor/calls.ts";
import { Future, settleFuture } from "../src/scheduler/future.ts";

const make = (n: number) => new Future((x: number) => x, [n], undefined, () => false);

Deno.test("CallLog: calls in flight in submission order, each end counted once", () => {
  const log = new CallLog(0, 10);
  const [a, b, c] = [make(1), make(2), make(3)];
  log.submitted(a, 100);
  log.submitted(b, 110);
  log.submitted(c, 120);
  assert.equal(log.inFlight.size, 3);
  assert.deepEqual([...log.inFlight], [a, b, c]);
  // Out of order, as with several workers.
  assert.equal(log.ended(b, 150), 110);
  assert.deepEqual([...log.inFlight], [a, c]);
  assert.equal(log.inFlight.size, 2);
  const version = log.version;
  // A second end of the same call (done, then cancelled) changes nothing.
  assert.ok(Number.isNaN(log.ended(b, 160)));
  assert.equal(log.version, version);
  assert.equal(log.endedAt(1), 150);
  // A call submitted before the log saw it is not recorded.
  assert.ok(Number.isNaN(log.ended(make(4), 170)));
  assert.equal(log.inFlight.size, 2);
  settleFuture(a, "rejected", new Error("boom"));
  assert.equal(log.ended(a, 180), 100);
  assert.deepEqual(log.failures(10).map((f) => [f.future, f.submitted, f.ended]), [[a, 100, 180]]);
  assert.deepEqual([...log.inFlight], [c]);
});

Deno.test("CallLog: compaction lets go of the oldest finished calls and keeps calls in flight", () => {
  const log = new CallLog(0, 4);
  const futures = Array.from({ length: 40 }, (_, i) => make(i));
  futures.forEach((f, i) => log.submitted(f, i));
  // The first call stays in flight throughout; the others end in order.
  for (let i = 1; i < 40; i++) log.ended(futures[i], 100 + i);
  assert.deepEqual([...log.inFlight], [futures[0]]);
  assert.equal(log.inFlight.size, 1);
  assert.equal(log.at(0), futures[0]);
  assert.ok(log.size <= 4 + 1 + 4 + 16, `holds ${log.size}`);
  assert.equal(log.size + log.evicted, 40);
  // What is held is the newest finished calls, after the one in flight, in order.
  const held = Array.from({ length: log.size }, (_, i) => log.at(i).id);
  assert.deepEqual(held, [futures[0].id, ...futures.slice(40 - (log.size - 1)).map((f) => f.id)]);
  assert.equal(log.ended(futures[0], 200), 0);
  assert.equal(log.inFlight.size, 0);
  assert.deepEqual([...log.inFlight], []);
});
