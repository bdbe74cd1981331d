/**
 * Moving from the embedded store to PostgreSQL with the built CLI, as a user would: a gateway on
 * an embedded data dir gets a team, a user, keys, budgets with spend, API prices and ledger rows;
 * `switchboard export` writes them to a file; `switchboard import` loads it into a fresh
 * PostgreSQL database; a gateway on that DATABASE_URL accepts the same virtual key and reports the
 * same spend, usage, logs and audit log. Then the refusals, and a ledger of 50,000 rows exported
 * and imported under a heap limit far below the file's size.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { openStore } from "../../src/store/db.js";
import { sql } from "../../src/store/kysely.js";
import { LATEST_SCHEMA_VERSION, migrate } from "../../src/store/migrate.js";
import { MIGRATIONS } from "../../src/store/migrations/index.js";
import { CLI, runCli, startServe, type ServeProcess } from "../support/cli.js";
import { createTestDatabase, pgTestServer, type TestDatabase } from "../store/pg-helper.js";

const MASTER = "sb-master-export-test-0123456789abcdef";
const FROM = "2020-01-01T00:00:00Z";
const TO = "2100-01-01T00:00:00Z";
const TABLES = ["audit_events", "batches", "budget_resets", "budgets", "files", "prices", "request_content", "responses", "teams", "usage", "batch_lines", "budget_assignments", "users", "api_keys"];

let root: string;
let server: string | null;
const databases: TestDatabase[] = [];

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "sb-export-"));
  server = await pgTestServer();
});
afterAll(async () => {
  for (const d of databases) await d.drop();
  if (root) rmSync(root, { recursive: true, force: true });
});

async function freshDatabase(): Promise<TestDatabase> {
  const d = await createTestDatabase(server!);
  databases.push(d);
  return d;
}

/** A data dir holding a migrated embedded store (a copy of the suite's template). */
function embeddedDataDir(name: string): string {
  const dir = join(root, name);
  cpSync(inject("storeTemplate"), dir, { recursive: true });
  return dir;
}

type Json = Record<string, unknown> & { key?: string; id?: string; assignments?: { spend_usd: string }[] };

async function api(base: string, method: string, path: string, body?: unknown, key = MASTER): Promise<{ status: number; body: Json }> {
  const res = await fetch(base + path, { method, headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: (text.startsWith("{") ? JSON.parse(text) : { text }) as Json };
}

async function stop(s: ServeProcess): Promise<void> {
  s.child.kill("SIGTERM");
  expect(await s.exited).toBe(0);
}

async function query<T = Record<string, unknown>>(url: string, text: string): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(text)).rows as T[];
  } finally {
    await c.end();
  }
}

/** What a user sees of the gateway's data through the management API. */
async function observe(base: string, budgets: string[]): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const b of budgets) out[`budget ${b}`] = (await api(base, "GET", `/v1/budgets/${b}`)).body;
  for (const path of [
    `/v1/usage?from=${FROM}&to=${TO}`,
    `/v1/usage?from=${FROM}&to=${TO}&group_by=key,user,team,model`,
    "/v1/logs?limit=200",
    "/v1/keys?limit=200",
    "/v1/users?limit=200",
    "/v1/teams?limit=200",
    "/v1/pricing",
    "/v1/audit?limit=200",
  ]) {
    const r = await api(base, "GET", path);
    expect(r.status, path).toBe(200);
    out[path] = r.body;
  }
  return out;
}

const rowLines = (file: string) =>
  readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.startsWith('{"table"'))
    .sort();
const lastLine = (file: string) => readFileSync(file, "utf8").trimEnd().split("\n").at(-1)!;

