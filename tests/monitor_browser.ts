/**
 * Headless Chromium for the monitor's browser tests (Debian's `chromium`,
 * driven by playwright-core). `hasChromium` is false where it is not
 * installed; the tests then skip, saying why.
 */

export const CHROMIUM = "/usr/bin/chromium";

export const hasChromium: boolean = (() => {
  try {
    return Deno.statSync(CHROMIUM).isFile;
  } catch {
    return false;
  }
})();

if (!hasChromium) {
  console.log(
    `monitor browser tests: skipped, ${CHROMIUM} not found ` +
      `(install Debian's chromium, e.g. .ci/browser-setup.sh)`,
  );
}

// deno-lint-ignore no-explicit-any
type Page = any;

/** A browser page, the errors it reports, and a way to close it all. */
export interface Browser {
  page: Page;
  /** Uncaught page errors and console errors. */
  errors: string[];
  close(): Promise<void>;
}

/** Starts Chromium with a fresh profile and one page of `width` × `height`. */
export async function openBrowser(width = 1280, height = 900): Promise<Browser> {
  // A test-only package: out of deno.json, so the demo never installs it.
  // deno-lint-ignore no-import-prefix
  const { chromium } = await import("npm:playwright-core@1.65.1");
  const userDataDir = await Deno.makeTempDir({ prefix: "baton-chromium-" });
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    timeout: 60_000,
    viewport: { width, height },
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  const page = context.pages()[0] ?? await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e: unknown) => errors.push(String(e)));
  page.on("console", (m: { type(): string; text(): string }) => {
    if (m.type() === "error") errors.push(m.text());
  });
  return {
    page,
    errors,
    async close() {
      await context.close();
      await Deno.remove(userDataDir, { recursive: true });
    },
  };
}

/** The browser test options: playwright keeps timers and pipes past the last await. */
export const BROWSER_TEST = {
  ignore: !hasChromium,
  // playwright-core keeps internal timers and pipes to the browser process
  // whose teardown outlives the test's last await; everything a test starts
  // (browser, server, scheduler, temp dir) is closed in its `finally`.
  sanitizeOps: false,
  sanitizeResources: false,
};
