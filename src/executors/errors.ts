/**
 * The errors executors reject futures with. They live in `src/wire/errors.ts`
 * (the codec rebuilds them on every transport); this module keeps the old
 * import path working.
 *
 * @module
 */
export {
  CpuTimeLimitError,
  LimitError,
  type LimitKind,
  MemoryLimitError,
  WallTimeLimitError,
  WorkerCrashedError,
} from "../wire/errors.ts";
