/**
 * The `deno run` command line of a pool subprocess: permission flags, V8
 * flags, and a `data:` main module that loads the subprocess runtime and the
 * modules holding `remote` functions.
 *
 * @module
 */

import { PERMISSION_KINDS, type Permissions, resolvePermissions } from "./limits.ts";
import { activeConfig } from "./deno_config.ts";

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
 * Whether a child started with these arguments may connect to a Unix socket
 * (Deno asks for net, read and write) without being given anything more. Not
 * in a compiled binary: its children hold the permissions it was compiled
 * with, whatever the flags say.
 */
export function mayConnectBack(args: readonly string[]): boolean {
  return !Deno.build.standalone &&
    ["--allow-net", "--allow-read", "--allow-write"].every((flag) => args.includes(flag));
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
