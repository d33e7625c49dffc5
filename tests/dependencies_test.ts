import assert from "node:assert/strict";

const ROOT = new URL("../", import.meta.url);

/**
 * npm packages loaded only when used, and where they may be named: the
 * Redis pair only in the module that `loadDeps` imports by a computed URL
 * (and the heartbeat worker it starts), test-only ones only in tests/bench.
 * None is in deno.json's import map, so nothing resolves them up front.
 */
const OPTIONAL: Record<string, { spec: string; allowed: RegExp }> = {
  bullmq: {
    spec: "npm:bullmq@5.81.5",
    allowed: /^(src\/executors\/redis\/npm\.ts|tests\/|bench\/)/,
  },
  ioredis: {
    spec: "npm:ioredis@5.11.1",
    allowed: /^(src\/executors\/redis\/npm\.ts|workers\/redis_heartbeat\.ts|tests\/|bench\/)/,
  },
  "playwright-core": { spec: "npm:playwright-core@1.65.1", allowed: /^tests\// },
};
const LAZY = Object.keys(OPTIONAL);

async function config(): Promise<
  { imports: Record<string, string>; tasks: Record<string, string> }
> {
  return JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT)));
}

async function sources(dirs: string[]): Promise<string[]> {
  const files = ["cli.ts", "mod.ts"];
  const walk = async (dir: string) => {
    for await (const entry of Deno.readDir(new URL(dir, ROOT))) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory) await walk(path);
      else if (path.endsWith(".ts")) files.push(path);
    }
  };
  for (const dir of dirs) await walk(dir);
  return files;
}

// Library code names its npm packages in full (`npm:hono@4.13.19`), so it
// loads under any config — a user's project, or a subprocess started from a
// data: URL. This keeps those versions the ones deno.json (or OPTIONAL) pins.
Deno.test("npm versions everywhere match deno.json's imports or the optional pins", async () => {
  const { imports } = await config();
  const pinned = new Map<string, string>(
    Object.values(imports).map((spec) => [spec.replace(/^npm:/, "").replace(/@[^@/]+$/, ""), spec]),
  );
  for (const name of LAZY) {
    assert.ok(
      !pinned.has(name),
      `${name} must not be in deno.json's imports: it would be resolved up front`,
    );
    pinned.set(name, OPTIONAL[name].spec);
  }
  const used = new Set<string>();
  for (const file of await sources(["src", "workers", "tests", "bench", "examples"])) {
    const text = await Deno.readTextFile(new URL(file, ROOT));
    for (const [, spec, name] of text.matchAll(/"(npm:(@?[^@"]+)@[^"/]+)"/g)) {
      if (file === "tests/dependencies_test.ts") continue;
      used.add(name);
      assert.equal(spec, pinned.get(name), `${file} imports ${spec}; pinned: ${pinned.get(name)}`);
      if (OPTIONAL[name]) {
        assert.match(
          file,
          OPTIONAL[name].allowed,
          `${file} names ${name}, which loads only when used`,
        );
      }
    }
    // Tests and bench may use the import map; the library, loaded under any config, may not.
    const library = !/^(tests|bench|examples)\//.test(file);
    const bare = library
      ? /from "(hono|yaml|bullmq|ioredis|playwright-core)"/
      : /from "(bullmq|ioredis|playwright-core)"|import\("(bullmq|ioredis|playwright-core)"\)/;
    assert.doesNotMatch(text, bare, `${file} has a bare npm import`);
  }
  for (const name of pinned.keys()) {
    assert.ok(used.has(name), `${name} is pinned but never imported`);
  }
});

