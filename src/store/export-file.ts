/**
 * The export file: every row of the gateway's data as JSON Lines, written by `switchboard export`
 * and read by `switchboard import`.
 *
 *   {"format":"switchboard-export","format_version":1,"schema_version":4,"exported_at":"…","tables":[…]}
 *   {"table":"teams","row":{"team_id":"search",…}}          one line per row, parents before children
 *   …
 *   {"end":true,"rows":{"teams":1,…},"sequences":[{"name":"usage_id_seq","value":"50000"}]}
 *
 * The end line counts the rows per table, so a file cut short (or missing lines) is refused, and
 * carries the sequences, so new rows in the target get fresh ids. Both directions stream: the
 * export reads a table through a cursor a page at a time and writes each page before reading the
 * next; the import loads rows in batches inside one transaction. Memory stays bounded whatever
 * the size of the ledger.
 */
import { sql, type Kysely } from "./kysely.js";
import type { Database } from "./schema.js";
import { insertJsonRows, listSequences, listTables, restoreSequences, type SequenceValue } from "./table-copy.js";

export const EXPORT_FORMAT = "switchboard-export";
export const EXPORT_FORMAT_VERSION = 1;

/** Rows fetched from the cursor per page (and written per write). */
const PAGE_ROWS = 1000;
/** An import batch is sent once it holds this many rows or this many characters. */
const BATCH_ROWS = 500;
const BATCH_CHARS = 1 << 20;

export interface ExportHeader {
  format: typeof EXPORT_FORMAT;
  format_version: number;
  schema_version: number;
  exported_at: string;
  tables: string[];
}

export interface ExportEnd {
  end: true;
  rows: Record<string, number>;
  sequences: SequenceValue[];
}

export interface ExportSummary {
  schemaVersion: number;
  rows: Record<string, number>;
}

/**
 * Writes the whole database to `write` (awaited before the next page is read), from one
 * REPEATABLE READ, read-only transaction: a consistent snapshot beside live gateways.
 */
export async function exportRows(db: Kysely<Database>, write: (chunk: string) => Promise<void>, opts: { pageRows?: number } = {}): Promise<ExportSummary> {
  const pageRows = opts.pageRows ?? PAGE_ROWS;
  return db
    .transaction()
    .setIsolationLevel("repeatable read")
    .setAccessMode("read only")
    .execute(async (trx) => {
      const schemaVersion = await schemaVersionOf(trx); // the first statement takes the snapshot
      const tables = await listTables(trx);
      const header: ExportHeader = { format: EXPORT_FORMAT, format_version: EXPORT_FORMAT_VERSION, schema_version: schemaVersion, exported_at: new Date().toISOString(), tables };
      await write(JSON.stringify(header) + "\n");
      const rows: Record<string, number> = {};
      for (const table of tables) {
        rows[table] = 0;
        const prefix = `{"table":${JSON.stringify(table)},"row":`;
        await sql`declare switchboard_export no scroll cursor for select row_to_json(x)::text as r from ${sql.table(table)} x`.execute(trx);
        for (;;) {
          const { rows: page } = await sql<{ r: string }>`fetch ${sql.raw(String(pageRows))} from switchboard_export`.execute(trx);
          if (page.length === 0) break;
          let chunk = "";
          // PostgreSQL's JSON escapes line breaks inside strings; any other is whitespace.
          for (const { r } of page) chunk += prefix + r.replace(/[\r\n]/g, " ") + "}\n";
          rows[table] += page.length;
          await write(chunk);
        }
        await sql`close switchboard_export`.execute(trx);
      }
      // Read after the rows: every id in the snapshot was drawn before it, so these values cover them.
      const end: ExportEnd = { end: true, rows, sequences: await listSequences(trx) };
      await write(JSON.stringify(end) + "\n");
      return { schemaVersion, rows };
    });
}

/** The highest applied migration (0 when the database was never migrated). */
async function schemaVersionOf(db: Kysely<Database>): Promise<number> {
  const { rows } = await sql<{ t: string | null }>`select to_regclass('schema_migrations')::text as t`.execute(db);
  if (rows[0]?.t == null) return 0;
  const {
    rows: [r],
  } = await sql<{ v: number | null }>`select max(version)::int as v from schema_migrations`.execute(db);
  return r?.v ?? 0;
}

/** A refusal to read or load a file: one line, said to the user as it is. */
export class ExportFileError extends Error {
  override readonly name = "ExportFileError";
}

/** Checks line 1 of a file; `latestSchema` is the newest schema version this build knows. */
export function parseHeader(line: string | undefined, latestSchema: number): ExportHeader {
  if (line === undefined) throw new ExportFileError("the file is empty");
  const h = parseObject(line, 1);
  if (h.format !== EXPORT_FORMAT) throw new ExportFileError(`line 1 is not the header of a switchboard export (it has no "format": "${EXPORT_FORMAT}")`);
  if (!isCount(h.format_version) || h.format_version < 1) throw new ExportFileError(`line 1: "format_version" must be a whole number ≥ 1`);
  if (h.format_version > EXPORT_FORMAT_VERSION) {
    throw new ExportFileError(`the file's format version ${h.format_version} is newer than this switchboard reads (${EXPORT_FORMAT_VERSION}); upgrade switchboard`);
  }
  if (!isCount(h.schema_version)) throw new ExportFileError(`line 1: "schema_version" must be a whole number ≥ 0`);
  if (h.schema_version > latestSchema) {
    throw new ExportFileError(`the file's schema version ${h.schema_version} is newer than this switchboard knows (${latestSchema}); upgrade switchboard`);
  }
  return h as unknown as ExportHeader;
}

