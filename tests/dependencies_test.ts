import assert from "node:assert/strict";

// Library code names its npm packages in full (`npm:hono@4.13.19`), so it
// loads under any config — a user's project, or a subprocess started from a
// data: URL. This keeps those versions the ones deno.json pins.
Deno.test("npm versions in the library match deno.json's imports", async () => {
  const config = JSON.parse(await Deno.readTextFile(new URL("../deno.json", import.meta.url)));
  const pinned = new Map<string, string>(
    Object.values(config.imports as Record<string, string>)
      .map((spec) => [spec.replace(/^npm:/, "").replace(/@[^@/]+$/, ""), spec]),
  );
  const root = new URL("../", import.meta.url);
  const files = ["cli.ts"];
  const walk = async (dir: string) => {
    for await (const entry of Deno.readDir(new URL(dir, root))) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory) await walk(path);
      else if (path.endsWith(".ts")) files.push(path);
    }
  };
  await walk("src");
  await walk("workers");
  let seen = 0;
  for (const file of files) {
    const text = await Deno.readTextFile(new URL(file, root));
    for (const [, spec, name] of text.matchAll(/"(npm:(@?[^@"]+)@[^"/]+)"/g)) {
      seen++;
      assert.equal(
        spec,
        pinned.get(name),
        `${file} imports ${spec}; deno.json pins ${pinned.get(name)}`,
      );
    }
    assert.doesNotMatch(text, /from "(hono|yaml|bullmq|ioredis)"/, `${file} has a bare npm import`);
  }
  assert.ok(seen >= 4, `expected npm imports in the library, found ${seen}`);
});