// `deno task` first installs every package in deno.lock, used or not
// (denoland/deno#28999), so the root lock holds only the core's packages and
// tests/deno.lock (passed by --lock to tests, check, bench, compile and the
// Redis example) holds the rest too. Running a Redis test without that flag
// adds bullmq back to deno.lock: this test then fails.
Deno.test("deno.lock pins only the core's packages; tests/deno.lock pins all", async () => {
  const { imports } = await config();
  const read = async (path: string) =>
    JSON.parse(await Deno.readTextFile(new URL(path, ROOT))) as {
      specifiers: Record<string, string>;
      npm: Record<string, unknown>;
    };
  const root = await read("deno.lock");
  assert.deepEqual(Object.keys(root.specifiers).sort(), Object.values(imports).sort());
  for (const name of [...LAZY, "msgpackr"]) {
    const found = Object.keys(root.npm).filter((p) => p.startsWith(`${name}@`));
    assert.deepEqual(
      found,
      [],
      `deno.lock has ${name}: something ran without --lock=tests/deno.lock (deno task test ` +
        `must pass it); restore it with git checkout deno.lock`,
    );
  }
  const full = await read("tests/deno.lock");
  for (const spec of [...Object.values(imports), ...LAZY.map((name) => OPTIONAL[name].spec)]) {
    assert.ok(spec in full.specifiers, `tests/deno.lock lacks ${spec}`);
  }
});

/** The npm packages in `deno info --json` of `entry`, run from a directory with no deno.json. */
async function graphPackages(entry: string, dir: string): Promise<string[]> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", "--no-lock", entry],
    cwd: dir,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  const info = JSON.parse(new TextDecoder().decode(out.stdout));
  const specifiers = (info.modules as { dependencies?: { specifier: string }[] }[])
    .flatMap((m) => (m.dependencies ?? []).map((d) => d.specifier))
    .filter((s) => s.startsWith("npm:"));
  return [...Object.keys(info.npmPackages ?? {}), ...specifiers];
}

Deno.test("a project importing baton's entries never resolves bullmq, ioredis or playwright", async () => {
  const dir = await Deno.makeTempDir({ prefix: "baton-consumer-" });
  try {
    // Every entry deno.json exports (".", "./cli", and any other).
    const { exports } = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT)));
    const entries = Object.values(exports as Record<string, string>);
    assert.ok(entries.includes("./mod.ts") && entries.includes("./cli.ts"), `${entries}`);
    await Deno.writeTextFile(
      `${dir}/main.ts`,
      entries.map((entry) => `import "${new URL(entry, ROOT).href}";\n`).join(""),
    );
    const packages = await graphPackages("main.ts", dir);
    // The graph is read: hono (the monitor) is a declared, always-loaded dependency.
    assert.ok(packages.some((p) => p.startsWith("hono@")), `no hono in ${packages}`);
    for (const name of [...LAZY, "msgpackr"]) {
      const found = packages.filter((p) => p.replace(/^npm:/, "").startsWith(`${name}@`));
      assert.deepEqual(found, [], `the module graph of ${entries} has ${name}`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

async function copyTree(from: URL, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const entry of Deno.readDir(from)) {
    if (entry.isDirectory) await copyTree(new URL(`${entry.name}/`, from), `${to}/${entry.name}`);
    else await Deno.copyFile(new URL(entry.name, from), `${to}/${entry.name}`);
  }
}

// What a newcomer's `deno task demo` in a fresh clone installs into node_modules.
Deno.test("deno task demo installs only hono and yaml, without a build-script warning", async () => {
  const dir = await Deno.makeTempDir({ prefix: "baton-demo-" });
  try {
    for (const file of ["deno.json", "deno.lock", "package.json", "mod.ts", "cli.ts"]) {
      await Deno.copyFile(new URL(file, ROOT), `${dir}/${file}`);
    }
    for (const sub of ["src", "workers", "examples", "schema"]) {
      await copyTree(new URL(`${sub}/`, ROOT), `${dir}/${sub}`);
    }
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["task", "demo"],
      cwd: dir,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, stderr);
    assert.match(new TextDecoder().decode(out.stdout), /\[12, 6, 3, 10, 5, 16, 8, 4, 2, 1\]/);
    assert.doesNotMatch(stderr, /build script|lifecycle script|approve-scripts/i);
    const installed: string[] = [];
    for await (const entry of Deno.readDir(`${dir}/node_modules/.deno`)) {
      // Also there: the copy's own package.json, as `<directory name>@0.0.0`.
      if (entry.name.includes("@") && !entry.name.startsWith("baton-demo-")) {
        installed.push(entry.name);
      }
    }
    assert.deepEqual(installed.sort(), ["hono@4.13.19", "yaml@2.9.1"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
