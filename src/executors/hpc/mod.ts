/**
 * What every batch engine's executor shares, and the interface a new
 * engine (PBS, LSF…) implements.
 *
 * @module
 */
export { HpcExecutor, type HpcWorkerInfo } from "./executor.ts";
export type { HpcOptions, HpcWorkers, ResolvedHpcOptions } from "./options.ts";
export type { Engine, QueuedJob, ScriptContext } from "./engine.ts";
export { JobLostError } from "./errors.ts";
