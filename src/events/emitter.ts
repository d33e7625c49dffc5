/**
 * The emitter: events, their callbacks, and how often each fired.
 *
 * @module
 */

import { Event } from "./event.ts";
import { type Callback, type CallbackOptions, Handler, runFew } from "./handler.ts";
import { UnknownEventError } from "./errors.ts";

/**
 * A function that subscribes a callback to one event, and also carries that
 * event, a way to emit it and how often it fired.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Emitter, Event } from "@baton/baton";
 * const em = new Emitter();
 * const onTick = em.subscriber(new Event<[n: number]>("tick"));
 * const ticks: number[] = [];
 * onTick((n) => ticks.push(n));
 * onTick.emit(1);
 * assert.deepEqual(ticks, [1]);
 * assert.equal(onTick.count, 1);
 * ```
 * @category Core
 */
export interface Subscriber<A extends unknown[]> {
  /** Subscribes `callback` to the event. */
  (callback: Callback<A>, options?: CallbackOptions): Handler<A>;
  /** The event. */
  readonly event: Event<A>;
  /** Emits the event on the emitter. */
  emit(...args: A): void;
  /** How many times the event was emitted. */
  readonly count: number;
}

/**
 * The callback arguments of an event type.
 *
 * @example
 * ```ts
 * import { Event, type EventArgs } from "@baton/baton";
 * const TICK = new Event<[n: number]>("tick");
 * type TickArgs = EventArgs<typeof TICK>; // [n: number]
 * const args: TickArgs = [1];
 * ```
 * @category Core
 */
export type EventArgs<E> = E extends Event<infer A> ? A : never;

/**
 * Where an emitter sends what its callbacks do besides returning: errors,
 * and promises of async callbacks (so an owner can wait for them).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Emitter, Event } from "@baton/baton";
 * const FAIL = new Event<[]>("fail");
 * const errors: unknown[] = [];
 * class Owned extends Emitter {
 *   constructor() {
 *     super("owned");
 *     // A callback's error goes to the host; `true` means it was handled.
 *     this.callbackHost = { error: (e) => (errors.push(e), true), pending: () => {} };
 *   }
 * }
 * const owned = new Owned();
 * owned.on(FAIL, () => {
 *   throw new Error("boom");
 * });
 * owned.emit(FAIL);
 * assert.equal((errors[0] as Error).message, "boom");
 * ```
 * @category Core
 */
export interface CallbackHost {
  /** A callback threw or rejected; return `true` to go on with the emission. */
  error(error: unknown): boolean;
  /** An async callback returned this promise; the host must handle its rejection. */
  pending(promise: PromiseLike<unknown>): void;
}

/**
 * Emits `event` on `emitter` with `argc` (0–2) arguments `a`, `b`, exactly as
 * `emitter.emit(event, ...)` would, without allocating for them: for the
 * scheduler's per-call events. Not part of the public API.
 *
 * @example
 * ```ts ignore
 * emitFew(scheduler, SchedulerEvents.FUTURE_RESULT, 2, future, value);
 * ```
 */
export let emitFew: (
  emitter: Emitter,
  // deno-lint-ignore no-explicit-any
  event: Event<any>,
  argc: 0 | 1 | 2,
  a?: unknown,
  b?: unknown,
) => void;

/**
 * Holds events and their callbacks. Callbacks of one event run in the order
 * they were registered, always.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Emitter, Event } from "@baton/baton";
 * const USER_JOINED = new Event<[name: string]>("user-joined");
 * const em = new Emitter("chat");
 * const names: string[] = [];
 * const h = em.on(USER_JOINED, (name) => names.push(name), { name: "greet" });
 * em.emit(USER_JOINED, "ada");
 * assert.deepEqual(names, ["ada"]);
 * assert.equal(em.eventCounts.get("user-joined"), 1);
 * h.remove();
 * ```
 * @category Core
 */
export class Emitter {
  /** The emitter's name, used in rendering and errors. */
  readonly name: string;
  /** Made on first use: a flow holds many jobs that are emitters and never emit. */
  #registry?: Registry;
  /**
   * Where callback errors and async callbacks go. Without one, a synchronous
   * throw propagates out of `emit()` and an async rejection stays unhandled.
   */
  protected callbackHost?: CallbackHost;

