/**
 * The conformance suite every upstream transport passes (`upstream.transport: fast | undici`):
 * keep-alive reuse, bodies framed by length or chunks and split at every byte, backpressure,
 * cancellation before and after the response starts, the connect / first-byte / idle / total
 * timeouts, and failures — against raw servers that write exactly the bytes a test wants.
 */
import net from "node:net";
import { describe, expect, it } from "vitest";
import { GatewayError } from "../../src/core/errors.js";
import { Cancellation } from "../../src/core/cancel.js";
import { UpstreamExchange } from "../../src/net/client/exchange.js";
import { DEFAULT_UPSTREAM } from "../../src/providers/http.js";
import { providerDefinition } from "../../src/providers/registry.js";
import type { ChatRequest } from "../../src/wire/openai.js";
import { delay, KINDS, settled, ok, onCleanup, rawServer, request, send, transport } from "./transport-support.js";

const turn = () => new Promise((r) => setImmediate(r));

const CHUNKED = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n7\r\ndata: a\r\n5;ext=1\r\n\n\nbc\n\r\n0\r\nx-trailer: t\r\n\r\n";

describe.each(KINDS)("transport %s: requests, framing and reuse", (kind) => {
  it("sends the method, path, headers and body, and reuses one keep-alive connection", async () => {
    const s = await rawServer((req, sock) => sock.write(ok(`{"n":${s.seen.length}}`, "x-seen: 1\r\n")));
    const t = transport(kind);
    for (let i = 1; i <= 3; i++) {
      const r = await send(t, s.origin, { method: "POST", path: "/v1/x?y=1", headers: { "x-key": "k", connection: "close" }, body: '{"a":"é"}' });
      expect(r.error).toBeNull();
      expect(r.status).toBe(200);
      expect(r.body).toBe(`{"n":${i}}`);
      expect(r.head!.headers["x-seen"]).toBe("1");
      await turn(); // undici hands a connection back to its pool on a later tick
    }
    expect(s.connections).toBe(1);
    const head = s.seen[0].head.toLowerCase();
    expect(head.startsWith("post /v1/x?y=1 http/1.1\r\n")).toBe(true);
    expect(head).toContain(`host: 127.0.0.1:${s.port}`);
    expect(head).toContain("x-key: k");
    expect(head).toContain("content-length: 10");
    expect(head).not.toContain("connection: close"); // the caller's framing headers are the client's own
    expect(s.seen[0].body).toBe('{"a":"é"}');
  });

  it("refuses a header value that would break the request, sending nothing", async () => {
    const s = await rawServer((_, sock) => sock.write(ok("{}")));
    const r = await send(transport(kind), s.origin, { headers: { "x-a": "1\r\nx-injected: 2" } });
    expect(r.error?.code).toBe("UPSTREAM_INVALID_REQUEST");
    expect(r.error?.message).toBe('invalid request header "x-a"');
    await delay(20);
    expect(s.seen).toHaveLength(0);
  });

  for (const [name, response, body] of [
    ["chunked (with extensions and trailers)", CHUNKED, "data: a\n\nbc\n"],
    ["content-length (inside a multi-byte character too)", ok('{"t":"héllo ✓"}'), '{"t":"héllo ✓"}'],
  ] as const) {
    it(`reads ${name} bodies split at every byte on one reused connection`, async () => {
      const bytes = Buffer.from(response);
      const s = await rawServer((req, sock) => {
        const k = Number(/\/split\/(\d+)/.exec(req.head)![1]);
        sock.write(bytes.subarray(0, k));
        setTimeout(() => sock.write(bytes.subarray(k)), 2);
      });
      const t = transport(kind);
      for (let k = 1; k < bytes.length; k++) {
        const r = await send(t, s.origin, { path: `/split/${k}` });
        expect(r.error).toBeNull();
        expect(r.body, `split at ${k}`).toBe(body);
        await turn();
      }
      expect(s.connections).toBe(1);
    });
  }

  // (undici refuses a 100 Continue to a request that did not ask for one; the fast client skips it too.)
  it("skips 102 Processing and 103 Early Hints before the real response", async () => {
    const s = await rawServer((_, sock) => {
      sock.write("HTTP/1.1 102 Processing\r\n\r\nHTTP/1.1 103 Early Hints\r\nlink: </a>\r\n\r\n");
      setTimeout(() => sock.write(ok("{}")), 5);
    });
    const r = await send(transport(kind), s.origin);
    expect([r.status, r.body, r.error]).toEqual([200, "{}", null]);
  });

  it("reads a body that ends with the connection, and opens a new one for the next request", async () => {
    const s = await rawServer((_, sock) => {
      sock.write("HTTP/1.1 200 OK\r\nconnection: close\r\n\r\nuntil ");
      setTimeout(() => sock.end("close"), 5);
    });
    const t = transport(kind);
    expect((await send(t, s.origin)).body).toBe("until close");
    expect((await send(t, s.origin)).body).toBe("until close");
    expect(s.connections).toBe(2);
  });
});

