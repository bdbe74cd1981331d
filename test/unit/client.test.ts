/**
 * The upstream HTTP/1.1 client against raw TCP and TLS servers that write exactly the bytes a
 * test wants: framing, reuse, timeouts, limits, cancellation and malformed responses.
 */
import net from "node:net";
import { describe, expect, it } from "vitest";
import { GatewayError } from "../../src/core/errors.js";
import { OriginPool, type ExchangeHandler } from "../../src/net/client/client.js";
import { ClientError, type ClientRequest, type UpstreamHead } from "../../src/net/client/http1.js";
import { providerDefinition } from "../../src/providers/registry.js";
import { CERT, onCleanup, rawServer, settled, type Respond } from "../net/transport-support.js";

// The raw servers and the per-test clean-up are the transport tests' own (one copy).
function pool(port: number, o: Partial<ConstructorParameters<typeof OriginPool>[1]> & { scheme?: string } = {}): OriginPool {
  const p = new OriginPool(`${o.scheme ?? "http"}://127.0.0.1:${port}`, { connectTimeoutMs: 2000, ...o });
  onCleanup(() => p.destroy());
  return p;
}

interface Outcome {
  status: number;
  head: UpstreamHead | null;
  body: string;
  pieces: number;
  error: (Error & { code?: string }) | null;
}

/** Runs one request to its end and collects everything the handler saw. */
function send(p: OriginPool, req: Partial<ClientRequest> = {}, hooks: { abort?: (abort: (e: Error) => void) => void; pauseFirst?: number } = {}): Promise<Outcome> {
  return new Promise((resolve) => {
    const out: Outcome = { status: 0, head: null, body: "", pieces: 0, error: null };
    const chunks: Buffer[] = [];
    let resume: () => void = () => {};
    const h: ExchangeHandler = {
      onConnect: (abort) => hooks.abort?.(abort),
      onHeaders: (head, r) => {
        out.status = head.statusCode;
        out.head = head;
        resume = r;
      },
      onData: (c) => {
        chunks.push(Buffer.from(c));
        out.pieces++;
        if (hooks.pauseFirst && out.pieces === 1) {
          // The handler falls behind for a while: time is what the test is about.
          setTimeout(resume, hooks.pauseFirst);
          return false;
        }
        return true;
      },
      onComplete: () => {
        out.body = Buffer.concat(chunks).toString("utf8");
        resolve(out);
      },
      onError: (e) => {
        out.error = e;
        out.body = Buffer.concat(chunks).toString("utf8");
        resolve(out);
      },
    };
    p.dispatch({ method: "POST", path: "/v1/x", headers: {}, body: "{}", headersTimeout: 2000, bodyTimeout: 2000, ...req }, h);
  });
}

const ok = (body: string, extra = "") => `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`;

/** A server that answers `{}` only when the test releases it; `arrived` resolves when the request is in. */
function heldAnswer() {
  let arrive!: () => void;
  let release!: () => void;
  const arrived = new Promise<void>((r) => (arrive = r));
  const released = new Promise<void>((r) => (release = r));
  const respond: Respond = (_, sock) => {
    arrive();
    void released.then(() => sock.write(ok("{}")));
  };
  return { respond, arrived, release };
}

