/**
 * `baton serve [STORE]`: the monitor over past runs of a run store, for a
 * look after the fact — runs, their jobs, timelines, errors and logs.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { RunStore } from "../store/run_store.ts";
import { serveMonitor } from "../monitor/mod.ts";
import { storeRunSource } from "../monitor/store_source.ts";
import { HELP } from "./args.ts";
import { EXIT, UsageError } from "./errors.ts";
import { err, out } from "./io.ts";
import { didYouMean } from "../similar.ts";
import { untilInterrupted } from "./monitor_hook.ts";

const OPTIONS = ["port", "hostname", "token", "help"];

/**
 * Serves the run store at `STORE` (default `./.baton`) until Ctrl-C or
 * SIGTERM, printing the URL first; resolves with the exit code.
 *
 * @example
 * ```ts ignore
 * // serves until Ctrl-C
 * import { serveCommand } from "./serve_command.ts";
 * Deno.exit(await serveCommand([".baton", "--port", "8080"]));
 * ```
 */
export async function serveCommand(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: {
        port: { type: "string", short: "p" },
        hostname: { type: "string" },
        token: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    const unknown = /'(-{1,2}[^']+)'/.exec((error as Error).message)?.[1] ?? "";
    throw new UsageError(
      `serve: ${(error as Error).message}${
        didYouMean(unknown.replace(/^-+/, ""), OPTIONS)
      }; usage: baton serve [STORE] [--port N]`,
    );
  }
  const { values, positionals } = parsed;
  if (values.help) {
    out(HELP.serve);
    return EXIT.ok;
  }
  if (positionals.length > 1) {
    throw new UsageError(
      `serve takes one store directory, got ${positionals.length}: ${positionals.join(" ")}`,
    );
  }
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new UsageError(
      `--port must be an integer from 0 to 65535 (0: any free port), got ${
        JSON.stringify(values.port)
      }`,
    );
  }
  const store = RunStore.open(positionals[0] ?? ".baton", { create: false });
  try {
    const server = serveMonitor([], {
      runs: storeRunSource(store),
      port,
      ...(values.hostname === undefined ? {} : { hostname: values.hostname }),
      ...(values.token === undefined ? {} : { token: values.token }),
    });
    out(`monitor: ${server.url} (past runs of ${store.path}) — Ctrl-C to exit\n`);
    await untilInterrupted();
    await server.shutdown();
  } catch (error) {
    if (error instanceof TypeError) throw new UsageError(`serve: ${error.message}`);
    throw error;
  } finally {
    store.close();
  }
  err("baton serve: stopped\n");
  return EXIT.ok;
}
