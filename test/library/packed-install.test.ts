/**
 * The library installed the way docs/library.md says: `npm pack` in a checkout, then
 * `npm install <tarball>` in another project, which imports "switchboard" and calls the mock.
 * Catches a `files` list, an `exports` map or a dependency that only works inside the checkout.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../..", import.meta.url));
const work = mkdtempSync(join(tmpdir(), "sb-pack-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const npm = (args: string[], cwd: string) =>
  execFileSync("npm", args, {
    cwd,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    timeout: 240_000,
    env: { ...process.env, npm_config_audit: "false", npm_config_fund: "false", npm_config_update_notifier: "false" },
  });

describe("installing the library from a packed tarball", () => {
  it("packs, installs into a new project, imports and calls the mock", { timeout: 300_000 }, () => {
    // dist/ is built by the test runner before the suite; --ignore-scripts keeps pack from building again.
    npm(["pack", "--ignore-scripts", "--pack-destination", work], root);
    const tarball = readdirSync(work).find((f) => /^switchboard-.*\.tgz$/.test(f));
    expect(tarball).toBeDefined();

    const app = join(work, "app");
    execFileSync("mkdir", ["-p", app]);
    writeFileSync(join(app, "package.json"), JSON.stringify({ name: "sb-pack-check", private: true, type: "module" }));
    npm(["install", "--prefer-offline", "--omit=optional", "--no-package-lock", join(work, tarball!)], app);
    writeFileSync(
      join(app, "check.mjs"),
      `import { completion, embedding, listModels, SwitchboardError } from "switchboard";
const r = await completion({ model: "mock:mock-1", messages: [{ role: "user", content: "from a tarball" }] });
const e = await embedding({ model: "mock:mock-embedding-1", input: "x" });
let typed = false;
try { await completion({ model: "no-prefix", messages: [{ role: "user", content: "x" }] }); } catch (err) { typed = err instanceof SwitchboardError; }
console.log(JSON.stringify({ text: r.choices[0].message.content, dims: e.data[0].embedding.length, models: (await listModels("mock")).map((m) => m.id), typed }));
`,
    );
    const out = JSON.parse(execFileSync(process.execPath, ["check.mjs"], { cwd: app, encoding: "utf8", timeout: 60_000 }).trim());
    expect(out).toEqual({ text: "This is a mock response to: from a tarball", dims: 64, models: ["mock:mock-1", "mock:mock-embedding-1"], typed: true });
  });
});
