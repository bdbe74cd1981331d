/**
 * Rows with stored content are large: the ledger's memory queue is bounded by characters as well
 * as by rows; past it rows are refused (the durable ledger keeps them on disk only).
 */
import type { Kysely } from "kysely";
import { describe, expect, it } from "vitest";
import type { Database } from "../../src/store/schema.js";
import { UsageWriter } from "../../src/usage/writer.js";

describe("the writer's queue, bounded by characters", () => {
  it("refuses a row that would pass maxQueueChars, but always takes one into an empty queue", () => {
    const w = new UsageWriter<null>({} as Kysely<Database>, { maxQueueChars: 1000, flushIntervalMs: 3_600_000 });
    try {
      expect(w.enqueue("x".repeat(5000), null)).toBe(true); // alone: taken, or a large row could never be written
      expect(w.room()).toBe(0);
      expect(w.enqueue("y", null)).toBe(false);
      const v = new UsageWriter<null>({} as Kysely<Database>, { maxQueueChars: 1000, flushIntervalMs: 3_600_000 });
      expect(v.enqueue("a".repeat(600), null)).toBe(true);
      expect(v.enqueue("b".repeat(300), null)).toBe(true);
      expect(v.enqueue("c".repeat(200), null)).toBe(false);
      expect(v.stats.queued).toBe(2);
      v.stop();
    } finally {
      w.stop();
    }
  });
});
