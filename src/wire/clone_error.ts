/**
 * The error for a call whose arguments cannot cross to where it runs.
 *
 * @module
 */

/**
 * Names the argument of `fnName` that `encode` refuses, for the error of a
 * call that could not be sent `where` (e.g. "to a worker", "through Redis").
 */
export function explainCloneError(
  error: unknown,
  fnName: string,
  args: readonly unknown[],
  where: string,
  encode: (value: unknown) => unknown = structuredClone,
): Error {
  let which = "an argument";
  for (const [index, arg] of args.entries()) {
    try {
      encode(arg);
    } catch {
      which = `argument ${index} (${Object.prototype.toString.call(arg)})`;
      break;
    }
  }
  return new DOMException(
    `${which} of ${fnName || "the function"} cannot be sent ${where}: ${
      (error as Error)?.message ?? error
    }. Only structured-cloneable values (no functions; class instances lose their methods) can cross.`,
    "DataCloneError",
  );
}