describe("upstream client: requests and framing", () => {
  it("writes one well-formed request, with its own host and length, dropping a caller's framing headers", async () => {
    const s = await rawServer((_, sock) => sock.write(ok('{"a":1}')));
    const r = await send(pool(s.port), { headers: { authorization: "Bearer k", Host: "evil", "Content-Length": "999", "x-é": "no" } });
    expect(r.error?.message).toMatch(/invalid request header/);
    const good = await send(pool(s.port), { headers: { authorization: "Bearer k", Host: "evil", "Content-Length": "999" }, body: '{"q":"héllo"}' });
    expect(good.status).toBe(200);
    expect(good.body).toBe('{"a":1}');
    expect(s.seen).toHaveLength(1);
    expect(s.seen[0].head).toBe(`POST /v1/x HTTP/1.1\r\nhost: 127.0.0.1:${s.port}\r\nauthorization: Bearer k\r\ncontent-length: 14`);
    expect(s.seen[0].body).toBe('{"q":"héllo"}');
  });

  it("refuses header values and paths that would break the request, sending nothing", async () => {
    const s = await rawServer((_, sock) => sock.write(ok("{}")));
    const p = pool(s.port);
    for (const req of [{ headers: { "x-a": "1\r\nx-injected: 1" } }, { path: "/v1/x HTTP/1.1\r\n" }, { path: "/a b" }, { path: "no-slash" }, { method: "GET /" }]) {
      const r = await send(p, req);
      expect((r.error as ClientError).code).toBe("UPSTREAM_INVALID_REQUEST");
    }
    expect(s.connections).toBe(0);
  });

  it("reuses one keep-alive connection for requests in sequence, and parses headers on demand", async () => {
    const s = await rawServer((_, sock) => sock.write(ok('{"n":1}', "Set-Cookie: a=1\r\nset-cookie: b=2\r\nX-Thing:  spaced  \r\n")));
    const p = pool(s.port);
    for (let i = 0; i < 5; i++) {
      const r = await send(p);
      expect(r.body).toBe('{"n":1}');
      expect(r.head!.headers["set-cookie"]).toEqual(["a=1", "b=2"]);
      expect(r.head!.headers["x-thing"]).toBe("spaced");
    }
    expect(s.connections).toBe(1);
  });

  /**
   * Sends `response` for every request, split in two at the byte the path names
   * (`/split/<k>`), and checks that every split of it reads as `body` on one reused connection.
   */
  async function everySplit(response: Buffer, body: string): Promise<void> {
    const s = await rawServer((req, sock) => {
      const k = Number(/\/split\/(\d+)/.exec(req.head)![1]);
      sock.write(response.subarray(0, k));
      // The second piece comes a moment later, so the client reads the response in two pieces.
      setTimeout(() => sock.write(response.subarray(k)), 2);
    });
    const p = pool(s.port);
    for (let k = 1; k < response.length; k++) {
      const r = await send(p, { path: `/split/${k}` });
      expect(r.error).toBeNull();
      expect(r.body, `split at ${k}`).toBe(body);
    }
    expect(s.connections).toBe(1);
  }

  it("reads chunked bodies split at every byte, with extensions and trailers, and keeps the connection", async () => {
    const chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n7\r\ndata: a\r\n5;ext=1\r\n\n\nbc\n\r\n0\r\nx-trailer: t\r\n\r\n";
    await everySplit(Buffer.from(chunked), "data: a\n\nbc\n");
  });

  it("reads content-length bodies split at every byte, including inside a multi-byte character", async () => {
    await everySplit(Buffer.from(ok('{"t":"héllo ✓"}')), '{"t":"héllo ✓"}');
  });

  it("skips 100 Continue and 103 Early Hints before the real response", async () => {
    const s = await rawServer((_, sock) => {
      sock.write("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nlink: </a>\r\n\r\n");
      // The real response in a later read than the interim ones.
      setTimeout(() => sock.write(ok("{}")), 5);
    });
    const r = await send(pool(s.port));
    expect(r.status).toBe(200);
    expect(r.body).toBe("{}");
  });

  it("reads a body that ends with the connection, and does not reuse that connection", async () => {
    const s = await rawServer((_, sock) => {
      sock.write("HTTP/1.0 200 OK\r\ncontent-type: text/plain\r\n\r\nuntil ");
      // The rest of the body and the end of the connection in a later read.
      setTimeout(() => sock.end("close"), 5);
    });
    const p = pool(s.port);
    expect((await send(p)).body).toBe("until close");
    expect((await send(p)).body).toBe("until close");
    expect(s.connections).toBe(2);
  });

  it("does not reuse a connection the response closes, nor after a HEAD or 204 mistakes the framing", async () => {
    let n = 0;
    const s = await rawServer((req, sock) => {
      n++;
      if (n === 1) sock.write(ok("{}", "connection: close\r\n"));
      else if (req.head.startsWith("HEAD")) sock.write("HTTP/1.1 200 OK\r\ncontent-length: 50\r\n\r\n");
      else if (n === 3) sock.write("HTTP/1.1 204 No Content\r\n\r\n");
      else sock.write(ok('{"last":true}'));
    });
    const p = pool(s.port);
    expect((await send(p)).status).toBe(200);
    const head = await send(p, { method: "HEAD", body: undefined });
    expect([head.status, head.body]).toEqual([200, ""]);
    const empty = await send(p);
    expect([empty.status, empty.body]).toEqual([204, ""]);
    expect((await send(p)).body).toBe('{"last":true}');
    expect(s.connections).toBe(2); // the first closed; the rest shared the second
  });

  it("honours the server's keep-alive timeout hint, closing idle connections a second early", async () => {
    const s = await rawServer((_, sock) => sock.write(ok("{}", "keep-alive: timeout=1\r\n")));
    const p = pool(s.port);
    await send(p);
    await send(p);
    expect(s.connections).toBe(2); // timeout=1 leaves no time to reuse it
  });

  it("drops an idle connection the server closed, and the next request opens a new one", async () => {
    const s = await rawServer((_, sock) => sock.write(ok("{}")));
    const p = pool(s.port);
    await send(p);
    for (const sock of s.sockets) sock.end();
    expect(await settled(() => p.connections, 0)).toBe(0);
    expect((await send(p)).status).toBe(200);
    expect(s.connections).toBe(2);
  });

  it("pauses reading while the handler is behind and resumes when asked", async () => {
    const s = await rawServer((_, sock) => {
      sock.write("HTTP/1.1 200 OK\r\ncontent-length: 8\r\n\r\nabcd");
      // The rest arrives while the handler is paused.
      setTimeout(() => sock.write("efgh"), 10);
    });
    const r = await send(pool(s.port), { bodyTimeout: 50 }, { pauseFirst: 150 });
    expect(r.error).toBeNull(); // time spent paused is not upstream silence
    expect(r.body).toBe("abcdefgh");
  });
});

