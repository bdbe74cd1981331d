/**
 * The management app on a real HTTP server over a real store: a copy of the migrated embedded
 * template, or a PostgreSQL database. The invalidation bus records every event it publishes.
 */
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createAdaptorServer } from "@hono/node-server";
import { afterAll, beforeAll, inject } from "vitest";
import { withPostgres, type TestDatabase } from "../store/pg-helper.js";
import { createManagementApp, type ManagementDeps } from "../../src/management/index.js";
import { LocalInvalidationBus, type InvalidationBus, type InvalidationEvent } from "../../src/policy/invalidation.js";
import { openStore, type Store } from "../../src/store/db.js";
import { migrate } from "../../src/store/migrate.js";

export const MASTER = "sb-master-test-0123456789abcdefghij";

export interface Harness {
  url: string;
  store: Store;
  bus: InvalidationBus;
  /** Every invalidation published so far. */
  events: InvalidationEvent[];
  /** Every response body read through `call` (for the secret canary). */
  seen: string[];
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any; headers: Headers }>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  databaseUrl?: string;
  /** The budget engine to show live spend from (a BudgetService over the harness's store and bus). */
  budgets?: (store: Store, bus: InvalidationBus) => ManagementDeps["budgets"];
}

export async function startHarness(opts: HarnessOptions = {}): Promise<Harness> {
  const dataDir = mkdtempSync(join(tmpdir(), "sb-mgmt-"));
  if (!opts.databaseUrl) cpSync(inject("storeTemplate"), dataDir, { recursive: true });
  const store = await openStore({ dataDir, databaseUrl: opts.databaseUrl });
  await migrate(store);
  const bus = new LocalInvalidationBus();
  const events: InvalidationEvent[] = [];
  bus.subscribe((e) => events.push(e));
  const app = createManagementApp({ db: store.db, bus, isMasterKey: (k) => k === MASTER, budgets: opts.budgets?.(store, bus) });
  const server = createAdaptorServer({ fetch: app.fetch }) as Server;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const seen: string[] = [];
  return {
    url,
    store,
    bus,
    events,
    seen,
    async call(method, path, body, headers = {}) {
      const res = await fetch(url + path, {
        method,
        headers: { authorization: `Bearer ${MASTER}`, ...(body !== undefined ? { "content-type": "application/json" } : {}), ...headers },
        body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
      });
      const text = await res.text();
      seen.push(text);
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        /* not JSON: keep the text */
      }
      return { status: res.status, body: parsed, headers: res.headers };
    },
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * A harness on a fresh PostgreSQL database for the whole test file (null when no server
 * answers locally; withPostgres fails loudly in CI). Pass the getter to a shared suite.
 */
export function postgresHarness(): () => Harness | null {
  let pg: TestDatabase | null = null;
  let x: Harness | null = null;
  beforeAll(async () => {
    pg = await withPostgres();
    if (pg) x = await startHarness({ databaseUrl: pg.url });
  });
  afterAll(async () => {
    await x?.close();
    await pg?.drop();
  });
  return () => x;
}
