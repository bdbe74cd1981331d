/**
 * Shutdown as an operator meets it: the first SIGTERM/SIGINT drains and says how many requests
 * are in flight and for how long it waits; a second one says what it cuts and stops at once.
 */
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, inject, it } from "vitest";
import { startServe } from "../support/cli.js";

const MASTER_KEY = "sb-master-shutdown-test-0123456789abcdef";
const root = mkdtempSync(join(tmpdir(), "sb-shutdown-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function workdir(name: string): string {
  const cwd = join(root, name);
  cpSync(inject("storeTemplate"), join(cwd, ".switchboard"), { recursive: true });
  return cwd;
}

async function until(check: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 20));
  }
}

function slowRequest(url: string): Promise<number | string> {
  return fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${MASTER_KEY}`, "content-type": "application/json" },
    body: JSON.stringify({ model: "mock:slow-20000", messages: [{ role: "user", content: "hi" }] }),
  }).then(
    (r) => r.status,
    (e: Error) => e.message,
  );
}

describe("shutdown", () => {
  it("a second signal during the drain names the requests it cuts and exits at once", async () => {
    const gw = await startServe([], { cwd: workdir("twice"), env: { SWITCHBOARD_MASTER_KEY: MASTER_KEY } });
    const pending = [slowRequest(gw.url), slowRequest(gw.url)];
    await new Promise((r) => setTimeout(r, 300)); // both requests are with the (slow) mock now
    gw.child.kill("SIGINT");
    await until(() => gw.output().includes("SIGINT: stopping"));
    expect(gw.output()).toContain("SIGINT: stopping: waiting up to 10 s for 2 in-flight requests, then flushing usage (send the signal again to stop at once)");
    const cutAt = Date.now();
    gw.child.kill("SIGINT");
    const code = await gw.exited;
    expect(Date.now() - cutAt).toBeLessThan(3000);
    expect(code).toBe(1);
    expect(gw.output()).toContain("switchboard: SIGINT again: stopping now, cutting 2 in-flight requests (usage of completed responses is already in the spool)");
    const outcomes = await Promise.all(pending);
    for (const o of outcomes) expect(o).not.toBe(200);
  }, 30_000);

  it("a single signal with nothing in flight exits 0 at once", async () => {
    const gw = await startServe([], { cwd: workdir("once"), env: { SWITCHBOARD_MASTER_KEY: MASTER_KEY } });
    gw.child.kill("SIGTERM");
    expect(await gw.exited).toBe(0);
    expect(gw.output()).toContain("SIGTERM: stopping: waiting up to 10 s for 0 in-flight requests");
  }, 30_000);
});
