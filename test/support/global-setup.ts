/**
 * Runs once before all test files: builds a migrated embedded-store template (a stopped
 * PostgreSQL cluster in `<dir>/pg`), so each test gateway copies a directory (its server starts
 * in ~0.2 s) instead of creating a cluster and migrating it (~1-3 s on a busy machine).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { openStore } from "../../src/store/db.js";
import { migrate } from "../../src/store/migrate.js";

declare module "vitest" {
  export interface ProvidedContext {
    storeTemplate: string;
  }
}

export default async function setup(project: TestProject) {
  const dir = mkdtempSync(join(tmpdir(), "sb-template-"));
  const store = await openStore({ dataDir: dir });
  await migrate(store);
  await store.close();
  project.provide("storeTemplate", dir);
  return () => rmSync(dir, { recursive: true, force: true });
}
