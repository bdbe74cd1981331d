/** Starting a real gateway in-process for a test, on a copy of the migrated embedded-store template. */
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI from "openai";
import { inject } from "vitest";
import { parseConfig } from "../../src/config/index.js";
import { startGateway, type RunningGateway } from "../../src/gateway/index.js";
import { knownProviderTypes } from "../../src/providers/registry.js";

export const TEST_MASTER_KEY = "sb-master-test-0123456789abcdefghij";

export interface TestGateway extends RunningGateway {
  client: OpenAI;
  dataDir: string;
  /** Raw HTTP helper: POST a JSON (or raw string) body with the master key unless headers say otherwise. */
  post(path: string, body: unknown, headers?: Record<string, string>): Promise<Response>;
  /** A management call with the master key: the status and the body (parsed when it is a JSON object). */
  admin(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
  stop(): Promise<void>;
}

export async function startTestGateway(raw: Record<string, unknown> = {}, opts: { databaseUrl?: string } = {}): Promise<TestGateway> {
  const dataDir = mkdtempSync(join(tmpdir(), "sb-gw-"));
  if (!opts.databaseUrl) cpSync(inject("storeTemplate"), dataDir, { recursive: true });
  const config = parseConfig(
    { master_key: TEST_MASTER_KEY, data_dir: dataDir, database_url: opts.databaseUrl ?? "", server: { port: 0 }, usage: { flush_interval_ms: 20 }, ...raw },
    { env: {}, knownProviderTypes: knownProviderTypes() },
  );
  const gw = await startGateway(config, { log: () => {}, drainMs: 2000 });
  const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: gw.masterKey, maxRetries: 0 });
  return {
    ...gw,
    client,
    dataDir,
    post: (path, body, headers = {}) =>
      fetch(gw.url + path, {
        method: "POST",
        headers: { authorization: `Bearer ${gw.masterKey}`, "content-type": "application/json", ...headers },
        body: typeof body === "string" ? body : JSON.stringify(body),
      }),
    async admin(method, path, body) {
      const res = await fetch(gw.url + path, {
        method,
        headers: { authorization: `Bearer ${gw.masterKey}`, "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, body: text.startsWith("{") ? JSON.parse(text) : text };
    },
    async stop() {
      await gw.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
