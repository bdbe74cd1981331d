import { setFlagsFromString } from "node:v8";
import { startGateway, type RunningGateway } from "../gateway/index.js";
import { loadConfigOrExit } from "./load.js";
import { configSecrets, SecretScrubber } from "../observability/log.js";

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

/** Redacts the lines printed outside the gateway's log (set once the config is loaded). */
let scrubber = new SecretScrubber([]);

export async function serveCommand(opts: { config?: string; port?: number; host?: string; migrate: boolean }): Promise<void> {
  const config = loadConfigOrExit(opts.config, { port: opts.port, host: opts.host });
  // The lines printed here, outside the gateway's log, are redacted the same way.
  scrubber = new SecretScrubber(configSecrets(config));
  tuneHeap();
  // Signal handlers come first: a SIGTERM or Ctrl-C that arrives while starting cancels the
  // start (what was started is undone) and exits; one that arrives once the gateway runs drains it.
  let gw: RunningGateway | undefined;
  let stopping: string | null = null;
  const starting = new AbortController();
  const stop = (signal: string) => {
    if (stopping) {
      if (!gw) exitNow(`switchboard: ${signal} again: exiting without finishing the clean-up`, 1);
      // A second signal while draining: say what is cut, and stop now.
      const n = gw.inFlight();
      gw.log.flushSync();
      exitNow(`switchboard: ${signal} again: stopping now, cutting ${n} in-flight request${n === 1 ? "" : "s"} (usage of completed responses is already in the spool)`, 1);
    }
    stopping = signal;
    if (gw) drain(gw, signal);
    else {
      console.error(`${signal}: cancelling the start...`);
      starting.abort();
      // The clean-up is bounded step by step; this bounds the whole of it.
      setTimeout(() => exitNow(`switchboard: start-up cancelled by ${signal} (clean-up took too long)`, 1), CANCEL_EXIT_MS).unref();
    }
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));

  try {
    gw = await startGateway(config, { migrate: opts.migrate, signal: starting.signal });
  } catch (e) {
    const by = stopping as string | null; // set by the signal handler meanwhile
    if (by) exitNow(`switchboard: start-up cancelled by ${by}`, 0);
    exitNow(`switchboard: could not start: ${oneLine(e)}`, 1);
  }
  const providers = Object.keys(config.providers).join(", ");
  gw.log.logger.info(`store: ${gw.store.description}`);
  gw.log.logger.info({ url: gw.url }, `Switchboard listening on ${gw.url} (providers: ${providers})`);
  void gw.log.flush(); // the start-up lines now, not with the first batch of access lines
  if (stopping) drain(gw, stopping);
}

/** Longest wait, after a signal during start-up, for what was started to be undone. */
const CANCEL_EXIT_MS = 8000;

function exitNow(line: string, code: number): never {
  console.error(scrubber.scrub(line));
  process.exit(code);
}

/** The first line of an error's message: start-up errors are one line, never a stack trace. */
function oneLine(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  return message.split("\n").find((l) => l.trim()) ?? "unknown error";
}

function drain(gw: RunningGateway, signal: string): void {
  const n = gw.inFlight();
  gw.log.logger.info(
    `${signal}: stopping: waiting up to ${Math.round(gw.drainMs / 1000)} s for ${n} in-flight request${n === 1 ? "" : "s"}, then flushing usage (send the signal again to stop at once)`,
  );
  // close() ends by flushing the log: every line of every request served is written before the exit.
  gw.close().then(
    () => process.exit(0),
    (e) => {
      gw.log.logger.error(`switchboard: shutdown failed: ${(e as Error).message}`);
      gw.log.flushSync();
      process.exit(1);
    },
  );
}
