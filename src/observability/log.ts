/**
 * The gateway's log: JSON lines through pino on standard error, written asynchronously (a
 * buffered destination written in batches of `WRITE_BATCH_BYTES` or every `FLUSH_INTERVAL_MS`,
 * and on shutdown), at `logging.level`.
 *
 * No secret reaches a line: every line, whatever its path (access lines, start-up, warnings,
 * errors with their stacks and upstream messages), passes through `SecretScrubber` just before
 * it is written. It replaces the configured secrets (master key, provider credentials, database
 * and Redis passwords, the metrics token) wherever they appear, and anything shaped like a
 * credential: virtual and master keys, `Authorization` / `x-api-key` values, provider key
 * formats, private keys, passwords in URLs.
 */
import pino, { type Logger } from "pino";
import type { LogLevel, SwitchboardConfig } from "../config/types.js";

export type { Logger } from "pino";

export const REDACTED = "[redacted]";

/** Names of headers and fields whose value is a credential. */
const SECRET_FIELDS = "authorization|proxy-authorization|x-api-key|api-key|x-goog-api-key|api_key|apikey|access_token|secret_access_key|session_token|client_secret|password|cookie|set-cookie";

/**
 * Shapes of credentials, whatever their source. Each match is replaced (a header's or field's
 * name and separator kept) by `[redacted]`.
 */
const SHAPES: ReadonlyArray<readonly [RegExp, string]> = [
  // A JSON member with such a name and a string value: "authorization":"…" (the value replaced, the line stays JSON).
  [new RegExp(`("(?:${SECRET_FIELDS})"\\s*:\\s*")(?:[^"\\\\]|\\\\.)*"`, "gi"), `$1${REDACTED}"`],
  // The same in free text (quotes escaped inside a JSON string): authorization: Bearer …, x-api-key=…, \"api_key\": \"…\".
  [new RegExp(`(?<![\\w-])((?:${SECRET_FIELDS})(?:\\\\")?'?\\s*[:=]\\s*(?:\\\\")?'?(?:bearer\\s+|basic\\s+)?)[^\\s"'\\\\,;}&]+`, "gi"), `$1${REDACTED}`],
  [/(bearer\s+)[A-Za-z0-9._~+/=-]{8,}/gi, `$1${REDACTED}`],
  // Switchboard's own keys: sb-live-…, sb-test-…, sb-master-…
  [/sb-(?:live|test|master)-[0-9A-Za-z]{6,}/g, REDACTED],
  // OpenAI / Anthropic style keys, Google API keys and OAuth tokens, AWS access key ids.
  [/\bsk-[A-Za-z0-9_-]{12,}/g, REDACTED],
  [/\bAIza[0-9A-Za-z_-]{30,}/g, REDACTED],
  [/\bya29\.[0-9A-Za-z._-]+/g, REDACTED],
  [/\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g, REDACTED],
  // PEM private keys (a Vertex service account's), raw or inside a JSON string.
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g, REDACTED],
  // user:password@ in URLs (database and Redis URLs); the placeholder of a usage example is kept.
  [/(\/\/[^/\s:@"]+:)(?!password@)[^@\s"/]+@/g, `$1${REDACTED}@`],
];

/**
 * Text in which no shape above can match: each shape needs one of these (case aside), so a line
 * without any of them (an access line, most lines) skips the replacements.
 */
const SHAPE_TRIGGER = new RegExp(`${SECRET_FIELDS}|bearer|sb-|sk-|AIza|ya29\\.|AKIA|ASIA|PRIVATE KEY|@`, "i");

/** Values shorter than this are not looked for as such (they would match ordinary text); shapes still apply. */
const MIN_SECRET_LENGTH = 8;

/** Replaces known secret values and credential shapes in a line of text. */
export class SecretScrubber {
  private readonly values: string[];

  constructor(values: Iterable<string | undefined>) {
    const set = new Set<string>();
    for (const v of values) {
      if (typeof v !== "string" || v.length < MIN_SECRET_LENGTH) continue;
      set.add(v);
      // As it appears inside a JSON string (quotes, backslashes, control characters escaped).
      const escaped = JSON.stringify(v).slice(1, -1);
      if (escaped !== v) set.add(escaped);
    }
    // Longest first: a secret containing another is replaced whole.
    this.values = [...set].sort((a, b) => b.length - a.length);
  }

  scrub(text: string): string {
    let out = text;
    for (const v of this.values) if (out.includes(v)) out = out.split(v).join(REDACTED);
    if (!SHAPE_TRIGGER.test(out)) return out;
    for (const [re, replacement] of SHAPES) {
      re.lastIndex = 0;
      out = out.replace(re, replacement);
    }
    return out;
  }
}

const SECRET_NAME = /key|secret|token|password|credential|auth/i;

