/**
 * Graph algorithms over the jobs of one flow, all O(jobs + edges).
 * Only requirements inside the given set of jobs count as edges.
 *
 * @module
 */

import { type Job, jobInternals } from "./job.ts";

const requirementsOf = (job: Job): readonly Job[] => jobInternals.requirementList(job);

/**
 * The graph of a flow's jobs in flat typed arrays: job `i`'s successors are
 * `next[first[i]]` up to `next[first[i + 1]]`, `unmet[i]` counts its
 * requirements. `sorted` is how many jobs Kahn's algorithm could put in
 * order: fewer than all means a cycle. One record per edge, no object per job.
 */
export interface Plan {
  readonly jobs: readonly Job[];
  readonly unmet: Int32Array;
  readonly first: Int32Array;
  readonly next: Int32Array;
  readonly sorted: number;
}

/**
 * Plans `jobs` (each job's slot becomes its index). A requirement on a job
 * for which `isMember` is false is no edge: `outside(job, requirement)` is
 * told about it (and may throw). O(jobs + edges).
 */
export function plan(
  jobs: readonly Job[],
  isMember: (job: Job) => boolean,
  outside?: (job: Job, requirement: Job) => void,
): Plan {
  const { setSlot, slot, requirementsRaw } = jobInternals;
  const n = jobs.length;
  for (let i = 0; i < n; i++) setSlot(jobs[i], i);
  const unmet = new Int32Array(n);
  const first = new Int32Array(n + 1);
  // One pass over the requirements (each a jump to another job in memory), noting their slots,
  // then the successor lists from those notes alone.
  const from = new Int32Array(n + 1);
  // Room for every requirement, counted first: a growing list would leave copies behind.
  let most = 0;
  for (let i = 0; i < n; i++) {
    const held = requirementsRaw(jobs[i]);
    if (held !== undefined) most += Array.isArray(held) ? held.length : 1;
  }
  const slots = new Int32Array(most);
  let noted = 0;
  const note = (i: number, r: Job): void => {
    if (!isMember(r)) return outside?.(jobs[i], r);
    const k = slot(r);
    slots[noted++] = k;
    first[k + 1]++;
  };
  for (let i = 0; i < n; i++) {
    const held = requirementsRaw(jobs[i]);
    if (held !== undefined) {
      if (!Array.isArray(held)) note(i, held as Job);
      else for (let k = 0; k < held.length; k++) note(i, held[k]);
    }
    from[i + 1] = noted;
    unmet[i] = from[i + 1] - from[i];
  }
  for (let i = 0; i < n; i++) first[i + 1] += first[i];
  const next = new Int32Array(first[n]);
  const cursor = first.slice(0, n);
  for (let i = 0; i < n; i++) {
    for (let k = from[i], end = from[i + 1]; k < end; k++) next[cursor[slots[k]]++] = i;
  }
  // Kahn's algorithm on a copy of the counts: whatever it cannot reach is on or behind a cycle.
  const left = unmet.slice();
  const queue = cursor; // reused: n ints
  let tail = 0;
  for (let i = 0; i < n; i++) if (left[i] === 0) queue[tail++] = i;
  for (let head = 0; head < tail; head++) {
    const i = queue[head];
    for (let k = first[i], end = first[i + 1]; k < end; k++) {
      if (--left[next[k]] === 0) queue[tail++] = next[k];
    }
  }
  return { jobs, unmet, first, next, sorted: tail };
}
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
  // Most graphs have none: a linear pass over typed arrays says so, without a map per job.
  const list = [...jobs];
  // plan() renumbers the jobs' slots, which a run in progress (or one that ran: its jobs'
  // times) relies on: they are put back.
  const { slot, setSlot } = jobInternals;
  const slots = Int32Array.from(list, slot);
  const acyclic = plan(list, (j) => jobs.has(j)).sorted === list.length;
  for (let i = 0; i < list.length; i++) setSlot(list[i], slots[i]);
  if (acyclic) return undefined;
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
