/**
 * OpenAI's Files and Batch API for the fake OpenAI upstream (fake-openai.ts): `POST /v1/files`
 * (multipart, purpose "batch"), `GET /v1/files/{id}`, `GET /v1/files/{id}/content`,
 * `DELETE /v1/files/{id}`, `POST /v1/batches`, `GET /v1/batches/{id}`, `POST /v1/batches/{id}/cancel`, `GET /v1/batches`.
 * A batch is validated like OpenAI does (JSONL lines with custom_id, method POST, the batch's
 * url, a body; unique custom_ids) — an invalid file makes the batch "failed" with `errors` —
 * then run by FakeBatchRun, each line answered with the fake's usual answer. Output and error
 * files are written when it ends, in OpenAI's line format. Uploads are bounded (413 beyond).
 */
import { randomBytes } from "node:crypto";
import type { ServerResponse } from "node:http";
import { FakeBatchRun, type FakeBatchOptions } from "./fake-batch-runner.js";

/** The fake's answer to one request body: what `POST <url>` would have answered. */
export type LineAnswer = (url: string, body: any) => unknown;
type Send = (res: ServerResponse, status: number, body: unknown) => void;
type Rec = { method: string; path: string; headers: Record<string, string | string[] | undefined>; body: any; query: URLSearchParams };

export const MAX_UPLOAD_BYTES = 16 * 1024 * 1024;
/** The endpoints this fake answers in a batch (OpenAI has more). */
const ENDPOINTS = new Set(["/v1/chat/completions", "/v1/embeddings"]);

interface FakeFile {
  id: string;
  filename: string;
  purpose: string;
  created_at: number;
  content: string;
}
interface Line {
  custom_id: string;
  url: string;
  body: any;
}
interface FakeBatch {
  id: string;
  endpoint: string;
  input_file_id: string;
  completion_window: string;
  created_at: number;
  metadata: Record<string, string> | null;
  errors: Array<{ code: string; message: string; param: string | null; line: number | null }> | null;
  run: FakeBatchRun<Line, unknown> | null;
  output_file_id: string | null;
  error_file_id: string | null;
}

/**
 * `failWith`: batches fail as OpenAI fails a batch it will not run although its file is valid
 * (e.g. `token_limit_exceeded`: the organisation's enqueued-token limit): status "failed" with
 * this error in `errors`, no line run, no output or error file.
 */
export type FakeOpenAIBatchOptions = FakeBatchOptions & { failWith?: { code: string; message: string } };

export interface FakeOpenAIBatches {
  /** Options for batches created from now on (delays, line errors, expiry, failure). */
  setOptions(o: FakeOpenAIBatchOptions): void;
  /** An uploaded file's text, by id (what the client sent). */
  fileContent(id: string): string | undefined;
  /** Every batch id, oldest first. */
  ids(): string[];
  /** The ids of the files held (uploaded, and output and error files). */
  fileIds(): string[];
}

const id = (prefix: string) => `${prefix}_${randomBytes(12).toString("hex")}`;
const now = () => Math.floor(Date.now() / 1000);
const error = (status: number, message: string, param: string | null = null, code: string | null = null) => ({
  error: { message, type: "invalid_request_error", param, code },
});

