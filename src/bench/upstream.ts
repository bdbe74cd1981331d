/**
 * The benchmark's fake upstream: the fastest OpenAI-compatible server we can write on node:http.
 * Precomputed bodies, no JSON parsing (a substring test finds `"stream": true` and
 * `include_usage`), keep-alive. Run as a child process:
 *
 *   node dist/bench/upstream.js [--port N]     → prints {"ready":true,"port":N} on stdout
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { argValue, isMain } from "./util.js";

const MODEL = "gpt-4o-mini";
const CREATED = 1_735_689_600;
const USAGE = { prompt_tokens: 12, completion_tokens: 9, total_tokens: 21 };

const completion = Buffer.from(
  JSON.stringify({
    id: "chatcmpl-bench",
    object: "chat.completion",
    created: CREATED,
    model: MODEL,
    choices: [
      {
        index: 0,
        message: { role: "assistant", content: "Hello! This is the benchmark upstream.", refusal: null, annotations: [] },
        logprobs: null,
        finish_reason: "stop",
      },
    ],
    usage: USAGE,
    service_tier: "default",
    system_fingerprint: "fp_bench",
  }),
);

function sse(choices: unknown[], usage?: unknown): Buffer {
  const chunk = {
    id: "chatcmpl-bench",
    object: "chat.completion.chunk",
    created: CREATED,
    model: MODEL,
    system_fingerprint: "fp_bench",
    choices,
    ...(usage !== undefined ? { usage } : {}),
  };
  return Buffer.from(`data: ${JSON.stringify(chunk)}\n\n`);
}
const delta = (d: object, finish: string | null = null) => [{ index: 0, delta: d, logprobs: null, finish_reason: finish }];

/** Five chunks (role, three content pieces, finish) + optional usage chunk + [DONE]. */
function streamChunks(withUsage: boolean): Buffer[] {
  const u = withUsage ? null : undefined;
  const out = [
    sse(delta({ role: "assistant", content: "", refusal: null }), u),
    sse(delta({ content: "Hello! " }), u),
    sse(delta({ content: "This is the " }), u),
    sse(delta({ content: "benchmark upstream." }), u),
    sse(delta({}, "stop"), u),
  ];
  if (withUsage) out.push(sse([], USAGE));
  out.push(Buffer.from("data: [DONE]\n\n"));
  return out;
}
const STREAM = streamChunks(false);
const STREAM_USAGE = streamChunks(true);
const MODELS = Buffer.from(JSON.stringify({ object: "list", data: [{ id: MODEL, object: "model", created: CREATED, owned_by: "system" }] }));

const STREAM_RE = /"stream"\s*:\s*true/;
const USAGE_RE = /"include_usage"\s*:\s*true/;
let seq = 0;

function handle(req: IncomingMessage, res: ServerResponse, body: string): void {
  const requestId = `req_bench${(seq++).toString(16).padStart(23, "0")}`;
  if (req.method === "POST" && req.url?.startsWith("/v1/chat/completions")) {
    if (STREAM_RE.test(body)) {
      res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "x-request-id": requestId });
      for (const chunk of USAGE_RE.test(body) ? STREAM_USAGE : STREAM) res.write(chunk);
      res.end();
      return;
    }
    res.writeHead(200, { "content-type": "application/json", "content-length": completion.length, "x-request-id": requestId });
    res.end(completion);
    return;
  }
  if (req.method === "GET" && req.url?.startsWith("/v1/models")) {
    res.writeHead(200, { "content-type": "application/json", "content-length": MODELS.length });
    res.end(MODELS);
    return;
  }
  const err = JSON.stringify({ error: { message: `Invalid URL (${req.method} ${req.url})`, type: "invalid_request_error", param: null, code: null } });
  res.writeHead(404, { "content-type": "application/json", "x-request-id": requestId });
  res.end(err);
}

export async function startBenchUpstream(port = 0): Promise<{ port: number; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (c: string) => (body += c));
    req.on("end", () => handle(req, res, body));
  });
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

if (isMain(import.meta.url)) {
  const { port } = await startBenchUpstream(Number(argValue("--port") ?? 0));
  process.stdout.write(`${JSON.stringify({ ready: true, port })}\n`);
}
