/**
 * Layers only point down: `src/wire` (what crosses a boundary) at the
 * bottom, executors above it never reach into the scheduler, and no import
 * circle runs through the boundary.
 */
import assert from "node:assert/strict";

const ROOT = new URL("../", import.meta.url);

/** Relative imports of every .ts file under `dirs`, as repository paths. */
async function importGraph(dirs: string[]): Promise<Map<string, string[]>> {
  const graph = new Map<string, string[]>();
  const walk = async (dir: string) => {
    for await (const entry of Deno.readDir(new URL(dir, ROOT))) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory) await walk(path);
      else if (path.endsWith(".ts")) {
        // Code only: JSDoc examples import things too.
        const text = (await Deno.readTextFile(new URL(path, ROOT)))
          .replace(/\/\*[\s\S]*?\*\//g, "");
        const targets = [...text.matchAll(/(?:from|import)\s*\(?\s*"(\.{1,2}\/[^"]+)"/g)]
          .map(([, spec]) => new URL(spec, new URL(path, ROOT)).href.slice(ROOT.href.length));
        graph.set(path, targets);
      }
    }
  };
  for (const dir of dirs) await walk(dir);
  return graph;
}

const ROOT_UTILITIES = ["src/units.ts", "src/options.ts", "src/timers.ts", "src/similar.ts"];

Deno.test("src/wire imports nothing above it", async () => {
  for (const [file, targets] of await importGraph(["src/wire"])) {
    for (const target of targets) {
      assert.ok(
        target.startsWith("src/wire/") || ROOT_UTILITIES.includes(target),
        `${file} imports ${target}`,
      );
    }
  }
});

Deno.test("executors and the worker side import nothing from the scheduler and above", async () => {
  const above = /^src\/(scheduler|plugins|flow|monitor|cli)\/|^src\/comm\/(comm|mod)\.ts$/;
  for (const [file, targets] of await importGraph(["src/executors", "workers", "src/comm"])) {
    if (file === "src/comm/comm.ts" || file === "src/comm/mod.ts") continue;
    for (const target of targets) assert.doesNotMatch(target, above, `${file} imports ${target}`);
  }
});

Deno.test("no import circle runs through the boundary (wire, executors, comm channel, workers)", async () => {
  const graph = await importGraph(["src", "workers"]);
  const boundary = (file: string) =>
    /^src\/(wire|executors)\//.test(file) || file === "src/comm/channel.ts" ||
    file.startsWith("workers/");
  for (const start of [...graph.keys()].filter(boundary)) {
    // Depth-first from `start`: reaching it again is a circle.
    const stack = [...(graph.get(start) ?? [])];
    const seen = new Set<string>();
    while (stack.length > 0) {
      const file = stack.pop()!;
      assert.notEqual(file, start, `${start} is on an import circle`);
      if (seen.has(file)) continue;
      seen.add(file);
      stack.push(...(graph.get(file) ?? []));
    }
  }
});
