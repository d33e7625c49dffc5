/**
 * Path helpers (node:path, so no extra dependency).
 *
 * @module
 */

import { dirname, isAbsolute, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export { dirname, isAbsolute, resolve };

/** A `file:` URL for an absolute path. */
export function toFileUrl(path: string): URL {
  return pathToFileURL(path);
}

/** The path of a `file:` URL. */
export function fromFileUrl(url: string | URL): string {
  return fileURLToPath(url);
}
