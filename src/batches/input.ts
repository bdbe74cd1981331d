/**
 * A batch input file: JSONL, one request a line, `{custom_id, method: "POST", url, body}`.
 * Checked whole when uploaded (sizes, JSON, the fields' shape), and against the batch when one
 * is created from it (its endpoint, unique custom_ids): a file that passes never fails a batch
 * half-way for its form.
 */
import { GatewayError } from "../core/errors.js";
import type { BatchesConfig } from "../config/types.js";

export const BATCH_ENDPOINTS = ["/v1/chat/completions", "/v1/embeddings"] as const;
export type BatchEndpoint = (typeof BATCH_ENDPOINTS)[number];

/** One request line as parsed. `bodyText` is the body's JSON as the client wrote its keys (order kept). */
export interface InputLine {
  /** 1-based line number in the file. */
  line: number;
  custom_id: string;
  url: string;
  body: Record<string, unknown>;
  bodyText: string;
}

/** A line problem in OpenAI's batch error shape. */
export interface LineError {
  code: string;
  message: string;
  param: string | null;
  line: number | null;
}

const MAX_CUSTOM_ID = 512;

/**
 * Parses and checks a whole input file (already bounded by `maxFileBytes`): at most `maxLines`
 * non-empty lines of at most `maxLineBytes` each, every one a request object. The first problem
 * is refused with 400 (or 413 for a line over the size bound), naming its line.
 */
export function parseInputFile(content: Buffer, limits: Pick<BatchesConfig, "maxLines" | "maxLineBytes">): InputLine[] {
  const lines: InputLine[] = [];
  let start = 0;
  let n = 0;
  while (start < content.length) {
    let end = content.indexOf(10, start);
    if (end < 0) end = content.length;
    n++;
    const bytes = end - start;
    if (bytes > limits.maxLineBytes) {
      throw new GatewayError("request_too_large", `line ${n} of the file has ${bytes} bytes; a batch line may have at most ${limits.maxLineBytes} (batches.max_line_bytes)`, { param: "file" });
    }
    const text = content.toString("utf8", start, end).replace(/\r$/, "");
    start = end + 1;
    if (text.trim() === "") continue;
    if (lines.length >= limits.maxLines) {
      throw new GatewayError("invalid_request", `the file has more than ${limits.maxLines} requests; a batch may have at most ${limits.maxLines} (batches.max_lines)`, { param: "file" });
    }
    lines.push(parseLine(text, n));
  }
  if (lines.length === 0) throw new GatewayError("invalid_request", "the file has no requests: a batch input file is JSONL, one request a line", { param: "file" });
  return lines;
}

function parseLine(text: string, n: number): InputLine {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw lineError(n, "is not valid JSON");
  }
  if (!v || typeof v !== "object" || Array.isArray(v)) throw lineError(n, "is not a JSON object");
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (!["custom_id", "method", "url", "body"].includes(k)) throw lineError(n, `has an unknown field '${k}' (a line has custom_id, method, url and body)`);
  }
  if (typeof o.custom_id !== "string" || o.custom_id === "" || o.custom_id.length > MAX_CUSTOM_ID) throw lineError(n, `needs a custom_id: a string of 1 to ${MAX_CUSTOM_ID} characters`);
  if (o.method !== "POST") throw lineError(n, 'needs method "POST"');
  if (typeof o.url !== "string" || !(BATCH_ENDPOINTS as readonly string[]).includes(o.url)) throw lineError(n, `needs url ${BATCH_ENDPOINTS.map((e) => `"${e}"`).join(" or ")}`);
  if (!o.body || typeof o.body !== "object" || Array.isArray(o.body)) throw lineError(n, "needs a body object");
  const body = o.body as Record<string, unknown>;
  if (typeof body.model !== "string" || body.model === "") throw lineError(n, "needs body.model");
  return { line: n, custom_id: o.custom_id, url: o.url, body, bodyText: JSON.stringify(body) };
}

function lineError(n: number, what: string): GatewayError {
  return new GatewayError("invalid_request", `line ${n} of the file ${what}`, { param: "file" });
}

/** Checks of the lines against the batch: each line's url is the batch's endpoint, custom_ids unique. At most `max` problems. */
export function batchLineErrors(lines: readonly InputLine[], endpoint: string, max = 100): LineError[] {
  const errors: LineError[] = [];
  const seen = new Set<string>();
  for (const l of lines) {
    if (errors.length >= max) break;
    if (l.url !== endpoint) errors.push({ code: "mismatched_endpoint", message: `The url '${l.url}' does not match the batch's endpoint '${endpoint}'.`, param: "url", line: l.line });
    if (seen.has(l.custom_id)) errors.push({ code: "duplicate_custom_id", message: `The custom_id '${l.custom_id}' is used by more than one request of the file.`, param: "custom_id", line: l.line });
    seen.add(l.custom_id);
  }
  return errors;
}