export function fakeOpenAIBatches(answer: LineAnswer, send: Send) {
  const files = new Map<string, FakeFile>();
  const batches = new Map<string, FakeBatch>();
  let options: FakeOpenAIBatchOptions = {};

  function fileObject(f: FakeFile) {
    return {
      id: f.id,
      object: "file",
      bytes: Buffer.byteLength(f.content),
      created_at: f.created_at,
      filename: f.filename,
      purpose: f.purpose,
      status: "processed",
      expires_at: null,
      status_details: null,
    };
  }

  function addFile(filename: string, purpose: string, content: string): FakeFile {
    const f = { id: id("file"), filename, purpose, created_at: now(), content };
    files.set(f.id, f);
    return f;
  }

  /** Writes the output and error files once the run has ended (once). */
  function settle(b: FakeBatch): void {
    const run = b.run;
    if (!run || run.state !== "ended" || b.output_file_id || b.error_file_id) return;
    const out: string[] = [];
    const err: string[] = [];
    for (const o of run.outcomes) {
      const base = { id: id("batch_req"), custom_id: o.custom_id };
      if (o.kind === "answered") out.push(JSON.stringify({ ...base, response: { status_code: 200, request_id: id("req"), body: o.answer }, error: null }));
      else if (o.kind === "error") {
        const body = { error: { message: o.message, type: o.status >= 500 ? "server_error" : "invalid_request_error", param: null, code: null } };
        err.push(JSON.stringify({ ...base, response: { status_code: o.status, request_id: id("req"), body }, error: null }));
      } else if (o.kind === "cancelled")
        err.push(JSON.stringify({ ...base, response: null, error: { code: "batch_cancelled", message: "This request was not executed because the batch was cancelled." } }));
      else err.push(JSON.stringify({ ...base, response: null, error: { code: "batch_expired", message: "This request could not be executed before the completion window expired." } }));
    }
    if (out.length) b.output_file_id = addFile(`${b.id}_output.jsonl`, "batch_output", out.join("\n") + "\n").id;
    if (err.length) b.error_file_id = addFile(`${b.id}_error.jsonl`, "batch_output", err.join("\n") + "\n").id;
  }

  function batchObject(b: FakeBatch) {
    settle(b);
    const run = b.run;
    let status = "failed";
    if (run) {
      if (run.state === "queued") status = "validating";
      else if (run.state === "running") status = "in_progress";
      else if (run.state === "cancelling") status = "cancelling";
      else status = run.endedBy === "cancelled" ? "cancelled" : run.endedBy === "expired" ? "expired" : "completed";
    }
    const c = run?.counts;
    const total = run ? run.lines.length : 0;
    return {
      id: b.id,
      object: "batch",
      endpoint: b.endpoint,
      errors: b.errors ? { object: "list", data: b.errors } : null,
      input_file_id: b.input_file_id,
      completion_window: b.completion_window,
      status,
      output_file_id: b.output_file_id,
      error_file_id: b.error_file_id,
      created_at: b.created_at,
      in_progress_at: run?.runningAt ?? null,
      expires_at: b.created_at + 86400,
      finalizing_at: status === "completed" ? run!.endedAt : null,
      completed_at: status === "completed" ? run!.endedAt : null,
      failed_at: run ? null : b.created_at,
      expired_at: status === "expired" ? run!.endedAt : null,
      cancelling_at: run?.cancelledAt ?? null,
      cancelled_at: status === "cancelled" ? run!.endedAt : null,
      request_counts: { total, completed: c?.succeeded ?? 0, failed: c ? c.errored + c.cancelled + c.expired : 0 },
      metadata: b.metadata,
    };
  }

  /** The lines of an input file, or OpenAI's validation errors. */
  function parseInput(content: string, endpoint: string): { lines: Line[]; errors: FakeBatch["errors"] } {
    const lines: Line[] = [];
    const errors: NonNullable<FakeBatch["errors"]> = [];
    const seen = new Set<string>();
    content.split("\n").forEach((text, i) => {
      if (text.trim() === "") return;
      const at = i + 1;
      let o: any;
      try {
        o = JSON.parse(text);
      } catch {
        return void errors.push({ code: "invalid_json_line", message: "This line is not parseable as valid JSON.", param: null, line: at });
      }
      if (typeof o?.custom_id !== "string") return void errors.push({ code: "missing_required_parameter", message: "Missing required parameter: 'custom_id'.", param: "custom_id", line: at });
      if (o.method !== "POST") return void errors.push({ code: "invalid_value", message: "Invalid value for 'method': only POST is supported.", param: "method", line: at });
      if (o.url !== endpoint) return void errors.push({ code: "mismatched_endpoint", message: `The provided url '${o.url}' does not match the batch endpoint '${endpoint}'.`, param: "url", line: at });
      if (typeof o.body !== "object" || o.body === null || typeof o.body.model !== "string")
        return void errors.push({ code: "missing_required_parameter", message: "Missing required parameter: 'body.model'.", param: "body", line: at });
      if (o.body.stream === true) return void errors.push({ code: "invalid_value", message: "Streaming is not supported in batches.", param: "body.stream", line: at });
      if (seen.has(o.custom_id)) return void errors.push({ code: "duplicate_custom_id", message: `The custom_id '${o.custom_id}' is not unique.`, param: "custom_id", line: at });
      seen.add(o.custom_id);
      lines.push({ custom_id: o.custom_id, url: o.url, body: o.body });
    });
    if (lines.length === 0 && errors.length === 0) errors.push({ code: "empty_file", message: "The batch input file is empty.", param: null, line: null });
    return { lines, errors: errors.length ? errors : null };
  }

  function upload(rec: Rec, res: ServerResponse): void {
    const raw = typeof rec.body === "string" ? rec.body : "";
    if (Buffer.byteLength(raw) > MAX_UPLOAD_BYTES) return send(res, 413, error(413, `File is larger than ${MAX_UPLOAD_BYTES} bytes.`));
    const ct = String(rec.headers["content-type"] ?? "");
    const boundary = /boundary=("?)([^";]+)\1/.exec(ct)?.[2];
    if (!ct.startsWith("multipart/form-data") || !boundary) return send(res, 400, error(400, "Expected a multipart/form-data body.", "file"));
    const parts = new Map<string, { filename?: string; content: string }>();
    for (const part of raw.split(`--${boundary}`).slice(1)) {
      if (part.startsWith("--")) break;
      const sep = part.indexOf("\r\n\r\n");
      if (sep < 0) continue;
      const head = part.slice(0, sep);
      const name = /name="([^"]*)"/.exec(head)?.[1];
      if (name) parts.set(name, { filename: /filename="([^"]*)"/.exec(head)?.[1], content: part.slice(sep + 4, part.endsWith("\r\n") ? -2 : undefined) });
    }
    const purpose = parts.get("purpose")?.content;
    const file = parts.get("file");
    if (!purpose) return send(res, 400, error(400, "Missing required parameter: 'purpose'.", "purpose"));
    if (!["assistants", "batch", "fine-tune", "vision", "user_data", "evals"].includes(purpose)) return send(res, 400, error(400, `Invalid value for 'purpose': '${purpose}'.`, "purpose"));
    if (!file?.filename) return send(res, 400, error(400, "Missing required parameter: 'file'.", "file"));
    send(res, 200, fileObject(addFile(file.filename, purpose, file.content)));
  }

  function create(rec: Rec, res: ServerResponse): void {
    const body = rec.body;
    if (typeof body !== "object" || body === null) return send(res, 400, error(400, "We could not parse the JSON body of your request."));
    const f = files.get(body.input_file_id);
    if (!f) return send(res, 400, error(400, `No file found with id '${String(body.input_file_id)}'.`, "input_file_id"));
    if (f.purpose !== "batch") return send(res, 400, error(400, "The input file must be uploaded with purpose 'batch'.", "input_file_id"));
    if (!ENDPOINTS.has(body.endpoint)) return send(res, 400, error(400, `Invalid value for 'endpoint': '${String(body.endpoint)}'.`, "endpoint"));
    if (body.completion_window !== "24h") return send(res, 400, error(400, "Invalid value for 'completion_window': only '24h' is supported.", "completion_window"));
    if (body.metadata != null && (typeof body.metadata !== "object" || Object.keys(body.metadata).length > 16)) return send(res, 400, error(400, "metadata: at most 16 key-value pairs.", "metadata"));
    const parsed = parseInput(f.content, body.endpoint);
    const { lines } = parsed;
    const errors = parsed.errors ?? (options.failWith ? [{ ...options.failWith, param: null, line: null }] : null);
    const b: FakeBatch = {
      id: id("batch"),
      endpoint: body.endpoint,
      input_file_id: f.id,
      completion_window: "24h",
      created_at: now(),
      metadata: body.metadata ?? null,
      errors,
      run: errors ? null : new FakeBatchRun(lines, (l) => answer(l.url, l.body), options),
      output_file_id: null,
      error_file_id: null,
    };
    batches.set(b.id, b);
    send(res, 200, batchObject(b));
  }

  function list(rec: Rec, res: ServerResponse): void {
    const all = [...batches.values()].reverse(); // newest first
    const after = rec.query.get("after");
    const from = after ? all.findIndex((b) => b.id === after) + 1 : 0;
    const limit = Math.min(100, Math.max(1, Number(rec.query.get("limit") ?? 20)));
    const page = all.slice(from, from + limit).map(batchObject);
    send(res, 200, { object: "list", data: page, first_id: page[0]?.id ?? null, last_id: page.at(-1)?.id ?? null, has_more: from + limit < all.length });
  }

  /** Streams a file's content a line at a time (never one big write). */
  async function content(f: FakeFile, res: ServerResponse): Promise<void> {
    res.writeHead(200, { "content-type": "application/octet-stream", "x-request-id": id("req") });
    for (const line of f.content.split(/(?<=\n)/)) {
      if (res.destroyed) return;
      if (!res.write(line)) await new Promise((r) => res.once("drain", r));
    }
    res.end();
  }

  /** Answers a files or batches call; false when the path is not one of them. */
  async function handle(rec: Rec, res: ServerResponse): Promise<boolean> {
    const p = rec.path;
    const m = rec.method;
    if (p === "/v1/files" && m === "POST") return (upload(rec, res), true);
    let match = /^\/v1\/files\/([^/]+)(\/content)?$/.exec(p);
    if (match && (m === "GET" || (m === "DELETE" && !match[2]))) {
      const f = files.get(decodeURIComponent(match[1]));
      if (!f) return (send(res, 404, error(404, `No such File object: ${match[1]}`, "id")), true);
      if (m === "DELETE") return (files.delete(f.id), send(res, 200, { id: f.id, object: "file", deleted: true }), true);
      if (match[2]) await content(f, res);
      else send(res, 200, fileObject(f));
      return true;
    }
    if (p === "/v1/batches" && m === "POST") return (create(rec, res), true);
    if (p === "/v1/batches" && m === "GET") return (list(rec, res), true);
    match = /^\/v1\/batches\/([^/]+)(\/cancel)?$/.exec(p);
    if (match && m === (match[2] ? "POST" : "GET")) {
      const b = batches.get(decodeURIComponent(match[1]));
      if (!b) return (send(res, 404, error(404, `No batch found with id '${match[1]}'.`, "batch_id")), true);
      if (match[2]) {
        const s = batchObject(b).status;
        if (!["validating", "in_progress", "finalizing"].includes(s)) return (send(res, 409, error(409, `Cannot cancel a batch with status '${s}'.`)), true);
        b.run?.cancel();
      }
      send(res, 200, batchObject(b));
      return true;
    }
    return false;
  }

  const control: FakeOpenAIBatches = {
    setOptions: (o) => void (options = o),
    fileContent: (fid) => files.get(fid)?.content,
    ids: () => [...batches.keys()],
    fileIds: () => [...files.keys()],
  };
  return {
    handle,
    control,
    reset() {
      for (const b of batches.values()) b.run?.stop();
      files.clear();
      batches.clear();
      options = {};
    },
  };
}
