/**
 * Command-line arguments, parsed with `node:util`'s `parseArgs` (built into
 * Deno: no dependency, strict about unknown options), and the help texts.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { parseDuration } from "../units.ts";
import { UsageError } from "./errors.ts";
import { didYouMean } from "../similar.ts";
import { type ExecutorKind, EXECUTORS } from "./workflow/types.ts";

/** The commands `baton` knows, with one line each. */
export const COMMANDS: Record<string, string> = {
  run: "run a workflow file with a live progress view",
  validate: "check a workflow file (and the files it nests) without running it",
  list: "print the flow's listing without running it",
  dot: "print the flow as Graphviz DOT on stdout",
  runs: "list the runs recorded in the run store (.baton)",
  show: "print a recorded run: its listing, why it ended, its failures",
  logs: "print (or follow) the logs of a recorded run's jobs",
  serve: "serve the monitor over the runs recorded in a run store",
  worker: "serve jobs of a distributed executor (Redis)",
};

/** `baton --help`. */
export const MAIN_HELP = `baton — run workflow files of jobs

Usage: baton <command> [options]

Commands:
${Object.entries(COMMANDS).map(([n, d]) => `  ${n.padEnd(10)} ${d}`).join("\n")}

Options:
  -h, --help     show help (also after a command: baton run --help)
  -V, --version  show the version

Exit codes: 0 the flow succeeded, 1 it failed, 2 bad file or arguments, 130 Ctrl-C.
`;

const STORE_OPTION = `      --store PATH       the run store directory (default: ./.baton)`;

/** Help of each command. */
export const HELP: Record<string, string> = {
  run: `Usage: baton run FILE.yaml [options]

Runs the workflow: commands, module functions and nested flows, in
dependency order, with the file's window and timeout.

Options:
  -w, --workers N        workers or processes in the pool (default: CPUs, 1 to 4)
  -e, --executor KIND    where module jobs run: workers, processes, sequential
                         (default: the file's executor, else workers)
  -m, --monitor PORT     serve the live monitor on 127.0.0.1:PORT (0: any free port);
                         it keeps serving the finished run until Ctrl-C
      --monitor-exit     with --monitor: stop serving when the run ends
      --json             one JSON event per line on stdout, for other programs
  -t, --timeout D        fail the run after D (e.g. 90s, 5m); overrides the file's
  -r, --resume [RUN]     resume run RUN (default: the latest run of this file):
                         jobs that succeeded there with an unchanged definition
                         and inputs are skipped, their results reused
      --no-cache         run cache: true jobs even when a stored success matches
      --store PATH       the run store directory (default: .baton beside FILE)
  -h, --help             show this help

Every run is recorded in the run store: jobs, results, a timeline, and each
job's output in .baton/logs/RUN/JOB.log (see baton runs, show, logs). Job
output is also shown, each line prefixed by the job id ("train | ..."; "!"
for stderr). On a terminal the progress view is redrawn in place below it;
otherwise (CI, pipes) each event is one timestamped line. Ctrl-C stops
gracefully (running jobs are cancelled, processes killed, a final listing
printed); a second Ctrl-C exits at once.

Exit codes: 0 the flow succeeded, 1 it failed, 2 bad file or arguments, 130 Ctrl-C.
`,
  validate: `Usage: baton validate FILE.yaml

Checks the file and the files it nests: YAML, the schema, job kinds,
requirements, cycles, durations and sizes, modules and their exports (modules
are imported, so their top-level code runs). Prints "ok" and exits 0, or
prints every problem as FILE:LINE:COL: message and exits 2.
`,
  list: `Usage: baton list FILE.yaml

Prints the flow's listing (jobs in dependency order, nested flows indented)
without running anything. Exits 2 when the file is invalid.
`,
  dot: `Usage: baton dot FILE.yaml

Prints the flow as Graphviz DOT on stdout: baton dot flow.yaml | dot -Tsvg > flow.svg
Exits 2 when the file is invalid.
`,
  runs: `Usage: baton runs [--store PATH]

Lists the recorded runs, newest first: id, workflow, start, duration, state,
and job counts. The id names the run in baton show, baton logs and
baton run --resume.

Options:
${STORE_OPTION}
      --json             one JSON object per run on stdout
`,
  show: `Usage: baton show RUN [--store PATH]

Prints a recorded run (RUN: its id, or latest): workflow, timing, why it
ended, the listing of its jobs, and each failed job's error.

Options:
${STORE_OPTION}
`,
  logs: `Usage: baton logs RUN [JOB] [--follow] [--store PATH]

Prints what JOB wrote in run RUN (RUN: its id, or latest). Without JOB,
prints every job's output, each line prefixed by the job id. --follow keeps
printing as the run writes more, until it ends.

Options:
  -f, --follow           keep printing new output until the run ends
${STORE_OPTION}
`,
  serve: `Usage: baton serve [STORE] [--port N]

Serves the monitor over the runs recorded in STORE (default: ./.baton): each
run with its jobs, timeline, errors and logs. Runs still going in another
process show their progress as the page polls. Prints the URL; Ctrl-C stops.

Options:
  -p, --port N           port on 127.0.0.1 (default 0: any free port)
      --hostname H       listen elsewhere than loopback (needs --token)
      --token T          require this token (Authorization: Bearer T)
`,
};