describe("upstream client: failures", () => {
  it("times out waiting for headers, and for a stalled body", async () => {
    const s = await rawServer((req, sock) => {
      if (req.head.includes("/stall")) sock.write("HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc");
    });
    const p = pool(s.port);
    const h = await send(p, { headersTimeout: 100 });
    expect((h.error as ClientError).code).toBe("UPSTREAM_HEADERS_TIMEOUT");
    const b = await send(p, { path: "/stall", bodyTimeout: 100 });
    expect([(b.error as ClientError).code, b.status, b.body]).toEqual(["UPSTREAM_BODY_TIMEOUT", 200, "abc"]);
    expect(await settled(() => p.connections, 0)).toBe(0); // both connections were closed, not pooled
    expect(await settled(() => s.closed, 2)).toBe(2);
  });

  it("times out a connection whose TLS handshake never finishes", async () => {
    const held: net.Socket[] = [];
    const silent = net.createServer((sock) => void held.push(sock));
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    onCleanup(() => {
      for (const sock of held) sock.destroy();
      return new Promise((r) => silent.close(r));
    });
    const p = pool((silent.address() as net.AddressInfo).port, { scheme: "https", connectTimeoutMs: 100 });
    const r = await send(p);
    expect((r.error as ClientError).code).toBe("UPSTREAM_CONNECT_TIMEOUT");
  });

  it("reports a refused connection with its system code", async () => {
    const s = await rawServer(() => {});
    await s.close();
    const r = await send(pool(s.port));
    expect(r.error?.code).toBe("ECONNREFUSED");
  });

  it("fails when the server closes the connection mid-response", async () => {
    const s = await rawServer((_, sock) => {
      sock.write("HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\npartial");
      // The connection dies after the client has read part of the body.
      setTimeout(() => sock.destroy(), 5);
    });
    const r = await send(pool(s.port));
    expect([(r.error as ClientError).code, r.body]).toEqual(["UPSTREAM_CLOSED", "partial"]);
  });

  it.each([
    ["a bad status line", "HTTP/2 200 OK\r\n\r\n"],
    ["a bad chunk size", "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n"],
    ["chunk data without its line break", "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\nabX\r\n"],
    ["conflicting content-lengths", "HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-length: 3\r\n\r\nab"],
    ["an unknown transfer coding", "HTTP/1.1 200 OK\r\ntransfer-encoding: gzip\r\n\r\n"],
    ["headers that never end", "HTTP/1.1 200 OK\r\n" + "x-long: " + "a".repeat(70_000)],
    ["a protocol switch", "HTTP/1.1 101 Switching Protocols\r\n\r\n"],
  ])("rejects %s as a malformed response", async (_name, bytes) => {
    const s = await rawServer((_, sock) => sock.write(bytes));
    const r = await send(pool(s.port));
    expect((r.error as ClientError).code).toBe("UPSTREAM_BAD_RESPONSE");
  });

  it("does not reuse a connection that sent bytes past the response", async () => {
    const s = await rawServer((_, sock) => sock.write(ok("{}") + "HTTP/1.1 200 OK\r\n"));
    const p = pool(s.port);
    expect((await send(p)).body).toBe("{}");
    expect((await send(p)).body).toBe("{}");
    expect(s.connections).toBe(2);
  });
});

