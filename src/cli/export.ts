import { existsSync, readdirSync, statSync } from "node:fs";
import { open, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { openStore } from "../store/db.js";
import { PGLITE_DIR } from "../store/embedded/from-pglite.js";
import { databaseStartError } from "../store/connect-errors.js";
import { reason } from "../store/data-dir.js";
import { acquireDataDirLock, type DataDirLock } from "../store/data-dir-lock.js";
import { exportRows, type ExportSummary } from "../store/export-file.js";
import { loadConfigOrExit } from "./load.js";

/**
 * `switchboard export [--output FILE|-]`: every row of the store as one JSON Lines file
 * (../store/export-file.ts), to standard output by default. On the embedded store it takes the
 * data directory's lock first, as `switchboard migrate` does, so it is refused while a gateway
 * runs there; on PostgreSQL (`DATABASE_URL`) it reads one consistent snapshot beside live gateways.
 * A file is written under a temporary name (mode 0600) and renamed when complete.
 */
export async function exportCommand(opts: { config?: string; output?: string }): Promise<void> {
  try {
    await runExport(opts);
  } catch (e) {
    if (!(e instanceof ExportRefused)) throw e; // printed as "switchboard: …" (the data directory's lock among them)
    console.error(`switchboard export: ${e.message}`);
    process.exitCode = 1;
  }
}

class ExportRefused extends Error {}

async function runExport(opts: { config?: string; output?: string }): Promise<void> {
  const config = loadConfigOrExit(opts.config);
  const output = opts.output ?? "-";
  if (!config.databaseUrl) assertEmbeddedStore(config.dataDir);
  let lock: DataDirLock | undefined;
  if (!config.databaseUrl) lock = await acquireDataDirLock(config.dataDir);
  try {
    if (!config.databaseUrl) assertSpoolEmpty(config.dataDir);
    const store = await openStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, onNotice: (line) => console.error(line) });
    let summary: ExportSummary;
    try {
      summary = output === "-" ? await exportRows(store.db, stdoutWriter()) : await exportToFile(store.db, output);
    } catch (e) {
      throw config.databaseUrl ? databaseStartError(e, config.databaseUrl) : e;
    } finally {
      await store.close();
    }
    const total = Object.values(summary.rows).reduce((a, b) => a + b, 0);
    const counts = Object.entries(summary.rows)
      .map(([t, n]) => `${t} ${n}`)
      .join(", ");
    const line = `exported ${total} row${total === 1 ? "" : "s"} (${counts}) at schema version ${summary.schemaVersion} from ${store.description} to ${output === "-" ? "standard output" : output}`;
    // The summary never mixes with the data.
    if (output === "-") console.error(line);
    else console.log(line);
  } finally {
    await lock?.release();
  }
}

async function exportToFile(db: Parameters<typeof exportRows>[0], file: string): Promise<ExportSummary> {
  const partial = join(dirname(file), `.${basename(file)}.partial-${process.pid}`);
  let fh;
  try {
    fh = await open(partial, "wx", 0o600);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new ExportRefused(`cannot write ${file}: ${err.code === "ENOENT" ? `no such directory ${dirname(file)} (ENOENT)` : reason(err)}`);
  }
  try {
    const summary = await exportRows(db, async (chunk) => {
      await fh.write(chunk);
    });
    await fh.sync();
    await fh.close();
    await rename(partial, file);
    return summary;
  } catch (e) {
    await fh.close().catch(() => {});
    await rm(partial, { force: true });
    throw e;
  }
}

/** Writes to standard output, waiting for the reader when the pipe is full. */
function stdoutWriter(): (chunk: string) => Promise<void> {
  let failed: Error | null = null;
  process.stdout.on("error", (e: Error) => void (failed = e));
  return (chunk) =>
    new Promise((resolve, reject) => {
      if (failed) return reject(new Error(`standard output closed: ${failed.message}`));
      if (process.stdout.write(chunk)) return resolve();
      const done = (e?: Error) => {
        process.stdout.off("drain", onDrain);
        process.stdout.off("error", done);
        if (e) reject(new Error(`standard output closed: ${e.message}`));
        else resolve();
      };
      const onDrain = () => done();
      process.stdout.once("drain", onDrain);
      process.stdout.once("error", done);
    });
}

/** Exporting a data directory that holds no store would create an empty one: say so instead. */
function assertEmbeddedStore(dataDir: string): void {
  if (existsSync(join(dataDir, "pg", "PG_VERSION")) || existsSync(join(dataDir, PGLITE_DIR, "PG_VERSION"))) return;
  throw new ExportRefused(`no embedded store in ${dataDir} (set data_dir / SWITCHBOARD_DATA_DIR, or DATABASE_URL for PostgreSQL)`);
}

/**
 * Usage rows a gateway wrote to `<data_dir>/spool` but not to the database (it was killed before
 * it could) are written by its next start: an export now would miss them.
 */
function assertSpoolEmpty(dataDir: string): void {
  const spool = join(dataDir, "spool");
  let pending = 0;
  try {
    for (const name of readdirSync(spool)) {
      if (name.endsWith(".jsonl") && statSync(join(spool, name)).size > 0) pending++;
    }
  } catch {
    return; // no spool
  }
  if (pending > 0) {
    throw new ExportRefused(
      `${spool} holds usage rows not yet in the database (${pending} segment file${pending === 1 ? "" : "s"} left by a gateway that did not stop cleanly): start the gateway once and stop it, then export`,
    );
  }
}
