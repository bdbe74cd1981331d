/**
 * A fake Amazon Bedrock Runtime for tests: plain node:http on 127.0.0.1 speaking Converse
 * (JSON), ConverseStream (binary AWS event stream, encoded with @smithy/eventstream-codec) and
 * InvokeModel for Titan / Cohere embeddings, with Bedrock's error shape (`{"message"}` +
 * `x-amzn-errortype`). It verifies every request's SigV4 signature (recomputed with node:crypto
 * from the test credentials) or Bedrock API key, and rejects requests that break Converse's rules
 * (roles, alternation, blank text, image bytes, toolConfig, unknown fields) with a 400
 * ValidationException, so tests prove the translation is right.
 */
import { createHmac, createHash, randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { EventStreamCodec } from "@smithy/eventstream-codec";
import { fromUtf8, toUtf8 } from "@smithy/util-utf8";
import type { RecordedUpstreamCall, Scenario } from "../conformance/types.js";
import { anthropicEvents, buildMessage, validateAnthropicRequest, type FakeAnthropicBehavior } from "./fake-anthropic.js";
import { fakeEmbedding } from "./fake-openai.js";
import { sendJson as baseSendJson, startFakeServer, writeSplit, type FakeRequest } from "./fake-server.js";

export interface FakeBedrockOptions {
  region?: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  sessionToken?: string;
  /** A Bedrock API key accepted as `Authorization: Bearer <key>`. */
  apiKey?: string;
}

export interface FakeBedrock {
  url: string;
  options: Required<Omit<FakeBedrockOptions, "sessionToken">> & { sessionToken?: string };
  calls: RecordedUpstreamCall[];
  /** Converse scenarios; on Claude models (InvokeModel) Anthropic fake behaviours too. */
  enqueue(s: FakeAnthropicBehavior): void;
  reset(): void;
  close(): Promise<void>;
}

const codec = new EventStreamCodec(toUtf8, fromUtf8);
const ERROR_TYPES: Record<number, string> = {
  400: "ValidationException",
  401: "UnrecognizedClientException",
  403: "AccessDeniedException",
  404: "ResourceNotFoundException",
  408: "ModelTimeoutException",
  424: "ModelErrorException",
  429: "ThrottlingException",
  500: "InternalServerException",
  503: "ServiceUnavailableException",
};
const STOP: Record<string, string> = { stop: "end_turn", length: "max_tokens", tool_calls: "tool_use", content_filter: "content_filtered" };
const FORMATS = new Set(["png", "jpeg", "gif", "webp"]);
const sha256 = (data: string | Buffer) => createHash("sha256").update(data).digest("hex");
const hmac = (key: string | Buffer, data: string) => createHmac("sha256", key).update(data).digest();
const rfc3986 = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

class Reject extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}
const invalid = (message: string) => new Reject(400, "ValidationException", message);

