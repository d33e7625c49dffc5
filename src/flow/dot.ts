/**
 * Graphviz export of a flow: DOT text, a `.dot` file, and SVG/PNG through
 * Graphviz's `dot` program when it is installed.
 *
 * @module
 */

import { quote as quoteValue } from "../options.ts";
import { type Job, jobInternals } from "./job.ts";
import { Flow } from "./flow.ts";

/**
 * An output format of `dot -T…`: `"svg"`, `"png"`, `"pdf"`, or any other
 * format your Graphviz knows.
 *
 * @example
 * ```ts ignore
 * // needs Graphviz's `dot` on the PATH
 * import { Flow, type GraphicFormat, job } from "@baton/baton";
 * const flow = new Flow(job(() => 1));
 * await flow.exportAsGraphic("pipeline", "pdf" satisfies GraphicFormat);
 * ```
 * @category Flow
 */
export type GraphicFormat = "svg" | "png" | "pdf" | (string & Record<never, never>);

function quote(text: string): string {
  return `"${text.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`;
}

/**
 * asynciojobs' legend, made readable when every job is critical (the
 * default): critical jobs have a red border a little thicker than the thin
 * black one of non-critical jobs; forever jobs a dashed border; jobs round
 * corners, nested flows square ones.
 */
function style(job: Job): string[] {
  const styles = job instanceof Flow ? [] : ["rounded"];
  if (job.forever) styles.push("dashed");
  const attrs = styles.length ? [`style=${quote(styles.join(","))}`] : [];
  if (job.critical) attrs.push('color="#cc0000"', "penwidth=1.5");
  else attrs.push("color=black", "penwidth=0.5");
  return attrs;
}

function emit(flow: Flow, prefix: string, indent: string, lines: string[]): void {
  const ids = new Map<Job, string>();
  let i = 0;
  for (const job of flow) ids.set(job, `${prefix}${++i}`);
  for (const job of flow) {
    const id = ids.get(job)!;
    if (job instanceof Flow) {
      lines.push(`${indent}subgraph cluster_${id} {`);
      const inner = indent + "  ";
      lines.push(`${inner}label=${quote(job.label)};`);
      for (const attr of style(job)) lines.push(`${inner}${attr};`);
      // An invisible anchor, so that edges can reach the cluster even when it is empty.
      lines.push(`${inner}${id} [shape=point, style=invis, width=0, height=0, label=""];`);
      emit(job, `${id}_`, inner, lines);
      lines.push(`${indent}}`);
    } else {
      lines.push(`${indent}${id} [${[`label=${quote(job.label)}`, ...style(job)].join(", ")}];`);
    }
  }
  for (const job of flow) {
    for (const requirement of jobInternals.requirementList(job)) {
      const from = ids.get(requirement);
      if (from === undefined) continue;
      const to = ids.get(job)!;
      const attrs: string[] = [];
      if (requirement instanceof Flow) attrs.push(`ltail=cluster_${from}`);
      if (job instanceof Flow) attrs.push(`lhead=cluster_${to}`);
      lines.push(`${indent}${from} -> ${to}${attrs.length ? ` [${attrs.join(", ")}]` : ""};`);
    }
  }
}

/** The DOT text behind `flow.toDot()`. */
export function toDot(flow: Flow): string {
  const lines = [
    `digraph ${quote(flow.label)} {`,
    "  compound=true;",
    `  label=${quote(flow.label)};`,
    "  node [shape=box, fontname=Helvetica];",
  ];
  emit(flow, "j", "  ", lines);
  lines.push("}");
  return lines.join("\n") + "\n";
}

/** Behind `flow.exportAsDotfile(path)`: writes the DOT text, returns the path. */
export function exportAsDotfile(flow: Flow, path: string | URL): string {
  if (typeof path !== "string" && !(path instanceof URL)) {
    throw new TypeError(`exportAsDotfile() needs a file path, got ${quoteValue(path)}`);
  }
  Deno.writeTextFileSync(path, toDot(flow));
  return path instanceof URL ? path.pathname : path;
}

/** Behind `flow.exportAsGraphic(filename, format)`: `.dot` file, then `dot -T<format>`. */
export async function exportAsGraphic(
  flow: Flow,
  filename: string,
  format: GraphicFormat,
): Promise<string> {
  if (typeof filename !== "string" || filename === "") {
    throw new TypeError(`exportAsGraphic() needs a file name, got ${quoteValue(filename)}`);
  }
  if (typeof format !== "string" || !/^[a-z0-9_:-]+$/i.test(format)) {
    throw new TypeError(
      `exportAsGraphic() needs a format of dot -T such as "svg" or "png", got ${
        quoteValue(format)
      }`,
    );
  }
  const base = filename.endsWith(`.${format}`) ? filename.slice(0, -format.length - 1) : filename;
  const dotfile = exportAsDotfile(flow, `${base}.dot`);
  const output = `${base}.${format}`;
  let result: Deno.CommandOutput;
  try {
    result = await new Deno.Command("dot", {
      args: [`-T${format}`, dotfile, "-o", output],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new Error(
        `Graphviz's "dot" program is not installed (it comes with the graphviz package: ` +
          `apt-get install graphviz on Debian/Ubuntu, brew install graphviz on macOS); ` +
          `${dotfile} was written, render it wherever Graphviz is`,
      );
    }
    throw error;
  }
  if (!result.success) {
    const stderr = new TextDecoder().decode(result.stderr).trim();
    throw new Error(`dot -T${format} ${dotfile} failed (code ${result.code}): ${stderr}`);
  }
  return output;
}