describe.each(KINDS)("transport %s: streaming, backpressure and cancellation", (kind) => {
  it("stops reading while the handler is behind, and delivers every byte in order once resumed", async () => {
    const total = 24 * 1024 * 1024; // far more than the kernel's socket buffers hold
    const payload = Buffer.alloc(total, "x");
    let serverSocket: net.Socket | null = null;
    const s = await rawServer((_, sock) => {
      serverSocket = sock;
      sock.write(`HTTP/1.1 200 OK\r\ncontent-length: ${total}\r\n\r\n`);
      sock.write(payload);
    });
    let received = 0;
    let resumeLater: (() => void) | null = null;
    const done = send(
      transport(kind),
      s.origin,
      {},
      {
        onData: (c, resume) => {
          received += c.length;
          if (resumeLater === null) {
            resumeLater = resume;
            return false; // behind: stop reading
          }
          return true;
        },
      },
    );
    await delay(300);
    const whilePaused = received;
    expect(whilePaused).toBeLessThan(total / 2);
    expect(serverSocket!.writableLength).toBeGreaterThan(0); // the server could not send the rest
    resumeLater!();
    const r = await done;
    expect(r.error).toBeNull();
    expect(received).toBe(total);
    expect(r.body.length).toBe(total);
    expect(/^x*$/.test(r.body)).toBe(true);
  });

  it("time spent paused for a slow consumer does not count toward the idle timeout", async () => {
    const total = 2 * 1024 * 1024;
    const s = await rawServer((_, sock) => {
      sock.write(`HTTP/1.1 200 OK\r\ncontent-length: ${total}\r\n\r\n`);
      sock.write(Buffer.alloc(total, "y"));
    });
    let pieces = 0;
    const r = await send(
      transport(kind),
      s.origin,
      { bodyTimeout: 200 },
      {
        onData: (_, resume) => {
          if (++pieces !== 3) return true; // the idle timer runs by then
          setTimeout(resume, 2500); // longer than undici's coarse timers could let slip
          return false;
        },
      },
    );
    expect([r.error, r.body.length]).toEqual([null, total]);
  });

  it("an exchange with a slow consumer holds at most ~64 KiB and reads a stream to its end", async () => {
    const s = await rawServer((_, sock) => {
      sock.write("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n");
      for (let i = 0; i < 64; i++) sock.write(`8000\r\n${String(i % 10).repeat(0x8000)}\r\n`);
      sock.write("0\r\n\r\n");
    });
    const t = transport(kind);
    const ex = new UpstreamExchange(new Cancellation(), DEFAULT_UPSTREAM.maxResponseBytes);
    t.request(s.origin, request(), ex);
    await ex.response;
    let bytes = 0;
    let most = 0;
    for (;;) {
      await delay(2);
      await ex.readable();
      const got = ex.take();
      const n = got?.reduce((a, b) => a + b.length, 0) ?? 0;
      most = Math.max(most, n);
      bytes += n;
      if (!got && ex.complete) break;
    }
    expect(bytes).toBe(64 * 0x8000);
    expect(most).toBeLessThanOrEqual(64 * 1024 + 0x10000);
  });

  it("cancels a request before its response starts, and after it started, closing the connection", async () => {
    const s = await rawServer((req, sock) => {
      if (req.head.includes("/started")) sock.write("HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\npart");
    });
    const t = transport(kind);
    const cancel = new Error("client went away");
    const before = await send(t, s.origin, { path: "/waiting" }, { abort: (abort) => setTimeout(() => abort(cancel), 50) });
    expect(before.error).toBe(cancel);
    expect(before.status).toBe(0);
    let abortFn: (e: Error) => void = () => {};
    const after = await send(t, s.origin, { path: "/started" }, { abort: (a) => (abortFn = a), onData: () => (setTimeout(() => abortFn(cancel), 10), true) });
    expect(after.status).toBe(200);
    expect(after.error).toBe(cancel);
    expect(await settled(() => s.closed, 2)).toBe(2); // neither connection was kept
  });

  it("a request cancelled while it waits for a connection is never sent", async () => {
    const s = await rawServer((req, sock) => setTimeout(() => sock.write(ok("{}")), 100));
    const t = transport(kind, { connections: 1 });
    const first = send(t, s.origin, { path: "/first" });
    const cancel = new Error("gone");
    const queued = await send(t, s.origin, { path: "/queued" }, { abort: (abort) => setTimeout(() => abort(cancel), 20) });
    expect(queued.error).toBe(cancel);
    expect((await first).body).toBe("{}");
    await delay(50);
    expect(s.seen.map((r) => r.head.split(" ")[1])).toEqual(["/first"]);
  });
});