export async function startFakeBedrock(opts: FakeBedrockOptions = {}): Promise<FakeBedrock> {
  const o = {
    region: opts.region ?? "eu-central-1",
    accessKeyId: opts.accessKeyId ?? "AKIDFAKEBEDROCK01",
    secretAccessKey: opts.secretAccessKey ?? "conformance-bedrock-key-wJalrXUtnFEMIK7MDENG",
    apiKey: opts.apiKey ?? "conformance-bedrock-key-ABSKapikey0123",
    ...(opts.sessionToken ? { sessionToken: opts.sessionToken } : {}),
  };
  const server = await startFakeServer<FakeAnthropicBehavior>({
    handle: (call, res, { req, raw, next }) => handle(req, res, raw, call.body, next),
    onError(e, res) {
      if (e instanceof Reject) return sendError(res, e.status, e.type, e.message);
      if (!res.headersSent) sendError(res, 500, "InternalServerException", String(e));
      else res.destroy();
    },
  });

  async function handle(req: IncomingMessage, res: ServerResponse, raw: Buffer, body: unknown, next: FakeRequest<FakeAnthropicBehavior>["next"]) {
    authenticate(req, raw, o);
    const m = /^\/model\/([^/]+)\/(converse|converse-stream|invoke|invoke-with-response-stream)$/.exec((req.url ?? "").split("?")[0]);
    if (req.method !== "POST" || !m) throw new Reject(404, "UnknownOperationException", `Unknown operation ${req.method} ${req.url}`);
    const model = decodeURIComponent(m[1]);
    if (typeof body !== "object" || body === null) throw invalid("Malformed input request, please reformat your input and try again.");
    if (/(^|[./:])anthropic\./.test(model) && m[2].startsWith("invoke")) return invokeClaude(res, model, body as Record<string, any>, m[2] !== "invoke", next());
    if (m[2] === "invoke") {
      const s = next();
      if (s.error) return sendError(res, s.error.status, ERROR_TYPES[s.error.status] ?? "InternalServerException", s.error.message);
      return sendJson(res, 200, embeddings(model, body as Record<string, unknown>));
    }
    validateConverse(body as Record<string, unknown>);
    const s = next();
    if (s.error) return sendError(res, s.error.status, ERROR_TYPES[s.error.status] ?? "InternalServerException", s.error.message);
    const reply = answer(s, body as Record<string, any>);
    if (m[2] === "converse")
      return sendJson(res, 200, { output: { message: { role: "assistant", content: reply.content } }, stopReason: reply.stopReason, usage: reply.usage, metrics: { latencyMs: 12 } });
    return stream(res, reply, s.splitBytes === true);
  }

  const { url, calls, enqueue, reset, close } = server;
  return { url, options: o, calls, enqueue, reset, close };
}

// ---------------------------------------------------------------- authentication

function authenticate(req: IncomingMessage, raw: Buffer, o: FakeBedrock["options"]): void {
  const auth = String(req.headers.authorization ?? "");
  if (!auth) throw new Reject(403, "MissingAuthenticationTokenException", "Missing Authentication Token");
  if (auth.startsWith("Bearer ")) {
    if (auth.slice(7) !== o.apiKey) throw new Reject(403, "UnrecognizedClientException", "The security token included in the request is invalid.");
    return;
  }
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/.exec(auth);
  if (!m) throw new Reject(403, "IncompleteSignatureException", `Authorization header requires 'Credential', 'SignedHeaders' and 'Signature'. Authorization=${auth.slice(0, 40)}`);
  const [, keyId, date, region, service, signedHeaders, signature] = m as unknown as string[];
  if (keyId !== o.accessKeyId) throw new Reject(403, "UnrecognizedClientException", "The security token included in the request is invalid.");
  if (region !== o.region || service !== "bedrock")
    throw new Reject(403, "InvalidSignatureException", `Credential should be scoped to a valid region and service (expected ${o.region}/bedrock, got ${region}/${service}).`);
  const amzDate = String(req.headers["x-amz-date"] ?? "");
  const names = signedHeaders.split(";");
  if (!amzDate.startsWith(date) || !names.includes("host") || !names.includes("x-amz-date")) {
    throw new Reject(403, "IncompleteSignatureException", "Authorization header requires the host and x-amz-date headers to be signed, with a matching date.");
  }
  const at = Date.UTC(+amzDate.slice(0, 4), +amzDate.slice(4, 6) - 1, +amzDate.slice(6, 8), +amzDate.slice(9, 11), +amzDate.slice(11, 13), +amzDate.slice(13, 15));
  if (Math.abs(Date.now() - at) > 5 * 60_000) throw new Reject(403, "InvalidSignatureException", "Signature expired: the x-amz-date is more than 5 minutes from the server time.");
  if (o.sessionToken && (req.headers["x-amz-security-token"] !== o.sessionToken || !names.includes("x-amz-security-token"))) {
    throw new Reject(403, "UnrecognizedClientException", "The security token included in the request is invalid.");
  }
  const [path = "/", query = ""] = (req.url ?? "/").split("?");
  const canonicalQuery = query
    .split("&")
    .filter(Boolean)
    .map((p) =>
      p
        .split("=")
        .map((x) => rfc3986(decodeURIComponent(x ?? "")))
        .join("="),
    )
    .sort()
    .join("&");
  const canonicalHeaders = names
    .map(
      (h) =>
        `${h}:${String(req.headers[h] ?? "")
          .trim()
          .replace(/\s+/g, " ")}\n`,
    )
    .join("");
  const canonicalRequest = [req.method, path.split("/").map(rfc3986).join("/"), canonicalQuery, canonicalHeaders, signedHeaders, sha256(raw)].join("\n");
  const scope = `${date}/${region}/${service}/aws4_request`;
  const toSign = ["AWS4-HMAC-SHA256", amzDate, scope, sha256(canonicalRequest)].join("\n");
  const key = hmac(hmac(hmac(hmac(`AWS4${o.secretAccessKey}`, date), region), service), "aws4_request");
  if (createHmac("sha256", key).update(toSign).digest("hex") !== signature) {
    throw new Reject(
      403,
      "InvalidSignatureException",
      "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
    );
  }
}

