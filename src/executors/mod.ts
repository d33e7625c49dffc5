/**
 * Executors: where compute runs, and the limits they enforce.
 *
 * @module
 */
export type {
  Call,
  Executor,
  ExecutorHost,
  ExecutorInfo,
  TaskContext,
  WorkerInfo,
} from "./executor.ts";
export { SequentialExecutor } from "./sequential.ts";
export { WorkerExecutor, type WorkerExecutorOptions } from "./workers.ts";
export { ProcessExecutor, type ProcessExecutorOptions } from "./processes.ts";
export { remote } from "./remote.ts";
export {
  type Backoff,
  type RedisConnection,
  type RedisConnectionOptions,
  RedisExecutor,
  type RedisExecutorOptions,
  RedisWorker,
  type RedisWorkerOptions,
} from "./redis/mod.ts";
export type { WireError, WireValue } from "../wire/codec.ts";
export type { OutputMode, OutputStream } from "../wire/messages.ts";
export type { Limits, Permissions, PermissionValue, ResolvedLimits } from "./limits.ts";
export * from "./errors.ts";
export {
  SlurmExecutor,
  SlurmJobLostError,
  type SlurmOptions,
  type SlurmWorkerInfo,
  type SlurmWorkers,
} from "./slurm/mod.ts";
export { SgeExecutor, SgeJobLostError, type SgeOptions, type SgeWorkerInfo } from "./sge/mod.ts";
export {
  type Engine,
  HpcExecutor,
  type HpcOptions,
  type HpcWorkerInfo,
  type HpcWorkers,
  JobLostError,
  type QueuedJob,
  type ResolvedHpcOptions,
  type ScriptContext,
} from "./hpc/mod.ts";
