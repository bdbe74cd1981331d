/**
 * A fake Azure OpenAI upstream: plain node:http on 127.0.0.1, answering with OpenAI-shaped bodies
 * (the builders of fake-openai.ts) plus Azure's additions (prompt_filter_results,
 * content_filter_results, the annotation-only first stream chunk), and checking what Azure checks:
 * the URL shape (/openai/deployments/{deployment}/… or /openai/v1/…), the api-version query and
 * the `api-key` header (or an Entra ID bearer token), answering with Azure's own error bodies.
 *
 *   const az = await startFakeAzure({ apiKey: "k" });   // az.url = resource URL
 *   az.enqueue({ text: "héllo", splitBytes: true });
 */
import type { ServerResponse } from "node:http";
import type { RecordedUpstreamCall, Scenario } from "../conformance/types.js";
import { chatCompletion, chatCompletionChunk, fakeEmbedding, makeUsage, type ToolCallSpec, type Usage } from "./fake-openai.js";
import { sendJson, startFakeServer, writeSplit, type FakeRequest } from "./fake-server.js";

export interface FakeAzureOptions {
  /** The key the `api-key` header must carry. */
  apiKey?: string;
  /** An Entra ID token accepted as `Authorization: Bearer <token>`. */
  adToken?: string;
  /** Deployment names that exist (default: any). */
  deployments?: string[];
}

export interface FakeAzure {
  /** The resource URL, e.g. http://127.0.0.1:41234 */
  url: string;
  calls: RecordedUpstreamCall[];
  enqueue(s: Scenario): void;
  reset(): void;
  close(): Promise<void>;
}

const AUTH_MESSAGE =
  "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.";
const SAFE = {
  hate: { filtered: false, severity: "safe" },
  self_harm: { filtered: false, severity: "safe" },
  sexual: { filtered: false, severity: "safe" },
  violence: { filtered: false, severity: "safe" },
};
const ROLES = new Set(["system", "developer", "user", "assistant", "tool", "function"]);

/** Azure's error body: OpenAI's envelope with Azure's string codes. */
export function azureError(status: number, message: string, code: string = String(status)) {
  return { error: { code, message, ...(status === 400 ? { param: null, type: "invalid_request_error" } : {}) } };
}

/** What Azure's request validation rejects, as its 400 message; undefined when the body is fine. */
export function chatBodyProblem(body: any): string | undefined {
  if (!Array.isArray(body.messages) || body.messages.length === 0) return "'messages' is a required property";
  for (const [i, m] of body.messages.entries()) {
    if (!m || !ROLES.has(m.role)) return `Invalid value for 'messages[${i}].role'`;
    if (m.role === "tool" && typeof m.tool_call_id !== "string") return `Missing required parameter: 'messages[${i}].tool_call_id'.`;
    if (m.role !== "assistant" && m.content === undefined) return `Missing required parameter: 'messages[${i}].content'.`;
    if (Array.isArray(m.content)) {
      for (const p of m.content) {
        if (p?.type === "text" && typeof p.text !== "string") return `Invalid 'messages[${i}].content': text part without text.`;
        if (p?.type === "image_url" && typeof p.image_url?.url !== "string") return `Invalid 'messages[${i}].content': image_url part without url.`;
      }
    }
  }
  if (body.stream_options != null && body.stream !== true) return "The 'stream_options' parameter is only allowed when 'stream' is enabled.";
  return undefined;
}

