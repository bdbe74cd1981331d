/**
 * Writes made at the end of the event loop's turn (src/net/turn-writes.ts, a TurnWriter per socket), and the HTTP edge's
 * boundaries around them: a response queued in a turn still goes out, first, when the same turn
 * closes the connection, drains the server or hands the connection to Node.
 */
import { createServer as createHttpServer, type Server as HttpServer } from "node:http";
import { connect, createServer, type Server, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { flushAllTurnWriters, TurnWriter } from "../../src/net/turn-writes.js";
import { FastHttp } from "../../src/net/server/fast-server.js";

const closers: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c(); // clients before their servers
});

/** A loopback server that records what each accepted connection receives, and client sockets to it. */
async function sink(): Promise<{ port: number; received: string[]; ended: boolean[] }> {
  const received: string[] = [];
  const ended: boolean[] = [];
  const server: Server = createServer((s) => {
    const i = received.push("") - 1;
    ended.push(false);
    s.setEncoding("latin1");
    s.on("data", (d: string) => (received[i] += d));
    s.on("end", () => (ended[i] = true));
    s.on("error", () => {});
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  closers.push(() => new Promise((r) => server.close(r)));
  return { port: (server.address() as { port: number }).port, received, ended };
}

async function dial(port: number): Promise<Socket> {
  const s = connect(port, "127.0.0.1");
  await new Promise<void>((r) => s.once("connect", () => r()));
  closers.push(() => s.destroy());
  return s;
}

/** `n` client sockets to a fresh sink, accepted there; `received[i]` is what the sink's i-th connection got (in accept order). */
async function connections(n: number): Promise<{ sockets: Socket[]; received: string[] }> {
  const { port, received } = await sink();
  const sockets: Socket[] = [];
  for (let i = 0; i < n; i++) sockets.push(await dial(port));
  await until(() => received.length === n);
  return { sockets, received };
}

const nextTurn = () => new Promise<void>((r) => setImmediate(r));
const until = async (ok: () => boolean) => {
  for (let i = 0; i < 200 && !ok(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(ok()).toBe(true);
};

describe("writes at the end of the turn", () => {
  it("leave when the turn ends, in order for each socket", async () => {
    const {
      sockets: [a, b],
      received,
    } = await connections(2);
    const [wa, wb] = [new TurnWriter(a), new TurnWriter(b)];
    wa.write("a1 ");
    wb.write("b1 ");
    wa.write(Buffer.from("a2 "));
    wb.write("b2");
    wa.write("a3");
    expect([a.bytesWritten, b.bytesWritten]).toEqual([0, 0]); // nothing yet: the turn is not over
    expect([wa.queued, wb.queued, wa.unsent]).toEqual([8, 5, 8]);
    await nextTurn();
    expect([a.bytesWritten, b.bytesWritten]).toEqual([8, 5]);
    expect([wa.queued, wb.queued]).toEqual([0, 0]);
    await until(() => received.join("|").length === 14);
    expect(received.sort()).toEqual(["a1 a2 a3", "b1 b2"]);
  });

  it("leave at once on flush(), and a destroyed socket's queue is dropped", async () => {
    const {
      sockets: [a, b],
      received,
    } = await connections(2);
    const [wa, wb] = [new TurnWriter(a), new TurnWriter(b)];
    wa.write("kept");
    wb.write("dropped");
    b.destroy();
    const errors: Error[] = [];
    b.on("error", (e) => errors.push(e));
    flushAllTurnWriters();
    expect(a.bytesWritten).toBe(4);
    expect(b.bytesWritten).toBe(0);
    await until(() => received.includes("kept"));
    await nextTurn();
    expect(errors).toEqual([]);
    expect(received).not.toContain("dropped");
  });

  it("a write queued after an early flush still leaves at the end of the turn", async () => {
    const {
      sockets: [a],
      received,
    } = await connections(1);
    const w = new TurnWriter(a);
    w.write("one ");
    w.flush();
    w.write("two");
    expect(a.bytesWritten).toBe(4);
    await nextTurn();
    expect(a.bytesWritten).toBe(7);
    await until(() => received[0] === "one two");
  });

  it("writeNow(), end(), destroy() and handOver() make the queued writes first", async () => {
    const {
      sockets: [a, b, c, d],
      received,
    } = await connections(4);
    const [wa, wb, wc, wd] = [a, b, c, d].map((s) => new TurnWriter(s));
    wa.write("queued ");
    expect(wa.writeNow("now")).toBe(true);
    wb.write("before end");
    wb.end();
    wc.write("before destroy");
    wc.destroy();
    wd.write("before hand-over ");
    wd.handOver().write("by the new owner");
    await until(() => received.join("").length === 67);
    expect(received).toEqual(["queued now", "before end", "before destroy", "before hand-over by the new owner"]);
  });
});

describe("the HTTP edge around queued responses", () => {
  /** Node's server with the edge in front: POST /fast answered by the edge, anything else by Node. */
  async function edge(onFast: (fast: FastHttp<"fast" | "stream">) => void = () => {}, body = "fast body"): Promise<{ port: number; fast: FastHttp<"fast" | "stream"> }> {
    const server: HttpServer = createHttpServer((req, res) => res.end(`node ${req.url}`));
    const fast: FastHttp<"fast" | "stream"> = new FastHttp<"fast" | "stream">(server, {
      route: (method, url) => (method !== "POST" ? undefined : url === "/fast" ? "fast" : url === "/stream" ? "stream" : undefined),
      handle: (endpoint, _req, reply) => {
        if (endpoint === "stream") {
          // A stream's pieces: written now (with what the turn queued before them), its end queued.
          reply.start(200, {});
          reply.write("one ");
          reply.end("two");
          return;
        }
        reply.send(200, {}, body);
        onFast(fast);
      },
      maxBodyBytes: 1024,
      keepAliveTimeoutMs: 5000,
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    closers.push(() => new Promise((r) => (fast.closeAll(), server.close(r))));
    return { port: (server.address() as { port: number }).port, fast };
  }

  async function exchange(port: number, request: string): Promise<{ text: string; ended: boolean }> {
    const s = connect(port, "127.0.0.1");
    closers.push(() => s.destroy());
    let text = "";
    let ended = false;
    s.setEncoding("latin1");
    s.on("data", (d: string) => (text += d));
    s.on("end", () => (ended = true));
    s.on("close", () => (ended = true));
    s.write(request);
    await until(() => ended || /node \/after/.test(text));
    return { text, ended };
  }

  const POST = "POST /fast HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\n\r\n{}";

  it("writes the response before closing a connection: close", async () => {
    const { port } = await edge();
    const { text, ended } = await exchange(port, POST.replace("host: x", "host: x\r\nconnection: close"));
    expect(ended).toBe(true);
    expect(text).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*connection: close\r\n\r\nfast body$/);
  });

  it("writes the response of the turn in which the server drains", async () => {
    const { port } = await edge((fast) => fast.drain());
    const { text, ended } = await exchange(port, POST);
    expect(ended).toBe(true);
    expect(text).toMatch(/\r\n\r\nfast body$/);
  });

  it("finishes a response larger than the socket takes at once when the server drains", async () => {
    const big = "x".repeat(8 << 20);
    const { port } = await edge((fast) => fast.drain(), big);
    const { text, ended } = await exchange(port, POST);
    expect(ended).toBe(true);
    expect(text.length - text.indexOf("\r\n\r\n") - 4).toBe(big.length);
  });

  it("keeps a queued response ahead of the next one's streamed pieces, and a stream's end after them", async () => {
    const { port } = await edge();
    const stream = POST.replace("/fast", "/stream");
    const { text } = await exchange(port, `${POST}${stream}${POST}GET /after HTTP/1.1\r\nhost: x\r\n\r\n`);
    const bodies = text.split(/HTTP\/1\.1 200 OK\r\n[^]*?\r\n\r\n/).slice(1);
    expect(bodies).toEqual(["fast body", "4\r\none \r\n3\r\ntwo\r\n0\r\n\r\n", "fast body", "node /after"]);
  });

  it("writes a response completed in the turn in which the client's FIN cancels the next, pipelined one", async () => {
    // The upstream's answer to the first request and the client's FIN arrive together.
    let answer: (() => void) | undefined;
    const upstream: Server = createServer((s) => s.on("data", () => answer?.()));
    await new Promise<void>((r) => upstream.listen(0, "127.0.0.1", r));
    closers.push(() => new Promise((r) => upstream.close(r)));
    const server: HttpServer = createHttpServer((_req, res) => res.end("node"));
    let n = 0;
    const fast = new FastHttp<"fast">(server, {
      route: (method) => (method === "POST" ? "fast" : undefined),
      handle: (_e, _req, reply) => {
        if (++n === 1) answer = () => reply.send(200, {}, "first");
      },
      maxBodyBytes: 1024,
      keepAliveTimeoutMs: 5000,
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    closers.push(() => new Promise((r) => (fast.closeAll(), server.close(r))));
    for (let k = 0; k < 5; k++) {
      n = 0;
      const trigger = await dial((upstream.address() as { port: number }).port);
      const c = await dial((server.address() as { port: number }).port);
      let text = "";
      c.setEncoding("latin1");
      c.on("data", (d: string) => (text += d));
      c.on("error", () => {});
      const closed = new Promise((r) => c.once("close", r));
      c.write(POST + POST); // the second waits behind the first
      await until(() => n === 1);
      await new Promise((r) => setTimeout(r, 10));
      trigger.write("x");
      c.end();
      await closed;
      expect(text).toMatch(/\r\n\r\nfirst$/);
    }
  });

  it("writes its response before Node answers the next request on the connection", async () => {
    const { port } = await edge();
    const { text } = await exchange(port, `${POST}GET /after HTTP/1.1\r\nhost: x\r\n\r\n`);
    const fastAt = text.indexOf("fast body");
    expect(fastAt).toBeGreaterThan(0);
    expect(text.indexOf("node /after")).toBeGreaterThan(fastAt);
  });
});
