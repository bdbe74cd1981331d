/**
 * The gateway as the benchmark runs it: a child process on CPU 0 with a small config whose one
 * provider is the fake upstream, and the virtual key (with a budget and rate limits too high to
 * refuse a request) that puts authentication, the limits and the budget on the measured path.
 */
import type { ChildProcess } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { request } from "undici";
import { freePort, type ProcessGroup } from "./procs.js";
import { MODEL } from "./requests.js";
import { sleep } from "./util.js";

export interface GatewayStart {
  tmp: string;
  /** Names its config, data directory and log in `tmp`. */
  name: string;
  gatewayEntry: string;
  upstreamOrigin: string;
  masterKey: string;
  databaseUrl?: string;
  redisUrl?: string;
  baseEnv: Record<string, string>;
  log: (l: string) => void;
  httpEngine: "fast" | "node";
  metrics: boolean;
  transport: "fast" | "undici";
}

export async function startGateway(group: ProcessGroup, g: GatewayStart): Promise<{ port: number; child: ChildProcess }> {
  const config = join(g.tmp, `${g.name}.yaml`);
  writeFileSync(
    config,
    [
      "server:",
      `  http_engine: ${g.httpEngine}`,
      "metrics:",
      `  enabled: ${g.metrics}`,
      "upstream:",
      `  transport: ${g.transport}`,
      "providers:",
      "  bench:",
      "    type: openai",
      `    base_url: ${g.upstreamOrigin}/v1`,
      "    api_key: x",
      "pricing:",
      `  "${MODEL}": { input: 0.15, output: 0.6 }`,
      // A Redis that stops answering refuses requests (errors in the report) instead of quietly counting in process.
      ...(g.redisUrl !== undefined ? [`redis_url: ${JSON.stringify(g.redisUrl)}`, "limits:", "  redis_failure: closed"] : []),
      "",
    ].join("\n"),
  );
  const port = await freePort();
  const logFile = join(g.tmp, `${g.name}.log`);
  const env: Record<string, string> = {
    ...g.baseEnv,
    SWITCHBOARD_MASTER_KEY: g.masterKey,
    SWITCHBOARD_DATA_DIR: join(g.tmp, `${g.name}-data`),
    ...(g.databaseUrl ? { DATABASE_URL: g.databaseUrl } : {}),
  };
  g.log(`starting the gateway on port ${port} (${g.databaseUrl ? "PostgreSQL" : "embedded store"}, limits ${g.redisUrl !== undefined ? "in Redis" : "in process"})`);
  const child = group.spawn(process.execPath, [g.gatewayEntry, "serve", "--config", config, "--port", String(port)], { env, cpu: 0, logFile });
  const deadline = Date.now() + 60_000;
  const tail = () => (existsSync(logFile) ? readFileSync(logFile, "utf8").trim().split("\n").slice(-15).join("\n") : "");
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`the gateway exited (${child.signalCode ?? child.exitCode}) during start-up:\n${tail()}`);
    }
    try {
      const r = await request(`http://127.0.0.1:${port}/healthz`, { headersTimeout: 1000, bodyTimeout: 1000 });
      await r.body.dump();
      if (r.statusCode === 200) return { port, child };
    } catch {
      /* not listening yet */
    }
    await sleep(100);
  }
  throw new Error(`the gateway did not answer GET /healthz with 200 within 60 s:\n${tail()}`);
}

/**
 * A key with a budget, so authentication and the budget reservation are on the measured path.
 * It also carries rate limits, too high to refuse a request, so the rate-limit check is on the
 * measured path too.
 */
export async function createVirtualKey(port: number, masterKey: string): Promise<{ key: string; id: string } | { error: string }> {
  const post = async (path: string, body: unknown) => {
    const r = await request(`http://127.0.0.1:${port}${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${masterKey}`, "content-type": "application/json" },
      body: JSON.stringify(body),
      headersTimeout: 10_000,
      bodyTimeout: 10_000,
    });
    const text = await r.body.text();
    if (r.statusCode >= 300) throw new Error(`POST ${path} → ${r.statusCode} ${text.slice(0, 200)}`);
    return JSON.parse(text) as Record<string, unknown>;
  };
  try {
    const budget = await post("/v1/budgets", { max_budget: 1_000_000, budget_duration: "1d" });
    const key = await post("/v1/keys", {
      key_name: "bench",
      budget_id: budget.budget_id,
      rpm_limit: 100_000_000,
      tpm_limit: 2_000_000_000,
    });
    return typeof key.key === "string" && typeof key.id === "string" ? { key: key.key, id: key.id } : { error: "POST /v1/keys returned no key or id" };
  } catch (e) {
    return { error: (e as Error).message };
  }
}
