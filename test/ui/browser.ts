/**
 * Debian's Chromium driven by playwright-core for the dashboard tests: launched headless at
 * 1366×768 (a laptop screen), every console error, page error and refused resource (a CSP
 * violation) collected, screenshots saved under test-artifacts/ui/ (`<name>.png` the whole page,
 * `<name>-screen.png` the first screenful, as an operator's laptop shows it), and axe-core's
 * accessibility audit run on a page.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { AxeResults } from "axe-core";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";
const root = fileURLToPath(new URL("../..", import.meta.url));
export const ARTIFACTS = join(root, "test-artifacts", "ui");

/** Builds the dashboard into dist/ui when it is not built (npm test and CI build it first). */
export function ensureDashboardBuilt(): void {
  if (existsSync(join(root, "dist", "ui", "index.html"))) return;
  execFileSync("npm", ["run", "build:ui"], { cwd: root, stdio: "inherit" });
}

export const VIEWPORT = { width: 1366, height: 768 };

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

/**
 * axe-core's serious and critical violations (WCAG 2.x A and AA rules and best practices) on the
 * page as it is now, one line each: rule, impact, help text and the first offending elements.
 * axe is evaluated through the DevTools protocol, which the page's Content-Security-Policy does
 * not govern, so the CSP stays as strict as users get it.
 */
export async function axeViolations(page: Page): Promise<string[]> {
  if ((await page.evaluate("typeof window.axe")) !== "object") await page.evaluate(AXE_SOURCE);
  const result = await page.evaluate<AxeResults>("window.axe.run(document, { resultTypes: ['violations'] })");
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map(
      (v) =>
        `${v.id} (${v.impact}): ${v.help} — ${v.nodes
          .slice(0, 3)
          .map((n) => n.target.join(" "))
          .join(", ")}`,
    );
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
  const context = await browser.newContext({ viewport: VIEWPORT });
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
      await page.screenshot({ path: join(ARTIFACTS, `${name}-screen.png`) });
    },
    close: () => browser.close(),
  };
}
