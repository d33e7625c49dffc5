/**
 * What crosses a boundary comes back faithfully: errors keep name, message,
 * stack, cause, AggregateError.errors, own fields and, where the main
 * process knows it, their class; policies match by class chain; odd thrown
 * values never crash a worker. On every local executor.
 */
import assert from "node:assert/strict";
import {
  type Future,
  registerErrors,
  type Scheduler,
  ThrownValueError,
  WallTimeLimitError,
} from "../mod.ts";
import { eachExecutor } from "./helpers.ts";
import { decodeError, encodeError, errorChain } from "../src/wire/codec.ts";
import {
  alive,
  BaseError,
  CustomError,
  throwAggregate,
  throwCustom,
  throwCyclic,
  throwDomException,
  throwNotFound,
  throwNullPrototype,
  throwQuota,
  throwUnprintable,
  throwValue,
} from "./fixtures/error_fns.ts";
import { QuotaError } from "./fixtures/registered_errors.ts";

registerErrors(QuotaError);

/** Runs each call in order and returns how each future ended. */
async function settle(
  scheduler: Scheduler,
  calls: Array<[(...args: never[]) => unknown, ...unknown[]]>,
): Promise<Future[]> {
  const futures: Future[] = [];
  scheduler.onStart(async () => {
    for (const [fn, ...args] of calls) {
      const future = scheduler.submit(fn as (...args: unknown[]) => unknown, ...args);
      futures.push(future);
      await future.then(() => {}, () => {});
    }
  });
  await scheduler.run({ onException: "continue" });
  return futures;
}

/** A class of the same name as the one a source-shipped function throws: the main side never sees that one. */
class LocalError extends Error {}

function throwLocal(): never {
  class LocalError extends RangeError {
    constructor(message: string) {
      super(message);
      this.name = "LocalError";
    }
  }
  throw new LocalError("only the chain knows me");
}

eachExecutor("errors keep class, fields, cause and stack across the boundary", async (make) => {
  const [custom, quota, local] = await settle(make(), [[throwCustom], [throwQuota], [throwLocal]]);
  const error = custom.error as CustomError;
  assert.ok(error instanceof CustomError, String(error));
  assert.ok(error instanceof BaseError);
  assert.equal(error.name, "CustomError");
  assert.equal(error.message, "custom failure");
  assert.equal(error.status, 418);
  assert.equal(error.code, "E_CUSTOM");
  assert.match(error.stack ?? "", /throwCustom/);
  assert.ok(error.cause instanceof TypeError);
  assert.equal((error.cause as Error).message, "the root cause");
  // Not exported by the module, but registered.
  assert.ok(quota.error instanceof QuotaError, String(quota.error));
  assert.equal((quota.error as QuotaError).quota, 5);
  // Shipped by source, its class unknown here: the nearest known class, its own name.
  assert.ok(local.error instanceof RangeError, String(local.error));
  assert.equal((local.error as Error).name, "LocalError");
  assert.equal((local.error as Error).message, "only the chain knows me");
});

eachExecutor(
  "AggregateError.errors, Deno errors and DOMException come back as themselves",
  async (make) => {
    const [aggregate, notFound, dom, cyclic] = await settle(make(), [
      [throwAggregate],
      [throwNotFound],
      [throwDomException],
      [throwCyclic],
    ]);
    const many = aggregate.error as AggregateError;
    assert.ok(many instanceof AggregateError, String(many));
    assert.equal(many.message, "several failed");
    assert.equal(many.errors.length, 2);
    assert.ok(many.errors[0] instanceof RangeError);
    assert.equal(many.errors[0].message, "first");
    assert.equal(many.errors[1], "a plain value");
    assert.deepEqual(many.cause, { why: "batch", at: new Date(0) });
    assert.ok(notFound.error instanceof Deno.errors.NotFound, String(notFound.error));
    assert.ok(dom.error instanceof DOMException, String(dom.error));
    assert.equal((dom.error as DOMException).name, "TimeoutError");
    assert.equal((dom.error as Error).message, "took too long");
    assert.equal((cyclic.error as Error).message, "cyclic");
  },
);

eachExecutor("odd thrown values become ThrownValueError and the worker goes on", async (make) => {
  const [nullProto, unprintable, plain, after] = await settle(make(), [
    [throwNullPrototype],
    [throwUnprintable],
    [throwValue, { code: 7, tags: ["a"] }],
    [alive],
  ]);
  assert.ok(nullProto.error instanceof ThrownValueError, String(nullProto.error));
  assert.match((nullProto.error as Error).message, /a: 1/);
  assert.ok(unprintable.error instanceof ThrownValueError, String(unprintable.error));
  assert.match((unprintable.error as Error).message, /toString/);
  assert.deepEqual((plain.error as ThrownValueError).value, { code: 7, tags: ["a"] });
  assert.equal(after.value, "alive");
});

eachExecutor(
  "a policy [[Class, action]] matches remote errors by class chain, registered or not",
  async (make) => {
    for (
      const [fn, cls, name] of [
        [throwCustom, BaseError, "CustomError"],
        [throwLocal, LocalError, "LocalError"],
      ] as const
    ) {
      const scheduler = make();
      scheduler.onStart(() => {
        scheduler.submit(fn);
      });
      const exit = await scheduler.run({
        onException: [[WallTimeLimitError, "continue"], [cls, "end"]],
      });
      assert.equal(exit.code, "exception", `${fn.name}: ${exit.error}`);
      assert.equal((exit.error as Error).name, name);
    }
  },
);

Deno.test("the codec survives hostile errors: throwing getters and proxies encode without throwing", () => {
  const hostile = new Error("hostile");
  Object.defineProperty(hostile, "message", {
    get() {
      throw new Error("no");
    },
  });
  Object.defineProperty(hostile, "field", {
    enumerable: true,
    get() {
      throw new Error("no");
    },
  });
  const wire = encodeError(hostile);
  assert.equal(wire.name, "Error");
  const proxy = new Proxy({}, {
    getPrototypeOf() {
      throw new Error("trap");
    },
  });
  const thrown = decodeError(structuredClone(encodeError(proxy)));
  assert.ok(thrown instanceof ThrownValueError);
  // What crossed once crosses again unchanged (a relay re-encodes what it decoded).
  const custom = new CustomError("x", 1, { cause: 42 });
  const twice = decodeError(structuredClone(encodeError(decodeError(encodeError(custom)))));
  assert.deepEqual(errorChain(twice), ["CustomError", "BaseError", "Error"]);
  assert.equal(twice.cause, 42);
  assert.equal((twice as CustomError).status, 1);
});
