/**
 * The log's destination writes in batches: a line waits in memory until about 8 KiB are waiting
 * or at most a fifth of a second has passed, and `flush` writes what waits at once.
 */
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createGatewayLog } from "../../src/observability/log.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("batched log writes", () => {
  it("holds a short line briefly, writes it within the flush interval, and writes a full batch at once", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sb-log-"));
    const file = join(dir, "log");
    const fd = openSync(file, "a");
    const log = createGatewayLog({ level: "info", secrets: [], fd });
    const lines = () => readFileSync(file, "utf8").split("\n").filter(Boolean);
    try {
      log.logger.info({ n: 1 }, "one line");
      expect(lines()).toHaveLength(0); // held: one system call per line is what batching avoids
      await sleep(450);
      expect(lines().map((l) => JSON.parse(l).n)).toEqual([1]);

      const big = "x".repeat(600);
      for (let i = 2; i <= 20; i++) log.logger.info({ n: i, big }, "batch"); // > 8 KiB: written without waiting for the interval
      await sleep(30);
      expect(lines().length).toBeGreaterThan(1);

      log.logger.info({ n: 21 }, "last");
      await log.flush();
      expect(lines().map((l) => JSON.parse(l).n)).toEqual(Array.from({ length: 21 }, (_, i) => i + 1));
    } finally {
      await log.flush();
      closeSync(fd);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
