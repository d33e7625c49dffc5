/**
 * Text rendering of a scheduler's live state as a tree.
 *
 * @module
 */

import type { Emitter } from "../events/emitter.ts";
import { signature } from "../events/signature.ts";
import type { Scheduler } from "./scheduler.ts";
import type { AnyTask } from "./task.ts";
import { formatDuration } from "../units.ts";

interface Node {
  label: string;
  children?: Node[];
}

/**
 * Output is a stream beside the steps of a call, not one of them: its events
 * show once used, so the tree of a program that never prints reads as amltk's.
 */
const SHOWN_WHEN_USED = new Set(["future-output", "output"]);

function eventNodes(emitter: Emitter): Node[] {
  // `eventCounts` is a snapshot made on each read: read it once.
  const counts = emitter.eventCounts;
  return emitter.events.flatMap((event) => {
    const count = counts.get(event.name);
    if (
      SHOWN_WHEN_USED.has(event.name) && !count &&
      emitter.handlers(event).every((h) => h.hidden)
    ) return [];
    return {
      label: `@${event.name}${count ? ` ${count}` : ""}`,
      children: emitter.handlers(event)
        .filter((h) => !h.hidden)
        .map((h) => ({
          label: `${signature(h.callback as never, h.name)}${
            h.callCount ? ` (${h.callCount})` : ""
          } #${h.id}`,
        })),
    };
  });
}

function taskNode(task: AnyTask): Node {
  const details: Node[] = [];
  for (const plugin of task.plugins) {
    details.push({
      label: `plugin ${plugin.name}${plugin.describe ? `: ${plugin.describe()}` : ""}`,
    });
  }
  const { wallTime, cpuTime, memory } = task.limits;
  const limits = [
    wallTime !== undefined && `wallTime ${formatDuration(wallTime)}`,
    cpuTime !== undefined && `cpuTime ${formatDuration(cpuTime)}`,
    memory !== undefined && `memory ${Math.round(memory / 1024 ** 2)}MB`,
  ].filter(Boolean);
  if (limits.length) details.push({ label: `limits: ${limits.join(", ")}` });
  if (task.permissions !== undefined) {
    details.push({ label: `permissions: ${JSON.stringify(task.permissions)}` });
  }
  return {
    label: `Task ${signature(task.fn, task.name)} #${task.id} (${task.nRunning} running)`,
    children: [...details, ...eventNodes(task)],
  };
}

function drawTree(node: Node, prefix = "", isLast = true, isRoot = true): string[] {
  const lines = [isRoot ? node.label : `${prefix}${isLast ? "└─ " : "├─ "}${node.label}`];
  const childPrefix = isRoot ? "" : prefix + (isLast ? "   " : "│  ");
  const children = node.children ?? [];
  children.forEach((child, i) => {
    lines.push(...drawTree(child, childPrefix, i === children.length - 1, false));
  });
  return lines;
}

/** Renders `scheduler` as a tree: executor and workers, queue, events with callbacks, tasks. */
export function renderScheduler(scheduler: Scheduler): string {
  const info = scheduler.executor.info();
  const options = Object.entries(info.options).map(([k, v]) => `${k}: ${v}`).join(", ");
  const executor: Node = {
    label: `Executor ${info.kind}${options ? ` { ${options} }` : ""} — queued ${info.queued}`,
    children: info.workers.map((w) => ({
      label: `${w.id}${w.pid ? ` (pid ${w.pid})` : ""}: ${
        w.busy ? `busy, ${w.inFlight} in flight` : "idle"
      }`,
    })),
  };
  return drawTree({
    label: `Scheduler ${scheduler.name} — ${
      scheduler.running() ? "running" : "idle"
    }, ${scheduler.queueSize} in flight`,
    children: [executor, ...eventNodes(scheduler), ...scheduler.tasks.map(taskNode)],
  }).join("\n");
}
