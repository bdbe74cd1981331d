/**
 * One suite every HTTP engine passes (`server.http_engine`: fast and node), the way one router
 * suite runs against every router: the same handler behind each engine, the same bytes on the
 * wire, the same answers.
 */
import { connect } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { exchange, serveEngine, splitAt, type ServeOptions, type TestServer } from "./edge-support.js";
import type { HttpEngine } from "../../src/net/server/edge.js";

const servers: TestServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

const post = (path: string, body: string, extra = "") => `POST ${path} HTTP/1.1\r\nhost: x\r\n${extra}content-length: ${Buffer.byteLength(body, "latin1")}\r\n\r\n${body}`;
const bytes = (s: string) => Buffer.from(s, "latin1");

/** The bodies of the content-length responses in `raw`, in order. */
function bodies(raw: string): string[] {
  const out: string[] = [];
  const re = /HTTP\/1\.1 \d{3} [^\r]*\r\n([\s\S]*?)\r\n\r\n/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(raw))) {
    const len = Number(/content-length: *(\d+)/i.exec(m[1])?.[1] ?? 0);
    out.push(raw.slice(re.lastIndex, re.lastIndex + len));
    re.lastIndex += len;
  }
  return out;
}

describe.each<HttpEngine>(["fast", "node"])("the %s HTTP engine", (engine) => {
  async function serve(o: ServeOptions = {}): Promise<TestServer> {
    const s = await serveEngine(engine, o);
    servers.push(s);
    return s;
  }

  it("keeps a connection alive across requests", async () => {
    const s = await serve();
    const c = connect(s.port, "127.0.0.1");
    let raw = "";
    c.setEncoding("latin1");
    c.on("data", (d: string) => (raw += d));
    for (const body of ["one", "two", "three"]) {
      c.write(post("/echo", body));
      await until(() => raw.endsWith(body));
    }
    c.destroy();
    expect(bodies(raw)).toEqual(["one", "two", "three"]);
    expect(s.sockets.length).toBe(1);
    expect(s.seen.map((x) => x.body)).toEqual(["one", "two", "three"]);
  });

  it("answers pipelined requests in order, a slow one holding the next", async () => {
    const s = await serve({ slowMs: 40 });
    const r = await exchange(s, [bytes(post("/slow", "1") + post("/echo", "2") + "GET /other HTTP/1.1\r\nhost: x\r\n\r\n" + post("/echo", "4", "connection: close\r\n"))]);
    expect(r.statuses).toEqual([200, 200, 200, 200]);
    expect(bodies(r.raw)).toEqual(["ok", "2", "ok", "4"]);
    expect(r.closed).toBe(true);
    // Node's server starts pipelined requests before the earlier ones are answered: the handler's order may differ, the answers' may not.
    expect(s.seen.map((x) => `${x.method} ${x.url} ${x.body}`).sort()).toEqual(["GET /other ", "POST /echo 2", "POST /echo 4", "POST /slow 1"]);
  });

  it("reads chunked request bodies", async () => {
    const s = await serve();
    const r = await exchange(s, [bytes("POST /echo HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n3\r\nabc\r\n2;ext=1\r\nde\r\n0\r\n\r\n")]);
    expect(r.statuses).toEqual([200]);
    expect(bodies(r.raw)).toEqual(["abcde"]);
  });

  it("reads a content-length request split at every byte", async () => {
    const s = await serve();
    const whole = bytes(post("/echo", '{"a":"x"}', "x-a: b\r\nconnection: close\r\n"));
    for (let at = 1; at < whole.length; at++) {
      const r = await exchange(s, splitAt(whole, at));
      expect([at, r.statuses, bodies(r.raw), r.closed]).toEqual([at, [200], ['{"a":"x"}'], true]);
    }
    expect(s.seen.length).toBe(whole.length - 1);
  });

  it("answers 413 to a body over the limit, and keeps serving", async () => {
    const s = await serve({ maxBodyBytes: 16 });
    const r = await exchange(s, [bytes(post("/echo", "x".repeat(17)) + post("/echo", "fits", "connection: close\r\n"))]);
    expect(r.statuses).toEqual([413, 200]);
    expect(bodies(r.raw)).toEqual(["too large", "fits"]);
    expect(s.seen.map((x) => x.body)).toEqual([null, "fits"]); // the handler saw the first, refused its body
  });

  it.each([
    ["a header line without a colon", "POST /echo HTTP/1.1\r\nhost: x\r\nno colon here\r\ncontent-length: 0\r\n\r\n"],
    ["a space before the colon", "POST /echo HTTP/1.1\r\nhost: x\r\ncontent-length : 0\r\n\r\n"],
    ["a tab after the content-length digits", "POST /echo HTTP/1.1\r\nhost: x\r\ncontent-length: 2\t\r\n\r\nab"],
    ["two different content-lengths", "POST /echo HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\ncontent-length: 3\r\n\r\nabc"],
    ["a control character in a value", "POST /echo HTTP/1.1\r\nhost: x\r\nx-a: b\x01c\r\ncontent-length: 0\r\n\r\n"],
    ["no Host", "POST /echo HTTP/1.1\r\ncontent-length: 0\r\n\r\n"],
  ])("answers 400 to %s and closes", async (_name, head) => {
    const s = await serve();
    const r = await exchange(s, [bytes(head + post("/echo", "after"))]);
    expect(r.statuses).toEqual([400]);
    expect(r.closed).toBe(true);
    expect(s.seen.filter((x) => x.body !== "after")).toEqual([]); // Node may read on past a missing Host: not past a parse error
  });

  it("closes after the response when asked to (connection: close)", async () => {
    const s = await serve();
    const r = await exchange(s, [bytes(post("/echo", "a", "connection: close\r\n"))]);
    expect([r.statuses, bodies(r.raw), r.closed]).toEqual([[200], ["a"], true]);
    expect(r.raw.toLowerCase()).toContain("connection: close\r\n");
    expect(s.seen.map((x) => x.body)).toEqual(["a"]);
  });

  it("refuses a request sent after connection: close while the first is served (400, as llhttp), serving neither further", async () => {
    const s = await serve({ slowMs: 30 });
    const r = await exchange(s, [bytes(post("/slow", "a", "connection: close\r\n") + post("/echo", "b"))]);
    expect([r.statuses, r.closed]).toEqual([[400], true]);
    expect(s.seen.map((x) => x.body)).toEqual(["a"]);
    expect(s.aborted).toEqual(["/slow"]);
  });

  it("keeps the connection open when close is followed by a tab (not close to llhttp)", async () => {
    const s = await serve();
    const r = await exchange(s, [bytes(post("/echo", "a", "connection: close\t\r\n"))], 100);
    expect([r.statuses, r.closed]).toEqual([[200], false]);
  });

  it("closes its side after a client's half-close once the answer is out", async () => {
    const s = await serve();
    const c = connect(s.port, "127.0.0.1");
    let raw = "";
    let ended = false;
    c.setEncoding("latin1");
    c.on("data", (d: string) => (raw += d));
    c.on("end", () => (ended = true));
    c.write(post("/echo", "bye"));
    await until(() => raw.endsWith("bye"));
    c.end();
    await until(() => ended);
    c.destroy();
    expect(bodies(raw)).toEqual(["bye"]);
  });

  it("cancels a request whose client half-closes while it is served", async () => {
    const s = await serve({ slowMs: 300 });
    const c = connect(s.port, "127.0.0.1");
    let raw = "";
    let closed = false;
    c.setEncoding("latin1");
    c.on("data", (d: string) => (raw += d));
    c.on("close", () => (closed = true));
    c.write(post("/slow", "x"));
    await until(() => s.seen.length === 1);
    c.end();
    await until(() => closed);
    expect(s.aborted).toEqual(["/slow"]);
    expect(raw).toBe("");
  });

  it("closes a connection idle past the keep-alive timeout", async () => {
    const s = await serve({ keepAliveTimeoutMs: 200 });
    const c = connect(s.port, "127.0.0.1");
    let closedAt = 0;
    c.on("data", () => {});
    c.on("close", () => (closedAt = Date.now()));
    c.write(post("/echo", "x"));
    const answered = Date.now();
    await until(() => closedAt > 0, 4000);
    expect(closedAt - answered).toBeGreaterThanOrEqual(150);
    expect(closedAt - answered).toBeLessThan(3000);
  });

  it.each([
    [undefined, 999, "999"],
    [undefined, 1000, "1000"],
    [undefined, 1001, "1000"], // Node keeps the first 1,000 by default
    [1500, 1501, "1500"],
    [0, 1500, "1500"], // 0: no limit
  ])("with maxHeadersCount %s, a head of %s header lines reaches the handler with %s of them", async (max, lines, kept) => {
    const s = await serve({ maxHeadersCount: max });
    const names = Array.from({ length: lines - 3 }, (_, i) => `h${i.toString(36)}:\r\n`).join("");
    const r = await exchange(s, [bytes(`POST /headers HTTP/1.1\r\nhost: x\r\n${names}connection: close\r\ncontent-length: 0\r\n\r\n`)]);
    expect([r.statuses, bodies(r.raw)]).toEqual([[200], [kept]]);
  });

  it("streams a response in chunked encoding, each piece as it is written", async () => {
    const s = await serve();
    const r = await exchange(s, [bytes(post("/stream", "", "connection: close\r\n"))]);
    expect(r.statuses).toEqual([200]);
    const head = r.raw.split("\r\n\r\n", 1)[0];
    expect(head.toLowerCase()).toContain("transfer-encoding: chunked");
    expect(head.toLowerCase()).toContain("content-type: text/event-stream");
    expect(r.raw.slice(head.length + 4)).toBe("9\r\ndata: 1\n\n\r\n9\r\ndata: 2\n\n\r\n0\r\n\r\n");
  });
});

async function until(ok: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok() && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
  expect(ok()).toBe(true);
}
