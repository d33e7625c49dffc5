/**
 * The `deno run` command line of a pool subprocess: permission flags, V8
 * flags, and a `data:` main module that loads the subprocess runtime and the
 * modules holding `remote` functions.
 *
 * @module
 */

import { PERMISSION_KINDS, type Permissions, resolvePermissions } from "./limits.ts";
import { activeConfig } from "./deno_config.ts";
import { resolve } from "node:path";
import { REVOKE_ARG, SOCKET_ARG } from "../wire/framing.ts";

function configFlags(): string[] {
  const config = activeConfig();
  return config ? [`--config=${config}`] : [];
}

const ENTRY = new URL("../../workers/subprocess.ts", import.meta.url).href;
/** The registry `remote()` fills (see remote.ts): "moduleUrl#name" → function. */
const REGISTRY_KEY = Symbol.for("baton.remote.registry");

/**
 * `--allow-*` flags for `permissions`; a kind not allowed is denied, since
 * the child always runs with `--no-prompt`. `undefined`/`"inherit"` give the
 * child each kind this process holds in full (lists granted to this process
 * cannot be read back, so a kind granted only for some paths is not passed).
 */
export function permissionFlags(permissions: Permissions | undefined): string[] {
  const resolved = resolvePermissions(permissions);
  const flags = ["--no-prompt"];
  for (const kind of PERMISSION_KINDS) {
    const value = resolved ? resolved[kind] : inherited(kind);
    if (value === true) flags.push(`--allow-${kind}`);
    else if (Array.isArray(value) && value.length > 0) {
      // resolvePermissions refused commas; never let one through to widen the list.
      if (value.some((entry) => entry.includes(","))) {
        throw new TypeError(`A ${kind} permission entry holds a comma: ${JSON.stringify(value)}`);
      }
      flags.push(`--allow-${kind}=${value.join(",")}`);
    }
  }
  return flags;
}

function inherited(kind: (typeof PERMISSION_KINDS)[number]): boolean {
  try {
    return Deno.permissions.querySync({ name: kind } as Deno.PermissionDescriptor).state ===
      "granted";
  } catch {
    return false;
  }
}

/**
 * The arguments of a child that reads its frames from the Unix socket at
 * `path` (see `openSocket` in process_transport.ts): Deno asks for net, read
 * and write to connect, so a kind the child does not hold for that path is
 * granted for it alone, and the child revokes it once connected (before any
 * call runs). `undefined` in a compiled binary, whose children hold the
 * permissions it was compiled with whatever the flags say.
 */
export function connectBackArgs(args: readonly string[], path: string): string[] | undefined {
  if (Deno.build.standalone || path.includes(",")) return undefined;
  const out = [...args];
  const main = out.findIndex((arg) => arg.startsWith("data:"));
  if (main < 0) return undefined;
  const revoke: string[] = [];
  for (const [kind, value] of [["net", `unix:${path}`], ["read", path], ["write", path]]) {
    const flag = `--allow-${kind}`;
    if (out.includes(flag)) continue;
    const at = out.findIndex((arg) => arg.startsWith(`${flag}=`));
    if (at < 0) out.splice(main, 0, `${flag}=${value}`);
    else {
      // Already granted by an entry of the child's own: revoking would take that entry away.
      if (out[at].slice(flag.length + 1).split(",").some((entry) => covers(entry, value))) continue;
      out[at] = `${out[at]},${value}`;
    }
    revoke.push(kind);
  }
  out.push(`${SOCKET_ARG}${path}`);
  if (revoke.length > 0) out.push(`${REVOKE_ARG}${revoke.join(",")}`);
  return out;
}

/** Whether a permission entry may cover `value` (a path, or `unix:` and a path): then leave it be. */
function covers(entry: string, value: string): boolean {
  const unix = value.startsWith("unix:");
  if (unix !== entry.startsWith("unix:")) return false;
  const dir = unix ? entry.slice(5) : resolve(entry);
  const path = unix ? value.slice(5) : value;
  return path === dir || path.startsWith(dir.endsWith("/") ? dir : `${dir}/`);
}

/** The module URLs that hold `remote` functions known in this process. */
export function remoteModules(): string[] {
  const registry = (globalThis as unknown as Record<symbol, Map<string, unknown> | undefined>)[
    REGISTRY_KEY
  ];
  const urls = new Set<string>();
  for (const key of registry?.keys() ?? []) urls.add(key.slice(0, key.lastIndexOf("#")));
  return [...urls];
}

/**
 * A `data:` main module. Modules statically imported by the main module load
 * without read permission, which a dynamic `import()` of a file would need:
 * so the child can import `remote` modules while task code reads nothing it
 * was not given.
 */
export function entryModule(modules: readonly string[]): string {
  const source = [
    `import { ready } from ${JSON.stringify(ENTRY)};`,
    ...modules.map((url) => `import ${JSON.stringify(url)};`),
    "ready();",
  ].join("\n");
  return `data:application/javascript,${encodeURIComponent(source)}`;
}

/** The whole `deno` argument list of one subprocess. */
export function denoArgs(options: {
  poolId: string;
  permissions: Permissions | undefined;
  heapMegabytes?: number;
  v8Flags: readonly string[];
}): string[] {
  const v8 = [...options.v8Flags];
  if (options.heapMegabytes !== undefined) v8.push(`--max-old-space-size=${options.heapMegabytes}`);
  return [
    "run",
    ...permissionFlags(options.permissions),
    // N children must not race to rewrite the project's lock file.
    "--no-lock",
    // The same import map as this process, so bare specifiers resolve alike.
    ...configFlags(),
    ...(v8.length ? [`--v8-flags=${v8.join(",")}`] : []),
    entryModule(remoteModules()),
    `--baton-pool=${options.poolId}`,
  ];
}
