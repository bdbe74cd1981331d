#!/usr/bin/env node
/**
 * Start times of the gateway on the embedded store: a first start on a new data directory, then
 * restarts on the same one. Each is timed from spawning `switchboard serve` to the first 200 from
 * `/readyz`, and the gateway is stopped with SIGTERM before the next.
 *
 *   node scripts/start-time.mjs [--restarts 5]
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir, loadavg } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const CLI = join(dirname(fileURLToPath(import.meta.url)), "..", "dist", "cli", "main.js");
const at = process.argv.indexOf("--restarts");
const restarts = at > 0 ? Number(process.argv[at + 1]) : 5;
const TIMEOUT_MS = 30_000;

async function timedStart(cwd) {
  const t0 = performance.now();
  const child = spawn(process.execPath, [CLI, "serve", "--port", "0"], {
    cwd,
    env: { PATH: process.env.PATH ?? "", SWITCHBOARD_MASTER_KEY: "sk-start-time-master-key-0000" },
    stdio: ["ignore", "ignore", "pipe"],
  });
  const exited = new Promise((r) => child.on("close", r));
  let stderr = "";
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no listening line in ${TIMEOUT_MS} ms:\n${stderr}`)), TIMEOUT_MS);
    child.stderr.on("data", (d) => {
      stderr += d;
      const m = /listening on (http:\/\/\S+)/.exec(stderr);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.on("close", (code) => reject(new Error(`exited ${code}:\n${stderr}`)));
  });
  const listening = performance.now() - t0;
  for (;;) {
    const res = await fetch(`${url}/readyz`).catch(() => null);
    if (res?.status === 200) break;
    if (performance.now() - t0 > TIMEOUT_MS) throw new Error("not ready");
    await new Promise((r) => setTimeout(r, 5));
  }
  const ready = performance.now() - t0;
  child.kill("SIGTERM");
  await exited;
  return { listening, ready };
}

const dir = mkdtempSync(join(tmpdir(), "switchboard-start-"));
try {
  console.log(
    `load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}`,
  );
  const show = (label, t) => console.log(`${label.padEnd(12)} listening ${(t.listening / 1000).toFixed(2)} s   ready ${(t.ready / 1000).toFixed(2)} s`);
  show("first start", await timedStart(dir));
  for (let i = 1; i <= restarts; i++) show(`restart ${i}`, await timedStart(dir));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
