/**
 * A CommonJS package loaded the first time it is used rather than when its importer is: packages
 * that only some configurations need (undici for `upstream.transport: undici`, egress proxies and
 * Vertex tokens; ioredis for `REDIS_URL`) would otherwise cost every gateway their memory
 * (20–25 MB of RSS each, mostly their compiled code) and load time.
 */
import { createRequire } from "node:module";

const requireHere = createRequire(import.meta.url);

/** A function returning package `name` (typed by `import type * as T from name`), loaded synchronously on its first call. */
export function lazyPackage<T>(name: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= requireHere(name) as T);
}
