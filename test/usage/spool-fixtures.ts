/** Helpers for tests of the usage spool: listing and reading segment files, writing leftovers by hand. */
import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Kysely } from "kysely";
import type { Database } from "../../src/store/schema.js";
import type { UsageRecord } from "../../src/usage/types.js";

/** Segment files in a spool directory, sorted by name. */
export function segmentFiles(spoolDir: string): string[] {
  try {
    return readdirSync(spoolDir)
      .filter((f) => f.endsWith(".jsonl"))
      .sort();
  } catch {
    return [];
  }
}

/** Every line of every segment in the directory. */
export function spoolLines(spoolDir: string): string[] {
  return segmentFiles(spoolDir).flatMap((f) =>
    readFileSync(join(spoolDir, f), "utf8")
      .split("\n")
      .filter((l) => l !== ""),
  );
}

/** A row as the spool stores it: JSON with the Date as an ISO string. */
export function asSpoolLine(r: UsageRecord): string {
  return JSON.stringify(r);
}

/** The pid of a process that has exited. */
export function deadPid(): number {
  const r = spawnSync(process.execPath, ["-e", ""]);
  return r.pid;
}

/** Writes a segment as a crashed process would have left it; returns its file name. */
export function writeLeftover(spoolDir: string, opts: { pid: number; instance?: string; seq?: number; rows: UsageRecord[]; tail?: string }): string {
  mkdirSync(spoolDir, { recursive: true });
  const name = `u-${opts.instance ?? "0000old00beef"}-${opts.pid}-${String(opts.seq ?? 1).padStart(8, "0")}.jsonl`;
  writeFileSync(join(spoolDir, name), opts.rows.map((r) => asSpoolLine(r) + "\n").join("") + (opts.tail ?? ""));
  return name;
}

/** Rows stored for these request ids: `[request_id, attempt]` pairs, sorted, duplicates kept. */
export async function storedKeys(db: Kysely<Database>, requestIds: string[]): Promise<Array<[string, number]>> {
  if (requestIds.length === 0) return [];
  const rows = await db.selectFrom("usage").select(["request_id", "attempt"]).where("request_id", "in", requestIds).execute();
  return rows.map((r) => [r.request_id, r.attempt] as [string, number]).sort(compareKeys);
}

export function keysOf(rows: UsageRecord[]): Array<[string, number]> {
  return rows.map((r) => [r.requestId, r.attempt] as [string, number]).sort(compareKeys);
}

function compareKeys(a: [string, number], b: [string, number]): number {
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1];
}
