/**
 * The emitter's fast path for the scheduler's per-call events behaves exactly
 * like `emit`: counts, taps, handler options, `this`, the number of
 * arguments, and errors going to the callback host.
 */

import assert from "node:assert/strict";
import { type CallbackHost, emitFew, Emitter } from "../src/events/emitter.ts";
import { Event } from "../src/events/event.ts";

const TWO = new Event<[a: string, b: number]>("two");
const ONE = new Event<[a: string]>("one");
const NONE = new Event<[]>("none");

/** Records what every handler and tap sees, for one way of emitting. */
function record(emit: (em: Emitter, round: number) => void): string[] {
  const seen: string[] = [];
  const em = new Emitter("e");
  em.tap((event, args) => seen.push(`tap ${event} ${JSON.stringify(args)}`));
  em.on(TWO, function (this: unknown, ...args: unknown[]) {
    seen.push(`plain ${args.length} ${JSON.stringify(args)} this=${this === handler}`);
  });
  const handler = em.handlers(TWO)[0];
  em.on(TWO, (a) => seen.push(`every2 ${a}`), { every: 2 });
  em.on(TWO, (a) => seen.push(`max1 ${a}`), { maxCalls: 1 });
  em.on(TWO, (a) => seen.push(`repeat ${a}`), { repeat: 2 });
  em.on(TWO, (a) => seen.push(`when ${a}`), { when: () => seen.length % 2 === 0 });
  em.on(ONE, (...args: unknown[]) => seen.push(`one ${args.length}`));
  em.on(NONE, (...args: unknown[]) => seen.push(`none ${args.length}`));
  for (let round = 0; round < 3; round++) emit(em, round);
  seen.push(JSON.stringify([...em.eventCounts]));
  seen.push(em.handlers(TWO).map((h) => h.callCount).join(","));
  return seen;
}

Deno.test("emitFew does what emit does: counts, taps, options, this, arguments", () => {
  const slow = record((em, round) => {
    em.emit(TWO, `r${round}`, round);
    em.emit(ONE, `r${round}`);
    em.emit(NONE);
  });
  const fast = record((em, round) => {
    emitFew(em, TWO, 2, `r${round}`, round);
    emitFew(em, ONE, 1, `r${round}`);
    emitFew(em, NONE, 0);
  });
  assert.deepEqual(fast, slow);
  assert.ok(slow.some((line) => line.startsWith("every2")), "the options were exercised");
});

class Hosted extends Emitter {
  readonly errors: unknown[] = [];
  readonly pending: PromiseLike<unknown>[] = [];
  constructor(goOn: boolean) {
    super("hosted");
    const host: CallbackHost = {
      error: (error) => {
        this.errors.push(error);
        return goOn;
      },
      pending: (promise) => void this.pending.push(promise),
    };
    this.callbackHost = host;
  }
}

Deno.test("emitFew sends errors and async callbacks to the callback host, as emit does", async () => {
  for (const goOn of [true, false]) {
    const outcomes: string[][] = [];
    for (const fast of [false, true]) {
      const em = new Hosted(goOn);
      const ran: string[] = [];
      em.on(ONE, () => {
        throw new Error("first");
      });
      em.on(ONE, (a) => Promise.resolve().then(() => void ran.push(`async ${a}`)));
      em.on(ONE, (a) => void ran.push(`last ${a}`));
      if (fast) emitFew(em, ONE, 1, "x");
      else em.emit(ONE, "x");
      await Promise.all(em.pending);
      outcomes.push([...ran, `errors ${em.errors.length}`, `pending ${em.pending.length}`]);
    }
    assert.deepEqual(outcomes[1], outcomes[0], `goOn=${goOn}`);
  }
});

Deno.test("emitFew declares an event on first use and refuses none it would not", () => {
  const em = new Emitter("e");
  emitFew(em, ONE, 1, "a");
  assert.deepEqual(em.events.map(String), ["one"]);
  assert.equal(em.eventCounts.get("one"), 1);
  em.addEvent(TWO);
  assert.throws(() => em.addEvent(new Event("two")), /already declares a different event/);
});

Deno.test("eventCounts is a snapshot in the order of first emission; subscriber counts are live", () => {
  const em = new Emitter("e");
  em.addEvent(TWO, ONE, NONE);
  const one = em.subscriber(ONE);
  assert.equal(one.count, 0);
  assert.deepEqual([...em.eventCounts], []);
  emitFew(em, ONE, 1, "a");
  em.emit(TWO, "b", 1);
  em.emit(ONE, "c");
  const snapshot = em.eventCounts;
  // Declared TWO, ONE, NONE; emitted ONE first: the order is the emissions'.
  assert.deepEqual([...snapshot], [["one", 2], ["two", 1]]);
  em.emit(ONE, "d");
  assert.equal(snapshot.get("one"), 2, "a snapshot does not move");
  assert.equal(em.eventCounts.get("one"), 3);
  assert.equal(one.count, 3);
  snapshot.set("one", 100);
  assert.equal(em.eventCounts.get("one"), 3, "writing to a snapshot changes no count");
});