function scenarioUsage(s: Scenario, fallbackOut: number): Usage {
  const u = s.usage ?? { input: 9, output: fallbackOut };
  return makeUsage(u.input, u.output, {
    prompt_tokens_details: { cached_tokens: u.cachedInput ?? 0, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: u.reasoning ?? 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
  });
}

export async function startFakeAzure(opts: FakeAzureOptions = {}): Promise<FakeAzure> {
  const server = await startFakeServer<Scenario>({ handle });

  async function handle(rec: RecordedUpstreamCall, res: ServerResponse, { req, next }: FakeRequest<Scenario>) {
    const url = new URL(rec.path, "http://fake");
    const m = /^\/openai\/(?:deployments\/([^/]+)|(v1))\/(chat\/completions|embeddings)$/.exec(url.pathname);
    if (rec.method !== "POST" || !m) return send(res, 404, azureError(404, "Resource not found"));
    const v1 = m[2] === "v1";
    const apiVersion = url.searchParams.get("api-version");
    if (!v1 && apiVersion === null) return send(res, 404, azureError(404, "Resource not found"));
    if (apiVersion !== null && !(v1 ? /^(preview|latest)$/ : /^\d{4}-\d{2}-\d{2}(-preview)?$/).test(apiVersion)) {
      return send(res, 400, azureError(400, "API version not supported", "BadRequest"));
    }
    const key = req.headers["api-key"];
    const bearer = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ""))?.[1];
    const authed = (opts.apiKey !== undefined && key === opts.apiKey) || (opts.adToken !== undefined && bearer === opts.adToken);
    if (!authed) return send(res, 401, azureError(401, AUTH_MESSAGE));
    const body: any = rec.body;
    if (typeof body !== "object" || body === null) return send(res, 400, azureError(400, "We could not parse the JSON body of your request."));
    const deployment = v1 ? body.model : decodeURIComponent(m[1]);
    if (typeof deployment !== "string" || deployment === "") return send(res, 400, azureError(400, "you must provide a model parameter"));
    if (opts.deployments && !opts.deployments.includes(deployment)) {
      return send(
        res,
        404,
        azureError(404, "The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again.", "DeploymentNotFound"),
      );
    }
    const s = next();
    if (s.error) {
      const code = s.error.status === 400 && /filter/i.test(s.error.message) ? "content_filter" : String(s.error.status);
      return send(res, s.error.status, azureError(s.error.status, s.error.message, code), s.error.status === 429 ? { "retry-after": "0" } : {});
    }
    if (m[3] === "embeddings") {
      if (body.input === undefined) return send(res, 400, azureError(400, "'input' is a required property"));
      const inputs: unknown[] = Array.isArray(body.input) && typeof body.input[0] !== "number" ? body.input : [body.input];
      const data = inputs.map((item, index) => ({ object: "embedding", index, embedding: fakeEmbedding(item, body.dimensions ?? 16) }));
      return send(res, 200, { object: "list", data, model: "text-embedding-3-small", usage: { prompt_tokens: inputs.length * 2, total_tokens: inputs.length * 2 } });
    }
    const problem = chatBodyProblem(body);
    if (problem) return send(res, 400, azureError(400, problem));
    const text = s.text ?? (s.toolCalls ? undefined : "Hello from the fake");
    const toolCalls: ToolCallSpec[] | undefined = s.toolCalls?.map((t) => ({ id: t.id, name: t.name, arguments: t.arguments }));
    const usage = scenarioUsage(s, Math.max(1, Math.ceil((text ?? "").length / 4)));
    const finishReason = s.finish ?? (toolCalls ? "tool_calls" : "stop");
    const model = "gpt-4o-2024-08-06";
    if (body.stream === true) return stream(res, s, { model, text, toolCalls, finishReason, usage, includeUsage: body.stream_options?.include_usage === true });
    const completion = chatCompletion({ model, text: text ?? null, toolCalls, finishReason, usage });
    const choices = completion.choices.map((c) => ({ ...c, content_filter_results: SAFE }));
    return send(res, 200, { ...completion, choices, prompt_filter_results: [{ prompt_index: 0, content_filter_results: SAFE }] });
  }

  async function stream(res: ServerResponse, s: Scenario, r: { model: string; text?: string; toolCalls?: ToolCallSpec[]; finishReason: string; usage: Usage; includeUsage: boolean }) {
    const base = { id: "chatcmpl-AzureFake1", created: 1727000000, model: r.model };
    const events: unknown[] = [{ choices: [], created: 0, id: "", model: "", object: "", prompt_filter_results: [{ prompt_index: 0, content_filter_results: SAFE }] }];
    const chunk = (delta: Record<string, unknown>, finish: string | null = null) => {
      const c = chatCompletionChunk({ ...base, choices: [{ delta, finish_reason: finish }] });
      events.push({ ...c, choices: c.choices.map((ch) => ({ ...ch, content_filter_results: finish ? {} : SAFE })) });
    };
    chunk({ role: "assistant", content: r.toolCalls ? null : "", refusal: null });
    if (r.toolCalls) {
      r.toolCalls.forEach((t, index) => {
        const args = typeof t.arguments === "string" ? t.arguments : JSON.stringify(t.arguments);
        chunk({ tool_calls: [{ index, id: t.id, type: "function", function: { name: t.name, arguments: "" } }] });
        const mid = Math.ceil(args.length / 2);
        chunk({ tool_calls: [{ index, function: { arguments: args.slice(0, mid) } }] });
        chunk({ tool_calls: [{ index, function: { arguments: args.slice(mid) } }] });
      });
    }
    for (const part of Array.from(r.text ?? "")) chunk({ content: part });
    chunk({}, r.finishReason);
    if (r.includeUsage) events.push(chatCompletionChunk({ ...base, choices: [], usage: r.usage }));
    res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "apim-request-id": "fake-apim-1" });
    const bytes = Buffer.from([...events.map((e) => `data: ${JSON.stringify(e)}\n\n`), "data: [DONE]\n\n"].join(""), "utf8");
    await writeSplit(res, bytes, s.splitBytes);
    res.end();
  }

  function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
    sendJson(res, status, body, { "apim-request-id": "fake-apim-1", ...headers });
  }

  const { url, calls, enqueue, reset, close } = server;
  return { url, calls, enqueue, reset, close };
}
