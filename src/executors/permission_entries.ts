/**
 * Checks one entry of a permission list the way Deno would, so that a bad
 * entry fails its task at `task()` instead of every worker it starts. A
 * comma is refused in every entry: a subprocess's `--allow-read=a,b` would
 * read it as two entries and widen the sandbox.
 *
 * @module
 */

import { quote } from "../options.ts";

/** The `sys` names Deno knows (Deno 2.9). */
const SYS_KINDS = new Set([
  "hostname",
  "osRelease",
  "osUptime",
  "loadavg",
  "networkInterfaces",
  "systemMemoryInfo",
  "uid",
  "gid",
  "cpus",
  "homedir",
  "getegid",
  "username",
  "statfs",
  "getPriority",
  "setPriority",
  "userInfo",
]);

const LABEL = /^[A-Za-z0-9_-]+$/;

/**
 * Throws a `TypeError` naming `entry` of permission `kind` when Deno would
 * refuse it (or when it holds a comma).
 */
export function checkPermissionEntry(kind: string, entry: string): void {
  const why = problem(kind, entry);
  if (why) {
    throw new TypeError(`Permission ${kind} entry ${quote(entry)} is not valid: ${why}`);
  }
}

function problem(kind: string, entry: string): string | undefined {
  if (entry === "") return "it is empty";
  if (entry.includes(",")) {
    return "it holds a comma, which Deno reads as a separator between entries " +
      "(it would widen the sandbox); move or rename that path";
  }
  if (entry.includes("\0")) return "it holds a NUL character";
  switch (kind) {
    case "net":
    case "import":
      return hostProblem(entry);
    case "env":
      return entry.includes("=") ? 'an environment variable name cannot hold "="' : undefined;
    case "sys":
      return SYS_KINDS.has(entry) ? undefined : `Deno knows these: ${[...SYS_KINDS].join(", ")}`;
    default:
      return undefined;
  }
}

/** A host the way `--allow-net` takes it: `host`, `host:port`, `*.domain`, `[ipv6]:port`. */
function hostProblem(entry: string): string | undefined {
  const usage = 'give a host like "example.com", "example.com:443", "*.example.com" or "[::1]:80"';
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(entry)) return `URLs are not supported; ${usage}`;
  let host = entry;
  let port: string | undefined;
  if (entry.startsWith("[")) {
    const match = /^\[([^\]]*)\](?::(.*))?$/.exec(entry);
    if (!match) return `an IPv6 address needs its closing "]"; ${usage}`;
    const [address, zone] = match[1].split("%", 2);
    try {
      new URL(`http://[${address}]/`);
      if (zone !== undefined && !/^[\w.-]+$/.test(zone)) throw new TypeError(zone);
    } catch {
      return `"${match[1]}" is not an IPv6 address`;
    }
    port = match[2];
  } else {
    const colons = entry.split(":").length - 1;
    if (colons > 1) return `an IPv6 address must be in square brackets; ${usage}`;
    if (colons === 1) [host, port] = entry.split(":");
    const labels = host.replace(/^\*\./, "").replace(/\.$/, "").split(".");
    if (!labels.every((label) => LABEL.test(label))) {
      return `"${host}" is not a host name or IP address; ${usage}`;
    }
  }
  if (port !== undefined && !(/^\d{1,5}$/.test(port) && Number(port) <= 65535)) {
    return `the port must be a number from 0 to 65535`;
  }
  return undefined;
}
