/**
 * The Grid Engine executor: run calls in Grid Engine jobs that dial back over TCP.
 *
 * @module
 */
export { SgeExecutor, type SgeWorkerInfo } from "./executor.ts";
export type { SgeOptions } from "./options.ts";
export { SgeJobLostError } from "./errors.ts";