  static {
    emitFew = (emitter, event, argc, a, b) => emitter.#emitFew(event, argc, a, b);
  }

  /** Creates an emitter called `name`. */
  constructor(name = "emitter") {
    this.name = name;
  }

  get #r(): Registry {
    return this.#registry ??= new Registry();
  }

  /**
   * How many times each event was emitted, by name (only events emitted at
   * least once, in the order of their first emission): a snapshot, made
   * when read, so that emitting only bumps a number.
   */
  get eventCounts(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const slot of this.#registry?.emitted ?? []) counts.set(slot.event.name, slot.count);
    return counts;
  }

  /** The declared events, in declaration order. */
  get events(): Event[] {
    return [...(this.#registry?.events.values() ?? [])].map((slot) => slot.event) as Event[];
  }

  /** Declares events so that they can be subscribed to by name. */
  addEvent(...events: Event<unknown[]>[]): void {
    for (const event of events) {
      const events = this.#r.events;
      const known = events.get(event.name);
      if (known && known.event !== event) {
        throw new Error(`${this.name} already declares a different event named "${event.name}"`);
      }
      if (!known) events.set(event.name, { event, count: 0, handlers: NO_HANDLERS });
    }
  }

  /** Subscribes `callback` to `event` (an {@linkcode Event} or the name of a declared one). */
  // deno-lint-ignore no-explicit-any
  on<E extends Event<any>>(
    event: E,
    callback: Callback<EventArgs<E>>,
    options?: CallbackOptions,
  ): Handler<EventArgs<E>>;
  /** Subscribes `callback` to the declared event called `event`. */
  // deno-lint-ignore no-explicit-any
  on(event: string, callback: (...args: any[]) => unknown, options?: CallbackOptions): Handler;
  on<A extends unknown[]>(
    event: Event<A> | string,
    callback: Callback<A>,
    options: CallbackOptions = {},
  ): Handler<A> {
    const resolved = this.#resolve(event);
    const handler: Handler<A> = new Handler(
      resolved,
      callback,
      options,
      () => this.#detach(handler as unknown as Handler<never>),
    );
    const slot = this.#r.events.get(resolved.name)!;
    slot.handlers = [...slot.handlers, handler as unknown as Handler<never>];
    return handler;
  }

  /** Emits `event` with `args`: counts it, then runs its callbacks in registration order. */
  emit<A extends unknown[]>(event: Event<A> | string, ...args: NoInfer<A>): void {
    const r = this.#r;
    const slot = this.#count(r, event);
    const name = slot.event.name;
    for (const tap of r.taps) tap(name, args);
    for (const handler of slot.handlers as unknown as Handler<A>[]) {
      if (!this.#runHandler(handler, args)) return;
    }
  }

  /** Declares `event` if it is new, counts one emission of it, and returns its slot. */
  #count(r: Registry, event: Event<unknown[]> | string): Slot {
    // An event object is declared on first use; a name must be declared already.
    const name = typeof event === "string" ? this.#resolve(event).name : event.name;
    let slot = r.events.get(name);
    if (slot === undefined) {
      this.addEvent(event as Event<unknown[]>);
      slot = r.events.get(name)!;
    }
    if (slot.count++ === 0) r.emitted.push(slot);
    return slot;
  }

  /**
   * `emit` with `argc` (0–2) arguments given one by one: the same counting,
   * taps, order and error handling, without an array unless a tap needs one.
   */
  #emitFew(event: Event<unknown[]>, argc: number, a: unknown, b: unknown): void {
    const r = this.#r;
    const slot = this.#count(r, event);
    const taps = r.taps;
    if (taps.length > 0) {
      const args = argc === 0 ? [] : argc === 1 ? [a] : [a, b];
      for (const tap of taps) tap(slot.event.name, args);
    }
    const handlers = slot.handlers;
    if (handlers.length === 0) return;
    const host = this.callbackHost;
    for (const handler of handlers) {
      if (!host) {
        runFew(handler, argc, a, b, noop);
        continue;
      }
      try {
        runFew(handler, argc, a, b, this.#trackResult);
      } catch (error) {
        if (!host.error(error)) return;
      }
    }
  }

  /**
   * Observes every emission of this emitter, whatever the event, before its
   * callbacks run: for monitors and loggers, which would otherwise need a
   * handler per event. `observer` must not throw; it is not shown in the
   * rendered tree and takes no callback options. Returns a function that
   * stops the observation.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Emitter, Event } from "@baton/baton";
   * const em = new Emitter();
   * const seen: string[] = [];
   * const untap = em.tap((event) => seen.push(event));
   * em.emit(new Event<[]>("ping"));
   * untap();
   * assert.deepEqual(seen, ["ping"]);
   * ```
   */
  tap(observer: (event: string, args: readonly unknown[]) => void): () => void {
    const r = this.#r;
    r.taps = [...r.taps, observer];
    return () => {
      r.taps = r.taps.filter((t) => t !== observer);
    };
  }

  /** Creates a {@linkcode Subscriber} for `event`, declaring it. */
  subscriber<A extends unknown[]>(event: Event<A>): Subscriber<A> {
    this.addEvent(event as Event<unknown[]>);
    const subscribe = (callback: Callback<A>, options?: CallbackOptions) =>
      this.on(event, callback, options);
    return Object.defineProperties(subscribe, {
      event: { value: event },
      emit: { value: (...args: A) => this.emit(event, ...args) },
      count: { get: () => this.#registry?.events.get(event.name)?.count ?? 0 },
    }) as unknown as Subscriber<A>;
  }

  /** The handlers subscribed to `event`, in order. */
  handlers<A extends unknown[]>(event: Event<A> | string): readonly Handler<A>[] {
    const name = typeof event === "string" ? event : event.name;
    return (this.#registry?.events.get(name)?.handlers ?? NO_HANDLERS) as unknown as Handler<A>[];
  }

  #runHandler<A extends unknown[]>(handler: Handler<A>, args: A): boolean {
    const host = this.callbackHost;
    if (!host) {
      handler.run(args, noop);
      return true;
    }
    try {
      handler.run(args, this.#trackResult);
      return true;
    } catch (error) {
      return host.error(error);
    }
  }

  /**
   * Made once per emitter, on first use: only async callbacks count as pending; a
   * callback that returns a Future (`() => task.submit(1)`) is done when it returns.
   */
  get #trackResult(): (result: unknown) => void {
    return this.#r.tracker ??= (result: unknown): void => {
      if (result instanceof Promise) this.callbackHost?.pending(result);
    };
  }

  #resolve<A extends unknown[]>(event: Event<A> | string): Event<A> {
    if (event instanceof Event) {
      if (!this.#registry?.events.has(event.name)) this.addEvent(event as Event<unknown[]>);
      return event;
    }
    const known = this.#registry?.events.get(String(event));
    if (!known) {
      const names = [...(this.#registry?.events.keys() ?? [])];
      throw new UnknownEventError(this.name, String(event), names);
    }
    return known.event as unknown as Event<A>;
  }

  #detach(handler: Handler<never>): void {
    const slot = this.#registry?.events.get(handler.event.name);
    if (slot) slot.handlers = slot.handlers.filter((h) => h !== handler);
  }
}

function noop(): void {}

/** Shared by every event without handlers: never changed. */
const NO_HANDLERS: readonly Handler<never>[] = Object.freeze([]);

/** One declared event: what an emission needs, found with one lookup. */
interface Slot {
  readonly event: Event<unknown[]>;
  /** Emissions so far (what `eventCounts` shows). */
  count: number;
  /** Its handlers; the list is replaced, never mutated, so emission can iterate safely. */
  handlers: readonly Handler<never>[];
}

/** An emitter's events, counts, handlers and taps, in one object made on first use. */
class Registry {
  /** The events emitted at least once, in the order of their first emission (their counts). */
  readonly emitted: Slot[] = [];
  /** The declared events by name, in declaration order, with their counts and handlers. */
  readonly events = new Map<string, Slot>();
  /** Observers of every emission (see `tap`); replaced, never mutated. */
  taps: ReadonlyArray<(event: string, args: readonly unknown[]) => void> = [];
  tracker?: (result: unknown) => void;
}
