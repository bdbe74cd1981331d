/**
 * A fake OpenAI upstream for the batch tests: chat completions and embeddings in OpenAI's wire
 * format, with fixed usage (10 prompt + 5 completion tokens a chat, 7 tokens an embedding), a
 * log of every call (the last user message is its tag), the most calls it held at once, and
 * faults by tag: a status (with OpenAI's error envelope), a 429 with Retry-After a number of
 * times, and a delay for every call.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface UpstreamCall {
  path: string;
  tag: string;
  body: any;
}

export interface BatchUpstream {
  url: string;
  calls: UpstreamCall[];
  /** Calls answered (the whole response written) since the last reset. */
  answered: number;
  /** Most calls in progress at once since the last reset. */
  maxInFlight: number;
  /** Every call waits this long before answering. */
  delayMs: number;
  /** Tag → status answered (with an error envelope). */
  failWith: Map<string, number>;
  /** Tag → how many more times it is answered 429 (Retry-After: 1). */
  rateLimit: Map<string, number>;
  reset(): void;
  close(): Promise<void>;
}

export const CHAT_USAGE = { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 };
export const EMBEDDING_TOKENS = 7;

function read(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let s = "";
    req.on("data", (d) => (s += d));
    req.on("end", () => resolve(s));
    req.on("error", reject);
  });
}

export async function startBatchUpstream(): Promise<BatchUpstream> {
  let inFlight = 0;
  const up: BatchUpstream = {
    url: "",
    calls: [],
    answered: 0,
    maxInFlight: 0,
    delayMs: 0,
    failWith: new Map(),
    rateLimit: new Map(),
    reset() {
      up.calls.length = 0;
      up.answered = 0;
      up.maxInFlight = 0;
      up.delayMs = 0;
      up.failWith.clear();
      up.rateLimit.clear();
    },
    close: () => new Promise((r) => server.close(() => r())),
  };
  const server: Server = createServer((req, res) => void answer(req, res));
  const answer = async (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? "").split("?")[0];
    if (!path.endsWith("/chat/completions") && !path.endsWith("/embeddings")) {
      // No Files or Batch API here: the gateway runs batches sent to this upstream itself.
      await read(req);
      res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ error: { message: `Unknown path ${path}`, type: "invalid_request_error", param: null, code: "unknown_url" } }));
      return;
    }
    const body = JSON.parse((await read(req)) || "{}");
    const last = Array.isArray(body.messages) ? body.messages[body.messages.length - 1] : undefined;
    const tag = typeof last?.content === "string" ? last.content : typeof body.input === "string" ? body.input : "";
    up.calls.push({ path, tag, body });
    inFlight++;
    up.maxInFlight = Math.max(up.maxInFlight, inFlight);
    try {
      if (up.delayMs) await new Promise((r) => setTimeout(r, up.delayMs));
      const json = (status: number, b: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { "content-type": "application/json", ...headers });
        res.end(JSON.stringify(b), () => void up.answered++);
      };
      const limited = up.rateLimit.get(tag);
      if (limited) {
        up.rateLimit.set(tag, limited - 1);
        return json(429, { error: { message: "Rate limit reached", type: "requests", param: null, code: "rate_limit_exceeded" } }, { "retry-after": "1" });
      }
      const status = up.failWith.get(tag);
      if (status) return json(status, { error: { message: `refused: ${tag}`, type: "invalid_request_error", param: null, code: null } });
      if (path.endsWith("/embeddings")) {
        return json(200, {
          object: "list",
          data: [{ object: "embedding", index: 0, embedding: [0.1, 0.2, 0.3] }],
          model: body.model,
          usage: { prompt_tokens: EMBEDDING_TOKENS, total_tokens: EMBEDDING_TOKENS },
        });
      }
      json(200, {
        id: `chatcmpl-${up.calls.length}`,
        object: "chat.completion",
        created: Math.floor(Date.now() / 1000),
        model: body.model,
        choices: [{ index: 0, message: { role: "assistant", content: `answer to ${tag}` }, finish_reason: "stop", logprobs: null }],
        usage: CHAT_USAGE,
      });
    } finally {
      inFlight--;
    }
  };
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  up.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  return up;
}

/** A JSONL batch input: one chat request per tag. */
export function chatLines(tags: string[], model = "up:gpt-4o-mini"): string {
  return tags.map((t) => JSON.stringify({ custom_id: t, method: "POST", url: "/v1/chat/completions", body: { model, max_tokens: 20, messages: [{ role: "user", content: t }] } })).join("\n") + "\n";
}
