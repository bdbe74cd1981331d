import { existsSync } from "node:fs";
import { join } from "node:path";
import { openStore } from "../store/db.js";
import { PGLITE_BACKUP, PGLITE_DIR } from "../store/embedded/from-pglite.js";
import { databaseStartError } from "../store/connect-errors.js";
import { acquireDataDirLock, type DataDirLock } from "../store/data-dir-lock.js";
import { migrate, schemaStatus } from "../store/migrate.js";
import { loadConfigOrExit } from "./load.js";

/**
 * `switchboard migrate`. On the embedded store it takes the data directory's lock first, so it is
 * refused (`<data_dir> is in use by pid N`) while a gateway runs there; on PostgreSQL
 * (`DATABASE_URL`) it does not touch the data directory and runs beside live gateways.
 */
export async function migrateCommand(opts: { config?: string; status?: boolean; fromPglite?: boolean }): Promise<void> {
  const config = loadConfigOrExit(opts.config);
  if (opts.fromPglite) assertPgliteToMove(config.dataDir, config.databaseUrl);
  let lock: DataDirLock | undefined;
  if (!config.databaseUrl) lock = await acquireDataDirLock(config.dataDir);
  try {
    // Opening the embedded store moves a PGlite database it finds (--from-pglite only insists on one).
    const store = await openStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, onNotice: (line) => console.log(line) });
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

/** `--from-pglite` needs the embedded store and a PGlite database in `<data_dir>/db`. */
function assertPgliteToMove(dataDir: string, databaseUrl: string | undefined): void {
  const fail = (why: string) => {
    console.error(`switchboard migrate --from-pglite: ${why}`);
    process.exit(1);
  };
  if (databaseUrl) fail("it moves the embedded store, and DATABASE_URL (database_url) is set: unset it");
  if (!existsSync(join(dataDir, PGLITE_DIR, "PG_VERSION"))) {
    const moved = existsSync(join(dataDir, PGLITE_BACKUP));
    fail(`no PGlite database in ${join(dataDir, PGLITE_DIR)}${moved ? ` (already moved; the old one is in ${join(dataDir, PGLITE_BACKUP)})` : ""}`);
  }
}
