/**
 * The events a scheduler and a task emit.
 *
 * @module
 */

import { Event } from "../events/event.ts";
import type { Future } from "./future.ts";
import type { OutputStream } from "../wire/messages.ts";

/** Scheduler events, by the names in the contract. */
export const SchedulerEvents: {
  readonly START: Event<[]>;
  readonly FUTURE_SUBMITTED: Event<[future: Future]>;
  readonly FUTURE_DONE: Event<[future: Future]>;
  readonly FUTURE_RESULT: Event<[future: Future, result: unknown]>;
  readonly FUTURE_EXCEPTION: Event<[future: Future, error: unknown]>;
  readonly FUTURE_CANCELLED: Event<[future: Future]>;
  readonly FUTURE_OUTPUT: Event<[future: Future, text: string, stream: OutputStream]>;
  readonly EMPTY: Event<[]>;
  readonly TIMEOUT: Event<[]>;
  readonly STOP: Event<[reason: string, error?: unknown]>;
  readonly FINISHING: Event<[]>;
  readonly FINISHED: Event<[]>;
} = {
  START: new Event<[]>("start"),
  FUTURE_SUBMITTED: new Event<[future: Future]>("future-submitted"),
  FUTURE_DONE: new Event<[future: Future]>("future-done"),
  FUTURE_RESULT: new Event<[future: Future, result: unknown]>("future-result"),
  FUTURE_EXCEPTION: new Event<[future: Future, error: unknown]>("future-exception"),
  FUTURE_CANCELLED: new Event<[future: Future]>("future-cancelled"),
  FUTURE_OUTPUT: new Event<[future: Future, text: string, stream: OutputStream]>("future-output"),
  EMPTY: new Event<[]>("empty"),
  TIMEOUT: new Event<[]>("timeout"),
  STOP: new Event<[reason: string, error?: unknown]>("stop"),
  FINISHING: new Event<[]>("finishing"),
  FINISHED: new Event<[]>("finished"),
};

/** Task events, by the names in the contract. */
export const TaskEvents: {
  readonly SUBMITTED: Event<[future: Future, ...args: unknown[]]>;
  readonly DONE: Event<[future: Future]>;
  readonly RESULT: Event<[future: Future, result: unknown]>;
  readonly EXCEPTION: Event<[future: Future, error: unknown]>;
  readonly CANCELLED: Event<[future: Future]>;
  readonly OUTPUT: Event<[future: Future, text: string, stream: OutputStream]>;
  readonly TIMEOUT: Event<[future: Future, error: unknown]>;
  readonly WALL_TIME_LIMIT_REACHED: Event<[future: Future, error: unknown]>;
  readonly CPU_TIME_LIMIT_REACHED: Event<[future: Future, error: unknown]>;
  readonly MEMORY_LIMIT_REACHED: Event<[future: Future, error: unknown]>;
  readonly RETRY: Event<[future: Future, error: unknown, attempt: number, delayMs: number]>;
} = {
  SUBMITTED: new Event<[future: Future, ...args: unknown[]]>("submitted"),
  DONE: new Event<[future: Future]>("done"),
  RESULT: new Event<[future: Future, result: unknown]>("result"),
  EXCEPTION: new Event<[future: Future, error: unknown]>("exception"),
  CANCELLED: new Event<[future: Future]>("cancelled"),
  OUTPUT: new Event<[future: Future, text: string, stream: OutputStream]>("output"),
  TIMEOUT: new Event<[future: Future, error: unknown]>("timeout"),
  WALL_TIME_LIMIT_REACHED: new Event<[future: Future, error: unknown]>("wall-time-limit-reached"),
  CPU_TIME_LIMIT_REACHED: new Event<[future: Future, error: unknown]>("cpu-time-limit-reached"),
  MEMORY_LIMIT_REACHED: new Event<[future: Future, error: unknown]>("memory-limit-reached"),
  /** A plugin asked for a failed attempt to run again (emitted only on tasks that retry). */
  RETRY: new Event<[future: Future, error: unknown, attempt: number, delayMs: number]>("retry"),
};
