/**
 * OpenTelemetry is loaded only when traces are configured: no module of the gateway imports it
 * statically except the tracing module, and nothing imports that module statically.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith(".ts") ? [path] : [];
  });
}

const SRC = new URL("../../src", import.meta.url).pathname;

describe("OpenTelemetry loaded on demand", () => {
  it("only src/observability/tracing.ts imports @opentelemetry, and only by import() is it reached", () => {
    const files = sources(SRC);
    const importsOtel = files.filter((f) => /^import\s[^;]*from\s+"@opentelemetry\//m.test(readFileSync(f, "utf8")));
    expect(importsOtel.map((f) => f.slice(SRC.length))).toEqual(["/observability/tracing.ts"]);
    const importsTracing = files.filter((f) => /^import\s[^;]*from\s+"[^"]*\/tracing\.js"/m.test(readFileSync(f, "utf8")));
    expect(importsTracing).toEqual([]);
    const setup = readFileSync(join(SRC, "observability/setup.ts"), "utf8");
    expect(setup).toMatch(/await import\("\.\/tracing\.js"\)/);
  });
});
