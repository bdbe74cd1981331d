/**
 * The layer rule of docs/architecture.md ("Layers"), checked on every import in src/: a folder
 * may import only folders of a lower layer (never its own layer's neighbours, never upward).
 * Static, dynamic and type-only imports all count.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, normalize, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

/** Lowest first. Keep in step with the table in docs/architecture.md. */
export const LAYERS: string[][] = [
  ["core"],
  ["wire", "net", "catalog", "config"],
  ["store", "providers", "routing", "redis"],
  ["usage", "policy", "pricing"],
  ["budgets", "limits", "observability"],
  ["pipeline", "management", "sdk"],
  ["batches"],
  ["http"],
  ["gateway", "bench"],
  ["cli"],
];

const src = fileURLToPath(new URL("../../src", import.meta.url));
const layerOf = new Map<string, number>(LAYERS.flatMap((names, i) => names.map((n) => [n, i] as [string, number])));

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : []));
}

/** src/<folder>/… → folder; src/gateway.ts → "gateway". */
function folderOf(root: string, file: string): string {
  return relative(root, file).split("/")[0].replace(/\.ts$/, "");
}

export function violations(root = src): string[] {
  const out: string[] = [];
  for (const file of files(root)) {
    const from = folderOf(root, file);
    const text = readFileSync(file, "utf8");
    for (const m of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)["'](\.{1,2}\/[^"']+)["']/g)) {
      const target = normalize(join(dirname(file), m[1]));
      const to = folderOf(root, target);
      if (to === from) continue;
      const a = layerOf.get(from);
      const b = layerOf.get(to);
      if (a === undefined) out.push(`src/${from} is not in the layer table`);
      else if (b === undefined) out.push(`src/${to} is not in the layer table`);
      else if (b >= a) out.push(`${relative(root, file)} imports ${relative(root, target)}: ${from} (layer ${a}) may import only lower layers (${LAYERS.slice(0, a).flat().join(", ") || "none"})`);
    }
  }
  return [...new Set(out)];
}

describe("layers", () => {
  it("every import in src/ goes to a lower layer", () => {
    expect(violations()).toEqual([]);
  });

  it("every folder of src/ is in the table, and the table is the one the docs show", () => {
    const folders = readdirSync(src, { withFileTypes: true }).map((e) => e.name.replace(/\.ts$/, ""));
    for (const f of folders) expect(layerOf.has(f), `src/${f}`).toBe(true);
    const doc = readFileSync(fileURLToPath(new URL("../../docs/architecture.md", import.meta.url)), "utf8");
    LAYERS.forEach((names, i) => expect(doc).toContain(`| ${i} | ${names.map((n) => "`" + n + "`").join(", ")} |`));
  });

  it("catches upward and sideways imports, type-only and dynamic ones too", () => {
    const root = mkdtempSync(join(tmpdir(), "sb-layers-"));
    const put = (path: string, text: string) => {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), text);
    };
    put("core/ok.ts", "export const x = 1;\n");
    put("pipeline/stage.ts", 'import { x } from "../core/ok.js";\nexport const y = x;\n');
    put("net/edge.ts", 'import type { y } from "../pipeline/stage.js";\nexport const z = 1;\n');
    put("wire/schema.ts", 'export const w = () => import("../net/edge.js");\n');
    expect(violations(root)).toEqual([
      "net/edge.ts imports pipeline/stage.js: net (layer 1) may import only lower layers (core)",
      "wire/schema.ts imports net/edge.js: wire (layer 1) may import only lower layers (core)",
    ]);
    rmSync(root, { recursive: true, force: true });
  });
});
