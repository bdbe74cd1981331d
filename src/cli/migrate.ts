import { openStore } from "../store/db.js";
import { migrate, schemaStatus } from "../store/migrate.js";
import { loadConfigOrExit } from "./load.js";

export async function migrateCommand(opts: { config?: string; status?: boolean }): Promise<void> {
  const config = loadConfigOrExit(opts.config);
  const store = await openStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    if (opts.status) {
      const s = await schemaStatus(store);
      console.log(`schema version ${s.current} of ${s.latest}; pending: ${s.pending.length ? s.pending.join(", ") : "none"}`);
      return;
    }
    const r = await migrate(store);
    console.log(r.applied.length ? `applied migrations ${r.applied.join(", ")}; schema version ${r.current}` : `schema is up to date (version ${r.current})`);
  } finally {
    await store.close();
  }
}