describe.runIf(existsSync(CLI))("switchboard export / import", () => {
  const env = (dataDir: string, extra: Record<string, string> = {}) => ({ SWITCHBOARD_MASTER_KEY: MASTER, SWITCHBOARD_DATA_DIR: dataDir, ...extra });
  let source: string;
  let file: string;
  let seen: Record<string, unknown>;
  let virtualKey: string;

  it("moves an embedded store to PostgreSQL: the same key works, with the same spend, usage, logs and audit log", async (ctx) => {
    if (!server) return ctx.skip();
    source = embeddedDataDir("source");
    let gw = await startServe([], { env: env(source) });
    try {
      const base = gw.url;
      expect((await api(base, "POST", "/v1/pricing", { model: "mock:mock-1", input_price_per_million: "10.5", output_price_per_million: 20 })).status).toBe(201);
      expect((await api(base, "POST", "/v1/budgets", { budget_id: "team-cap", max_budget: 100, budget_duration: "1mo" })).status).toBe(201);
      expect((await api(base, "POST", "/v1/budgets", { budget_id: "key-cap", max_budget: "5.25", budget_duration: "1d", alert_thresholds: [50, 90] })).status).toBe(201);
      expect((await api(base, "POST", "/v1/teams", { team_id: "search", name: "Search", budget_id: "team-cap", metadata: { cost_center: 7 } })).status).toBe(201);
      expect((await api(base, "POST", "/v1/users", { user_id: "ana", alias: 'Ana\nO\'Brien "quoted" ☃', team_id: "search" })).status).toBe(201);
      const key = await api(base, "POST", "/v1/keys", { key_name: "ana's key", user_id: "ana", budget_id: "key-cap", allowed_models: ["mock:*"] });
      expect(key.status).toBe(201);
      virtualKey = String(key.body.key);
      const revoked = await api(base, "POST", "/v1/keys", { key_name: "old" });
      expect((await api(base, "DELETE", `/v1/keys/${String(revoked.body.id)}`)).status).toBe(200);
      for (let i = 0; i < 4; i++) {
        const r = await api(base, "POST", "/v1/chat/completions", { model: "mock:mock-1", messages: [{ role: "user", content: `question ${i}` }] }, virtualKey);
        expect(r.status, JSON.stringify(r.body)).toBe(200);
      }
      expect((await api(base, "POST", "/v1/chat/completions", { model: "mock:mock-1", messages: [{ role: "user", content: "as admin" }] })).status).toBe(200);
      // Refused: a ledger row of its own (attempt 0, no cost), so the ledger holds 6 rows.
      expect((await api(base, "POST", "/v1/chat/completions", { model: "openai:gpt-4o", messages: [{ role: "user", content: "x" }] }, virtualKey)).status).toBe(403);
    } finally {
      await stop(gw); // flushes the ledger
    }

    // What the source shows, read from a restarted gateway (the ledger fully written).
    gw = await startServe([], { env: env(source) });
    try {
      seen = await observe(gw.url, ["team-cap", "key-cap"]);
      const spend = (seen["budget key-cap"] as Json).assignments?.[0]?.spend_usd;
      expect(Number(spend)).toBeGreaterThan(0);
      // The gateway holds the data directory: export is refused, as migrate is.
      const busy = await runCli(["export", "--output", join(root, "busy.jsonl")], { env: env(source) });
      expect(busy).toEqual({ code: 1, stdout: "", stderr: `switchboard: ${source} is in use by pid ${gw.child.pid}\n` });
      expect(existsSync(join(root, "busy.jsonl"))).toBe(false);
    } finally {
      await stop(gw);
    }

    file = join(root, "export.jsonl");
    const exported = await runCli(["export", "--output", file], { env: env(source), timeoutMs: 60_000 });
    expect(exported.stderr).toBe("");
    expect(exported.code).toBe(0);
    expect(exported.stdout).toMatch(
      new RegExp(
        `^exported \\d+ rows \\(audit_events \\d+, batches 0, budget_resets 0, budgets 2, files 0, prices 1, request_content 0, responses 0, teams 1, usage 6, batch_lines 0, budget_assignments 2, users 1, api_keys 2\\) at schema version ${LATEST_SCHEMA_VERSION} from embedded PostgreSQL [\\d.]+ in ${source}/pg \\(.*\\) to ${file}\n$`,
      ),
    );
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const lines = readFileSync(file, "utf8").split("\n");
    const { exported_at, ...header } = JSON.parse(lines[0]) as Record<string, unknown>;
    expect(header).toEqual({ format: "switchboard-export", format_version: 1, schema_version: LATEST_SCHEMA_VERSION, tables: TABLES });
    expect(Date.now() - Date.parse(String(exported_at))).toBeLessThan(60_000);
    // Keys travel as their hashes only.
    expect(readFileSync(file, "utf8")).not.toContain(virtualKey);
    expect(readFileSync(file, "utf8")).toContain(JSON.stringify(createHashHex(virtualKey)));

    const target = await freshDatabase();
    const imported = await runCli(["import", "--input", file], { env: env(join(root, "unused"), { DATABASE_URL: target.url }), timeoutMs: 60_000 });
    expect(imported.stderr).toBe("");
    expect(imported.stdout).toMatch(
      new RegExp(
        `^imported \\d+ rows \\(audit_events \\d+, batches 0, budget_resets 0, budgets 2, files 0, prices 1, request_content 0, responses 0, teams 1, usage 6, batch_lines 0, budget_assignments 2, users 1, api_keys 2\\) into PostgreSQL at [^ ]+/${target.name} \\(DATABASE_URL\\) at schema version ${LATEST_SCHEMA_VERSION}\n$`,
      ),
    );
    expect(imported.code).toBe(0);
    expect(existsSync(join(root, "unused"))).toBe(false); // DATABASE_URL: the data dir is not touched

    // The sequences carry on where the source's were.
    const ids = await query<{ last: string; max: string }>(target.url, "select (select last_value::text from usage_id_seq) as last, (select max(id)::text from usage) as max");
    expect(ids[0].last).toBe(ids[0].max);

    const gwDir = mkdtempSync(join(root, "pg-gateway-"));
    const moved = await startServe([], { env: env(gwDir, { DATABASE_URL: target.url }) });
    try {
      expect(await observe(moved.url, ["team-cap", "key-cap"])).toEqual(seen);
      // Beside the live gateway, an export of the PostgreSQL database holds the same rows.
      const again = join(root, "again.jsonl");
      const r = await runCli(["export", "-o", again], { env: env(gwDir, { DATABASE_URL: target.url }), timeoutMs: 60_000 });
      expect(r.code).toBe(0);
      expect(rowLines(again)).toEqual(rowLines(file));
      expect(lastLine(again)).toBe(lastLine(file));
      // The same virtual key works, and its new ledger row takes a fresh id.
      const res = await api(moved.url, "POST", "/v1/chat/completions", { model: "mock:mock-1", messages: [{ role: "user", content: "after the move" }] }, virtualKey);
      expect(res.status).toBe(200);
    } finally {
      await stop(moved);
    }
    const after = await query<{ n: number; max: string }>(target.url, "select count(*)::int as n, max(id)::text as max from usage");
    expect(after).toEqual([{ n: 7, max: String(Number(ids[0].max) + 1) }]);
  }, 240_000);

  it("import refuses a target with data, a newer schema, a bad line, an unknown table, a file cut short; nothing is loaded", async (ctx) => {
    if (!server || !file) return ctx.skip();
    const target = await freshDatabase();
    const run = (input: string) => runCli(["import", "-i", input], { env: env(join(root, "unused"), { DATABASE_URL: target.url }), timeoutMs: 60_000 });
    const lines = readFileSync(file, "utf8").trimEnd().split("\n");
    const variant = (name: string, ls: string[]) => {
      const p = join(root, name);
      writeFileSync(p, ls.join("\n") + "\n");
      return p;
    };
    const total = async () => (await query<{ n: number }>(target.url, `select (${TABLES.map((t) => `(select count(*) from ${t})`).join(" + ")})::int as n`))[0].n;
    const n = lines.length;

    const header = JSON.parse(lines[0]) as Record<string, unknown>;
    expect(await run(variant("newer.jsonl", [JSON.stringify({ ...header, schema_version: LATEST_SCHEMA_VERSION + 1 }), ...lines.slice(1)]))).toEqual({
      code: 1,
      stdout: "",
      stderr: `switchboard import: the file's schema version ${LATEST_SCHEMA_VERSION + 1} is newer than this switchboard knows (${LATEST_SCHEMA_VERSION}); upgrade switchboard\n`,
    });
    expect(await run(variant("format.jsonl", [JSON.stringify({ ...header, format_version: 2 }), ...lines.slice(1)]))).toMatchObject({
      code: 1,
      stderr: "switchboard import: the file's format version 2 is newer than this switchboard reads (1); upgrade switchboard\n",
    });
    expect(await run(variant("notours.jsonl", ['{"hello":1}', ...lines.slice(1)]))).toMatchObject({
      code: 1,
      stderr: `switchboard import: line 1 is not the header of a switchboard export (it has no "format": "switchboard-export")\n`,
    });

    // A bad line after hundreds of rows were loaded: the whole import is rolled back.
    const bad = await run(variant("bad.jsonl", [...lines.slice(0, n - 2), '{"table":"api_keys","row":{"id":', lines[n - 1]]));
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(new RegExp(`^switchboard import: line ${n - 1} is not valid JSON \\(.+\\)\n$`));
    expect(await total()).toBe(0);

    const unknown = await run(variant("unknown.jsonl", [...lines.slice(0, n - 1), '{"table":"secrets","row":{"a":1}}', lines[n - 1]]));
    expect(unknown).toEqual({ code: 1, stdout: "", stderr: `switchboard import: line ${n}: unknown table "secrets" (the schema has ${TABLES.join(", ")})\n` });
    const column = await run(variant("column.jsonl", [...lines.slice(0, n - 1), '{"table":"users","row":{"user_id":"x","password":"y"}}', lines[n - 1]]));
    expect(column).toMatchObject({ code: 1, stderr: `switchboard import: line ${n}: table users has no column "password"\n` });
    expect(await run(variant("cut.jsonl", lines.slice(0, n - 1)))).toMatchObject({
      code: 1,
      stderr: `switchboard import: the file ends at line ${n - 1} without its end line: the export was cut short\n`,
    });
    const usageLine = lines.findIndex((l) => l.startsWith('{"table":"usage"'));
    expect(
      await run(
        variant(
          "missing.jsonl",
          lines.filter((_, i) => i !== usageLine),
        ),
      ),
    ).toMatchObject({ code: 1, stderr: "switchboard import: the end line counts 6 rows of usage, the file holds 5: lines are missing\n" });
    expect(await total()).toBe(0);

    // The refusals left the database empty: the file loads, once.
    expect(await run(file)).toMatchObject({ code: 0, stderr: "" });
    expect(await total()).toBeGreaterThan(10);
    const twice = await run(file);
    expect(twice.code).toBe(1);
    expect(twice.stderr).toMatch(
      new RegExp(`^switchboard import: PostgreSQL at [^ ]+/${target.name} \\(DATABASE_URL\\) already holds data \\(table audit_events has rows\\): import only into an empty database\n$`),
    );
  }, 240_000);

  it("import into an embedded data dir is refused while a gateway runs there, and works once it stopped", async (ctx) => {
    if (!file) return ctx.skip();
    const dataDir = mkdtempSync(join(root, "embedded-target-"));
    const gw = await startServe([], { env: env(dataDir) });
    try {
      expect(await runCli(["import", "--input", file], { env: env(dataDir) })).toEqual({ code: 1, stdout: "", stderr: `switchboard: ${dataDir} is in use by pid ${gw.child.pid}\n` });
    } finally {
      await stop(gw);
    }
    // Standard input works as the file.
    const piped = await runCliWithInput(["import", "-i", "-"], readFileSync(file), env(dataDir));
    expect(piped.stderr).toBe("");
    expect(piped.stdout).toMatch(/^imported \d+ rows .* into embedded PostgreSQL/);
    expect(piped.code).toBe(0);
    const back = await runCli(["export"], { env: env(dataDir), timeoutMs: 60_000 });
    expect(back.code).toBe(0);
    expect(back.stderr).toMatch(/^exported \d+ rows .* to standard output\n$/);
    const roundTrip = join(root, "roundtrip.jsonl");
    writeFileSync(roundTrip, back.stdout);
    expect(rowLines(roundTrip)).toEqual(rowLines(file));
  }, 120_000);

  it("a file of an older schema version is imported at that version; a target migrated further is refused", async (ctx) => {
    if (!server) return ctx.skip();
    const older = LATEST_SCHEMA_VERSION - 1;
    const source = await freshDatabase();
    const store = await openStore({ databaseUrl: source.url, dataDir: root });
    try {
      await migrate(
        store,
        MIGRATIONS.filter((m) => m.version <= older),
      );
      await sql`insert into teams (team_id, name) values ('old', 'Old team')`.execute(store.db);
    } finally {
      await store.close();
    }
    const oldFile = join(root, "older.jsonl");
    expect(await runCli(["export", "-o", oldFile], { env: env(join(root, "unused"), { DATABASE_URL: source.url }) })).toMatchObject({ code: 0, stderr: "" });

    const target = await freshDatabase();
    const r = await runCli(["import", "-i", oldFile], { env: env(join(root, "unused"), { DATABASE_URL: target.url }) });
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(
      new RegExp(
        `^imported 1 row \\(.*teams 1.*\\) into .* at schema version ${older} \\(this switchboard's is ${LATEST_SCHEMA_VERSION}: \`switchboard migrate\` or the next start applies the rest\\)\n$`,
      ),
    );
    expect(await query(target.url, "select max(version)::int as v from schema_migrations")).toEqual([{ v: older }]);

    const newer = await freshDatabase();
    const migrated = await openStore({ databaseUrl: newer.url, dataDir: root });
    await migrate(migrated).finally(() => migrated.close());
    const refused = await runCli(["import", "-i", oldFile], { env: env(join(root, "unused"), { DATABASE_URL: newer.url }) });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      new RegExp(
        `^switchboard import: PostgreSQL at [^ ]+/${newer.name} \\(DATABASE_URL\\) is at schema version ${LATEST_SCHEMA_VERSION}, newer than the file's \\(${older}\\): import into a new, empty database\n$`,
      ),
    );
  }, 120_000);

  it("export refuses a data dir with no store, and one whose spool holds usage rows not yet in the database", async () => {
    const none = join(root, "no-store");
    expect(await runCli(["export"], { env: env(none) })).toEqual({
      code: 1,
      stdout: "",
      stderr: `switchboard export: no embedded store in ${none} (set data_dir / SWITCHBOARD_DATA_DIR, or DATABASE_URL for PostgreSQL)\n`,
    });
    expect(existsSync(none)).toBe(false);
    const dataDir = embeddedDataDir("spooled");
    mkdirSync(join(dataDir, "spool"));
    writeFileSync(join(dataDir, "spool", "u-abc-4242-1.jsonl"), '{"request_id":"req_1"}\n');
    expect(await runCli(["export", "-o", join(root, "spooled.jsonl")], { env: env(dataDir) })).toEqual({
      code: 1,
      stdout: "",
      stderr: `switchboard export: ${dataDir}/spool holds usage rows not yet in the database (1 segment file left by a gateway that did not stop cleanly): start the gateway once and stop it, then export\n`,
    });
    expect(existsSync(join(root, "spooled.jsonl"))).toBe(false);
  }, 60_000);

  it("exports and imports a ledger of 50,000 rows a page at a time: the heap stays far below the file's size", async (ctx) => {
    if (!server) return ctx.skip();
    const dataDir = embeddedDataDir("big");
    const store = await openStore({ dataDir });
    try {
      // ~2 KB a row (a receipt padded with text): ~100 MB of export.
      await sql`
        insert into usage (request_id, attempt, requested_model, provider, model, endpoint, status, prompt_tokens, completion_tokens, total_tokens,
                           usage_estimated, streamed, total_ms, overhead_ms, cost_total_micros, receipt)
        select 'req_' || g, 1, 'mock:mock-1', 'mock', 'mock-1', 'chat', 200, g % 100, 7, g % 100 + 7, false, g % 2 = 0, 1.5, 0.25,
               9007199254740993 + g, jsonb_build_object('pad', repeat('y', 1900), 'n', g)
        from generate_series(1, 50000) g`.execute(store.db);
    } finally {
      await store.close();
    }
    const big = join(root, "big.jsonl");
    // The CLI's own heap is ~20 MB live; a file held whole (or a table read whole) would not fit.
    const heap = { NODE_OPTIONS: "--max-old-space-size=64" };
    const out = await runCli(["export", "-o", big], { env: env(dataDir, heap), timeoutMs: 180_000 });
    expect(out.stderr).toBe("");
    expect(out.code).toBe(0);
    expect(out.stdout).toContain(" usage 50000,");
    expect(statSync(big).size).toBeGreaterThan(100_000_000);

    const target = await freshDatabase();
    const loaded = await runCli(["import", "-i", big], { env: env(join(root, "unused"), { ...heap, DATABASE_URL: target.url }), timeoutMs: 180_000 });
    expect(loaded.stderr).toBe("");
    expect(loaded.code).toBe(0);
    expect(loaded.stdout).toContain(" usage 50000,");
    expect(await query(target.url, "select count(*)::int as n, sum(cost_total_micros)::text as cost, max(length(receipt->>'pad'))::int as pad from usage")).toEqual([
      { n: 50000, cost: (50000n * 9007199254740993n + (50000n * 50001n) / 2n).toString(), pad: 1900 },
    ]);
  }, 400_000);
});

function createHashHex(key: string): string {
  return createHash("sha256").update(key).digest("hex");
}

function runCliWithInput(args: string[], input: Buffer, env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? "", ...env }, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}
