/**
 * The token check of the monitor's protected routes: `Authorization: Bearer
 * <token>`, compared in constant time.
 *
 * @module
 */

// deno-lint-ignore no-import-prefix
import type { MiddlewareHandler } from "npm:hono@4.13.19";

/**
 * Requires the bearer token; `allowQuery` also accepts `?token=` on GET
 * (how the dashboard passes it to its own reads and event stream). Actions
 * take the header only, which a cross-site form cannot send.
 */
export function bearer(token: string, allowQuery: boolean): MiddlewareHandler {
  return async (c, next) => {
    const header = c.req.header("Authorization");
    let given: string | undefined;
    if (header !== undefined) {
      const match = /^Bearer\s+(.+)$/i.exec(header.trim());
      given = match?.[1];
    } else if (allowQuery && c.req.method === "GET") {
      given = c.req.query("token");
    }
    if (given === undefined || !sameSecret(given, token)) {
      c.header("WWW-Authenticate", 'Bearer realm="baton monitor"');
      return c.json(
        {
          error: given === undefined
            ? "missing token: send Authorization: Bearer <token>"
            : "wrong token",
        },
        401,
      );
    }
    await next();
  };
}

/** Compares in time that depends on the length of the secret only, not on where they differ. */
export function sameSecret(given: string, secret: string): boolean {
  const x = new TextEncoder().encode(given);
  const y = new TextEncoder().encode(secret);
  let diff = x.length ^ y.length;
  for (let i = 0; i < y.length; i++) diff |= (x[i] ?? 0) ^ y[i];
  return diff === 0;
}
