/**
 * POST /v1/messages (Anthropic's Messages API): the request side. Parsing and the translation to
 * the canonical request live in wire/anthropic-request.ts (shared with the library); here the
 * `anthropic-version` and `anthropic-beta` headers, and count_tokens. The request runs through
 * `runNativeOrChat` (native.ts): passed through unchanged to deployments that speak the API
 * (Anthropic, Claude on Bedrock and Vertex AI), translated for the others, with keys, budgets,
 * rate limits, routing and the ledger exactly those of chat completions. POST
 * /v1/messages/count_tokens counts with the gateway's tokenizer and never calls an upstream.
 */
import type { IncomingHttpHeaders } from "node:http";
import { GatewayError } from "../core/errors.js";
import { estimatePromptTokens } from "../core/tokens.js";
import { authorizeModel } from "../policy/auth.js";
import type { ChatRequest } from "../wire/openai.js";
import { ANTHROPIC_API_VERSION, ANTHROPIC_API_VERSIONS } from "../wire/anthropic.js";
import { addTools, chatMessages, parseCountTokensRequest } from "../wire/anthropic-request.js";
import type { RequestContext } from "./context.js";

export type { EventSink } from "../wire/anthropic-answer.js";
export { parseMessagesRequest, prepareMessagesRequest, toChatRequest } from "../wire/anthropic-request.js";

const invalid = (message: string, param: string | null = null) => new GatewayError("invalid_request", message, { param });

/** `anthropic-version`: one the gateway speaks, or absent (taken as 2023-06-01); anything else is refused. */
export function checkApiVersion(headers: IncomingHttpHeaders): string {
  const v = headers["anthropic-version"];
  if (v === undefined) return ANTHROPIC_API_VERSION;
  if (typeof v === "string" && ANTHROPIC_API_VERSIONS.includes(v)) return v;
  throw invalid(`anthropic-version ${JSON.stringify(v)} is not supported; this gateway speaks ${ANTHROPIC_API_VERSIONS.join(" and ")}`, "anthropic-version");
}

/** The `anthropic-beta` flags of a request (one header, comma-separated, or several). */
export function betaFlags(headers: IncomingHttpHeaders): string[] {
  const v = headers["anthropic-beta"];
  const values = Array.isArray(v) ? v : v === undefined ? [] : [v];
  const out: string[] = [];
  for (const value of values) for (const flag of value.split(",")) if (flag.trim() && !out.includes(flag.trim())) out.push(flag.trim());
  return out;
}

/** The warning of an attempt on the translated path for the `anthropic-beta` flags it cannot honour. */
export function betaWarning(betas: readonly string[], provider: string): string {
  return `anthropic-beta ${betas.join(",")} is not honoured by provider ${provider} (the request was translated for it); ignored`;
}

/** count_tokens: the prompt as the canonical request would carry it, counted with the gateway's tokenizer. */
export async function countMessageTokens(ctx: RequestContext, raw: Record<string, unknown>): Promise<{ input_tokens: number }> {
  checkApiVersion(ctx.headers); // count_tokens takes no sampling parameters in any version
  const req = parseCountTokensRequest(raw);
  if (ctx.principal && req.model !== "auto") authorizeModel(ctx.principal, req.model);
  const chat: ChatRequest = { model: req.model, messages: chatMessages(req, ctx.warnings) };
  addTools(chat, req.tools, req.tool_choice);
  return { input_tokens: await estimatePromptTokens(chat.messages, chat.tools) };
}
