/**
 * A local batch input file in OpenAI's format, read and checked before anything is sent: one
 * JSON object a line, `{"custom_id", "method": "POST", "url", "body"}`, every `url` the batch's
 * endpoint, every `custom_id` unique, every `body` a valid request of that endpoint (not
 * streamed). The file is bounded in bytes and lines; blank lines are skipped.
 */
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { createInterface } from "node:readline";
import type { z } from "zod";
import type { BatchEndpoint, BatchLine } from "../providers/batch.js";
import { chatRequestSchema, describeIssues, embeddingsRequestSchema, type ChatRequest, type EmbeddingsRequest } from "../wire/openai.js";
import { InvalidRequestError } from "./errors.js";

/** The largest input file read (bytes): OpenAI takes up to 200 MB, Anthropic 256 MB. */
export const MAX_BATCH_INPUT_BYTES = 256 * 1024 * 1024;
/** The most requests in one input file (Anthropic's limit; OpenAI's is 50,000). */
export const MAX_BATCH_LINES = 100_000;

/** The batch input file is not valid; `line` is its 1-based line number, when one line is at fault. */
export class BatchInputError extends InvalidRequestError {
  constructor(
    readonly path: string,
    readonly line: number | null,
    detail: string,
    param: string | null = null,
  ) {
    super(`${path}${line !== null ? `:${line}` : ""}: ${detail}`, param);
  }
}

const SCHEMAS: Record<BatchEndpoint, z.ZodType> = { "/v1/chat/completions": chatRequestSchema, "/v1/embeddings": embeddingsRequestSchema };

export async function readBatchInput(path: string, endpoint: BatchEndpoint): Promise<BatchLine[]> {
  let size: number;
  try {
    const s = await stat(path);
    if (!s.isFile()) throw new BatchInputError(path, null, "not a file", "inputFilePath");
    size = s.size;
  } catch (e) {
    if (e instanceof BatchInputError) throw e;
    throw new BatchInputError(path, null, `cannot be read: ${(e as Error).message}`, "inputFilePath");
  }
  if (size > MAX_BATCH_INPUT_BYTES) throw new BatchInputError(path, null, `is ${size} bytes, more than the ${MAX_BATCH_INPUT_BYTES} a batch input file may have`, "inputFilePath");

  const lines: BatchLine[] = [];
  const seen = new Map<string, number>();
  const reader = createInterface({ input: createReadStream(path, { encoding: "utf8" }), crlfDelay: Infinity });
  let n = 0;
  try {
    for await (const text of reader) {
      n++;
      if (text.trim() === "") continue;
      if (lines.length >= MAX_BATCH_LINES) throw new BatchInputError(path, n, `more than ${MAX_BATCH_LINES} requests in one batch`);
      const line = parseLine(path, n, text, endpoint);
      const first = seen.get(line.custom_id);
      if (first !== undefined) throw new BatchInputError(path, n, `custom_id "${line.custom_id}" is already used on line ${first}`, "custom_id");
      seen.set(line.custom_id, n);
      lines.push(line);
    }
  } finally {
    reader.close();
  }
  if (lines.length === 0) throw new BatchInputError(path, null, "has no requests", "inputFilePath");
  return lines;
}

function parseLine(path: string, n: number, text: string, endpoint: BatchEndpoint): BatchLine {
  let o: unknown;
  try {
    o = JSON.parse(text);
  } catch (e) {
    throw new BatchInputError(path, n, `not valid JSON (${(e as Error).message})`);
  }
  if (typeof o !== "object" || o === null || Array.isArray(o)) throw new BatchInputError(path, n, "not a JSON object");
  const { custom_id, method, url, body, ...rest } = o as Record<string, unknown>;
  const extra = Object.keys(rest);
  if (extra.length) throw new BatchInputError(path, n, `unknown field "${extra[0]}" (a line has custom_id, method, url and body)`, extra[0]);
  if (typeof custom_id !== "string" || custom_id === "") throw new BatchInputError(path, n, "custom_id must be a non-empty string", "custom_id");
  if (method !== "POST") throw new BatchInputError(path, n, `method must be "POST", not ${JSON.stringify(method)}`, "method");
  if (url !== endpoint) throw new BatchInputError(path, n, `url ${JSON.stringify(url)} is not the batch's endpoint "${endpoint}"`, "url");
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw new BatchInputError(path, n, "body must be a JSON object", "body");
  if ((body as { stream?: unknown }).stream === true) throw new BatchInputError(path, n, "body.stream: a batch request is not streamed", "body.stream");
  const parsed = SCHEMAS[endpoint].safeParse(body);
  if (!parsed.success) {
    const d = describeIssues(parsed.error);
    throw new BatchInputError(path, n, `invalid body: ${d.message}`, d.param ? `body.${d.param}` : "body");
  }
  return { custom_id, url: endpoint, body: parsed.data as ChatRequest | EmbeddingsRequest };
}
