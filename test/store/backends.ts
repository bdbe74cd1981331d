/**
 * The stores every store/usage suite runs against: the embedded store (a PostgreSQL cluster the
 * store creates in a temp dir, its own server) always, and a fresh PostgreSQL database when the
 * test server answers (see pg-helper.ts).
 *
 *   const backends = await storeBackends();
 *   describe.each(backends)("thing on $kind", (backend) => {
 *     let t: TestStore;
 *     beforeAll(async () => { t = await backend.open(); }, STORE_HOOK_TIMEOUT_MS);
 *     afterAll(() => t?.dispose());
 *   });
 *
 * Creating a cluster takes 0.5-3 s (initdb; more on a busy machine): open once per file, not per test.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openStore, type OpenStoreOptions, type Store, type StoreKind } from "../../src/store/db.js";
import { createTestDatabase, pgTestServer } from "./pg-helper.js";

/** Timeout for hooks that open a store (creating a cluster is slow on a busy machine). */
export const STORE_HOOK_TIMEOUT_MS = 60_000;

export interface TestStore {
  kind: StoreKind;
  /** The open store (replaced by `reopen()`). */
  store: Store;
  /** openStore options reaching the same database. */
  options: OpenStoreOptions;
  /** Closes the store and opens it again on the same data. */
  reopen(): Promise<Store>;
  /** Closes the store and deletes its data. */
  dispose(): Promise<void>;
}

export interface StoreBackend {
  kind: StoreKind;
  open(): Promise<TestStore>;
}

const embedded: StoreBackend = {
  kind: "embedded",
  async open() {
    const dir = await mkdtemp(join(tmpdir(), "sb-store-"));
    // A data dir that does not exist yet: openStore must create it.
    return handle("embedded", { dataDir: join(dir, "data", "switchboard") }, () => rm(dir, { recursive: true, force: true }));
  },
};

function postgres(serverUrl: string): StoreBackend {
  return {
    kind: "postgres",
    async open() {
      const database = await createTestDatabase(serverUrl);
      return handle("postgres", { databaseUrl: database.url, dataDir: tmpdir() }, database.drop);
    },
  };
}

async function handle(kind: StoreKind, options: OpenStoreOptions, removeData: () => Promise<void>): Promise<TestStore> {
  const t: TestStore = {
    kind,
    options,
    store: await openStore(options),
    async reopen() {
      await t.store.close();
      t.store = await openStore(options);
      return t.store;
    },
    async dispose() {
      await t.store.close();
      await removeData();
    },
  };
  return t;
}

/** Embedded always; PostgreSQL when reachable (throws when unreachable and CI=true). */
export async function storeBackends(): Promise<StoreBackend[]> {
  const server = await pgTestServer();
  return server ? [embedded, postgres(server)] : [embedded];
}
