import assert from "node:assert/strict";

const FIXTURE = new URL("./fixtures/typed_callbacks.ts", import.meta.url);

Deno.test("typed callbacks and map results type check with no casts (and wrong uses do not)", async () => {
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["check", "--quiet", FIXTURE.pathname],
    stdout: "null",
    stderr: "piped",
  }).output();
  assert.equal(code, 0, new TextDecoder().decode(stderr));
});

Deno.test("the fixture's checks can fail: with future.args untyped, deno check refuses it", async () => {
  // If args were `any`, every `@ts-expect-error` about them would be unused, an error.
  const mod = new URL("../mod.ts", import.meta.url).href;
  const untyped = (await Deno.readTextFile(FIXTURE))
    .replace('from "../../mod.ts";', `from "${mod}";`)
    .replace(/future\.args/g, "(future.args as any)");
  const dir = await Deno.makeTempDir();
  const copy = `${dir}/typed_callbacks_untyped.ts`;
  await Deno.writeTextFile(copy, untyped);
  try {
    const { code, stderr } = await new Deno.Command(Deno.execPath(), {
      args: [
        "check",
        "--quiet",
        "--config",
        new URL("../deno.json", import.meta.url).pathname,
        copy,
      ],
      stdout: "null",
      stderr: "piped",
    }).output();
    assert.notEqual(code, 0);
    assert.match(new TextDecoder().decode(stderr), /Unused '@ts-expect-error' directive/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
