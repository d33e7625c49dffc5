/**
 * Output of task calls, forwarded to the flow as `job-output`.
 *
 * A task emits `output` (future, text, stream) for what a call writes where
 * it runs, but a call captures its output only if someone listens to the
 * task as it is submitted. So a task job that has `job-output` listeners
 * (on its flow or an outer one) holds a handler on its task from just
 * before it submits until its call settles, and that one handler per task
 * routes each call's output to the job that made the call.
 *
 * @module
 */

import type { Handler } from "../events/handler.ts";
import type { Future } from "../scheduler/future.ts";
import type { AnyTask } from "../scheduler/task.ts";
import { JOB_OUTPUT, type OutputStream } from "./events.ts";
import type { Job } from "./job.ts";

/** The task event that carries a call's output: (future, text, stream). */
const OUTPUT_EVENT = "output";

type Sink = (text: string, stream: OutputStream) => void;

/** Per task: the calls whose output goes to a job, the calls that hold the handler, the handler. */
interface Route {
  readonly calls: Map<Future<unknown>, Sink>;
  readonly held: Set<Future<unknown>>;
  holds: number;
  readonly handler: Handler;
}

const routes = new WeakMap<AnyTask, Route>();

const NOTHING = () => {};

/** Whether anyone listens to `job`'s output (its flow or an outer one has `job-output` handlers). */
function listened(job: Job): boolean {
  for (let flow = job.flow; flow; flow = flow.flow) {
    if (flow.handlers(JOB_OUTPUT).length > 0) return true;
  }
  return false;
}

function hold(task: AnyTask): Route {
  let route = routes.get(task);
  if (!route) {
    const calls = new Map<Future<unknown>, Sink>();
    const handler = task.on(OUTPUT_EVENT, (from: Future<unknown>, text: string, stream) => {
      calls.get(from)?.(text, stream as OutputStream);
    }, { name: "flow job-output", hidden: true });
    route = { calls, held: new Set(), holds: 0, handler };
    routes.set(task, route);
  }
  route.holds++;
  return route;
}

function release(task: AnyTask, route: Route): void {
  if (--route.holds > 0) return;
  route.handler.remove();
  if (routes.get(task) === route) routes.delete(task);
}

/**
 * Submits a call of `task` for `job` (`submit` does it), listening to the
 * task's output first when someone listens to the job's, so that the call
 * captures what it writes. Pair with {@linkcode forwardTaskOutput}.
 */
export function submitForJob<F extends Future<unknown>>(
  job: Job,
  task: AnyTask,
  submit: () => F | undefined,
): F | undefined {
  if (!listened(job)) return submit();
  const route = hold(task);
  let future: F | undefined;
  try {
    future = submit();
  } finally {
    if (future) route.held.add(future);
    else release(task, route);
  }
  return future;
}

/**
 * Sends what `future`'s call writes to `sink` until the returned function
 * is called (when the call settled). Does nothing when nobody listens to
 * the task's output for a job.
 */
export function forwardTaskOutput(
  task: AnyTask,
  future: Future<unknown>,
  sink: Sink,
): () => void {
  const route = routes.get(task);
  if (!route) return NOTHING;
  route.calls.set(future, sink);
  return () => {
    route.calls.delete(future);
    if (route.held.delete(future)) release(task, route);
  };
}

/** Whether what `future`'s call writes goes to a job as `job-output` right now. */
export function forwardsOutput(task: AnyTask, future: Future<unknown>): boolean {
  return routes.get(task)?.calls.has(future) ?? false;
}