describe("upstream client: review findings", () => {
  it("never hands out an idle connection whose socket is already gone", async () => {
    const s = await rawServer((_, sock) => sock.write(ok("{}")));
    const p = pool(s.port);
    expect((await send(p)).status).toBe(200);
    for (const sock of s.sockets) sock.end(); // the connection is idle in the pool now
    const conn = [...p.conns][0] as unknown as { socket: net.Socket };
    // The server's FIN has been handled (the socket is destroyed) but "close" has not come yet.
    await new Promise<void>((r) => {
      const t = () => (conn.socket.destroyed ? r() : setImmediate(t));
      t();
    });
    const r = await send(p);
    expect([r.status, r.error]).toEqual([200, null]);
    expect(s.connections).toBe(2);
  });

  it("reads repeated transfer-encoding lines as one list, and refuses codings it cannot decode", async () => {
    const s = await rawServer((req, sock) => {
      if (req.head.includes("/gzip")) sock.write("HTTP/1.1 200 OK\r\ntransfer-encoding: gzip, chunked\r\n\r\n0\r\n\r\n");
      else sock.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\ncontent-length: 3\r\n\r\n2\r\nok\r\n0\r\n\r\n");
    });
    const p = pool(s.port);
    const both = await send(p);
    expect([both.error, both.body]).toEqual([null, "ok"]); // chunked wins over content-length
    expect(((await send(p, { path: "/gzip" })).error as ClientError).code).toBe("UPSTREAM_BAD_RESPONSE");
    await send(p);
    expect(s.connections).toBe(3); // a response framed both ways is not trusted with another request
  });

  it("keeps a connection closed once the response said close, whatever follows", async () => {
    const s = await rawServer((_, sock) => sock.write(ok("{}", "connection: close\r\nconnection: keep-alive\r\n")));
    const p = pool(s.port);
    await send(p);
    await send(p);
    expect(s.connections).toBe(2);
  });

  it("parses a header named __proto__ as an ordinary header", async () => {
    const s = await rawServer((_, sock) => sock.write(ok("{}", "__proto__: x\r\nconstructor: y\r\n")));
    const h = (await send(pool(s.port))).head!.headers;
    expect([h["__proto__"], h["constructor"]]).toEqual(["x", "y"]);
  });

  it("fails the request, not the pool, when a connection cannot even be started", async () => {
    const p = pool(1, { scheme: "https", connections: 1, tls: { cert: "not a pem", key: "nope" } });
    for (let i = 0; i < 3; i++) expect((await send(p)).error).toBeInstanceOf(Error);
    expect(p.connections).toBe(0);
  });

  it("makes a request that cannot be sent a 400 for the client, not an upstream failure to retry", async () => {
    const s = await rawServer((_, sock) => sock.write(ok("{}")));
    const provider = providerDefinition("openai")!.create(
      { id: "o", type: "openai", apiKey: "k", baseUrl: `http://127.0.0.1:${s.port}/v1`, headers: { "x-bad": "a\r\nx-injected: 1" }, extra: {} },
      { connectTimeoutMs: 2000 },
    );
    onCleanup(() => provider.close?.());
    const timeouts = { connectMs: 2000, firstTokenMs: 2000, idleMs: 2000, totalMs: 5000 };
    const err = await provider.chat({ model: "m", messages: [{ role: "user", content: "hi" }] }, { timeouts }).catch((e) => e);
    expect(err).toBeInstanceOf(GatewayError);
    expect([(err as GatewayError).code, (err as GatewayError).status]).toEqual(["invalid_request", 400]);
    expect(s.connections).toBe(0);
  });

  it("close() called twice resolves both times", async () => {
    const held = heldAnswer();
    const s = await rawServer(held.respond);
    const p = pool(s.port);
    const inflight = send(p);
    await held.arrived;
    const [a, b] = [p.close(), p.close()];
    held.release();
    expect((await inflight).status).toBe(200);
    await expect(Promise.all([a, b])).resolves.toEqual([undefined, undefined]);
  });
});

