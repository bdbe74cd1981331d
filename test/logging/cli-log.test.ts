/**
 * The log of `switchboard serve` as users run it: JSON lines on standard error, one access line
 * per request, every line written before the process exits on SIGTERM (lines are written
 * asynchronously and flushed on shutdown), and no secret from the config, the client or the
 * upstream in anything the process prints.
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startFakeOpenAI, type FakeOpenAI } from "../support/fake-openai.js";
import { startServe } from "../support/cli.js";

const MASTER = "sb-master-CANARYcliMaster0123456789abcdef";
const PROVIDER_KEY = "sk-up-CANARYcliProvider0123456789";

let fake: FakeOpenAI;
let dir: string;

beforeAll(async () => {
  fake = await startFakeOpenAI();
  dir = mkdtempSync(join(tmpdir(), "sb-clilog-"));
  cpSync(inject("storeTemplate"), join(dir, "data"), { recursive: true });
  writeFileSync(
    join(dir, "switchboard.yaml"),
    [`master_key: ${MASTER}`, "data_dir: ./data", "providers:", `  up: { type: openai, base_url: "${fake.url}", api_key: ${PROVIDER_KEY} }`].join("\n") + "\n",
  );
});
afterAll(async () => {
  await fake?.close();
  rmSync(dir, { recursive: true, force: true });
});

const post = (url: string, key: string) =>
  fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify({ model: "up:gpt-4o", messages: [{ role: "user", content: "hi" }] }),
  });

describe("switchboard serve's log", () => {
  it("every request's line is written before the process exits on SIGTERM, in flight ones included; no secret printed", async () => {
    const serve = await startServe(["--config", "switchboard.yaml"], { cwd: dir });
    fake.setDefault({ text: "ok" });
    const ids: string[] = [];
    const n = 300;
    for (let i = 0; i < n; i += 50) {
      const batch = await Promise.all(Array.from({ length: 50 }, (_, j) => post(serve.url, (i + j) % 10 === 0 ? "sb-live-CANARYbad000000000000000000000000" : MASTER)));
      for (const r of batch) {
        ids.push(r.headers.get("x-switchboard-request-id")!);
        await r.text();
      }
    }
    // One more, held upstream while SIGTERM arrives: the drain waits for it, and its line is written too.
    fake.enqueue({ text: "late", delayMs: 800 });
    const late = post(serve.url, MASTER);
    await fake.received(n - n / 10 + 1);
    serve.child.kill("SIGTERM");
    const lateRes = await late;
    expect(lateRes.status).toBe(200);
    ids.push(lateRes.headers.get("x-switchboard-request-id")!);
    expect(await serve.exited).toBe(0);

    const out = serve.output();
    const json = out
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as Record<string, any>);
    const access = json.filter((l) => l.msg === "request");
    expect(new Set(access.map((l) => l.request_id))).toEqual(new Set(ids));
    expect(access).toHaveLength(n + 1);
    expect(access.filter((l) => l.status === 401)).toHaveLength(n / 10);
    expect(json.some((l) => l.msg.includes("listening on"))).toBe(true);
    expect(json.some((l) => l.msg.startsWith("SIGTERM: stopping"))).toBe(true);
    expect(out).not.toContain("CANARY");
  }, 60_000);
});
