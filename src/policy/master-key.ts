/**
 * The master key: from the environment or config, else `<data_dir>/master.key`, else generated
 * on first start, written there with mode 0600 and printed once.
 */
import { readFileSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { randomId } from "../core/ids.js";
import { ensureDirectory } from "../store/data-dir.js";

export interface MasterKeySource {
  key: string;
  /** True when this start generated it (the caller prints it once). */
  generated: boolean;
  path?: string;
}

export function resolveMasterKey(configured: string | undefined, dataDir: string): MasterKeySource {
  if (configured) return { key: configured, generated: false };
  const path = join(dataDir, "master.key");
  if (existsSync(path)) {
    const key = readFileSync(path, "utf8").trim();
    if (key) return { key, generated: false, path };
  }
  ensureDirectory(dataDir); // bounded, one-line errors (the gateway has usually made it already, with its lock)
  const key = `sb-master-${randomId(40)}`;
  writeFileSync(path, key + "\n", { mode: 0o600, flag: "w" });
  return { key, generated: true, path };
}
