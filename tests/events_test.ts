import assert from "node:assert/strict";
import { Emitter, Event, UnknownEventError } from "../mod.ts";

const TICK = new Event<[n: number]>("tick");

Deno.test("an event's string is its name", () => {
  assert.equal(String(TICK), "tick");
  assert.throws(() => new Event(""), TypeError);
});

Deno.test("emit counts events and calls callbacks in registration order", () => {
  const em = new Emitter("e");
  const order: string[] = [];
  em.on(TICK, (n) => order.push(`a${n}`));
  em.on(TICK, (n) => order.push(`b${n}`));
  em.on(TICK, (n) => order.push(`c${n}`));
  em.emit(TICK, 1);
  em.emit(TICK, 2);
  assert.deepEqual(order, ["a1", "b1", "c1", "a2", "b2", "c2"]);
  assert.equal(em.eventCounts.get("tick"), 2);
});

Deno.test("the contract's chat example", () => {
  const USER_JOINED = new Event<[name: string]>("user-joined");
  const em = new Emitter("chat");
  const seen: string[] = [];
  const h = em.on(USER_JOINED, (name) => seen.push(name), { name: "greet" });
  em.emit(USER_JOINED, "ada");
  assert.equal(em.eventCounts.get("user-joined"), 1);
  assert.equal(h.name, "greet");
  assert.equal(h.callCount, 1);
  h.remove();
  em.emit(USER_JOINED, "bob");
  assert.deepEqual(seen, ["ada"]);
  assert.equal(em.eventCounts.get("user-joined"), 2);
});

Deno.test("on() by name works for declared events and refuses unknown ones, listing the known", () => {
  const em = new Emitter("chat");
  em.addEvent(TICK);
  const calls: number[] = [];
  em.on("tick", (n) => calls.push(n as number));
  em.emit("tick", 5);
  assert.deepEqual(calls, [5]);
  assert.deepEqual(em.events.map(String), ["tick"]);
  assert.throws(
    () => em.on("tock", () => {}),
    (error: unknown) =>
      error instanceof UnknownEventError && error.message.includes('"tock"') &&
      error.message.includes('"tick"'),
  );
});

Deno.test("every: n calls on the n-th, 2n-th... emission", () => {
  const em = new Emitter();
  const h = em.on(TICK, () => {}, { every: 2 });
  for (let i = 0; i < 5; i++) em.emit(TICK, i);
  assert.equal(h.callCount, 2);
});

Deno.test("repeat, maxCalls and when; a repeat: n emission counts as one call, as in amltk", () => {
  const em = new Emitter();
  let repeats = 0;
  const repeated = em.on(TICK, () => repeats++, { repeat: 3 });
  const capped = em.on(TICK, () => {}, { maxCalls: 2 });
  let allow = false;
  const gated = em.on(TICK, () => {}, { when: () => allow });
  let both = 0;
  const bothHandler = em.on(TICK, () => both++, { repeat: 3, maxCalls: 2 });
  em.emit(TICK, 1);
  allow = true;
  em.emit(TICK, 2);
  em.emit(TICK, 3);
  assert.equal(repeats, 9);
  assert.equal(repeated.callCount, 3);
  assert.equal(capped.callCount, 2);
  assert.equal(gated.callCount, 2);
  // maxCalls counts emissions: two emissions of three calls each, then ignored.
  assert.equal(both, 6);
  assert.equal(bothHandler.callCount, 2);
});

Deno.test("an unknown event name suggests the close one, and maps amltk's names", () => {
  const em = new Emitter("chat");
  em.addEvent(new Event("future-result"), new Event("result"), new Event("start"));
  const message = (name: string) => {
    try {
      em.on(name, () => {});
    } catch (error) {
      assert.ok(error instanceof UnknownEventError);
      return error.message;
    }
    assert.fail(`"${name}" was accepted`);
  };
  assert.match(message("on_future_result"), /did you mean "future-result"\?/);
  assert.match(message("task-returned"), /did you mean "result"\?/);
  assert.match(message("on_start"), /did you mean "start"\?/);
  assert.match(message("futur-result"), /did you mean "future-result"\?/);
  assert.doesNotMatch(message("zzz"), /did you mean/);
});

Deno.test("bad option values throw RangeError", () => {
  const em = new Emitter();
  for (const bad of [{ every: 0 }, { repeat: -1 }, { maxCalls: 0 }, { every: 1.5 }]) {
    assert.throws(() => em.on(TICK, () => {}, bad), RangeError, JSON.stringify(bad));
  }
  assert.throws(() => em.on(TICK, "nope" as never), TypeError);
});

Deno.test("subscriber: a function with event, emit and count", () => {
  const em = new Emitter();
  const onTick = em.subscriber(TICK);
  const seen: number[] = [];
  const h = onTick((n) => seen.push(n));
  onTick.emit(7);
  onTick.emit(8);
  assert.equal(onTick.event, TICK);
  assert.equal(onTick.count, 2);
  assert.equal(h.callCount, 2);
  assert.deepEqual(seen, [7, 8]);
});

Deno.test("removing a handler during an emission does not skip the others", () => {
  const em = new Emitter();
  const order: string[] = [];
  const first = em.on(TICK, () => {
    order.push("first");
    first.remove();
  });
  em.on(TICK, () => order.push("second"));
  em.emit(TICK, 1);
  em.emit(TICK, 2);
  assert.deepEqual(order, ["first", "second", "second"]);
});

Deno.test("a callback error propagates out of a plain emitter", () => {
  const em = new Emitter();
  em.on(TICK, () => {
    throw new Error("boom");
  });
  assert.throws(() => em.emit(TICK, 1), /boom/);
});
