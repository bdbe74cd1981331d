/**
 * Egress proxies on both transports: HTTPS_PROXY (a CONNECT tunnel per connection), HTTP_PROXY
 * (requests in absolute form) and NO_PROXY, against a small proxy on loopback that counts what
 * went through it; the NO_PROXY rules; and how the configuration reads the variables.
 */
import http from "node:http";
import net from "node:net";
import { describe, expect, it } from "vitest";
import { ConfigError, parseConfig } from "../../src/config/index.js";
import { proxyFor } from "../../src/net/client/proxy.js";
import { DEFAULT_UPSTREAM } from "../../src/providers/http.js";
import { buildProvider } from "../../src/sdk/providers.js";
import { providerDefinition } from "../../src/providers/registry.js";
import { KINDS, ok, onCleanup, rawServer, send, transport } from "./transport-support.js";

/** A forward proxy: CONNECT tunnels and absolute-form requests, each counted. */
async function proxyServer() {
  const tunnels: string[] = [];
  const forwarded: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = http.createServer((req, res) => {
    forwarded.push(`${req.method} ${req.url}`);
    const u = new URL(req.url!);
    const up = http.request({ host: u.hostname, port: u.port, path: u.pathname + u.search, method: req.method, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode!, r.headers);
      r.pipe(res);
    });
    up.on("error", () => res.destroy());
    req.pipe(up);
  });
  server.on("connection", (s: net.Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  server.on("connect", (req: http.IncomingMessage, sock: net.Socket, head: Buffer) => {
    tunnels.push(req.url!);
    const colon = req.url!.lastIndexOf(":");
    const up = net.connect(Number(req.url!.slice(colon + 1)), req.url!.slice(0, colon), () => {
      sock.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      up.write(head);
      up.pipe(sock);
      sock.pipe(up);
    });
    sockets.add(up);
    up.on("close", () => sockets.delete(up));
    up.on("error", () => sock.destroy());
    sock.on("error", () => up.destroy());
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  onCleanup(() => {
    for (const s of sockets) s.destroy();
    return new Promise((r) => server.close(r));
  });
  return { url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`, tunnels, forwarded };
}

describe.each(KINDS)("transport %s: egress proxies", (kind) => {
  it("tunnels https origins through HTTPS_PROXY with CONNECT, one tunnel per connection, except origins in NO_PROXY", async () => {
    const s = await rawServer((_, sock) => sock.write(ok('{"via":"tls"}')), { secure: true });
    const proxy = await proxyServer();
    const t = transport(kind, { proxy: { httpsProxy: proxy.url, httpProxy: "http://127.0.0.1:1" } });
    for (let i = 0; i < 3; i++) {
      const r = await send(t, s.origin, { path: `/v1/x${i}` });
      expect([r.status, r.body, r.error]).toEqual([200, '{"via":"tls"}', null]);
      await new Promise((r) => setImmediate(r));
    }
    expect(proxy.tunnels).toEqual([`127.0.0.1:${s.port}`]); // the tunnel is a kept-alive connection
    expect(s.seen.map((r) => r.head.split("\r\n")[0])).toEqual(["GET /v1/x0 HTTP/1.1", "GET /v1/x1 HTTP/1.1", "GET /v1/x2 HTTP/1.1"]);

    const direct = transport(kind, { proxy: { httpsProxy: proxy.url, noProxy: "example.com, 127.0.0.1" } });
    expect((await send(direct, s.origin)).body).toBe('{"via":"tls"}');
    expect(proxy.tunnels).toHaveLength(1);
  });

  it("a provider call reaches an http upstream through HTTP_PROXY, and directly when NO_PROXY names it", async () => {
    const s = await rawServer((_, sock) =>
      sock.write(ok(JSON.stringify({ id: "c", object: "chat.completion", created: 1, model: "m", choices: [{ index: 0, message: { role: "assistant", content: "hi" }, finish_reason: "stop" }] }))),
    );
    const proxy = await proxyServer();
    const call = async (noProxy?: string) => {
      const p = providerDefinition("openai")!.create(
        { id: "up", type: "openai", apiKey: "k", baseUrl: `${s.origin}/v1`, headers: {}, extra: {} },
        { connectTimeoutMs: 2000, upstream: { ...DEFAULT_UPSTREAM, transport: kind, proxy: { httpProxy: proxy.url, ...(noProxy ? { noProxy } : {}) } } },
      );
      onCleanup(() => p.close?.());
      const r = await p.chat({ model: "m", messages: [{ role: "user", content: "hi" }] }, { timeouts: { connectMs: 2000, firstTokenMs: 5000, idleMs: 5000, totalMs: 10_000 } });
      return r.choices[0].message.content;
    };
    expect(await call()).toBe("hi");
    expect(proxy.forwarded).toEqual([`POST ${s.origin}/v1/chat/completions`]);
    expect(await call(`localhost,127.0.0.1:${s.port}`)).toBe("hi");
    expect(proxy.forwarded).toHaveLength(1);
    expect(s.seen).toHaveLength(2);
  });

  it("an unreachable proxy fails the call as a connection failure", async () => {
    const s = await rawServer((_, sock) => sock.write(ok("{}")));
    const gone = await rawServer(() => {});
    await gone.close();
    const r = await send(transport(kind, { proxy: { httpProxy: gone.origin } }), s.origin);
    // The refused connection is the one to the proxy, not to the origin.
    expect(r.error).toMatchObject({ code: "ECONNREFUSED", message: `connect ECONNREFUSED ${new URL(gone.origin).host}` });
    expect(s.seen).toHaveLength(0);
  });
});

describe("NO_PROXY rules", () => {
  const p = { httpsProxy: "http://proxy:3128", httpProxy: "http://proxy:8080" };
  const via = (origin: string, noProxy?: string) => proxyFor({ ...p, ...(noProxy === undefined ? {} : { noProxy }) }, new URL(origin));

  it("picks the proxy by scheme, and skips hosts, subdomains, ports, IPv6 literals and * as curl does", () => {
    expect(via("https://api.openai.com")).toBe("http://proxy:3128");
    expect(via("http://ollama:11434")).toBe("http://proxy:8080");
    expect(proxyFor({ httpProxy: "http://proxy:8080" }, new URL("https://api.openai.com"))).toBeUndefined();
    expect(via("https://api.openai.com", "openai.com")).toBeUndefined();
    expect(via("https://api.openai.com", ".openai.com")).toBeUndefined();
    expect(via("https://api.openai.com", "*.openai.com")).toBeUndefined();
    expect(via("https://notopenai.com", "openai.com")).toBe("http://proxy:3128");
    expect(via("https://API.OpenAI.com", "api.openai.com")).toBeUndefined();
    expect(via("http://10.0.0.5:8000", "10.0.0.5:8000")).toBeUndefined();
    expect(via("http://10.0.0.5:8001", "10.0.0.5:8000")).toBe("http://proxy:8080");
    expect(via("https://internal", "internal:443")).toBeUndefined();
    expect(via("http://[::1]:8000", "::1")).toBeUndefined();
    expect(via("http://[::1]:8000", "[::1]:9000")).toBe("http://proxy:8080");
    expect(via("https://anything.example", " a.com  b.com,*")).toBeUndefined();
    expect(via("https://anything.example", "")).toBe("http://proxy:3128");
  });
});

describe("proxy variables in the configuration", () => {
  it("reads HTTPS_PROXY, HTTP_PROXY and NO_PROXY, the lower-case forms first, empty as unset", () => {
    const c = parseConfig({}, { env: { HTTPS_PROXY: "http://upper:1", https_proxy: "http://lower:2", HTTP_PROXY: "http://plain:3", no_proxy: "", NO_PROXY: "localhost" } });
    expect(c.upstream.proxy).toEqual({ httpsProxy: "http://lower:2", httpProxy: "http://plain:3", noProxy: "localhost" });
    expect(parseConfig({}, { env: {} }).upstream.proxy).toEqual({});
  });

  it("refuses a proxy that is not an http(s) URL, naming the variable", () => {
    let err: unknown;
    try {
      parseConfig({}, { env: { HTTPS_PROXY: "proxy.internal:3128" } });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems).toEqual(["HTTPS_PROXY: expected a proxy URL such as http://proxy.internal:3128"]);
  });

  it("reads upstream.transport and the bounds, and refuses an unknown transport", () => {
    const c = parseConfig({ upstream: { transport: "undici", max_response_bytes: 1000, max_event_bytes: 100 } });
    expect(c.upstream).toEqual({ transport: "undici", maxResponseBytes: 1000, maxEventBytes: 100, proxy: {} });
    expect(() => parseConfig({ upstream: { transport: "curl" } })).toThrow(/upstream\.transport/);
  });
});

describe("the library", () => {
  it("sends a provider's calls through HTTP_PROXY from the process environment", async () => {
    const s = await rawServer((_, sock) =>
      sock.write(ok(JSON.stringify({ id: "c", object: "chat.completion", created: 1, model: "m", choices: [{ index: 0, message: { role: "assistant", content: "via" }, finish_reason: "stop" }] }))),
    );
    const proxy = await proxyServer();
    const saved = process.env.HTTP_PROXY;
    process.env.HTTP_PROXY = proxy.url;
    try {
      const { provider } = buildProvider("local", { type: "openai", apiKey: "k", baseUrl: `${s.origin}/v1` });
      onCleanup(() => provider.close?.());
      const r = await provider.chat({ model: "m", messages: [{ role: "user", content: "hi" }] }, { timeouts: { connectMs: 2000, firstTokenMs: 5000, idleMs: 5000, totalMs: 10_000 } });
      expect(r.choices[0].message.content).toBe("via");
      expect(proxy.forwarded).toEqual([`POST ${s.origin}/v1/chat/completions`]);
    } finally {
      if (saved === undefined) delete process.env.HTTP_PROXY;
      else process.env.HTTP_PROXY = saved;
    }
  });
});
