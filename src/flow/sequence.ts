/**
 * Sequences: jobs chained one after the other.
 *
 * @module
 */

import { isSequence, Job, type JobSequence, markSequence, type Requirement } from "./job.ts";

/**
 * Chains `items` (jobs or sequences): each requires the one before it.
 * Add the sequence to a flow with `new Flow(seq)` or `flow.add(seq)`; where
 * a job is required, a sequence stands for its last job.
 *
 * @example
 * ```ts
 * import { Flow, job, Sequence } from "@baton/baton";
 * const order: number[] = [];
 * const step = (n: number) => job(async () => {
 *   order.push(n);
 * });
 * const flow = new Flow(Sequence(step(1), step(2), step(3)));
 * await flow.run(); // true
 * order; // [1, 2, 3]
 * ```
 */
export function Sequence(...items: (Job | JobSequence)[]): JobSequence {
  const jobs: Job[] = [];
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
    append(...more: (Job | JobSequence)[]): JobSequence {
      for (const item of more) {
        const chunk = item instanceof Job ? [item] : isSequence(item) ? item.jobs : undefined;
        if (!chunk) {
          throw new TypeError(
            `Sequence items must be jobs or sequences, got ${
              typeof item === "object" ? Object.prototype.toString.call(item) : String(item)
            }`,
          );
        }
        if (chunk.length === 0) continue;
        const previous = jobs[jobs.length - 1];
        if (previous) chunk[0].requires(previous);
        jobs.push(...chunk);
      }
      return sequence;
    },
  });
  return sequence.append(...items);
}
