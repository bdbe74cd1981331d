/**
 * Debian's `wrk` for saturation runs. A Lua script sets the POST body and headers, and its
 * `done()` prints the summary and latency percentiles (in microseconds, wrk's own unit) as one
 * JSON line, so nothing is parsed from wrk's human-readable, rounded output.
 */
import { writeFileSync } from "node:fs";
import type { ProcessGroup } from "./procs.js";

export interface WrkResult {
  requests: number;
  durationSec: number;
  reqPerSec: number;
  bytes: number;
  errors: { connect: number; read: number; write: number; status: number; timeout: number };
  latencyUs: { mean: number; stdev: number; max: number; p50: number; p90: number; p99: number; p999: number };
}

/** Makes sure `wrk` is on PATH: installs Debian's package when running as root, else throws. */
export async function ensureWrk(group: ProcessGroup, env: Record<string, string>, log: (s: string) => void): Promise<void> {
  const which = await group.run("sh", ["-c", "command -v wrk"], { env, timeoutMs: 5000 });
  if (which.code === 0) return;
  if (process.getuid?.() !== 0) {
    throw new Error("wrk is not installed. Install Debian's wrk first (sudo apt-get install -y wrk) and run the benchmark again.");
  }
  log("wrk not found: installing it with apt-get (root) …");
  const aptEnv = { ...env, DEBIAN_FRONTEND: "noninteractive" };
  const r = await group.run("sh", ["-c", "apt-get update && apt-get install -y wrk"], { env: aptEnv, timeoutMs: 300_000 });
  const again = await group.run("sh", ["-c", "command -v wrk"], { env, timeoutMs: 5000 });
  if (r.code !== 0 || again.code !== 0) {
    throw new Error(`Installing wrk with apt-get failed (exit ${r.code}): ${r.stderr.trim().split("\n").slice(-3).join(" | ")}`);
  }
}

/** Writes the Lua script for a POST with this body and headers; returns its path. */
export function writeWrkScript(path: string, body: string, headers: Record<string, string>): string {
  const lua = (s: string) => {
    if (s.includes("]==]")) throw new Error("wrk script: value contains ]==]");
    return `[==[${s}]==]`;
  };
  const lines = [
    `wrk.method = "POST"`,
    `wrk.body = ${lua(body)}`,
    `wrk.headers["Content-Type"] = "application/json"`,
    ...Object.entries(headers).map(([k, v]) => `wrk.headers[ ${lua(k)} ] = ${lua(v)}`),
    `done = function(summary, latency, requests)`,
    `  local e = summary.errors`,
    `  io.write(string.format('{"bench_wrk":1,"requests":%d,"duration_us":%d,"bytes":%d,' ..`,
    `    '"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,' ..`,
    `    '"mean":%.3f,"stdev":%.3f,"max":%d,"p50":%d,"p90":%d,"p99":%d,"p999":%d}\\n',`,
    `    summary.requests, summary.duration, summary.bytes,`,
    `    e.connect, e.read, e.write, e.status, e.timeout,`,
    `    latency.mean, latency.stdev, latency.max,`,
    `    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9)))`,
    `end`,
  ];
  writeFileSync(path, `${lines.join("\n")}\n`);
  return path;
}

export interface WrkRun {
  url: string;
  script: string;
  threads: number;
  connections: number;
  durationSec: number;
  cpu?: number;
  env: Record<string, string>;
}

export async function runWrk(group: ProcessGroup, o: WrkRun): Promise<WrkResult> {
  const args = [`-t${o.threads}`, `-c${o.connections}`, `-d${o.durationSec}s`, "--timeout", "10s", "-s", o.script, o.url];
  const r = await group.run("wrk", args, { env: o.env, cpu: o.cpu, timeoutMs: (o.durationSec + 30) * 1000 });
  const line = r.stdout.split("\n").find((l) => l.startsWith('{"bench_wrk"'));
  if (r.code !== 0 || !line) {
    throw new Error(`wrk failed (exit ${r.code}) against ${o.url}: ${(r.stderr || r.stdout).trim().slice(-500)}`);
  }
  const j = JSON.parse(line) as Record<string, number>;
  const durationSec = j.duration_us / 1e6;
  return {
    requests: j.requests,
    durationSec,
    reqPerSec: j.requests / durationSec,
    bytes: j.bytes,
    errors: { connect: j.connect, read: j.read, write: j.write, status: j.status, timeout: j.timeout },
    latencyUs: { mean: j.mean, stdev: j.stdev, max: j.max, p50: j.p50, p90: j.p90, p99: j.p99, p999: j.p999 },
  };
}
