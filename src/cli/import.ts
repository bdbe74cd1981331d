import { open } from "node:fs/promises";
import { StringDecoder } from "node:string_decoder";
import { databaseStartError } from "../store/connect-errors.js";
import { reason } from "../store/data-dir.js";
import { acquireDataDirLock, type DataDirLock } from "../store/data-dir-lock.js";
import { openStore } from "../store/db.js";
import { ExportFileError, loadRows, parseHeader } from "../store/export-file.js";
import { LATEST_SCHEMA_VERSION, migrate, schemaStatus } from "../store/migrate.js";
import { MIGRATIONS } from "../store/migrations/index.js";
import { firstTableWithRows, listTables, tableColumns } from "../store/table-copy.js";
import { loadConfigOrExit } from "./load.js";

/** Longest line read (a ledger row with a large receipt is a few kilobytes). */
const MAX_LINE_CHARS = 64 * 1024 * 1024;

/**
 * `switchboard import --input FILE|-`: loads a file written by `switchboard export` into the
 * configured store (the embedded store, taking the data directory's lock as `migrate` does, or
 * `DATABASE_URL`). The target must hold no data and no newer schema; it is migrated to the file's
 * schema version, then every row and the sequences are loaded in one transaction: a refused or
 * failed import leaves the tables empty.
 */
export async function importCommand(opts: { config?: string; input: string }): Promise<void> {
  try {
    await runImport(opts);
  } catch (e) {
    if (!(e instanceof ExportFileError)) throw e; // printed as "switchboard: …" (the data directory's lock among them)
    console.error(`switchboard import: ${e.message}`);
    process.exitCode = 1;
  }
}

async function runImport(opts: { config?: string; input: string }): Promise<void> {
  const config = loadConfigOrExit(opts.config);
  const lines = (await openInput(opts.input))[Symbol.asyncIterator]();
  const first = await lines.next();
  const header = parseHeader(first.done ? undefined : first.value, LATEST_SCHEMA_VERSION);

  let lock: DataDirLock | undefined;
  if (!config.databaseUrl) lock = await acquireDataDirLock(config.dataDir);
  try {
    const store = await openStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, onNotice: (line) => console.log(line) });
    let rows: Record<string, number>;
    try {
      const { current } = await schemaStatus(store);
      if (current > header.schema_version) {
        throw new ExportFileError(`${store.description} is at schema version ${current}, newer than the file's (${header.schema_version}): import into a new, empty database`);
      }
      const full = await firstTableWithRows(store.db, await listTables(store.db));
      if (full !== null) {
        throw new ExportFileError(`${store.description} already holds data (table ${full} has rows): import only into an empty database`);
      }
      await migrate(
        store,
        MIGRATIONS.filter((m) => m.version <= header.schema_version),
      );
      const columns = await tableColumns(store.db, await listTables(store.db));
      rows = await store.db.transaction().execute((trx) => loadRows(trx, { [Symbol.asyncIterator]: () => lines }, columns));
    } catch (e) {
      throw config.databaseUrl ? databaseStartError(e, config.databaseUrl) : e;
    } finally {
      await store.close();
    }
    const total = Object.values(rows).reduce((a, b) => a + b, 0);
    const counts = Object.entries(rows)
      .map(([t, n]) => `${t} ${n}`)
      .join(", ");
    const later = header.schema_version < LATEST_SCHEMA_VERSION ? ` (this switchboard's is ${LATEST_SCHEMA_VERSION}: \`switchboard migrate\` or the next start applies the rest)` : "";
    console.log(`imported ${total} row${total === 1 ? "" : "s"} (${counts}) into ${store.description} at schema version ${header.schema_version}${later}`);
  } finally {
    await lock?.release();
  }
}

/** The lines of a file, or of standard input for `-`. */
async function openInput(input: string): Promise<AsyncIterable<string>> {
  if (input === "-") return readLines(process.stdin, "standard input");
  try {
    const fh = await open(input, "r");
    return readLines(fh.createReadStream(), input);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new ExportFileError(`cannot read ${input}: ${err.code === "ENOENT" ? "no such file (ENOENT)" : reason(err)}`);
  }
}

/** Splits a stream into lines (without their `\n`), a chunk at a time; a line longer than the limit is refused. */
async function* readLines(stream: AsyncIterable<Buffer | string>, name: string): AsyncGenerator<string> {
  const decoder = new StringDecoder("utf8");
  let pending = "";
  let no = 0;
  try {
    for await (const chunk of stream) {
      pending += typeof chunk === "string" ? chunk : decoder.write(chunk);
      let start = 0;
      for (let i = pending.indexOf("\n"); i >= 0; i = pending.indexOf("\n", start)) {
        no++;
        yield pending.slice(start, i);
        start = i + 1;
      }
      pending = pending.slice(start);
      if (pending.length > MAX_LINE_CHARS) throw new ExportFileError(`line ${no + 1} is longer than ${MAX_LINE_CHARS} characters`);
    }
  } catch (e) {
    if (e instanceof ExportFileError) throw e;
    throw new ExportFileError(`cannot read ${name}: ${(e as NodeJS.ErrnoException).code ? reason(e as NodeJS.ErrnoException) : (e as Error).message}`);
  }
  pending += decoder.end();
  if (pending !== "") yield pending;
}
