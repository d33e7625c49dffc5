/**
 * The lean entry for modules that hold `remote()` functions: every pool
 * process and worker imports such a module, so importing `remote` from here
 * (instead of the whole library) keeps the scheduler, the monitor and npm
 * packages out of each child's start-up. Types from the main entry cost
 * nothing at run time: `import type { CommChannel } from "@baton/baton"`.
 *
 * @example
 * ```ts
 * import { remote } from "@baton/baton/remote";
 * export const train = remote(import.meta.url, async function train(lr: number) {
 *   return lr * 2;
 * });
 * ```
 *
 * @module
 */

export { remote } from "./src/executors/remote.ts";
export { registerErrors } from "./src/wire/codec.ts";
