import type { GatewayError } from "../../core/errors.js";
import { messageFromBody, upstreamError } from "../errors.js";

type Headers = Record<string, string | string[] | undefined>;

/** OpenAI error bodies are `{"error": {"message", "type", "param", "code"}}`. */
export function errorFromResponse(provider: string, status: number, body: string, headers: Headers, secrets: string[]): GatewayError {
  return upstreamError(provider, status, messageFromBody(body), headers, secrets);
}
