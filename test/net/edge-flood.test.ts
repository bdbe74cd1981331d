/**
 * A client that pipelines requests and never reads the answers: each HTTP engine stops reading
 * it instead of growing without bound, and once the client reads, every answer arrives.
 */
import { connect } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { serveEngine, type TestServer } from "./edge-support.js";
import type { HttpEngine } from "../../src/net/server/edge.js";

const servers: TestServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

const MB = 1 << 20;
/** What the client tries to send: 60 MB of small requests. */
const FLOOD = 60 * MB;
/** Growth of the process's resident memory allowed while it is flooded (unbounded: > 200 MB). */
const RSS_BOUND = 64 * MB;

describe.each<HttpEngine>(["fast", "node"])("the %s HTTP engine flooded with pipelined requests", (engine) => {
  it("stops reading a client that does not read its answers, keeps memory bounded, and loses no answer", async () => {
    // 4 KiB answers to ~1.1 KiB requests: unbounded, 60 MB of requests would queue ~220 MB of answers.
    const answer = "a".repeat(4096);
    const s = await serveEngine(engine, { answer });
    servers.push(s);
    const request = Buffer.from(`POST /flood HTTP/1.1\r\nhost: x\r\ncontent-length: 1024\r\n\r\n${"b".repeat(1024)}`, "latin1");
    const block = Buffer.concat(Array.from({ length: Math.floor((64 * 1024) / request.length) }, () => request));
    const perBlock = block.length / request.length;

    const c = connect(s.port, "127.0.0.1");
    c.on("error", () => {});
    await new Promise<void>((r) => c.once("connect", () => r()));
    c.pause(); // never reads

    const rss0 = process.memoryUsage().rss;
    let peak = rss0;
    let sent = 0;
    let requests = 0;
    const deadline = Date.now() + 20_000;
    while (sent < FLOOD && Date.now() < deadline) {
      const ok = c.write(block);
      sent += block.length;
      requests += perBlock;
      peak = Math.max(peak, process.memoryUsage().rss);
      if (!ok) {
        // The server has stopped taking bytes when the socket stays full for a while.
        const drained = await new Promise<boolean>((r) => {
          const t = setTimeout(() => (c.off("drain", on), r(false)), 1500);
          const on = () => (clearTimeout(t), r(true));
          c.once("drain", on);
        });
        peak = Math.max(peak, process.memoryUsage().rss);
        if (!drained) break;
      }
    }
    expect(sent).toBeLessThan(FLOOD / 4); // the server stopped reading long before 60 MB
    expect(peak - rss0).toBeLessThan(RSS_BOUND);

    // Now the client reads: every request it sent is answered, in order, none lost.
    let received = 0;
    let tail = "";
    const marker = `\r\n\r\n${answer}`;
    c.setEncoding("latin1");
    c.on("data", (d: string) => {
      const text = tail + d;
      let at = text.indexOf(marker);
      let last = 0;
      while (at >= 0) {
        received++;
        last = at + marker.length;
        at = text.indexOf(marker, last);
      }
      tail = text.slice(Math.max(last, text.length - marker.length));
    });
    c.resume();
    const end = Date.now() + 30_000;
    while (received < requests && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    c.destroy();
    expect(received).toBe(requests);
    expect(s.seen.length).toBe(requests);
  }, 70_000);
});

describe("the fast HTTP engine behind a slow request", () => {
  it("reads at most its bound of pipelined bytes ahead while a request is being served", async () => {
    const s = await serveEngine("fast", { slowMs: 3000 });
    servers.push(s);
    const c = connect(s.port, "127.0.0.1");
    c.on("error", () => {});
    await new Promise<void>((r) => c.once("connect", () => r()));
    c.write(`POST /slow HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\n\r\n`);
    const block = Buffer.from(`POST /echo HTTP/1.1\r\nhost: x\r\ncontent-length: 1024\r\n\r\n${"b".repeat(1024)}`.repeat(60), "latin1");
    let sent = 0;
    while (sent < FLOOD) {
      sent += block.length;
      if (!c.write(block)) {
        const drained = await new Promise<boolean>((r) => {
          const t = setTimeout(() => (c.off("drain", on), r(false)), 1000);
          const on = () => (clearTimeout(t), r(true));
          c.once("drain", on);
        });
        if (!drained) break;
      }
    }
    const server = s.sockets[0];
    // What the server read: its bound (1 MiB) plus a read or two; the rest waits in the kernel's buffers.
    expect(server.bytesRead).toBeLessThan(1.5 * MB);
    expect(server.isPaused()).toBe(true);
    expect(s.seen.map((x) => x.url)).toEqual(["/slow"]);
    c.destroy();
  }, 30_000);
});
