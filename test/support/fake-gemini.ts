/**
 * A fake Google generateContent upstream for tests: plain node:http on 127.0.0.1 speaking the
 * Gemini API wire format (and, through `startFakeGoogle`, Vertex AI's — see fake-vertex.ts):
 * GenerateContentResponse JSON, `alt=sse` streams of GenerateContentResponse events separated
 * by CRLF CRLF, batchEmbedContents / :predict embeddings and google.rpc.Status error bodies.
 * Requests are validated like the real server does (fake-gemini-validate.ts) and rejected with
 * its 400 INVALID_ARGUMENT body.
 *
 *   const g = await startFakeGemini({ apiKey: "k" });   // g.url = "http://127.0.0.1:<port>"
 *   g.enqueue({ text: "héllo", splitBytes: true });      // the next model call streams byte by byte
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { RecordedUpstreamCall, Scenario } from "../conformance/types.js";
import { validateBatchEmbed, validateGenerateContent, validatePredict } from "./fake-gemini-validate.js";
import { sendJson, startFakeServer, writeSplit, type FakeRequest } from "./fake-server.js";

export interface FakeGoogle {
  url: string;
  calls: RecordedUpstreamCall[];
  enqueue(s: Scenario): void;
  reset(): void;
  close(): Promise<void>;
}

export interface ModelRoute {
  model: string;
  method: "generateContent" | "streamGenerateContent" | "batchEmbedContents" | "predict";
}

export interface FakeGoogleOptions {
  /** Parses a model-call path (without query); null → 404. */
  route(path: string): ModelRoute | null;
  /** Auth of a model call: an error answer, or null when the caller is authorised. */
  authorize(req: IncomingMessage): { status: number; body: unknown } | null;
  /** Non-model routes (e.g. an OAuth token endpoint): return true when answered. */
  other?(req: IncomingMessage, res: ServerResponse, raw: string): boolean;
}

const STATUS_NAMES: Record<number, string> = {
  400: "INVALID_ARGUMENT",
  401: "UNAUTHENTICATED",
  403: "PERMISSION_DENIED",
  404: "NOT_FOUND",
  409: "ABORTED",
  429: "RESOURCE_EXHAUSTED",
  500: "INTERNAL",
  503: "UNAVAILABLE",
  504: "DEADLINE_EXCEEDED",
};

/** google.rpc.Status as both Google APIs send it. */
export function googleError(code: number, message: string, details?: unknown[]) {
  return { error: { code, message, status: STATUS_NAMES[code] ?? "UNKNOWN", ...(details ? { details } : {}) } };
}

const NATIVE_FINISH: Record<string, string> = { stop: "STOP", length: "MAX_TOKENS", tool_calls: "STOP", content_filter: "SAFETY" };
const estimate = (s: string) => Math.max(1, Math.ceil(s.length / 4));

function usageOf(s: Scenario, body: any, text: string) {
  const u = s.usage ?? { input: estimate(JSON.stringify(body?.contents ?? "")), output: estimate(text + JSON.stringify(s.toolCalls ?? "")) };
  return {
    promptTokenCount: u.input,
    candidatesTokenCount: u.output,
    totalTokenCount: u.input + u.output + (u.reasoning ?? 0),
    ...(u.cachedInput !== undefined ? { cachedContentTokenCount: u.cachedInput } : {}),
    ...(u.reasoning !== undefined ? { thoughtsTokenCount: u.reasoning } : {}),
    promptTokensDetails: [{ modality: "TEXT", tokenCount: u.input }],
  };
}

function pieces(text: string, n: number): string[] {
  const chars = Array.from(text);
  const size = Math.max(1, Math.ceil(chars.length / n));
  const out: string[] = [];
  for (let i = 0; i < chars.length; i += size) out.push(chars.slice(i, i + size).join(""));
  return out;
}

