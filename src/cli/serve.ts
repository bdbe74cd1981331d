import { setFlagsFromString } from "node:v8";
import { startGateway, type RunningGateway } from "../http/server.js";
import { loadConfigOrExit } from "./load.js";

/**
 * How far V8 lets the old generation grow past the live data before the next full collection
 * (V8's own default is a factor chosen between 1.1 and 4). Under load, short-lived request
 * objects are promoted steadily; with the default the heap grew to ~100 MB of mostly garbage
 * between collections. 50 % keeps the process's peak memory bounded (docs/performance.md).
 * A `--heap-growing-percent` given to node itself wins (node does not accept it in NODE_OPTIONS).
 */
const HEAP_GROWING_PERCENT = 50;

function tuneHeap(): void {
  const given = process.execArgv.some((a) => a.startsWith("--heap-growing-percent"));
  if (!given) setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}

export async function serveCommand(opts: { config?: string; port?: number; host?: string; migrate: boolean }): Promise<void> {
  const config = loadConfigOrExit(opts.config, { port: opts.port, host: opts.host });
  tuneHeap();
  // Signal handlers come first: a SIGTERM that arrives while starting, or the instant the
  // listening line is printed, must still end in a clean stop rather than the default kill.
  let gw: RunningGateway | undefined;
  let stopping: string | null = null;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = signal;
    if (gw) drain(gw, signal);
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));

  try {
    gw = await startGateway(config, { migrate: opts.migrate });
  } catch (e) {
    console.error(`switchboard: could not start: ${(e as Error).message}`);
    process.exit(1);
  }
  const providers = Object.keys(config.providers).join(", ");
  const store = gw.store.kind === "embedded" ? `embedded store in ${config.dataDir}` : "PostgreSQL";
  console.error(`Switchboard listening on ${gw.url} (${store}; providers: ${providers})`);
  if (stopping) drain(gw, stopping);
}

function drain(gw: RunningGateway, signal: string): void {
  console.error(`${signal}: draining in-flight requests and flushing usage...`);
  gw.close().then(
    () => process.exit(0),
    (e) => {
      console.error(`switchboard: shutdown failed: ${(e as Error).message}`);
      process.exit(1);
    },
  );
}
