/**
 * The Slurm executor: run calls in Slurm jobs that dial back over TCP.
 *
 * @module
 */
export { SlurmExecutor, type SlurmWorkerInfo } from "./executor.ts";
export type { SlurmOptions, SlurmWorkers } from "./options.ts";
export { SlurmJobLostError } from "./errors.ts";
