import { openStore } from "../store/db.js";
import { databaseStartError } from "../store/connect-errors.js";
import { acquireDataDirLock, type DataDirLock } from "../store/data-dir-lock.js";
import { migrate, schemaStatus } from "../store/migrate.js";
import { loadConfigOrExit } from "./load.js";

/**
 * `switchboard migrate`. On the embedded store it takes the data directory's lock first, so it is
 * refused (`<data_dir> is in use by pid N`) while a gateway runs there; on PostgreSQL
 * (`DATABASE_URL`) it does not touch the data directory and runs beside live gateways.
 */
export async function migrateCommand(opts: { config?: string; status?: boolean }): Promise<void> {
  const config = loadConfigOrExit(opts.config);
  let lock: DataDirLock | undefined;
  if (!config.databaseUrl) lock = await acquireDataDirLock(config.dataDir);
  try {
    const store = await openStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
    try {
      if (opts.status) {
        const s = await schemaStatus(store);
        console.log(`schema version ${s.current} of ${s.latest}; pending: ${s.pending.length ? s.pending.join(", ") : "none"}`);
        return;
      }
      const r = await migrate(store);
      console.log(r.applied.length ? `applied migrations ${r.applied.join(", ")}; schema version ${r.current}` : `schema is up to date (version ${r.current})`);
    } catch (e) {
      throw config.databaseUrl ? databaseStartError(e, config.databaseUrl) : e;
    } finally {
      await store.close();
    }
  } finally {
    await lock?.release();
  }
}
