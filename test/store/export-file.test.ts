/**
 * The export reads one snapshot a page at a time: rows written while it runs (by a live gateway)
 * are not in the file, and each page is handed to the writer before the next is read.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exportRows } from "../../src/store/export-file.js";
import { sql } from "../../src/store/kysely.js";
import { migrate } from "../../src/store/migrate.js";
import { STORE_HOOK_TIMEOUT_MS, storeBackends, type TestStore } from "./backends.js";

const backends = await storeBackends();

const insertUsage = (from: number, to: number) => sql`
  insert into usage (request_id, attempt, requested_model, provider, model, endpoint, status, prompt_tokens, completion_tokens, total_tokens, usage_estimated, streamed, total_ms, overhead_ms)
  select 'req_' || g, 1, 'm', 'p', 'm', 'chat', 200, 1, 1, 2, false, false, 1, 0 from generate_series(${from}::int, ${to}::int) g`;

describe.each(backends)("export on $kind", (backend) => {
  let t: TestStore;
  beforeAll(async () => {
    t = await backend.open();
    await migrate(t.store);
    await insertUsage(1, 2500).execute(t.store.db);
  }, STORE_HOOK_TIMEOUT_MS);
  afterAll(() => t?.dispose());

  it("writes each page before reading the next, from one snapshot that rows written meanwhile do not enter", async () => {
    const chunks: string[] = [];
    let writtenMeanwhile = false;
    const summary = await exportRows(
      t.store.db,
      async (chunk) => {
        chunks.push(chunk);
        if (!writtenMeanwhile && chunk.startsWith('{"table":"usage"')) {
          // Another connection (a live gateway) adds ledger rows, and a user (a table exported later).
          await insertUsage(2501, 2600).execute(t.store.db);
          await sql`insert into users (user_id) values ('late')`.execute(t.store.db);
          writtenMeanwhile = true;
        }
      },
      { pageRows: 1000 },
    );
    expect(writtenMeanwhile).toBe(true);
    const usagePages = chunks.filter((c) => c.startsWith('{"table":"usage"')).map((c) => c.split("\n").length - 1);
    expect(usagePages).toEqual([1000, 1000, 500]);
    expect(summary.rows).toMatchObject({ usage: 2500, users: 0 });
    expect(chunks.join("")).not.toContain('"late"');
    const end = JSON.parse(chunks.at(-1)!) as { end: boolean; rows: Record<string, number>; sequences: { name: string; value: string | null }[] };
    expect(end.rows).toEqual(summary.rows);
    // The sequence is read after the rows: it covers every id in the file.
    expect(Number(end.sequences.find((s) => s.name === "usage_id_seq")?.value)).toBeGreaterThanOrEqual(2500);
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from usage`.execute(t.store.db);
    expect(rows).toEqual([{ n: 2600 }]);
  });
});
