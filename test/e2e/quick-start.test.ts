/**
 * The README's quick start, as a new user types it: `npm start` in the checkout serves on the
 * embedded store, prints the generated master key once, is ready, answers a request through the
 * mock provider, and stops cleanly on SIGTERM. (`npm install` is what the suite itself ran.)
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";

const repo = fileURLToPath(new URL("../..", import.meta.url));

it("npm start: embedded store, a generated master key, ready, a mock answer, a clean stop", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "sb-quick-start-"));
  // The README's command; the port and data directory come from the environment so the test
  // neither takes port 8000 nor writes into the checkout.
  const child = spawn("npm", ["start"], {
    cwd: repo,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? dataDir, SWITCHBOARD_PORT: "0", SWITCHBOARD_DATA_DIR: dataDir },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true, // its own process group: npm and the gateway it runs are stopped together
  });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.on("close", (code) => r(code)));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no listening line in 60 s:\n${out}`)), 60_000);
      const look = () => {
        const m = /listening on (http:\/\/\S+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      };
      child.stdout.on("data", look);
      child.stderr.on("data", look);
      child.on("close", () => reject(new Error(`npm start exited:\n${out}`)));
    });
    expect(out).toContain("store: embedded PostgreSQL");
    const key = /Generated a master key[^\n]*\n\s*\n\s+(\S+)/.exec(out)?.[1];
    expect(key, out).toMatch(/^sb-/);
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    const res = await fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "mock:mock-1", messages: [{ role: "user", content: "hello" }] }),
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { choices: Array<{ message: { content: string } }> }).choices[0].message.content.length).toBeGreaterThan(0);
    // The gateway itself (its pid is in the data directory's lock), as a process manager would stop it;
    // npm then ends with the gateway's own exit code.
    process.kill(Number(readFileSync(join(dataDir, "lock.pid"), "utf8")), "SIGTERM");
    expect(await exited).toBe(0);
    expect(out).toContain("SIGTERM: stopping");
  } finally {
    try {
      process.kill(-child.pid!, "SIGKILL"); // whatever is left, if the test failed early
    } catch {
      // already gone
    }
    await exited;
    rmSync(dataDir, { recursive: true, force: true });
  }
}, 120_000);
