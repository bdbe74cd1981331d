/**
 * The HTTP edge on raw sockets: the gateway's own HTTP/1.1 handling of inference requests, and
 * the hand-over of everything else to Node's http server on the same connection.
 */
import { connect, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestGateway, type TestGateway } from "../support/gateway.js";

let gw: TestGateway;

beforeAll(async () => {
  gw = await startTestGateway({ server: { port: 0, max_body_bytes: 4096 } });
});
afterAll(async () => {
  await gw?.stop();
});

interface Parsed {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** A raw connection that collects whole responses (content-length or chunked bodies). */
class RawClient {
  private buf = Buffer.alloc(0);
  private waiters: Array<() => void> = [];
  ended = false;
  readonly socket: Socket;

  constructor(port: number) {
    this.socket = connect(port, "127.0.0.1");
    this.socket.on("data", (d) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.wake();
    });
    this.socket.on("end", () => {
      this.ended = true;
      this.wake();
    });
    this.socket.on("error", () => {});
  }

  send(text: string | Buffer): void {
    this.socket.write(text);
  }

  async response(): Promise<Parsed> {
    for (;;) {
      const r = this.tryParse();
      if (r) return r;
      if (this.ended) throw new Error(`connection ended; had: ${this.buf.toString("latin1")}`);
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no response; had: ${this.buf.toString("latin1")}`)), 5000);
        this.waiters.push(() => (clearTimeout(t), resolve()));
      });
    }
  }

  close(): void {
    this.socket.destroy();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private tryParse(): Parsed | null {
    const end = this.buf.indexOf("\r\n\r\n");
    if (end < 0) return null;
    const lines = this.buf.toString("latin1", 0, end).split("\r\n");
    const status = Number(lines[0].split(" ")[1]);
    const headers: Record<string, string> = {};
    for (const l of lines.slice(1)) {
      const i = l.indexOf(":");
      headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim();
    }
    let rest = this.buf.subarray(end + 4);
    let body: Buffer;
    if (headers["content-length"] !== undefined) {
      const n = Number(headers["content-length"]);
      if (rest.length < n) return null;
      body = rest.subarray(0, n);
      rest = rest.subarray(n);
    } else if (headers["transfer-encoding"] === "chunked") {
      const parts: Buffer[] = [];
      for (;;) {
        const eol = rest.indexOf("\r\n");
        if (eol < 0) return null;
        const size = parseInt(rest.toString("latin1", 0, eol), 16);
        if (rest.length < eol + 2 + size + 2) return null;
        parts.push(rest.subarray(eol + 2, eol + 2 + size));
        rest = rest.subarray(eol + 2 + size + 2);
        if (size === 0) break;
      }
      body = Buffer.concat(parts);
    } else if (this.ended) {
      body = rest; // delimited by the end of the connection
      rest = Buffer.alloc(0);
    } else return null;
    this.buf = Buffer.from(rest);
    return { status, headers, body: body.toString("utf8") };
  }
}

/** Runs `fn` on a fresh raw connection, closed afterwards whatever happens. */
async function withRaw(fn: (c: RawClient) => Promise<void>): Promise<void> {
  const c = new RawClient(gw.port);
  try {
    await fn(c);
  } finally {
    c.close();
  }
}

function chat(extraHeaders: Record<string, string> = {}, body: Record<string, unknown> = {}): string {
  const payload = JSON.stringify({ model: "mock:mock-1", messages: [{ role: "user", content: "Hello edge" }], ...body });
  const headers = { host: "gw", authorization: `Bearer ${gw.masterKey}`, "content-type": "application/json", "content-length": String(Buffer.byteLength(payload)), ...extraHeaders };
  return `POST /v1/chat/completions HTTP/1.1\r\n${Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}`)
    .join("\r\n")}\r\n\r\n${payload}`;
}

describe("the HTTP edge", () => {
  it("serves several inference requests on one keep-alive connection, then hands it to Node for other routes", async () => {
    await withRaw(async (c) => {
      c.send(chat());
      const a = await c.response();
      expect(a.status).toBe(200);
      expect(a.headers["connection"]).toBe("keep-alive");
      expect(a.headers["keep-alive"]).toBe("timeout=65");
      expect(a.headers["date"]).toMatch(/GMT$/);
      expect(JSON.parse(a.body).choices[0].message.content).toEqual(expect.any(String));
      c.send(chat());
      const b = await c.response();
      expect(b.status).toBe(200);
      expect(b.headers["x-request-id"]).not.toBe(a.headers["x-request-id"]);

      c.send("GET /healthz HTTP/1.1\r\nhost: gw\r\n\r\n");
      const h = await c.response();
      expect(h.status).toBe(200);
      expect(JSON.parse(h.body)).toMatchObject({ status: "ok" });

      // Node serves the connection from now on, inference included.
      c.send(chat());
      const d = await c.response();
      expect(d.status).toBe(200);
      expect(JSON.parse(d.body).object).toBe("chat.completion");
    });
  });

  it("answers pipelined requests in order", async () => {
    await withRaw(async (c) => {
      c.send(chat({ "x-request-id": "pipe-1" }) + chat({ "x-request-id": "pipe-2" }) + chat({ "x-request-id": "pipe-3" }));
      const ids = [];
      for (let i = 0; i < 3; i++) {
        const r = await c.response();
        expect(r.status).toBe(200);
        ids.push(r.headers["x-request-id"]);
      }
      expect(ids).toEqual(["pipe-1", "pipe-2", "pipe-3"]);
    });
  });

  it("reads a head and body that arrive in pieces, split inside a multi-byte character", async () => {
    await withRaw(async (c) => {
      const raw = Buffer.from(chat({}, { messages: [{ role: "user", content: "héllo wörld ✓" }] }));
      const cut = [10, raw.indexOf("\r\n\r\n") + 2, raw.indexOf("✓") + 1];
      let from = 0;
      for (const at of cut) {
        c.send(raw.subarray(from, at));
        from = at;
        await new Promise((r) => setTimeout(r, 20)); // so each piece arrives in a read of its own
      }
      c.send(raw.subarray(from));
      const r = await c.response();
      expect(r.status).toBe(200);
      expect(JSON.parse(r.body).object).toBe("chat.completion");
    });
  });

  it("streams as chunked SSE ending with [DONE]", async () => {
    await withRaw(async (c) => {
      c.send(chat({}, { stream: true }));
      const r = await c.response();
      expect(r.status).toBe(200);
      expect(r.headers["transfer-encoding"]).toBe("chunked");
      expect(r.headers["content-type"]).toBe("text/event-stream; charset=utf-8");
      expect(r.body.endsWith("data: [DONE]\n\n")).toBe(true);
      const events = r.body.split("\n\n").filter((e) => e.startsWith("data: {"));
      expect(events.length).toBeGreaterThan(1);
      for (const e of events) expect(JSON.parse(e.slice(6)).object).toBe("chat.completion.chunk");
    });
  });

  it("closes after the response when the client asks for connection: close", async () => {
    await withRaw(async (c) => {
      c.send(chat({ connection: "close" }));
      const r = await c.response();
      expect(r.status).toBe(200);
      expect(r.headers["connection"]).toBe("close");
      await expect.poll(() => c.ended, { timeout: 3000 }).toBe(true);
    });
  });

  it("hands chunked request bodies to Node, which serves them", async () => {
    await withRaw(async (c) => {
      const payload = JSON.stringify({ model: "mock:mock-1", messages: [{ role: "user", content: "chunked" }] });
      const half = Math.floor(payload.length / 2);
      const body = `${half.toString(16)}\r\n${payload.slice(0, half)}\r\n${(payload.length - half).toString(16)}\r\n${payload.slice(half)}\r\n0\r\n\r\n`;
      c.send(`POST /v1/chat/completions HTTP/1.1\r\nhost: gw\r\nauthorization: Bearer ${gw.masterKey}\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n${body}`);
      const r = await c.response();
      expect(r.status).toBe(200);
      expect(JSON.parse(r.body).object).toBe("chat.completion");
    });
  });

  it("leaves malformed and oversized requests to Node's answers (400, 413)", async () => {
    const bad = new RawClient(gw.port);
    try {
      bad.send("POST /v1/chat/completions HTTP/1.1\r\nhost: gw\r\ncontent-length: 2\r\ncontent-length: 3\r\n\r\n{}");
      expect((await bad.response()).status).toBe(400);
    } finally {
      bad.close();
    }
    const big = new RawClient(gw.port);
    try {
      big.send(chat({}, { pad: "x".repeat(5000) }));
      const r = await big.response();
      expect(r.status).toBe(413);
      expect(JSON.parse(r.body).error.code).toBe("request_too_large");
    } finally {
      big.close();
    }
  });

  it("authenticates, refuses and returns errors on the fast path in the OpenAI envelope", async () => {
    await withRaw(async (c) => {
      c.send(chat({ authorization: "Bearer wrong" }));
      const r = await c.response();
      expect(r.status).toBe(401);
      expect(JSON.parse(r.body).error.code).toBe("invalid_api_key");
      c.send(chat({}, { messages: "nope" }));
      expect((await c.response()).status).toBe(400);
    });
  });
});

describe("the HTTP edge under hostile input", () => {
  /** The same chat request with a chunked body: Node's server reads it, then the same handler answers. */
  function chunkedChat(model: string): string {
    const payload = JSON.stringify({ model, messages: [{ role: "user", content: "x" }] });
    const size = Buffer.byteLength(payload).toString(16);
    return `POST /v1/chat/completions HTTP/1.1\r\nhost: gw\r\nauthorization: Bearer ${gw.masterKey}\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n${size}\r\n${payload}\r\n0\r\n\r\n`;
  }

  it("cleans model names that would break a response head, on both paths, and keeps serving", async () => {
    // Control characters and characters beyond Latin-1 are dropped from the header; the body keeps the name.
    const cleaned: [string, string][] = [
      ["mock:mock-1\r\nx-evil: 1", "mock-1x-evil: 1"],
      ["mock:\u6a21\u578b", ""],
      ["mock:mock-1\u0000\u007f", "mock-1"],
    ];
    for (const [model, header] of cleaned) {
      for (const request of [chat({}, { model }), chunkedChat(model)]) {
        const c = new RawClient(gw.port);
        c.send(request);
        const r = await c.response();
        expect(r.status).toBe(200);
        expect(r.headers["x-evil"]).toBeUndefined();
        expect(r.headers["x-switchboard-model"]).toBe(header);
        expect(JSON.parse(r.body).model).toBe(model.slice("mock:".length));
        c.close();
      }
    }
    const health = await fetch(`${gw.url}/healthz`);
    expect(health.status).toBe(200);
  });

  it("treats a client that shuts its side mid-request as gone: the request is cancelled and recorded as such", async () => {
    const c = new RawClient(gw.port);
    const started = Date.now();
    c.send(chat({ "x-request-id": "req-fin-1" }, { model: "mock:slow-3000" }));
    // Wait (bounded) until the gateway is serving it.
    for (const end = Date.now() + 2000; gw.inFlight() === 0 && Date.now() < end;) await new Promise((r) => setTimeout(r, 5));
    expect(gw.inFlight()).toBe(1);
    c.socket.end(); // FIN, not a reset
    await new Promise<void>((r) => c.socket.once("close", () => r()));
    expect(Date.now() - started).toBeLessThan(2000);
    await gw.usage.flush();
    // The client never saw the gateway's id: find the request by the id it sent.
    const rows = await gw.store.db.selectFrom("usage").select("status").where("client_request_id", "=", "req-fin-1").execute();
    expect(rows.map((x) => x.status)).toEqual([499]);
  });

  it.each([
    ["a bare CR at the end of a value", "x-a: b\r"],
    ["a vertical tab around content-length", null],
    ["a tab after the content-length digits", "cltab"],
    ["a control character in a value", "x-a: b\u0001c"],
    ["a NUL in the request target", "target"],
    ["no Host header", "nohost"],
  ])("leaves %s to Node, which refuses it", async (_name, variant) => {
    const payload = JSON.stringify({ model: "mock:mock-1", messages: [{ role: "user", content: "x" }] });
    const target = variant === "target" ? "/v1/chat/completions?a=\u0000" : "/v1/chat/completions";
    const lines = [`POST ${target} HTTP/1.1`, ...(variant === "nohost" ? [] : ["host: gw"]), `authorization: Bearer ${gw.masterKey}`];
    lines.push(
      variant === null
        ? `content-length:\u000b${Buffer.byteLength(payload)}`
        : variant === "cltab"
          ? `content-length: ${Buffer.byteLength(payload)}\t`
          : `content-length: ${Buffer.byteLength(payload)}`,
    );
    if (variant && variant.startsWith("x-a")) lines.push(variant);
    const c = new RawClient(gw.port);
    c.send(Buffer.from(`${lines.join("\r\n")}\r\n\r\n${payload}`, "latin1"));
    expect((await c.response()).status).toBe(400);
    c.close();
  });

  it("leaves a head over 16 KiB to Node (431) even when it arrives in one piece", async () => {
    const c = new RawClient(gw.port);
    c.send(chat({ "x-pad": "a".repeat(17 * 1024) }));
    expect((await c.response()).status).toBe(431);
    c.close();
  });

  it("answers a request pipelined in many small pieces behind a slow one, in order", async () => {
    const c = new RawClient(gw.port);
    c.send(chat({}, { model: "mock:slow-300" }));
    const next = chat({ "x-request-id": "req-piped-2" });
    for (let i = 0; i < next.length; i += 7) {
      c.send(next.slice(i, i + 7));
      if (i % 140 === 0) await new Promise((r) => setTimeout(r, 1)); // spread the pieces over several reads
    }
    const [a, b] = [await c.response(), await c.response()];
    expect([a.status, b.status, b.headers["x-request-id"]]).toEqual([200, 200, "req-piped-2"]);
    c.close();
  });
});
