/** docs/clients.md: every fenced block is a snippet that a test in test/clients runs (or reads, for configuration). */
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { snippets } from "./harness.js";

const doc = readFileSync(new URL("../../docs/clients.md", import.meta.url), "utf8");
const tests = readdirSync(new URL(".", import.meta.url))
  .filter((f) => f.endsWith(".test.ts") && f !== "doc.test.ts")
  .map((f) => readFileSync(new URL(f, import.meta.url), "utf8"))
  .join("\n");

describe("docs/clients.md", () => {
  it("every code block is marked as a snippet, with a unique id", () => {
    const fences = [...doc.matchAll(/^```(\w*)$/gm)].filter((m) => m[1] !== "");
    const all = snippets(doc);
    expect(all.length).toBe(fences.length);
    expect(new Set(all.map((s) => s.id)).size).toBe(all.length);
    expect(all.length).toBeGreaterThan(15);
  });

  it("every snippet is run by a test (js, sh, python) or read as the gateway's configuration (yaml)", () => {
    const harness = readFileSync(new URL("harness.ts", import.meta.url), "utf8");
    for (const s of snippets(doc)) {
      const used = s.lang === "yaml" ? `snippet("${s.id}")` : s.id === "claude-code" ? `runSnippet("claude-code"` : `runOk("${s.id}"`;
      expect(`${tests}\n${harness}`, `snippet ${s.id} (${s.lang})`).toContain(used);
      if (s.lang !== "yaml") expect(tests, `a test named after snippet ${s.id}`).toContain(`"${s.id}: `);
    }
  });

  it("the examples use the documented address and read the key from SWITCHBOARD_KEY", () => {
    for (const s of snippets(doc).filter((x) => x.lang !== "yaml")) {
      expect(s.code, s.id).toContain("http://127.0.0.1:8000");
      expect(s.code, s.id).toContain("SWITCHBOARD_KEY");
    }
  });
});
