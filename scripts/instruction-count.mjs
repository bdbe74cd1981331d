#!/usr/bin/env node
// Instructions the gateway executes per request, counted by valgrind's callgrind: repeatable
// whatever else the machine is doing, unlike CPU time (kernel time is not counted). Builds the
// bench's fake upstream and budgeted virtual key from <root>'s dist/, starts <root>'s gateway on
// PostgreSQL under callgrind with instrumentation off, sends [warm] requests (16 at a time) so
// that JIT compilation is done, then counts seven windows of [n] requests each and prints the
// median per request. Build first (npm run build); needs valgrind (Debian: apt-get install valgrind).
//   node scripts/instruction-count.mjs <root> <database-url> [metrics on|off] [non-stream|stream] [warm 4000] [n 2000]
// e.g. node scripts/instruction-count.mjs "$PWD" postgres://postgres@127.0.0.1:5432/switchboard_bench on non-stream
import { spawn, execFileSync } from "node:child_process";
import { writeFileSync, readFileSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { request } from "undici";
const [root, db, metrics = "on", mode = "non-stream", warm = "4000", n = "2000"] = process.argv.slice(2);
if (!root || !db) {
  console.error("usage: node scripts/instruction-count.mjs <root> <database-url> [on|off] [non-stream|stream] [warm] [n]");
  process.exit(2);
}
const { startBenchUpstream } = await import(`${root}/dist/bench/upstream.js`);
const { createVirtualKey } = await import(`${root}/dist/bench/gateway.js`);
const { requestBody, MODEL } = await import(`${root}/dist/bench/requests.js`);
const up = await startBenchUpstream(0);
const tmp = mkdtempSync(join(tmpdir(), "icount-"));
const { freePort } = await import(`${root}/dist/bench/procs.js`);
const port = await freePort();
writeFileSync(
  join(tmp, "c.yaml"),
  [
    `metrics:`,
    `  enabled: ${metrics === "on"}`,
    `providers:`,
    `  bench:`,
    `    type: openai`,
    `    base_url: http://127.0.0.1:${up.port}/v1`,
    `    api_key: x`,
    `pricing:`,
    `  "${MODEL}": { input: 0.15, output: 0.6 }`,
    ``,
  ].join("\n"),
);
const master = "sb-master-icount0123456789abcdefgh";
const out = join(tmp, "cg.out");
const child = spawn(
  "valgrind",
  [
    "--tool=callgrind",
    "--instr-atstart=no",
    `--callgrind-out-file=${out}`,
    "--smc-check=all-non-file",
    process.execPath,
    `${root}/dist/cli/main.js`,
    "serve",
    "--config",
    join(tmp, "c.yaml"),
    "--port",
    String(port),
  ],
  { env: { PATH: process.env.PATH, SWITCHBOARD_MASTER_KEY: master, SWITCHBOARD_DATA_DIR: join(tmp, "data"), DATABASE_URL: db }, stdio: ["ignore", "ignore", "pipe"] },
);
let err = "";
child.stderr.on("data", (d) => (err = (err + d).slice(-3000)));
const deadline = Date.now() + 300_000;
for (;;) {
  try {
    const r = await request(`http://127.0.0.1:${port}/healthz`);
    await r.body.dump();
    if (r.statusCode === 200) break;
  } catch {}
  if (Date.now() > deadline) {
    console.error(err);
    process.exit(1);
  }
  await new Promise((r) => setTimeout(r, 500));
}
const key = await createVirtualKey(port, master);
if (key.error) {
  console.error(key.error);
  process.exit(1);
}
const body = requestBody("gateway", mode);
async function load(count) {
  let left = count;
  const worker = async () => {
    while (left-- > 0) {
      const r = await request(`http://127.0.0.1:${port}/v1/chat/completions`, { method: "POST", headers: { authorization: `Bearer ${key.key}`, "content-type": "application/json" }, body });
      await r.body.text();
      if (r.statusCode !== 200) throw new Error(`status ${r.statusCode}`);
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
}
await load(Number(warm));
const windows = [];
for (let w = 0; w < 7; w++) {
  execFileSync("callgrind_control", ["-i", "on", String(child.pid)], { stdio: "ignore" });
  await load(Number(n));
  execFileSync("callgrind_control", ["-i", "off", String(child.pid)], { stdio: "ignore" });
  execFileSync("callgrind_control", ["-d", String(child.pid)], { stdio: "ignore" });
  await new Promise((r) => setTimeout(r, 1000));
  const files = readdirSync(tmp)
    .filter((f) => f.startsWith("cg.out"))
    .sort();
  let total = 0;
  for (const f of files) {
    const m = /^totals: (\d+)/m.exec(readFileSync(join(tmp, f), "utf8"));
    if (m) total += Number(m[1]);
  }
  windows.push(total);
}
const per = windows.map((t, i) => (t - (i ? windows[i - 1] : 0)) / Number(n));
const med = [...per].sort((a, b) => a - b)[3];
console.log(`${root} metrics=${metrics} ${mode}: median ${(med / 1000).toFixed(0)}k instructions/request; windows ${per.map((x) => (x / 1000).toFixed(0) + "k").join(" ")}`);
child.kill("SIGTERM");
await new Promise((r) => child.on("close", r));
await up.close();
rmSync(tmp, { recursive: true, force: true });
