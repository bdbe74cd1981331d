import type { GatewayError } from "../../core/errors.js";
import { isContentFilterBody, messageFromBody, upstreamError } from "../errors.js";

type Headers = Record<string, string | string[] | undefined>;

interface AzureErrorBody {
  error?: {
    code?: string;
    message?: string;
    innererror?: { code?: string; content_filter_result?: Record<string, { filtered?: boolean; severity?: string }> };
    inner_error?: { code?: string; content_filter_results?: Record<string, { filtered?: boolean; severity?: string }> };
  };
}

/**
 * Azure error bodies are OpenAI's envelope (`{"error": {"code", "message", ...}}`; API Management
 * in front may answer `{"statusCode", "message"}`). A content-filter refusal is a 400 with code
 * `content_filter`: it stays a 400 with Azure's message plus the categories that were filtered.
 */
export function errorFromResponse(provider: string, status: number, body: string, headers: Headers, secrets: string[]): GatewayError {
  let message = messageFromBody(body);
  const filtered = contentFilterCategories(body);
  if (filtered.length > 0) message += ` (filtered: ${filtered.join(", ")})`;
  return upstreamError(provider, status, message, headers, secrets, status === 400 && isContentFilterBody(body));
}

function contentFilterCategories(body: string): string[] {
  let parsed: AzureErrorBody;
  try {
    parsed = JSON.parse(body) as AzureErrorBody;
  } catch {
    return [];
  }
  if (parsed?.error?.code !== "content_filter") return [];
  const results = parsed.error.innererror?.content_filter_result ?? parsed.error.inner_error?.content_filter_results ?? {};
  return Object.entries(results)
    .filter(([, r]) => r && typeof r === "object" && r.filtered === true)
    .map(([name, r]) => (r.severity ? `${name} (${r.severity})` : name));
}