/** Every string under a secret-looking name, at any depth (`credentials: { private_key: … }`, a JSON string of them). */
function secretStrings(value: unknown, named: boolean, out: string[], depth = 0): void {
  if (depth > 8) return;
  if (typeof value === "string") {
    if (named) out.push(value);
    return;
  }
  if (Array.isArray(value)) {
    for (const v of value) secretStrings(v, named, out, depth + 1);
    return;
  }
  if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) secretStrings(v, named || SECRET_NAME.test(k), out, depth + 1);
  }
}

function urlPassword(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const p = new URL(url).password;
    return p ? decodeURIComponent(p) : undefined;
  } catch {
    return undefined;
  }
}

/** The secrets a config holds: the master key, each provider's credentials and headers, database and Redis passwords, the metrics token. */
export function configSecrets(config: SwitchboardConfig): string[] {
  const out: string[] = [];
  if (config.masterKey) out.push(config.masterKey);
  if (config.metrics.bearerToken) out.push(config.metrics.bearerToken);
  for (const url of [config.databaseUrl, config.redisUrl]) {
    const p = urlPassword(url);
    if (p) out.push(p);
  }
  for (const p of Object.values(config.providers)) {
    if (p.apiKey) out.push(p.apiKey);
    for (const v of Object.values(p.headers)) out.push(v.replace(/^(bearer|basic)\s+/i, ""));
    secretStrings(p.extra, false, out);
  }
  return out;
}

export interface GatewayLogOptions {
  level: LogLevel;
  /** Secret values never to print (see `configSecrets`). More can be added with `addSecret`. */
  secrets: Iterable<string | undefined>;
  /** File descriptor lines go to (default 2, standard error). */
  fd?: number;
  /** Where lines go instead of a file descriptor (tests). Written synchronously. */
  stream?: { write(s: string): unknown };
}

export interface GatewayLog {
  readonly logger: Logger;
  /** Also redacts `secret` from now on (a master key generated at start-up). */
  addSecret(secret: string): void;
  /** `text` with every secret and credential shape replaced, as lines are written. */
  scrub(text: string): string;
  /** Resolves once every line logged so far has been handed to the operating system. */
  flush(): Promise<void>;
  /** Writes what is buffered now, synchronously (before `process.exit`). */
  flushSync(): void;
}

/**
 * Most bytes waiting to be written. Past it new lines are dropped rather than held (a reader
 * of standard error that stops reading must not grow the gateway without bound).
 */
const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;

/**
 * Lines are handed to the operating system once this many bytes wait (about a dozen access
 * lines), or by the periodic flush below, whichever comes first: one write per line cost about
 * a sixth of the gateway's CPU at 3,000 requests per second (a system call each, most of it on
 * the gateway's own core).
 */
const WRITE_BATCH_BYTES = 8 * 1024;
/** Longest a logged line waits in memory before it is written (milliseconds). */
const FLUSH_INTERVAL_MS = 200;

export function createGatewayLog(opts: GatewayLogOptions): GatewayLog {
  let secrets = [...opts.secrets];
  let scrubber = new SecretScrubber(secrets);
  const dest = opts.stream
    ? undefined
    : pino.destination({
        dest: opts.fd ?? 2,
        sync: false,
        minLength: WRITE_BATCH_BYTES,
        periodicFlush: FLUSH_INTERVAL_MS,
        maxLength: MAX_BUFFERED_BYTES,
      });
  const logger = pino(
    {
      level: opts.level,
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      // Credentials in logged objects (headers.authorization, x-api-key, cookie, …) are replaced
      // by the scrubber on the serialised line, by name and by shape, at any depth.
      hooks: { streamWrite: (s) => scrubber.scrub(s) },
    },
    opts.stream ?? dest,
  );
  const log: GatewayLog = {
    logger,
    addSecret(secret) {
      secrets = [...secrets, secret];
      scrubber = new SecretScrubber(secrets);
    },
    scrub: (text) => scrubber.scrub(text),
    flush: () =>
      new Promise<void>((resolve) => {
        if (!dest) return resolve();
        dest.flush((err) => {
          void err; // a closed or broken stderr: nothing more can be written
          resolve();
        });
      }),
    flushSync() {
      try {
        dest?.flushSync();
      } catch {
        // the buffer could not be written now (EAGAIN on a full pipe): nothing more to do before exiting
      }
    },
  };
  latest = log;
  return log;
}

let latest: GatewayLog | undefined;

/**
 * For code that has no gateway at hand (the management API's error handler): the log of the
 * gateway started last in this process, else one at info on standard error that knows the
 * credential shapes but no configured secret.
 */
export function defaultLog(): GatewayLog {
  return (latest ??= createGatewayLog({ level: "info", secrets: [] }));
}

/** `err` as log fields: its message and stack, never the object (which may hold request bodies or headers). */
export function errorFields(err: unknown): { error: string } {
  return { error: String((err as Error | null)?.stack ?? err) };
}
