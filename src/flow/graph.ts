/**
 * Graph algorithms over the jobs of one flow, all O(jobs + edges).
 * Only requirements inside the given set of jobs count as edges.
 *
 * @module
 */

import { type Job, jobInternals } from "./job.ts";

const requirementsOf = (job: Job): readonly Job[] => jobInternals.requirementList(job);

/**
 * The jobs of `jobs` that `next` gives for any of `starts`, each once, in
 * the order found (edges to jobs outside the set are ignored).
 */
export function neighboursIn(
  jobs: ReadonlySet<Job>,
  starts: readonly Job[],
  next: (job: Job) => readonly Job[],
): Job[] {
  if (starts.length === 1) return next(starts[0]).filter((j) => jobs.has(j));
  const seen = new Set<Job>();
  for (const start of starts) for (const j of next(start)) if (jobs.has(j)) seen.add(j);
  return [...seen];
}

/** Successor lists for every job of `jobs`, in insertion order. */
export function successorMap(jobs: ReadonlySet<Job>): Map<Job, Job[]> {
  const successors = new Map<Job, Job[]>();
  for (const job of jobs) successors.set(job, []);
  for (const job of jobs) {
    for (const r of requirementsOf(job)) successors.get(r)?.push(job);
  }
  return successors;
}

/**
 * A cycle of requirements, as jobs in order with the first repeated at the
 * end, or `undefined` when there is none. Iterative, so deep graphs do not
 * grow the stack.
 */
export function findCycle(jobs: ReadonlySet<Job>): Job[] | undefined {
  // 0 = unseen, 1 = on the current path, 2 = finished.
  const color = new Map<Job, number>();
  for (const root of jobs) {
    if (color.get(root)) continue;
    const path: Job[] = [root];
    const iterators: Iterator<Job>[] = [requirementsOf(root).values()];
    color.set(root, 1);
    while (path.length > 0) {
      const step = iterators[iterators.length - 1].next();
      if (step.done) {
        color.set(path.pop()!, 2);
        iterators.pop();
        continue;
      }
      const next = step.value;
      if (!jobs.has(next)) continue;
      const c = color.get(next) ?? 0;
      if (c === 1) {
        // Requirements point backwards in time: reverse to read in running order.
        const cycle = path.slice(path.indexOf(next)).reverse();
        // Start at the job added first, so the same cycle always reads the same.
        const members = new Set(cycle);
        let first = 0;
        for (const job of jobs) {
          if (members.has(job)) {
            first = cycle.indexOf(job);
            break;
          }
        }
        const rotated = [...cycle.slice(first), ...cycle.slice(0, first)];
        return [...rotated, rotated[0]];
      }
      if (c === 0) {
        color.set(next, 1);
        path.push(next);
        iterators.push(requirementsOf(next).values());
      }
    }
  }
  return undefined;
}

/**
 * The jobs in an order where every job comes after its requirements; ties
 * keep insertion order (Kahn's algorithm). Jobs on or behind a cycle are
 * left out and returned separately.
 */
export function topologicalSort(jobs: ReadonlySet<Job>): { order: Job[]; rest: Job[] } {
  const unmet = new Map<Job, number>();
  const successors = successorMap(jobs);
  const order: Job[] = [];
  for (const job of jobs) {
    let n = 0;
    for (const r of requirementsOf(job)) if (jobs.has(r)) n++;
    unmet.set(job, n);
    if (n === 0) order.push(job);
  }
  for (let i = 0; i < order.length; i++) {
    for (const s of successors.get(order[i])!) {
      const n = unmet.get(s)! - 1;
      unmet.set(s, n);
      if (n === 0) order.push(s);
    }
  }
  const placed = new Set(order);
  return { order, rest: [...jobs].filter((j) => !placed.has(j)) };
}

/**
 * Every job reachable from `starts` by following `next`, breadth first; a
 * start is included only when reachable from another (asynciojobs' closure).
 */
export function closure(starts: readonly Job[], next: (job: Job) => Iterable<Job>): Job[] {
  const seen = new Set<Job>();
  const out: Job[] = [];
  const visit = (job: Job) => {
    for (const n of next(job)) {
      if (!seen.has(n)) {
        seen.add(n);
        out.push(n);
      }
    }
  };
  for (const start of starts) visit(start);
  for (let i = 0; i < out.length; i++) visit(out[i]);
  return out;
}