describe.each(KINDS)("transport %s: timeouts and failures", (kind) => {
  it("times out a connect (a TLS handshake that never finishes), waiting for headers, and a stalled body", async () => {
    const held: net.Socket[] = [];
    const silent = net.createServer((sock) => void held.push(sock));
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    onCleanup(() => {
      for (const sock of held) sock.destroy();
      return new Promise((r) => silent.close(r));
    });
    const tls = await send(transport(kind, { connectTimeoutMs: 100 }), `https://127.0.0.1:${(silent.address() as net.AddressInfo).port}`);
    expect(tls.error?.code).toBe("UPSTREAM_CONNECT_TIMEOUT");

    const s = await rawServer((req, sock) => {
      if (req.head.includes("/stall")) sock.write("HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc");
    });
    const t = transport(kind);
    const headers = await send(t, s.origin, { path: "/silent", headersTimeout: 100 });
    expect(headers.error?.code).toBe("UPSTREAM_HEADERS_TIMEOUT");
    const body = await send(t, s.origin, { path: "/stall", bodyTimeout: 100 });
    expect([body.status, body.body, body.error?.code]).toEqual([200, "abc", "UPSTREAM_BODY_TIMEOUT"]);
  });

  it("reports a refused connection with its system code, and a cut response as closed", async () => {
    const gone = await rawServer(() => {});
    await gone.close();
    expect((await send(transport(kind), gone.origin)).error?.code).toBe("ECONNREFUSED");
    const s = await rawServer((_, sock) => sock.end("HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc"));
    const cut = await send(transport(kind), s.origin);
    expect(cut.error?.code).toBe("UPSTREAM_CLOSED");
  });

  it("through a provider: the first-token, idle and total timeouts name themselves", async () => {
    const s = await rawServer((req, sock) => {
      const body = JSON.parse(req.body) as { messages: { content: string }[] };
      const what = body.messages[0].content;
      if (what === "silent") return;
      sock.write("HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n");
      const event = 'data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"x"}}]}\n\n';
      sock.write(`${Buffer.byteLength(event).toString(16)}\r\n${event}\r\n`);
      if (what === "trickle") {
        const timer = setInterval(() => !sock.destroyed && sock.write(`${Buffer.byteLength(event).toString(16)}\r\n${event}\r\n`), 20);
        sock.on("close", () => clearInterval(timer));
      }
    });
    const provider = providerDefinition("openai")!.create(
      { id: "up", type: "openai", apiKey: "k", baseUrl: `${s.origin}/v1`, headers: {}, extra: {} },
      { connectTimeoutMs: 1000, upstream: { ...DEFAULT_UPSTREAM, transport: kind } },
    );
    onCleanup(() => provider.close?.());
    // undici's timers tick about once a second: the total is long enough for its idle timer to fire first.
    const timeouts = { connectMs: 1000, firstTokenMs: 150, idleMs: 150, totalMs: 2500 };
    const failure = async (content: string) => {
      const req = { model: "m", messages: [{ role: "user", content }], stream: true } as ChatRequest;
      try {
        for await (const _ of await provider.chatStream(req, { timeouts })) void _;
      } catch (e) {
        return e as GatewayError;
      }
      throw new Error("no failure");
    };
    expect((await failure("silent")).message).toBe("upstream sent no first token within 150 ms");
    expect((await failure("stall")).message).toBe("upstream stalled for more than 150 ms");
    expect((await failure("trickle")).message).toBe("upstream did not complete within 2500 ms");
  });
});
