/**
 * Debian's Chromium driven by playwright-core for the dashboard tests: launched headless at
 * 1366×768, every console error, page error and refused resource (a CSP violation) collected,
 * and screenshots saved under test-artifacts/ui/.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";
const root = fileURLToPath(new URL("../..", import.meta.url));
export const ARTIFACTS = join(root, "test-artifacts", "ui");

/** Builds the dashboard into dist/ui when it is not built (npm test and CI build it first). */
export function ensureDashboardBuilt(): void {
  if (existsSync(join(root, "dist", "ui", "index.html"))) return;
  execFileSync("npm", ["run", "build:ui"], { cwd: root, stdio: "inherit" });
}

export interface UiBrowser {
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** Console errors, page errors and failed requests seen so far. */
  problems: string[];
  shot(name: string): Promise<void>;
  close(): Promise<void>;
}

export async function openBrowser(): Promise<UiBrowser> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox", "--disable-dev-shm-usage"] });
  const context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(`console: ${m.text()}${m.location().url ? ` (${m.location().url.replace(/^https?:\/\/[^/]+/, "")})` : ""}`);
  });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("dialog", (d) => void d.accept());
  return {
    browser,
    context,
    page,
    problems,
    shot: async (name) => {
      await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
    },
    close: () => browser.close(),
  };
}
