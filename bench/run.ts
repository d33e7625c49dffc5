/**
 * `deno task bench`: every benchmark, each against its reference in the same run.
 *
 * @module
 */

const benches = ["workers.ts", "processes.ts", "flow.ts", "workflow.ts", "monitor.ts", "redis.ts"];
for (const file of benches) {
  const url = new URL(`./${file}`, import.meta.url);
  const { code } = await new Deno.Command(Deno.execPath(), {
    // The lock that also pins the Redis packages (see tests/cli_helpers.ts).
    args: [
      "run",
      "-A",
      `--lock=${new URL("../tests/deno.lock", import.meta.url).pathname}`,
      url.pathname,
      ...Deno.args,
    ],
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (code !== 0) Deno.exit(code);
  console.log();
}
