/** The management app (with the dashboard's sign-in) on a real HTTP server over a copy of the migrated store, with a clock the test moves. */
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createAdaptorServer } from "@hono/node-server";
import { inject } from "vitest";
import { createManagementApp } from "../../src/management/index.js";
import { LocalInvalidationBus } from "../../src/policy/invalidation.js";
import { openStore, type Store } from "../../src/store/db.js";
import { migrate } from "../../src/store/migrate.js";

export const MASTER = "sb-master-test-0123456789abcdefghij";

export interface SessionHarness {
  url: string;
  store: Store;
  /** Moves the clock forward. */
  advance(ms: number): void;
  /** Sets the clock (epoch milliseconds): instances sharing a database can be given one time. */
  setClock(ms: number): void;
  request(method: string, path: string, opts?: { body?: unknown; headers?: Record<string, string> }): Promise<{ status: number; body: any; headers: Headers }>;
  close(): Promise<void>;
}

/** On a copy of the embedded template, or on the PostgreSQL database at `databaseUrl` (several harnesses may share one). */
export async function startSessionHarness(databaseUrl?: string): Promise<SessionHarness> {
  const dataDir = mkdtempSync(join(tmpdir(), "sb-ui-session-"));
  if (!databaseUrl) cpSync(inject("storeTemplate"), dataDir, { recursive: true });
  const store = await openStore({ dataDir, databaseUrl });
  await migrate(store);
  let now = Date.now();
  const app = createManagementApp({ db: store.db, bus: new LocalInvalidationBus(), isMasterKey: (k) => k === MASTER, clock: () => new Date(now) });
  const server = createAdaptorServer({ fetch: app.fetch }) as Server;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    store,
    advance: (ms) => void (now += ms),
    setClock: (ms) => void (now = ms),
    async request(method, path, opts = {}) {
      const res = await fetch(url + path, {
        method,
        headers: { ...(opts.body !== undefined ? { "content-type": "application/json" } : {}), ...opts.headers },
        body: opts.body === undefined ? undefined : typeof opts.body === "string" ? opts.body : JSON.stringify(opts.body),
      });
      const text = await res.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        /* not JSON */
      }
      return { status: res.status, body, headers: res.headers };
    },
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
