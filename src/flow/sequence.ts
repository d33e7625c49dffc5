/**
 * Sequences: jobs chained one after the other.
 *
 * @module
 */

import { assertEditable, type Flow } from "./flow.ts";
import { isSequence, Job, type JobSequence, markSequence, type Requirement } from "./job.ts";

/**
 * Chains `items` (jobs or sequences; `null` and `undefined` are skipped):
 * each requires the one before it. Add the sequence to a flow with
 * `new Flow(seq)` or `flow.add(seq)`; where a job is required, a sequence
 * stands for its last job. Jobs appended after the sequence was added to a
 * flow are added to that flow too (asynciojobs' `Sequence(…, scheduler=s)`).
 *
 * @example
 * ```ts
 * import assert from "node:assert";
 * import { Flow, job, Sequence } from "@baton/baton";
 * const order: number[] = [];
 * const step = (n: number) => job(async () => {
 *   order.push(n);
 * });
 * const seq = Sequence(step(1), step(2));
 * const flow = new Flow(seq);
 * seq.append(step(3)); // joins the flow as well
 * assert.equal(await flow.run(), true);
 * assert.deepEqual(order, [1, 2, 3]);
 * ```
 * @category Flow
 */
export function Sequence(...items: (Job | JobSequence | null | undefined)[]): JobSequence {
  const jobs: Job[] = [];
  let flow: Flow | undefined;
  const sequence: JobSequence = markSequence({
    get jobs(): readonly Job[] {
      return jobs;
    },
    get first(): Job | undefined {
      return jobs[0];
    },
    get last(): Job | undefined {
      return jobs[jobs.length - 1];
    },
    requires(...requirements: Requirement[]): JobSequence {
      if (jobs.length === 0) {
        throw new Error("An empty sequence cannot require anything: append jobs first");
      }
      jobs[0].requires(...requirements);
      return sequence;
    },
    append(...more: (Job | JobSequence | null | undefined)[]): JobSequence {
      const added: Job[] = [];
      for (const item of more) {
        if (item === null || item === undefined) continue;
        const chunk = item instanceof Job ? [item] : isSequence(item) ? item.jobs : undefined;
        if (!chunk) {
          throw new TypeError(
            `Sequence items must be jobs or sequences, got ${
              typeof item === "object" ? Object.prototype.toString.call(item) : String(item)
            }`,
          );
        }
        if (chunk.length === 0) continue;
        if (flow) assertEditable(flow, "append jobs to one of its sequences");
        const previous = jobs[jobs.length - 1];
        if (previous) chunk[0].requires(previous);
        for (const job of chunk) {
          jobs.push(job);
          added.push(job);
        }
      }
      // Keep the flow in step: what the sequence grows by belongs to its flow.
      if (flow) { for (const job of added) flow.add(job); }
      return sequence;
    },
  }, (into) => {
    flow = into;
  });
  return sequence.append(...items);
}