// ---------------------------------------------------------------- Converse validation

const CONVERSE_KEYS = new Set([
  "messages",
  "system",
  "inferenceConfig",
  "toolConfig",
  "additionalModelRequestFields",
  "additionalModelResponseFieldPaths",
  "guardrailConfig",
  "promptVariables",
  "requestMetadata",
  "performanceConfig",
]);
const INFERENCE_KEYS = new Set(["maxTokens", "temperature", "topP", "stopSequences"]);
const BLOCK_KEYS = new Set(["text", "image", "document", "toolUse", "toolResult", "reasoningContent", "cachePoint", "guardContent"]);

function validateConverse(b: Record<string, any>): void {
  for (const k of Object.keys(b)) if (!CONVERSE_KEYS.has(k)) throw invalid(`extraneous key [${k}] is not permitted`);
  if (!Array.isArray(b.messages) || b.messages.length === 0) throw invalid("messages: field required (a conversation needs at least one message)");
  if (b.system !== undefined) {
    if (!Array.isArray(b.system)) throw invalid("system must be a list of SystemContentBlock");
    b.system.forEach((s: any, i: number) => {
      if (typeof s?.text !== "string" || s.text.trim() === "") throw invalid(`The text field in the SystemContentBlock object at system.${i} is blank.`);
    });
  }
  if (b.inferenceConfig !== undefined) {
    const ic = b.inferenceConfig;
    for (const k of Object.keys(ic)) if (!INFERENCE_KEYS.has(k)) throw invalid(`extraneous key [inferenceConfig.${k}] is not permitted`);
    if (ic.maxTokens !== undefined && !(Number.isInteger(ic.maxTokens) && ic.maxTokens >= 1)) throw invalid("inferenceConfig.maxTokens must be an integer >= 1");
    for (const k of ["temperature", "topP"]) if (ic[k] !== undefined && !(typeof ic[k] === "number" && ic[k] >= 0 && ic[k] <= 1)) throw invalid(`inferenceConfig.${k} must be between 0 and 1`);
    if (ic.stopSequences !== undefined && !(Array.isArray(ic.stopSequences) && ic.stopSequences.length <= 4 && ic.stopSequences.every((x: unknown) => typeof x === "string" && x !== "")))
      throw invalid("inferenceConfig.stopSequences must be at most 4 non-empty strings");
  }
  const toolNames = validateToolConfig(b.toolConfig);
  let usesTools = false;
  let lastToolUses = new Set<string>();
  b.messages.forEach((msg: any, i: number) => {
    if (msg?.role !== "user" && msg?.role !== "assistant") throw invalid(`messages.${i}.role: value must be user or assistant`);
    if (i === 0 && msg.role !== "user") throw invalid("A conversation must start with a user message. Try again with a conversation that starts with a user message.");
    if (i > 0 && b.messages[i - 1].role === msg.role)
      throw invalid("A conversation must alternate between user and assistant roles. Make sure the conversation alternates between user and assistant roles and try again.");
    if (!Array.isArray(msg.content) || msg.content.length === 0) throw invalid(`messages.${i}.content: the content field is required and must not be empty`);
    const uses = new Set<string>();
    msg.content.forEach((c: any, j: number) => {
      const keys = Object.keys(c ?? {});
      if (keys.length !== 1 || !BLOCK_KEYS.has(keys[0])) throw invalid(`messages.${i}.content.${j}: a ContentBlock must set exactly one member`);
      const where = `messages.${i}.content.${j}`;
      if ("text" in c && (typeof c.text !== "string" || c.text.trim() === ""))
        throw invalid(`The text field in the ContentBlock object at ${where} is blank. Add text to the text field, and try again.`);
      if ("reasoningContent" in c && msg.role !== "assistant") throw invalid(`${where}: reasoningContent is only allowed in assistant messages`);
      if ("image" in c) {
        if (msg.role !== "user") throw invalid(`${where}: images are only allowed in user messages`);
        validateImage(c.image, where);
      }
      if ("toolUse" in c) {
        usesTools = true;
        const t = c.toolUse;
        if (msg.role !== "assistant" || typeof t?.toolUseId !== "string" || typeof t.name !== "string" || typeof t.input !== "object" || t.input === null)
          throw invalid(`${where}.toolUse needs toolUseId, name and an input object, in an assistant message`);
        uses.add(t.toolUseId);
      }
      if ("toolResult" in c) {
        usesTools = true;
        const t = c.toolResult;
        if (msg.role !== "user" || typeof t?.toolUseId !== "string" || !Array.isArray(t.content)) throw invalid(`${where}.toolResult needs toolUseId and content, in a user message`);
        if (!lastToolUses.has(t.toolUseId)) throw invalid(`${where}.toolResult: toolUseId ${t.toolUseId} does not match a toolUse in the previous assistant message`);
        for (const r of t.content) {
          const rk = Object.keys(r ?? {});
          if (rk.length !== 1 || !["text", "json", "image", "document"].includes(rk[0])) throw invalid(`${where}.toolResult.content: each block must set exactly one of text, json, image, document`);
          if ("image" in r) validateImage(r.image, where);
        }
      }
    });
    lastToolUses = uses;
  });
  if (usesTools && toolNames === null) throw invalid("The toolConfig field must be defined when using toolUse and toolResult content blocks.");
}

