/** docs/errors.md's table and the error catalogue (src/core/errors.ts) list the same codes, with the same status, type and retryable. */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ERROR_CODES } from "../../src/core/errors.js";

const doc = readFileSync(new URL("../../docs/errors.md", import.meta.url), "utf8");

/** The rows of the first table whose header starts with `| code |`. */
function documentedRows(): Map<string, { status: string; type: string; retryable: string }> {
  const lines = doc.split("\n");
  const start = lines.findIndex((l) => /^\|\s*code\s*\|/.test(l));
  expect(start, "docs/errors.md has a table starting with | code |").toBeGreaterThanOrEqual(0);
  const rows = new Map<string, { status: string; type: string; retryable: string }>();
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith("|")) break;
    const cells = line
      .split("|")
      .slice(1, -1)
      .map((c) => c.trim());
    const code = /^`([a-z_]+)`$/.exec(cells[0] ?? "")?.[1];
    expect(code, `a row of the codes table names one code in backticks: ${line}`).toBeDefined();
    expect(rows.has(code!), `${code} is listed once`).toBe(false);
    rows.set(code!, { status: cells[1], type: cells[2], retryable: cells[3] });
  }
  return rows;
}

describe("docs/errors.md and the error catalogue", () => {
  const rows = documentedRows();

  it("document exactly the catalogue's codes", () => {
    expect([...rows.keys()].sort()).toEqual(Object.keys(ERROR_CODES).sort());
  });

  it.each(Object.entries(ERROR_CODES))("%s has its status, type and retryable", (code, def) => {
    expect(rows.get(code)).toEqual({ status: String(def.status), type: `\`${def.type}\``, retryable: def.retryable ? "yes" : "no" });
  });

  it("no source file answers with a code outside the catalogue", () => {
    // An error body written by hand (`code: "…"`) must still use a catalogued code; zod's issue code "custom" is not one.
    const src = fileURLToPath(new URL("../../src/", import.meta.url));
    const stray: string[] = [];
    // OpenAI's own batch codes (a line never run, a batch's input problems), in docs/errors.md's "Batches" table.
    const batches = doc.slice(doc.indexOf("## Batches"));
    const batchCodes = new Set([...batches.slice(0, batches.indexOf("\n## ", 1)).matchAll(/^\| `([a-z_]+)` \|/gm)].map((m) => m[1]));
    for (const file of readdirSync(src, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".ts"))) {
      for (const m of readFileSync(join(src, file), "utf8").matchAll(/\bcode: "([a-z_]+)"/g)) {
        if (m[1] !== "custom" && !Object.hasOwn(ERROR_CODES, m[1]) && !batchCodes.has(m[1])) stray.push(`${file}: ${m[1]}`);
      }
    }
    expect(stray).toEqual([]);
  });
});