export async function startFakeGoogle(o: FakeGoogleOptions): Promise<FakeGoogle> {
  let seq = 0;
  const server = await startFakeServer<Scenario>({
    intercept: o.other && ((req, res, raw) => o.other!(req, res, raw.toString("utf8"))),
    emptyBodyAsUndefined: true,
    handle,
  });

  function send(res: ServerResponse, status: number, body: unknown) {
    sendJson(res, status, body, { "content-type": "application/json; charset=UTF-8" });
  }

  async function handle(rec: RecordedUpstreamCall, res: ServerResponse, { req, next }: FakeRequest<Scenario>) {
    const body = rec.body;
    const [path, query = ""] = rec.path.split("?");
    const route = req.method === "POST" ? o.route(path) : null;
    if (!route) return send(res, 404, googleError(404, `The requested URL ${path} was not found on this server.`));
    const denied = o.authorize(req);
    if (denied) return send(res, denied.status, denied.body);
    if (typeof body !== "object" || body === null) return send(res, 400, googleError(400, "Invalid JSON payload received."));

    const invalid = route.method === "batchEmbedContents" ? validateBatchEmbed(body, route.model) : route.method === "predict" ? validatePredict(body) : validateGenerateContent(body, route.model);
    if (invalid) return send(res, 400, googleError(400, invalid));

    const s = next();
    if (s.error) return send(res, s.error.status, googleError(s.error.status, s.error.message));
    if (route.method === "batchEmbedContents") {
      return send(res, 200, { embeddings: body.requests.map((r: any, i: number) => ({ values: vector(r.content.parts[0].text, r.outputDimensionality ?? 8, i) })) });
    }
    if (route.method === "predict") {
      const dims = body.parameters?.outputDimensionality ?? 8;
      return send(res, 200, {
        predictions: body.instances.map((x: any, i: number) => ({ embeddings: { statistics: { truncated: false, token_count: estimate(x.content) }, values: vector(x.content, dims, i) } })),
        metadata: { billableCharacterCount: body.instances.reduce((a: number, x: any) => a + x.content.length, 0) },
      });
    }

    const text = s.text ?? (s.toolCalls ? undefined : "Hello from the fake");
    const usage = usageOf(s, body, text ?? "");
    const finishReason = NATIVE_FINISH[s.finish ?? "stop"];
    const responseId = `fakeResp${++seq}`;
    const meta = { modelVersion: route.model, responseId };
    const callParts = (s.toolCalls ?? []).map((c, i) => ({
      functionCall: { name: c.name, args: c.arguments },
      ...(i === 0 && /gemini-[3-9]/.test(route.model) ? { thoughtSignature: "c2lnbmF0dXJlLW9mLXRoZS1mYWtl" } : {}),
    }));

    if (route.method === "generateContent") {
      const parts = [...(s.reasoning ? [{ text: s.reasoning, thought: true }] : []), ...(text !== undefined ? [{ text }] : []), ...callParts];
      return send(res, 200, { candidates: [{ content: { parts, role: "model" }, finishReason, index: 0 }], usageMetadata: usage, ...meta });
    }

    // streamGenerateContent: thoughts, then text in pieces, then each function call whole; the last event has finishReason + usage.
    const events: any[] = [];
    const partial = { promptTokenCount: usage.promptTokenCount, totalTokenCount: usage.promptTokenCount };
    const event = (parts: unknown[]) => events.push({ candidates: [{ content: { parts, role: "model" }, index: 0 }], usageMetadata: partial, ...meta });
    if (s.reasoning) event([{ text: s.reasoning, thought: true }]);
    for (const p of text !== undefined ? pieces(text, 3) : []) event([{ text: p }]);
    for (const p of callParts) event([p]);
    if (events.length === 0) event([{ text: "" }]);
    const last = events[events.length - 1];
    last.candidates[0].finishReason = finishReason;
    last.usageMetadata = usage;

    if (!/(^|&)alt=sse(&|$)/.test(query)) return send(res, 200, events); // without alt=sse Google streams one JSON array
    res.writeHead(200, { "content-type": "text/event-stream", "x-content-type-options": "nosniff" });
    const bytes = Buffer.from(events.map((e) => `data: ${JSON.stringify(e)}\r\n\r\n`).join(""), "utf8");
    await writeSplit(res, bytes, s.splitBytes);
    res.end();
  }

  const { url, calls, enqueue, reset, close } = server;
  return { url, calls, enqueue, reset, close };
}

/** A deterministic unit vector per text. */
function vector(text: string, dims: number, salt: number): number[] {
  let h = 2166136261 ^ salt;
  const v: number[] = [];
  for (const ch of text) h = Math.imul(h ^ ch.codePointAt(0)!, 16777619) >>> 0;
  for (let i = 0; i < dims; i++) {
    h = Math.imul(h ^ (h >>> 13), 1274126177) >>> 0;
    v.push(h / 4294967296 - 0.5);
  }
  const norm = Math.hypot(...v) || 1;
  return v.map((x) => x / norm);
}

/** The Gemini API (AI Studio): `/v1beta/models/{model}:{method}` with `x-goog-api-key`. */
export function startFakeGemini(opts: { apiKey: string }): Promise<FakeGoogle> {
  return startFakeGoogle({
    route(path) {
      const m = /^\/v1beta\/models\/([^/:]+):(generateContent|streamGenerateContent|batchEmbedContents)$/.exec(path);
      return m ? { model: decodeURIComponent(m[1]), method: m[2] as ModelRoute["method"] } : null;
    },
    authorize(req) {
      const key = req.headers["x-goog-api-key"];
      if (key === undefined) {
        return {
          status: 403,
          body: googleError(403, "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API."),
        };
      }
      if (key !== opts.apiKey) {
        return {
          status: 400,
          body: googleError(400, "API key not valid. Please pass a valid API key.", [{ "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason: "API_KEY_INVALID", domain: "googleapis.com" }]),
        };
      }
      return null;
    },
  });
}