/**
 * Loads the lines after the header into `db` (within the caller's transaction): rows in batches,
 * then the sequences of the end line. Every table must exist in `db` (`columns`: each table's
 * columns). Throws an `ExportFileError` naming the line for anything malformed.
 */
export async function loadRows(db: Kysely<Database>, lines: AsyncIterable<string>, columns: Map<string, Set<string>>): Promise<Record<string, number>> {
  const rows: Record<string, number> = {};
  let batch: string[] = [];
  let batchChars = 0;
  let batchTable = "";
  let batchFirst = 0;
  let no = 1;
  let end: ExportEnd | null = null;
  const flush = async () => {
    if (batch.length === 0) return;
    let n: number;
    try {
      n = await insertJsonRows(db, batchTable, `[${batch.join(",")}]`, "row");
    } catch (err) {
      const where = batchFirst === no - 1 ? `line ${batchFirst}` : `lines ${batchFirst}-${no - 1}`;
      throw new ExportFileError(`${where} (table ${batchTable}) could not be loaded: ${(err as Error).message}`);
    }
    rows[batchTable] = (rows[batchTable] ?? 0) + n;
    batch = [];
    batchChars = 0;
  };
  for await (const line of lines) {
    no++;
    if (end) {
      if (line === "") continue;
      throw new ExportFileError(`line ${no} comes after the end line`);
    }
    const o = parseObject(line, no);
    if (o.end === true) {
      await flush();
      end = checkEnd(o, no);
      continue;
    }
    const table = o.table;
    if (typeof table !== "string" || o.row === null || typeof o.row !== "object" || Array.isArray(o.row)) {
      throw new ExportFileError(`line ${no} is neither a row ({"table": …, "row": {…}}) nor the end line`);
    }
    const known = columns.get(table);
    if (!known) throw new ExportFileError(`line ${no}: unknown table "${table}" (the schema has ${[...columns.keys()].join(", ")})`);
    for (const c of Object.keys(o.row)) {
      if (!known.has(c)) throw new ExportFileError(`line ${no}: table ${table} has no column "${c}"`);
    }
    if (table !== batchTable || batch.length >= BATCH_ROWS || batchChars >= BATCH_CHARS) {
      await flush();
      batchTable = table;
      batchFirst = no;
    }
    batch.push(line);
    batchChars += line.length;
  }
  if (!end) throw new ExportFileError(`the file ends at line ${no} without its end line: the export was cut short`);
  for (const [t, n] of Object.entries(end.rows)) {
    if ((rows[t] ?? 0) !== n) throw new ExportFileError(`the end line counts ${n} rows of ${t}, the file holds ${rows[t] ?? 0}: lines are missing`);
  }
  for (const [t, n] of Object.entries(rows)) {
    if (!(t in end.rows)) throw new ExportFileError(`the end line does not count table ${t}, the file holds ${n} of its rows`);
  }
  const known = new Set((await listSequences(db)).map((s) => s.name));
  const unknown = end.sequences.find((s) => !known.has(s.name));
  if (unknown) throw new ExportFileError(`the end line names an unknown sequence "${unknown.name}"`);
  await restoreSequences(db, end.sequences);
  return end.rows; // equal to what was loaded, in the file's order, empty tables included
}

function checkEnd(o: Record<string, unknown>, no: number): ExportEnd {
  const bad = () => new ExportFileError(`line ${no}: the end line must be {"end": true, "rows": {table: count}, "sequences": [{"name", "value"}]}`);
  const rows = o.rows;
  if (rows === null || typeof rows !== "object" || Array.isArray(rows)) throw bad();
  if (!Object.values(rows).every(isCount)) throw bad();
  if (!Array.isArray(o.sequences)) throw bad();
  for (const s of o.sequences as unknown[]) {
    const seq = s as Record<string, unknown> | null;
    if (seq === null || typeof seq !== "object" || typeof seq.name !== "string") throw bad();
    if (seq.value !== null && (typeof seq.value !== "string" || !/^-?\d{1,19}$/.test(seq.value))) throw bad();
  }
  return o as unknown as ExportEnd;
}

function parseObject(line: string, no: number): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch (err) {
    throw new ExportFileError(`line ${no} is not valid JSON (${(err as Error).message})`);
  }
  if (v === null || typeof v !== "object" || Array.isArray(v)) throw new ExportFileError(`line ${no} is not a JSON object`);
  return v as Record<string, unknown>;
}

function isCount(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
}
