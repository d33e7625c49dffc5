/**
 * One check for every remote backend (Redis, Slurm): errors keep class,
 * fields and cause, policies match by class chain, and a call's output
 * reaches the main process.
 */
import assert from "node:assert/strict";
import { registerErrors, type Scheduler } from "../mod.ts";
import { BaseError, CustomError, throwCustom, throwQuota } from "./fixtures/error_fns.ts";
import { QuotaError } from "./fixtures/registered_errors.ts";
import { speak } from "./fixtures/output_fns.ts";

/** Runs the check on `scheduler` (made with `echo: false`). */
export async function checkErrorsAndOutput(scheduler: Scheduler): Promise<void> {
  registerErrors(QuotaError);
  const errors: Error[] = [];
  const heard: string[] = [];
  scheduler.onFutureException((_f, e) => errors.push(e as Error));
  scheduler.onFutureOutput((_f, text, stream) => heard.push(`${stream}:${text}`));
  scheduler.onStart(async () => {
    await scheduler.submit(speak, "hi").then(() => {}, () => {});
    await scheduler.submit(throwQuota).then(() => {}, () => {});
    scheduler.submit(throwCustom);
  });
  const exit = await scheduler.run({
    timeout: "60s",
    onException: [[QuotaError, "continue"], [BaseError, "end"]],
  });
  assert.equal(exit.code, "exception", String(exit.error));
  assert.deepEqual(heard, ["stdout:hi on stdout\n", "stderr:hi on stderr\n"]);
  assert.ok(errors[0] instanceof QuotaError, String(errors[0]));
  assert.equal((errors[0] as QuotaError).quota, 5);
  const custom = errors[1] as CustomError;
  assert.ok(custom instanceof CustomError, String(custom));
  assert.deepEqual([custom.status, custom.code], [418, "E_CUSTOM"]);
  assert.ok(custom.cause instanceof TypeError);
}