function validateImage(img: any, where: string): void {
  if (!FORMATS.has(img?.format)) throw invalid(`${where}.image.format must be one of png, jpeg, gif, webp`);
  if (typeof img?.source?.bytes !== "string" || !/^[A-Za-z0-9+/]+=*$/.test(img.source.bytes)) throw invalid(`${where}.image.source.bytes must be base64-encoded image bytes`);
}

function validateToolConfig(tc: any): Set<string> | null {
  if (tc === undefined) return null;
  if (!Array.isArray(tc?.tools) || tc.tools.length === 0) throw invalid("toolConfig.tools must contain at least one tool");
  const names = new Set<string>();
  tc.tools.forEach((t: any, i: number) => {
    const s = t?.toolSpec;
    if (!s || typeof s.name !== "string" || !/^[a-zA-Z0-9_-]{1,64}$/.test(s.name)) throw invalid(`toolConfig.tools.${i}.toolSpec.name is missing or invalid`);
    if (s.inputSchema?.json?.type !== "object") throw invalid(`toolConfig.tools.${i}.toolSpec.inputSchema.json must be a JSON schema of type object`);
    if (s.description !== undefined && (typeof s.description !== "string" || s.description === "")) throw invalid(`toolConfig.tools.${i}.toolSpec.description must be a non-empty string`);
    names.add(s.name);
  });
  const choice = tc.toolChoice;
  if (choice !== undefined) {
    const keys = Object.keys(choice ?? {});
    if (keys.length !== 1 || !["auto", "any", "tool"].includes(keys[0])) throw invalid("toolConfig.toolChoice must set exactly one of auto, any, tool");
    if (choice.tool && !names.has(choice.tool.name)) throw invalid(`toolConfig.toolChoice.tool.name ${choice.tool.name} is not one of the tools`);
  }
  return names;
}

// ---------------------------------------------------------------- answers

