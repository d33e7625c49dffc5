/**
 * The run store: runs, jobs, results, timelines and logs of flows, in an
 * embedded SQLite database (`node:sqlite`).
 *
 * @module
 */
export {
  type EventRecord,
  type JobPlan,
  type JobRecord,
  type JobRecordState,
  type JobUpdate,
  type OpenOptions,
  type RunRecord,
  type RunState,
  RunStore,
} from "./run_store.ts";
export { StoreError, type StoreProblem, UnknownRunError, UnstorableResultError } from "./errors.ts";
