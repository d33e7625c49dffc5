/**
 * What crosses a boundary: the public part of the error codec.
 *
 * @module
 */
export { registerErrors } from "./codec.ts";