/** Options of \`baton run\`. */
export interface RunArgs {
  /** The workflow file. */
  file: string;
  /** Pool size. */
  workers: number;
  /** Overrides the file's executor. */
  executor?: ExecutorKind;
  /** Port of the monitor, when asked for. */
  monitor?: number;
  /** `--monitor-exit`: the monitor ends with the run instead of serving it until Ctrl-C. */
  monitorExit: boolean;
  /** One JSON event per line. */
  json: boolean;
  /** Overrides the file's timeout, in ms. */
  timeout?: number;
  /** `--resume`: `true` for the latest run of the file, or a run id. */
  resume?: true | string;
  /** `false` with `--no-cache`. */
  cache: boolean;
  /** `--store PATH`. */
  store?: string;
  /** `--help` was given. */
  help: boolean;
}

/** A run id as given on the command line: digits, or `latest`. */
const RUN_ID = /^(\d+|latest)$/;

/** Takes `--resume [RUN]` out of `args` (RUN is optional, so parseArgs cannot). */
function takeResume(args: string[]): { rest: string[]; resume?: true | string } {
  const rest: string[] = [];
  let resume: true | string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--") {
      rest.push(...args.slice(i));
      break;
    }
    if (arg === "--resume" || arg === "-r") {
      const next = args[i + 1];
      if (next !== undefined && RUN_ID.test(next)) {
        resume = next;
        i++;
      } else resume = true;
    } else if (arg.startsWith("--resume=")) {
      const value = arg.slice("--resume=".length);
      if (!RUN_ID.test(value)) {
        throw new UsageError(
          `--resume takes a run id (a number from baton runs, or latest), got ${
            JSON.stringify(value)
          }`,
        );
      }
      resume = value;
    } else rest.push(arg);
  }
  return { rest, resume };
}

type OptionSpec = Record<string, { type: "string" | "boolean"; short?: string }>;

function parse(command: string, args: string[], options: OptionSpec) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    const message = (error as Error).message;
    const unknown = /Unknown option '(-{1,2}[^']+)'/.exec(message)?.[1];
    const names = Object.keys(options).map((n) => `--${n}`);
    if (unknown) {
      throw new UsageError(
        `baton ${command}: unknown option ${unknown}${didYouMean(unknown, names)}; ` +
          `accepted: ${names.join(", ")}`,
      );
    }
    throw new UsageError(`baton ${command}: ${message.replace(/\. To specify.*$/, "")}`);
  }
}

function oneFile(command: string, positionals: string[]): string {
  if (positionals.length !== 1) {
    throw new UsageError(
      `baton ${command} needs exactly one workflow file, got ${
        positionals.length === 0 ? "none" : positionals.map((p) => JSON.stringify(p)).join(" ")
      }; usage: baton ${command} FILE.yaml`,
    );
  }
  return positionals[0];
}

/** The default pool size: the CPUs, between 1 and 4. */
export function defaultWorkers(): number {
  return Math.max(1, Math.min(4, navigator.hardwareConcurrency || 1));
}

/**
 * Parses the arguments of `baton run`.
 *
 * @throws {UsageError} naming the bad option or value and what is accepted.
 */
