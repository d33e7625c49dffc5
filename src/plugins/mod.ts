/**
 * Task plugins.
 *
 * @module
 */
export type { Plugin } from "./plugin.ts";
