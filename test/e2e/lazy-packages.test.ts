/**
 * Packages that only some configurations need are not loaded by a gateway that does not use
 * them: undici (the undici transport, egress proxies, Vertex tokens), ioredis (REDIS_URL) and
 * the AWS event-stream codec (Bedrock streams). Each would cost every gateway 20–25 MB of memory.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { startServe } from "../support/cli.js";
import { requireBuiltCli } from "../support/gateway-processes.js";
import { redisTestServer } from "../support/redis.js";
import { withPostgres, type TestDatabase } from "../store/pg-helper.js";

const dir = mkdtempSync(join(tmpdir(), "sb-lazy-"));
// Loaded before the gateway (node --import): prints which packages are in require's cache when asked.
const reporter = join(dir, "report.mjs");
writeFileSync(
  reporter,
  `import { createRequire } from "node:module";
const cache = createRequire(import.meta.url).cache;
process.on("SIGUSR2", () => {
  const names = new Set(Object.keys(cache).map((f) => /node_modules\\/((?:@[^/]+\\/)?[^/]+)/.exec(f)?.[1]).filter(Boolean));
  process.stderr.write("LOADED " + JSON.stringify([...names].sort()) + "\\n");
});
`,
);

requireBuiltCli();
const pg: TestDatabase | null = await withPostgres();

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await pg?.drop();
});

async function loadedPackages(env: Record<string, string>): Promise<string[]> {
  const serve = await startServe([], { env: { ...env, NODE_OPTIONS: `--import ${pathToFileURL(reporter).href}`, SWITCHBOARD_MASTER_KEY: "sb-master-lazyPackagesTest0123456789" } });
  try {
    serve.child.kill("SIGUSR2");
    const deadline = Date.now() + 10_000;
    let m: RegExpExecArray | null = null;
    while (!(m = /LOADED (\[.*\])/.exec(serve.output())) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(m, serve.output()).not.toBeNull();
    return JSON.parse(m![1]) as string[];
  } finally {
    serve.child.kill("SIGTERM");
    await serve.exited;
  }
}

describe.skipIf(!pg)("packages loaded at first use", () => {
  it("a gateway on PostgreSQL without Redis loads neither undici, ioredis nor the AWS codec; with REDIS_URL it loads ioredis", async () => {
    const db = pg!.url;
    const plain = await loadedPackages({ DATABASE_URL: db });
    expect(plain).toContain("kysely"); // the reporter sees CommonJS packages
    expect(plain).toContain("pg");
    for (const name of ["undici", "ioredis", "@smithy/eventstream-codec"]) expect(plain).not.toContain(name);

    const redis = await redisTestServer();
    if (!redis) return; // without a Redis the first half still holds
    const shared = await loadedPackages({ DATABASE_URL: db, REDIS_URL: redis });
    expect(shared).toContain("ioredis");
    expect(shared).not.toContain("undici");
  }, 60_000);
});
