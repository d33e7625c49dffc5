/**
 * The README and the guide in docs/ point only at things that exist: every
 * relative link (and its #anchor) resolves, every `deno task X` they mention
 * is a task of deno.json, and the README's examples table lists exactly the
 * `example:*` tasks.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../", import.meta.url));

async function docFiles(): Promise<string[]> {
  const files = ["README.md"];
  for await (const entry of Deno.readDir(join(root, "docs"))) {
    if (entry.isFile && entry.name.endsWith(".md")) files.push(`docs/${entry.name}`);
  }
  return files.sort();
}

/** The text outside fenced code blocks, with line numbers kept (fenced lines become empty). */
function prose(text: string): string[] {
  let fence: string | undefined;
  return text.split("\n").map((line) => {
    const opener = /^\s*(`{3,}|~{3,})/.exec(line)?.[1];
    if (fence === undefined && opener) {
      fence = opener;
      return "";
    }
    if (fence !== undefined) {
      if (line.trim().startsWith(fence)) fence = undefined;
      return "";
    }
    return line;
  });
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, duplicates -1, -2. */
function anchors(text: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const line of prose(text)) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)?.[1];
    if (heading === undefined) continue;
    const plain = heading
      .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1") // links keep their text
      .replace(/`/g, "");
    const slug = plain.toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, "").replace(/\s/g, "-");
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    out.add(n === 0 ? slug : `${slug}-${n}`);
  }
  return out;
}

interface Link {
  file: string;
  line: number;
  target: string;
}

function links(file: string, text: string): Link[] {
  // Links inside inline code are not links; link text may wrap onto the next line.
  const body = prose(text).join("\n").replace(/`[^`\n]*`/g, "");
  const found: Link[] = [];
  for (const m of body.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
    const line = body.slice(0, m.index).split("\n").length;
    found.push({ file, line, target: m[1] });
  }
  return found;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

async function tasks(): Promise<Set<string>> {
  const config = JSON.parse(await Deno.readTextFile(join(root, "deno.json")));
  return new Set(Object.keys(config.tasks ?? {}));
}

Deno.test("docs: every relative link and anchor in README.md and docs/*.md resolves", async () => {
  const files = await docFiles();
  assert(files.length > 5, `expected the guide in docs/, found ${files.join(", ")}`);
  const texts = new Map<string, string>();
  for (const file of files) texts.set(file, await Deno.readTextFile(join(root, file)));

  const problems: string[] = [];
  let checked = 0;
  for (const [file, text] of texts) {
    const dir = file.includes("/") ? file.slice(0, file.lastIndexOf("/")) : "";
    for (const link of links(file, text)) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(link.target)) continue; // https:, mailto:, …
      checked++;
      const [pathPart, anchor] = link.target.split("#", 2) as [string, string | undefined];
      const relative = pathPart === "" ? file : join(dir, decodeURIComponent(pathPart));
      const where = `${link.file}:${link.line}: ${link.target}`;
      if (!(await exists(join(root, relative)))) {
        problems.push(`${where} — ${relative} does not exist`);
        continue;
      }
      if (anchor === undefined || !relative.endsWith(".md")) continue;
      const target = texts.get(relative) ?? await Deno.readTextFile(join(root, relative));
      const known = anchors(target);
      if (!known.has(anchor)) {
        problems.push(`${where} — ${relative} has no heading "#${anchor}"`);
      }
    }
  }
  assert(checked > 50, `only ${checked} relative links found: is the link pattern broken?`);
  assert.deepEqual(problems, [], `broken links:\n${problems.join("\n")}`);
});

Deno.test("docs: every `deno task X` they mention is a task of deno.json", async () => {
  const known = await tasks();
  const problems: string[] = [];
  let mentioned = 0;
  for (const file of await docFiles()) {
    const lines = (await Deno.readTextFile(join(root, file))).split("\n");
    lines.forEach((line, i) => {
      for (const m of line.matchAll(/deno task ([A-Za-z0-9][\w:.-]*)/g)) {
        if (line[m.index! + m[0].length] === "<") continue; // a placeholder: example:<name>
        const name = m[1].replace(/[.:]+$/, ""); // sentence punctuation after the name
        mentioned++;
        if (!known.has(name)) {
          problems.push(`${file}:${i + 1}: deno task ${name}`);
        }
      }
    });
  }
  assert(mentioned > 10, `only ${mentioned} task mentions found: is the pattern broken?`);
  assert.deepEqual(problems, [], `tasks not in deno.json:\n${problems.join("\n")}`);
});

Deno.test("docs: the README's examples table lists exactly the example:* tasks", async () => {
  const readme = await Deno.readTextFile(join(root, "README.md"));
  const section = readme.split(/^## /m).find((s) => s.startsWith("Examples\n"));
  assert(section, 'README.md has no "## Examples" section');
  const listed = [...section.matchAll(/^\|\s*`(example:[\w-]+)`/gm)].map((m) => m[1]).sort();
  const defined = [...await tasks()].filter((t) => t.startsWith("example:")).sort();
  assert.deepEqual(listed, defined);
});

Deno.test("docs: the anchor rule matches GitHub's on the headings the guide uses", () => {
  const text = [
    "# Title",
    "## `map` and `mapUnordered`",
    "## Events and the scheduler's run",
    "## Memory: all of it",
    "## Choices",
    "## Choices",
    "```yaml",
    "# yaml-language-server: not a heading",
    "```",
  ].join("\n");
  assert.deepEqual([...anchors(text)], [
    "title",
    "map-and-mapunordered",
    "events-and-the-schedulers-run",
    "memory-all-of-it",
    "choices",
    "choices-1",
  ]);
});
