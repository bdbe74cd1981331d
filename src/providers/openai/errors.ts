import type { GatewayError } from "../../core/errors.js";
import { isContentFilterBody, messageFromBody, upstreamError } from "../errors.js";

type Headers = Record<string, string | string[] | undefined>;

/** OpenAI error bodies are `{"error": {"message", "type", "param", "code"}}`; a content-policy refusal is marked as such. */
export function errorFromResponse(provider: string, status: number, body: string, headers: Headers, secrets: string[]): GatewayError {
  return upstreamError(provider, status, messageFromBody(body), headers, secrets, status === 400 && isContentFilterBody(body));
}