describe("upstream client: limits, cancellation, TLS, closing", () => {
  it("opens at most `connections` sockets and queues the rest in order", async () => {
    // Answers come a little later, so both connections are busy while the other requests wait.
    const s = await rawServer((req, sock) => setTimeout(() => sock.write(ok(JSON.stringify(req.body))), 20));
    const p = pool(s.port, { connections: 2 });
    const order: number[] = [];
    const all = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        send(p, { body: String(i) }).then((r) => {
          order.push(i);
          return r.body;
        }),
      ),
    );
    expect(all).toEqual(["0", "1", "2", "3", "4", "5"].map((x) => JSON.stringify(x)));
    expect(s.connections).toBe(2);
    expect(s.seen.map((x) => x.body)).toEqual(["0", "1", "2", "3", "4", "5"]);
  });

  it("aborts a queued request without sending it, and an active one by closing its connection", async () => {
    let slowArrived!: () => void;
    const arrived = new Promise<void>((r) => (slowArrived = r));
    const s = await rawServer((req, sock) => {
      if (req.body === "slow") return slowArrived(); // never answers
      sock.write(ok("{}"));
    });
    const p = pool(s.port, { connections: 1 });
    let abortActive!: (e: Error) => void;
    let abortQueued!: (e: Error) => void;
    const active = send(p, { body: "slow" }, { abort: (a) => (abortActive = a) });
    const queued = send(p, { body: "queued" }, { abort: (a) => (abortQueued = a) });
    await arrived; // "slow" is on the only connection; "queued" waits for it
    abortQueued(new Error("client left"));
    expect((await queued).error?.message).toBe("client left");
    abortActive(new Error("stop"));
    expect((await active).error?.message).toBe("stop");
    expect((await send(p, { body: "next" })).status).toBe(200);
    expect(s.seen.map((x) => x.body)).toEqual(["slow", "next"]);
    expect(s.connections).toBe(2);
  });

  it("an abort before the request starts settles it at once", async () => {
    const s = await rawServer((_, sock) => sock.write(ok("{}")));
    const r = await send(pool(s.port), {}, { abort: (a) => a(new Error("already gone")) });
    expect(r.error?.message).toBe("already gone");
    expect(s.connections).toBe(0);
  });

  it("speaks HTTPS with the server name checked against the certificate, reusing the connection", async () => {
    const s = await rawServer((_, sock) => sock.write(ok('{"tls":true}')), { secure: true });
    const p = new OriginPool(`https://localhost:${s.port}`, { connectTimeoutMs: 2000, tls: { ca: CERT } });
    onCleanup(() => p.destroy());
    expect((await send(p)).body).toBe('{"tls":true}');
    expect((await send(p)).body).toBe('{"tls":true}');
    expect(s.connections).toBe(1);
    const untrusted = await send(pool(s.port, { scheme: "https" }));
    expect(untrusted.error?.code).toMatch(/SELF_SIGNED|UNABLE_TO_VERIFY|DEPTH_ZERO/);
  });

  it("close() lets requests in flight finish, then refuses new ones", async () => {
    const held = heldAnswer();
    const s = await rawServer(held.respond);
    const p = pool(s.port);
    const inflight = send(p);
    await held.arrived;
    const closed = p.close();
    held.release();
    expect((await inflight).status).toBe(200);
    await closed;
    expect(p.connections).toBe(0);
    expect(((await send(p)).error as ClientError).code).toBe("UPSTREAM_POOL_CLOSED");
  });
});
