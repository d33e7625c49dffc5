/** Examples a newcomer may run where their service is missing: a message, not a stack trace. */
import assert from "node:assert/strict";
import { cli } from "./cli_helpers.ts";

const ROOT = new URL("../", import.meta.url).pathname;

for (const [kind, tool] of [["slurm", "sbatch"], ["sge", "qsub"]]) {
  Deno.test(`example:${kind} without ${tool} on PATH explains what it needs`, async () => {
    // A PATH holding only deno, so that the cluster's commands are not found.
    const bin = await Deno.makeTempDir({ prefix: "baton-path-" });
    try {
      await Deno.symlink(Deno.execPath(), `${bin}/deno`);
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", `${ROOT}examples/slurm.ts`, ...(kind === "sge" ? ["sge"] : [])],
        env: { PATH: bin, NO_COLOR: "1" },
        stdout: "piped",
        stderr: "piped",
      }).output();
      const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
      assert.equal(out.code, 1, text);
      assert.match(text, new RegExp(`example:${kind} needs a .* cluster: Could not run "${tool}"`));
      assert.match(text, /start a single-node one here with: sudo bash \.ci\//);
      assert.doesNotMatch(text, /Uncaught|^\s+at /m);
    } finally {
      await Deno.remove(bin, { recursive: true });
    }
  });
}

Deno.test("a usage error is prefixed with baton: once", async () => {
  const r = await cli(["run"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^baton: run needs exactly one workflow file|^baton run needs exactly/m);
  assert.doesNotMatch(r.stderr, /baton: baton/);
});
