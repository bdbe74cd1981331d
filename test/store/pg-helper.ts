/**
 * PostgreSQL for tests. The server is `TEST_DATABASE_URL` (default
 * postgres://postgres@127.0.0.1:5432/test). Each test file gets its own throw-away database
 * (`sb_test_<random>`, created from the server's `postgres` database and dropped afterwards),
 * so files running in parallel never see each other's rows.
 *
 * When the server is unreachable: with CI=true the suite fails loudly; otherwise the PostgreSQL
 * runs are skipped with a console note.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";

export const DEFAULT_TEST_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/test";

/** The configured test server URL. */
export function pgTestServerUrl(): string {
  return process.env.TEST_DATABASE_URL || DEFAULT_TEST_DATABASE_URL;
}

/** The same server, database `postgres` (where databases are created and dropped). */
function adminUrl(serverUrl: string): string {
  const u = new URL(serverUrl);
  u.pathname = "/postgres";
  return u.toString();
}

/** `serverUrl` with its database replaced by `database`. */
export function withDatabase(serverUrl: string, database: string): string {
  const u = new URL(serverUrl);
  u.pathname = `/${database}`;
  return u.toString();
}

async function adminQuery(serverUrl: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl(serverUrl), connectionTimeoutMillis: 3000 });
  client.on("error", () => {});
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

let probed: Promise<string | null> | undefined;

/**
 * The server URL when PostgreSQL answers, else null (after a console note). Throws when it does
 * not answer and CI=true. Probed once per test file.
 */
export function pgTestServer(): Promise<string | null> {
  probed ??= (async () => {
    const url = pgTestServerUrl();
    try {
      await adminQuery(url, "select 1");
      return url;
    } catch (err) {
      const why = `PostgreSQL test server ${redact(url)} unreachable: ${(err as Error).message}`;
      if (process.env.CI === "true") throw new Error(`${why} (CI=true: PostgreSQL tests are required)`);
      console.warn(`[tests] ${why} — skipping the PostgreSQL runs (set TEST_DATABASE_URL).`);
      return null;
    }
  })();
  return probed;
}

export interface TestDatabase {
  /** Connection string of the new, empty database. */
  url: string;
  name: string;
  /** Drops the database (terminating leftover connections). */
  drop: () => Promise<void>;
}

/** Creates a fresh, uniquely named database on the test server. */
export async function createTestDatabase(serverUrl: string): Promise<TestDatabase> {
  const name = `sb_test_${process.pid}_${randomBytes(4).toString("hex")}`;
  await adminQuery(serverUrl, `create database "${name}"`);
  return {
    url: withDatabase(serverUrl, name),
    name,
    drop: () => adminQuery(serverUrl, `drop database if exists "${name}" with (force)`),
  };
}

/**
 * A fresh database for one test file, or null when PostgreSQL is not available (see above).
 * Call `drop()` in afterAll.
 */
export async function withPostgres(): Promise<TestDatabase | null> {
  const server = await pgTestServer();
  return server ? createTestDatabase(server) : null;
}

function redact(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = "***";
  return u.toString();
}