interface Reply {
  content: any[];
  stopReason: string;
  usage: Record<string, number>;
}

function answer(s: Scenario, body: Record<string, any>): Reply {
  const forced = body.toolConfig?.toolChoice?.tool?.name as string | undefined;
  let toolCalls = s.toolCalls;
  let text = s.text ?? (toolCalls ? undefined : "Hello from the fake");
  if (forced && !toolCalls && text !== undefined) {
    // A forced tool answers through the tool: the scenario's text is its JSON input.
    toolCalls = [{ id: `tooluse_${randomUUID().slice(0, 8)}`, name: forced, arguments: JSON.parse(text) }];
    text = undefined;
  }
  const content: any[] = [];
  if (s.reasoning) content.push({ reasoningContent: { reasoningText: { text: s.reasoning, signature: "c2lnbmF0dXJl" } } });
  if (text) content.push({ text });
  for (const t of toolCalls ?? []) content.push({ toolUse: { toolUseId: t.id, name: t.name, input: t.arguments } });
  const input = s.usage?.input ?? 10;
  const cached = s.usage?.cachedInput ?? 0;
  const output = s.usage?.output ?? Math.max(1, Math.ceil((text ?? "").length / 4));
  const usage: Record<string, number> = { inputTokens: input - cached, outputTokens: output, totalTokens: input + output };
  if (s.usage?.cachedInput !== undefined) Object.assign(usage, { cacheReadInputTokens: cached, cacheWriteInputTokens: 0 });
  return { content, stopReason: s.finish ? STOP[s.finish] : toolCalls?.length ? "tool_use" : "end_turn", usage };
}

/** The reply as ConverseStream events, in Bedrock's order, each with Bedrock's `p` padding field. */
export function streamEvents(r: Reply): Array<[string, Record<string, unknown>]> {
  const events: Array<[string, Record<string, unknown>]> = [["messageStart", { role: "assistant" }]];
  r.content.forEach((c, i) => {
    if (c.reasoningContent) {
      events.push(["contentBlockDelta", { contentBlockIndex: i, delta: { reasoningContent: { text: c.reasoningContent.reasoningText.text } } }]);
      events.push(["contentBlockDelta", { contentBlockIndex: i, delta: { reasoningContent: { signature: c.reasoningContent.reasoningText.signature } } }]);
    } else if (c.text !== undefined) {
      const chars = Array.from(c.text as string);
      const size = Math.max(1, Math.ceil(chars.length / 4));
      for (let k = 0; k < chars.length; k += size) events.push(["contentBlockDelta", { contentBlockIndex: i, delta: { text: chars.slice(k, k + size).join("") } }]);
    } else {
      events.push(["contentBlockStart", { contentBlockIndex: i, start: { toolUse: { toolUseId: c.toolUse.toolUseId, name: c.toolUse.name } } }]);
      const json = JSON.stringify(c.toolUse.input);
      const half = Math.ceil(json.length / 2);
      events.push(["contentBlockDelta", { contentBlockIndex: i, delta: { toolUse: { input: json.slice(0, half) } } }]);
      events.push(["contentBlockDelta", { contentBlockIndex: i, delta: { toolUse: { input: json.slice(half) } } }]);
    }
    events.push(["contentBlockStop", { contentBlockIndex: i }]);
  });
  events.push(["messageStop", { stopReason: r.stopReason }]);
  events.push(["metadata", { usage: r.usage, metrics: { latencyMs: 42 } }]);
  return events.map(([name, payload]) => [name, { ...payload, p: "abcdefghijklmnopqrstuvwxyzABCDEFGH".slice(0, 4 + (name.length % 20)) }]);
}

/**
 * InvokeModel / InvokeModelWithResponseStream on a Claude model: Anthropic's Messages body as
 * Bedrock documents it (anthropic_version "bedrock-2023-05-31", no model, no stream); the answer
 * is Anthropic's Message, the stream Anthropic's events, each the base64 `bytes` of a `chunk`.
 */
