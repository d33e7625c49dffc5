/**
 * Graphviz DOT export of a flow.
 *
 * @module
 */

import type { Job } from "./job.ts";
import { Flow } from "./flow.ts";

function quote(text: string): string {
  return `"${text.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`;
}

/** Critical: red and thick; forever: dashed (asynciojobs' legend). */
function style(job: Job, base: string): string[] {
  const attrs = [`style=${quote(job.forever ? `${base},dashed` : base)}`];
  if (job.critical) attrs.push("color=red", "penwidth=3");
  return attrs;
}

function emit(flow: Flow, prefix: string, indent: string, lines: string[]): void {
  const ids = new Map<Job, string>();
  flow.jobs.forEach((job, i) => ids.set(job, `${prefix}${i + 1}`));
  for (const job of flow.jobs) {
    const id = ids.get(job)!;
    if (job instanceof Flow) {
      lines.push(`${indent}subgraph cluster_${id} {`);
      const inner = indent + "  ";
      lines.push(`${inner}label=${quote(job.label)};`);
      for (const attr of style(job, "rounded")) lines.push(`${inner}${attr};`);
      // An invisible anchor, so that edges can reach the cluster even when it is empty.
      lines.push(`${inner}${id} [shape=point, style=invis, width=0, height=0, label=""];`);
      emit(job, `${id}_`, inner, lines);
      lines.push(`${indent}}`);
    } else {
      lines.push(
        `${indent}${id} [${[`label=${quote(job.label)}`, ...style(job, "rounded")].join(", ")}];`,
      );
    }
  }
  for (const job of flow.jobs) {
    for (const requirement of job.requirements) {
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
