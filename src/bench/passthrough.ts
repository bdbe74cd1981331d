/**
 * The baseline: the smallest reasonable HTTP proxy (node:http in, undici Pool out). It reads
 * the request body (any JSON gateway must), forwards it, and streams the answer back. What the
 * gateway adds on top of this is the cost of its features; what this adds over "direct" is the
 * cost of being a Node proxy at all.
 *
 *   node dist/bench/passthrough.js --upstream http://127.0.0.1:N [--port N]  → {"ready":true,"port":N}
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Pool } from "undici";
import { argValue, isMain } from "./util.js";

const HOP_BY_HOP = new Set(["connection", "keep-alive", "transfer-encoding", "proxy-connection", "upgrade", "te", "trailer", "host"]);

export async function startPassthrough(upstream: string, port = 0): Promise<{ port: number; close(): Promise<void> }> {
  const pool = new Pool(upstream, { connections: 256, pipelining: 1, keepAliveTimeout: 60_000 });
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) {
        if (typeof v === "string" && !HOP_BY_HOP.has(k) && k !== "content-length") headers[k] = v;
      }
      const fail = (err: unknown) => {
        if (res.headersSent) return void res.destroy();
        res.writeHead(502, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: { message: String(err), type: "api_error", param: null, code: "upstream_error" } }));
      };
      pool.request({ method: req.method as "POST", path: req.url ?? "/", headers, body: chunks.length ? Buffer.concat(chunks) : null }).then((up) => {
        const out: Record<string, string | string[]> = {};
        for (const [k, v] of Object.entries(up.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) out[k] = v;
        res.writeHead(up.statusCode, out);
        up.body.on("data", (c: Buffer) => res.write(c));
        up.body.on("end", () => res.end());
        up.body.on("error", fail);
        res.on("close", () => up.body.destroy());
      }, fail);
    });
  });
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await pool.close();
    },
  };
}

if (isMain(import.meta.url)) {
  const upstream = argValue("--upstream");
  if (!upstream) throw new Error("passthrough: --upstream <origin> is required");
  const { port } = await startPassthrough(upstream, Number(argValue("--port") ?? 0));
  process.stdout.write(`${JSON.stringify({ ready: true, port })}\n`);
}
