/**
 * The fast HTTP engine against llhttp (a plain `node:http` server): request-smuggling and desync
 * vectors, each whole and split at every byte, and a seeded fuzz of mutated heads. For every
 * case both must hand their handler the same requests (method, target, body), in the same
 * order, and answer with the same status codes; a failure names the vector and the split (or the
 * fuzz seed and case) so it can be replayed.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exchange, serveEngine, servePlain, splitAt, type TestServer } from "./edge-support.js";
import { LAST, VECTORS } from "./desync-vectors.js";
import { mulberry32 } from "../support/prng.js";

interface Lane {
  fast: TestServer;
  plain: TestServer;
}

const lanes: Lane[] = [];
beforeAll(async () => {
  for (let i = 0; i < 4; i++) lanes.push({ fast: await serveEngine("fast"), plain: await servePlain() });
});
afterAll(async () => {
  for (const l of lanes) await Promise.all([l.fast.close(), l.plain.close()]);
});

interface Outcome {
  statuses: number[];
  seen: string[];
}

/** What one server did with the bytes: the handler's requests and the statuses answered. */
async function outcome(server: TestServer, parts: Buffer[], quietMs: number): Promise<Outcome> {
  server.seen.length = 0;
  const r = await exchange(server, parts, quietMs);
  // A request whose body has not arrived is left out: Node's server calls its handler when the
  // head is complete, the edge once the body is; neither has served it.
  const complete = server.seen.filter((s) => s.body !== null);
  return { statuses: r.statuses, seen: complete.map((s) => `${s.method} ${s.url} ${JSON.stringify(s.body)}`) };
}

/**
 * The same requests seen and the same refusals. One timing difference is allowed: when a
 * malformed request arrives in the same read as a well-formed one before it, Node's parser fails
 * before the handler has answered the first, and Node drops that answer with the connection; the
 * edge answers it before the refusal. So the edge may answer more 2xx, never fewer, and never
 * different refusals.
 */
function same(fast: Outcome, plain: Outcome): boolean {
  if (JSON.stringify(fast) === JSON.stringify(plain)) return true;
  const refusals = (o: Outcome) => o.statuses.filter((s) => s >= 300);
  const served = (o: Outcome) => o.statuses.filter((s) => s < 300).length;
  return (
    JSON.stringify(fast.seen) === JSON.stringify(plain.seen) &&
    JSON.stringify(refusals(fast)) === JSON.stringify(refusals(plain)) &&
    refusals(plain).length > 0 &&
    served(fast) >= served(plain) &&
    served(fast) <= fast.seen.length
  );
}

interface Case {
  label: string;
  parts: Buffer[];
}

/** Runs every case on both servers of a lane, lanes in parallel; the cases whose outcomes differ. */
async function differences(cases: Case[], quietMs: number): Promise<Array<{ label: string; fast: Outcome; plain: Outcome }>> {
  const found: Array<{ label: string; fast: Outcome; plain: Outcome }> = [];
  let next = 0;
  await Promise.all(
    lanes.map(async (lane) => {
      while (next < cases.length) {
        const c = cases[next++];
        const [fast, plain] = await Promise.all([outcome(lane.fast, c.parts, quietMs), outcome(lane.plain, c.parts, quietMs)]);
        if (!same(fast, plain)) found.push({ label: c.label, fast, plain });
      }
    }),
  );
  return found;
}

describe("the fast engine frames requests as llhttp does", () => {
  it("on request-smuggling and desync vectors, whole and split at every byte", async () => {
    const cases: Case[] = [];
    for (const [name, text] of VECTORS) {
      const bytes = Buffer.from(text + LAST, "latin1");
      for (let at = 0; at < bytes.length; at++) cases.push({ label: `${name} (split at ${at})`, parts: splitAt(bytes, at) });
    }
    expect(VECTORS.length).toBeGreaterThanOrEqual(90);
    const found = await differences(cases, 300);
    // The first difference of each vector that has one.
    const first = new Map<string, (typeof found)[number]>();
    for (const f of found) {
      const name = f.label.replace(/ \(split at \d+\)$/, "");
      if (!first.has(name)) first.set(name, f);
    }
    expect([...first.values()]).toEqual([]);
  }, 600_000);

  it("on 2,000 mutated heads (seeded), half of them also split at a random byte", async () => {
    const seed = 0x5eed;
    const rand = mulberry32(seed);
    const cases: Case[] = [];
    for (let i = 0; i < 2000; i++) {
      const bytes = Buffer.from(mutate(rand) + LAST, "latin1");
      // Every other case also cut at a random byte.
      const at = i % 2 ? Math.floor(rand() * bytes.length) : 0;
      cases.push({ label: `fuzz seed ${seed} case ${i} (split at ${at})`, parts: splitAt(bytes, at) });
    }
    const found = await differences(cases, 150);
    expect(found.slice(0, 5)).toEqual([]);
  }, 600_000);
});

const BASE = ["POST /a HTTP/1.1", "host: x", "x-k: v", "content-length: 5", "connection: keep-alive"];
const BYTES = [" ", "\t", "\r", "\n", ":", ",", ";", "=", "\x00", "\x0b", "\x0c", "\x7f", "\x80", "\xff", "0", "5", "9", "a", "Z", "-", "/", "?", "#", '"', "H"];
const LINES = [
  "transfer-encoding: chunked",
  "content-length: 5",
  "content-length: 0",
  "content-length: 5 ",
  "content-length:\t5",
  "content-length: 5\t",
  "expect: 100-continue",
  "upgrade: h2c",
  "connection: close",
  "connection: close\t",
  "host: y",
  " folded: line",
  "x-e:",
  "x-w: \t",
];

/** The base request with one to three mutations: bytes inserted, deleted or replaced, lines added, duplicated or dropped, case changed. */
function mutate(rand: () => number): string {
  const lines = [...BASE];
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)];
  const n = 1 + Math.floor(rand() * 3);
  let text = "";
  for (let k = 0; k < n; k++) {
    const op = Math.floor(rand() * 4);
    if (op === 0) lines.splice(1 + Math.floor(rand() * lines.length), 0, pick(LINES));
    else if (op === 1) lines.splice(1 + Math.floor(rand() * lines.length), 0, lines[Math.floor(rand() * lines.length)]);
    else if (op === 2 && lines.length > 1) lines.splice(1 + Math.floor(rand() * (lines.length - 1)), 1);
    else {
      const i = Math.floor(rand() * lines.length);
      const line = lines[i];
      const at = Math.floor(rand() * (line.length + 1));
      const how = Math.floor(rand() * 4);
      lines[i] =
        how === 0
          ? line.slice(0, at) + pick(BYTES) + line.slice(at)
          : how === 1
            ? line.slice(0, at) + line.slice(at + 1)
            : how === 2
              ? line.slice(0, at) + pick(BYTES) + line.slice(at + 1)
              : line.slice(0, at) + (line[at] ?? "").toUpperCase() + line.slice(at + 1);
    }
  }
  text = lines.join("\r\n") + "\r\n\r\nhello";
  return text;
}
