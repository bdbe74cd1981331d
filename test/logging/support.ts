/** A gateway in-process whose JSON log lines are captured, with helpers for the management API. */
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inject } from "vitest";
import { parseConfig } from "../../src/config/index.js";
import { startGateway, type RunningGateway } from "../../src/gateway/index.js";
import { knownProviderTypes } from "../../src/providers/registry.js";
import { TEST_MASTER_KEY } from "../support/gateway.js";

export interface LoggedGateway extends RunningGateway {
  /** Every JSON line written so far, raw. */
  lines: string[];
  /** The parsed lines with `msg: "request"` (access lines). */
  access(): Array<Record<string, any>>;
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; headers: Headers; body: any }>;
  stop(): Promise<void>;
}

export async function startLoggedGateway(raw: Record<string, unknown>): Promise<LoggedGateway> {
  const dataDir = mkdtempSync(join(tmpdir(), "sb-log-"));
  cpSync(inject("storeTemplate"), dataDir, { recursive: true });
  const config = parseConfig(
    { master_key: TEST_MASTER_KEY, data_dir: dataDir, database_url: "", server: { port: 0 }, usage: { flush_interval_ms: 20 }, ...raw },
    { env: {}, knownProviderTypes: knownProviderTypes() },
  );
  const lines: string[] = [];
  const gw = await startGateway(config, { log: (l) => lines.push(l), logStream: { write: (s: string) => lines.push(s) }, drainMs: 2000 });
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(gw.url + path, {
      method,
      headers: { authorization: `Bearer ${TEST_MASTER_KEY}`, "content-type": "application/json", ...headers },
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text.startsWith("{") ? JSON.parse(text) : text };
  };
  return {
    ...gw,
    lines,
    access: () =>
      lines
        .filter((l) => l.startsWith("{"))
        .map((l) => JSON.parse(l) as Record<string, any>)
        .filter((l) => l.msg === "request"),
    call,
    async stop() {
      await gw.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Waits until `check` returns a value other than undefined (the ledger writes in the background). */
export async function eventually<T>(check: () => Promise<T | undefined> | T | undefined, ms = 5000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 25));
  }
}