async function invokeClaude(res: ServerResponse, model: string, body: Record<string, any>, streaming: boolean, s: FakeAnthropicBehavior) {
  if (body.anthropic_version !== "bedrock-2023-05-31") throw invalid("Malformed input request: #: required key [anthropic_version] not found, please reformat your input and try again.");
  for (const k of ["model", "stream"]) if (k in body) throw invalid(`Malformed input request: #: extraneous key [${k}] is not permitted, please reformat your input and try again.`);
  const { anthropic_version: _v, anthropic_beta: _b, ...messages } = body;
  const problem = validateAnthropicRequest({ ...messages, model });
  if (problem) throw invalid(problem);
  if (s.error) return sendError(res, s.error.status, ERROR_TYPES[s.error.status] ?? "InternalServerException", s.error.message);
  const msg = s.message ?? buildMessage({ ...messages, model }, s);
  if (!streaming) return sendJson(res, 200, msg);
  res.writeHead(200, { "content-type": "application/vnd.amazon.eventstream", "x-amzn-requestid": randomUUID() });
  const events = s.events ?? anthropicEvents(buildMessage({ ...messages, model }, s), s);
  for (const [, data] of s.cutAfter === undefined ? events : events.slice(0, s.cutAfter)) {
    await writeSplit(res, Buffer.from(encodeEvent("chunk", { bytes: Buffer.from(JSON.stringify(data)).toString("base64") })), s.splitBytes === true);
  }
  if (s.cutAfter !== undefined) res.destroy();
  else res.end();
}

/** One event-stream frame, as Bedrock sends it. */
export function encodeEvent(eventType: string, payload: unknown): Uint8Array {
  return codec.encode({
    headers: {
      ":event-type": { type: "string", value: eventType },
      ":content-type": { type: "string", value: "application/json" },
      ":message-type": { type: "string", value: "event" },
    },
    body: fromUtf8(JSON.stringify(payload)),
  });
}

async function stream(res: ServerResponse, r: Reply, splitBytes: boolean) {
  res.writeHead(200, { "content-type": "application/vnd.amazon.eventstream", "x-amzn-requestid": randomUUID() });
  for (const [name, payload] of streamEvents(r)) {
    await writeSplit(res, Buffer.from(encodeEvent(name, payload)), splitBytes);
  }
  res.end();
}

function embeddings(model: string, b: Record<string, unknown>) {
  if (/titan-embed/.test(model)) {
    for (const k of Object.keys(b))
      if (!["inputText", "dimensions", "normalize", "embeddingTypes"].includes(k))
        throw invalid(`Malformed input request: extraneous key [${k}] is not permitted, please reformat your input and try again.`);
    if (typeof b.inputText !== "string" || b.inputText === "") throw invalid("Malformed input request: #/inputText: expected type: String, please reformat your input and try again.");
    if (b.dimensions !== undefined && ![256, 512, 1024].includes(b.dimensions as number)) throw invalid("Malformed input request: #/dimensions: must be one of 256, 512, 1024");
    return { embedding: fakeEmbedding(b.inputText, (b.dimensions as number) ?? 1024), inputTextTokenCount: Math.ceil(b.inputText.length / 4) };
  }
  if (/cohere\.embed/.test(model)) {
    if (!Array.isArray(b.texts) || b.texts.length === 0 || b.texts.length > 96) throw invalid("Malformed input request: #/texts: expected 1 to 96 texts");
    if (!["search_document", "search_query", "classification", "clustering"].includes(b.input_type as string)) throw invalid("Malformed input request: #: required key [input_type] not found");
    return { id: randomUUID(), response_type: "embeddings_floats", texts: b.texts, embeddings: b.texts.map((t) => fakeEmbedding(t, 1024)) };
  }
  throw invalid(`The provided model identifier is invalid: ${model}`);
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  baseSendJson(res, status, body, { "x-amzn-requestid": randomUUID(), ...headers });
}

function sendError(res: ServerResponse, status: number, type: string, message: string) {
  sendJson(res, status, { message }, { "x-amzn-errortype": `${type}:http://internal.amazon.com/coral/com.amazon.bedrock/` });
}