export function parseRunArgs(args: string[]): RunArgs {
  const { rest, resume } = takeResume(args);
  const parsed = parse("run", rest, {
    workers: { type: "string", short: "w" },
    executor: { type: "string", short: "e" },
    monitor: { type: "string", short: "m" },
    "monitor-exit": { type: "boolean" },
    json: { type: "boolean" },
    timeout: { type: "string", short: "t" },
    resume: { type: "boolean", short: "r" },
    "no-cache": { type: "boolean" },
    store: { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  const positionals = parsed.positionals;
  const values = parsed.values as {
    workers?: string;
    executor?: string;
    monitor?: string;
    "monitor-exit"?: boolean;
    json?: boolean;
    timeout?: string;
    "no-cache"?: boolean;
    store?: string;
    help?: boolean;
  };
  if (values.help) {
    return { file: "", workers: 0, json: false, cache: true, monitorExit: false, help: true };
  }
  const file = oneFile("run", positionals);
  let workers = defaultWorkers();
  if (values.workers !== undefined) {
    workers = Number(values.workers);
    if (!/^\d+$/.test(values.workers) || workers < 1) {
      throw new UsageError(
        `--workers must be a positive integer, got ${JSON.stringify(values.workers)}`,
      );
    }
  }
  const executor = values.executor as ExecutorKind | undefined;
  if (executor !== undefined && !(EXECUTORS as readonly string[]).includes(executor)) {
    throw new UsageError(
      `--executor must be one of ${EXECUTORS.join(", ")}, got ${JSON.stringify(executor)}${
        didYouMean(executor, EXECUTORS)
      }`,
    );
  }
  let monitor: number | undefined;
  if (values.monitor !== undefined) {
    monitor = Number(values.monitor);
    if (!/^\d+$/.test(values.monitor) || monitor > 65535) {
      throw new UsageError(
        `--monitor must be a port number from 0 to 65535 (0: any free port), got ${
          JSON.stringify(values.monitor)
        }`,
      );
    }
  }
  const monitorExit = values["monitor-exit"] ?? false;
  if (monitorExit && monitor === undefined) {
    throw new UsageError("--monitor-exit goes with --monitor PORT (it says when the monitor ends)");
  }
  let timeout: number | undefined;
  if (values.timeout !== undefined) {
    try {
      timeout = parseDuration(values.timeout);
    } catch (error) {
      throw new UsageError(`--timeout: ${(error as Error).message}`);
    }
  }
  return {
    file,
    workers,
    executor,
    monitor,
    monitorExit,
    json: values.json ?? false,
    timeout,
    resume,
    cache: !values["no-cache"],
    store: values.store,
    help: false,
  };
}

/** Options of `baton runs`, `show` and `logs`. */
export interface StoreArgs {
  /** RUN and JOB, as given. */
  positionals: string[];
  /** `--store PATH`, else `.baton`. */
  store: string;
  /** `--follow` (logs). */
  follow: boolean;
  /** `--json` (runs). */
  json: boolean;
  /** `--help` was given. */
  help: boolean;
}

/**
 * Parses the arguments of `runs`, `show` and `logs`.
 *
 * @throws {UsageError} on unknown options, or a wrong number of RUN/JOB arguments.
 */
export function parseStoreArgs(command: "runs" | "show" | "logs", args: string[]): StoreArgs {
  const options: OptionSpec = {
    store: { type: "string" },
    help: { type: "boolean", short: "h" },
  };
  if (command === "logs") options.follow = { type: "boolean", short: "f" };
  if (command === "runs") options.json = { type: "boolean" };
  const { values, positionals } = parse(command, args, options);
  const v = values as { store?: string; follow?: boolean; json?: boolean; help?: boolean };
  const result = {
    positionals,
    store: v.store ?? ".baton",
    follow: v.follow ?? false,
    json: v.json ?? false,
    help: v.help ?? false,
  };
  if (result.help) return result;
  const [min, max, usage] = command === "runs"
    ? [0, 0, "baton runs [--store PATH]"]
    : command === "show"
    ? [1, 1, "baton show RUN [--store PATH]"]
    : [1, 2, "baton logs RUN [JOB] [--follow] [--store PATH]"];
  if (positionals.length < min || positionals.length > max) {
    throw new UsageError(
      `baton ${command} ${
        positionals.length < min
          ? "needs a run id"
          : `got too many arguments: ${positionals.join(" ")}`
      }; usage: ${usage}`,
    );
  }
  if (positionals[0] !== undefined && !RUN_ID.test(positionals[0])) {
    throw new UsageError(
      `baton ${command}: RUN must be a run id (a number from baton runs, or latest), got ${
        JSON.stringify(positionals[0])
      }`,
    );
  }
  return result;
}

/**
 * Parses the arguments of `validate`, `list` and `dot`: one file, `--help`.
 *
 * @throws {UsageError} on anything else.
 */
export function parseFileArgs(command: string, args: string[]): { file: string; help: boolean } {
  const { values, positionals } = parse(command, args, { help: { type: "boolean", short: "h" } });
  if (values.help) return { file: "", help: true };
  return { file: oneFile(command, positionals), help: false };
}
