/**
 * Command-line flags of the benchmark → BenchOptions (for scripts and CLIs that do not parse
 * them themselves). Unknown flags throw, with the list of known ones.
 */
import type { BenchOptions } from "./index.js";
import type { Kind, Mode, Target } from "./report.js";

export const BENCH_USAGE = `Usage: switchboard bench [options]
  --duration <s>        seconds per measured run (default 10)
  --warmup <s>          warm-up seconds before each run (default 3)
  --rate <n>            fixed request rate of the latency runs (default 3000)
  --connections <n>     wrk connections for saturation runs (default 32)
  --threads <n>         wrk threads (default 1)
  --database-url <url>  PostgreSQL for the gateway (default: DATABASE_URL, else embedded)
  --redis-url <url>     also measure a second gateway ("gateway-redis") that counts its key's
                        limits and budget in this Redis, against the first in the same run
                        (REDIS_URL is not read); refused if it does not answer
  --targets <list>      direct,passthrough,gateway,messages (messages: the gateway's
                        /v1/messages, Anthropic's API, to the same upstream; needs gateway)
  --modes <list>        non-stream,stream
  --kinds <list>        saturation,fixed-rate
  --gateway-entry <js>  gateway CLI entry (default dist/cli/main.js)
  --master-key          use the master key instead of creating a virtual key
  --no-pin              do not pin processes to CPUs
  --http-engine <e>     the gateway's server.http_engine: fast (default) or node
  --transport <t>       the gateway's upstream.transport: fast (default) or undici
  --metrics <on|off>    the gateway's metrics.enabled: on (default, as shipped) or off
  --json                print the results as JSON`;

function list<T extends string>(flag: string, value: string, allowed: readonly T[]): T[] {
  const items = value
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  for (const i of items) if (!allowed.includes(i as T)) throw new Error(`${flag}: unknown value "${i}" (allowed: ${allowed.join(", ")})`);
  return items as T[];
}

function positive(flag: string, value: string | undefined, integer = false): number {
  const n = Number(value);
  if (value === undefined || !Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    throw new Error(`${flag} needs a positive ${integer ? "integer" : "number"}, got "${value ?? ""}"`);
  }
  return n;
}

export function parseBenchArgs(argv: readonly string[]): BenchOptions {
  const o: BenchOptions = {};
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].includes("=") ? argv[i].split(/=(.*)/s, 2) : [argv[i], undefined];
    const value = () => inline ?? argv[++i];
    switch (flag) {
      case "--duration":
        o.duration = positive(flag, value());
        break;
      case "--warmup": {
        const v = value();
        o.warmup = v === "0" ? 0 : positive(flag, v);
        break;
      }
      case "--rate":
        o.rate = positive(flag, value());
        break;
      case "--connections":
        o.connections = positive(flag, value(), true);
        break;
      case "--threads":
        o.threads = positive(flag, value(), true);
        break;
      case "--database-url":
        o.databaseUrl = value();
        break;
      case "--redis-url": {
        const v = value();
        if (!v) throw new Error(`${flag} needs a redis:// URL`);
        o.redisUrl = v;
        break;
      }
      case "--targets":
        o.targets = list<Target>(flag, value() ?? "", ["direct", "passthrough", "gateway", "messages"]);
        break;
      case "--modes":
        o.modes = list<Mode>(flag, value() ?? "", ["non-stream", "stream"]);
        break;
      case "--kinds":
        o.kinds = list<Kind>(flag, value() ?? "", ["saturation", "fixed-rate"]);
        break;
      case "--gateway-entry":
        o.gatewayEntry = value();
        break;
      case "--master-key":
        o.virtualKey = false;
        break;
      case "--no-pin":
        o.pin = false;
        break;
      case "--transport": {
        const v = value();
        if (v !== "fast" && v !== "undici") throw new Error(`${flag} needs fast or undici, got "${v ?? ""}"`);
        o.transport = v;
        break;
      }
      case "--http-engine": {
        const v = value();
        if (v !== "fast" && v !== "node") throw new Error(`${flag} needs fast or node, got "${v ?? ""}"`);
        o.httpEngine = v;
        break;
      }
      case "--metrics": {
        const v = value();
        if (v !== "on" && v !== "off") throw new Error(`${flag} needs on or off, got "${v ?? ""}"`);
        o.metrics = v === "on";
        break;
      }
      case "--json":
        o.json = true;
        break;
      default:
        throw new Error(`unknown option ${argv[i]}\n${BENCH_USAGE}`);
    }
  }
  return o;
}
