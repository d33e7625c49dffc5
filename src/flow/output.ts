/**
 * Output of task calls, forwarded to the flow as `job-output`.
 *
 * The boundary work adds a task event `output` (future, text, stream) for
 * what a call writes where it runs. Until a task declares it, there is
 * nothing to forward; from then on, one handler per task routes each
 * call's output to the job that made the call.
 *
 * @module
 */

import type { Future } from "../scheduler/future.ts";
import type { AnyTask } from "../scheduler/task.ts";
import type { OutputStream } from "./events.ts";

/** The task event that carries a call's output: (future, text, stream). */
const OUTPUT_EVENT = "output";

type Sink = (text: string, stream: OutputStream) => void;

/** Per task: the calls in flight that want their output, and the one handler. */
const routes = new WeakMap<AnyTask, Map<Future<unknown>, Sink>>();

const NOTHING = () => {};

/**
 * Sends what `future`'s call writes to `sink` while it runs; returns how to
 * stop. Does nothing for tasks without an `output` event.
 */
export function forwardTaskOutput(
  task: AnyTask,
  future: Future<unknown>,
  sink: Sink,
): () => void {
  let calls = routes.get(task);
  if (!calls) {
    if (!task.events.some((event) => event.name === OUTPUT_EVENT)) return NOTHING;
    const inFlight = new Map<Future<unknown>, Sink>();
    calls = inFlight;
    routes.set(task, inFlight);
    task.on(OUTPUT_EVENT, (from: Future<unknown>, text: string, stream: OutputStream) => {
      inFlight.get(from)?.(text, stream);
    }, { name: "flow job-output", hidden: true });
  }
  calls.set(future, sink);
  const inFlight = calls;
  return () => inFlight.delete(future);
}
