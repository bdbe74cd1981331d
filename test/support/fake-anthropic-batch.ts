/**
 * Anthropic's Message Batches for the fake Anthropic upstream (fake-anthropic.ts):
 * `POST /v1/messages/batches` ({requests: [{custom_id, params}]}), `GET /v1/messages/batches`
 * (newest first; limit, after_id, before_id), `GET /v1/messages/batches/{id}`,
 * `POST /v1/messages/batches/{id}/cancel`, and the results file `GET .../{id}/results` (JSONL,
 * once the batch has ended). As Anthropic does, custom_ids are checked when the batch is created
 * and each `params` later, while it runs: an invalid one is an "errored" result. Runs with
 * FakeBatchRun; each request is answered with the fake's usual message.
 */
import { randomBytes } from "node:crypto";
import type { ServerResponse } from "node:http";
import type { RecordedUpstreamCall } from "../conformance/types.js";
import { FakeBatchRun, type FakeBatchOptions } from "./fake-batch-runner.js";

/** The usual answer to a Messages request: the message, or the reason it is invalid. */
export type MessageAnswer = (params: any) => { message: unknown } | { invalid: string };
type Send = (res: ServerResponse, status: number, body: unknown) => void;
type ErrorBody = (status: number, message: string) => unknown;

const MAX_REQUESTS = 100_000;
const CUSTOM_ID = /^[a-zA-Z0-9_-]{1,64}$/;

interface Request {
  custom_id: string;
  params: any;
}
interface Batch {
  id: string;
  created_at: string;
  run: FakeBatchRun<Request, { message: unknown } | { invalid: string }>;
}

export interface FakeAnthropicBatches {
  /** Options for batches created from now on (delays, request errors, expiry). */
  setOptions(o: FakeBatchOptions): void;
  /** The requests a batch was created with (what the client sent). */
  requests(id: string): Request[] | undefined;
}

const iso = (seconds: number | null) => (seconds === null ? null : new Date(seconds * 1000).toISOString());

export function fakeAnthropicBatches(url: () => string, answer: MessageAnswer, send: Send, errorBody: ErrorBody) {
  const batches = new Map<string, Batch>();
  let options: FakeBatchOptions = {};

  function batchObject(b: Batch) {
    const r = b.run;
    const c = r.counts;
    const ended = r.state === "ended";
    // A params error is found while running: it counts as errored, like a request that failed.
    const invalid = r.outcomes.filter((o) => o.kind === "answered" && "invalid" in o.answer).length;
    return {
      id: b.id,
      type: "message_batch",
      processing_status: ended ? "ended" : r.state === "cancelling" ? "canceling" : "in_progress",
      request_counts: { processing: r.lines.length - c.done, succeeded: c.succeeded - invalid, errored: c.errored + invalid, canceled: c.cancelled, expired: c.expired },
      ended_at: iso(r.endedAt),
      created_at: b.created_at,
      expires_at: new Date(Date.parse(b.created_at) + 86_400_000).toISOString(),
      archived_at: null,
      cancel_initiated_at: iso(r.cancelledAt),
      results_url: ended ? `${url()}/v1/messages/batches/${b.id}/results` : null,
    };
  }

  function create(body: any, res: ServerResponse): void {
    const requests = body?.requests;
    if (!Array.isArray(requests) || requests.length === 0) return send(res, 400, errorBody(400, "requests: Field required"));
    if (requests.length > MAX_REQUESTS) return send(res, 400, errorBody(400, `requests: at most ${MAX_REQUESTS} requests`));
    const seen = new Set<string>();
    for (let i = 0; i < requests.length; i++) {
      const r = requests[i];
      if (typeof r?.custom_id !== "string" || !CUSTOM_ID.test(r.custom_id)) return send(res, 400, errorBody(400, `requests.${i}.custom_id: String should match pattern '^[a-zA-Z0-9_-]{1,64}$'`));
      if (seen.has(r.custom_id)) return send(res, 400, errorBody(400, `requests.${i}.custom_id: duplicate custom_id '${r.custom_id}'`));
      if (typeof r.params !== "object" || r.params === null) return send(res, 400, errorBody(400, `requests.${i}.params: Field required`));
      seen.add(r.custom_id);
    }
    const b: Batch = {
      id: `msgbatch_01${randomBytes(12).toString("hex")}`,
      created_at: new Date().toISOString(),
      run: new FakeBatchRun<Request, { message: unknown } | { invalid: string }>(
        requests.map((r: Request) => ({ custom_id: r.custom_id, params: r.params })),
        (r) => (r.params.stream === true ? { invalid: "stream: streaming is not supported in message batches" } : answer(r.params)),
        options,
      ),
    };
    batches.set(b.id, b);
    send(res, 200, batchObject(b));
  }

  function list(query: URLSearchParams, res: ServerResponse): void {
    const all = [...batches.values()].reverse(); // newest first
    const limit = Math.min(1000, Math.max(1, Number(query.get("limit") ?? 20)));
    const after = query.get("after_id");
    const before = query.get("before_id");
    let from = after ? all.findIndex((b) => b.id === after) + 1 : 0;
    if (before) from = Math.max(0, all.findIndex((b) => b.id === before) - limit);
    const page = all.slice(from, from + limit).map(batchObject);
    send(res, 200, { data: page, has_more: from + limit < all.length, first_id: page[0]?.id ?? null, last_id: page.at(-1)?.id ?? null });
  }

  /** The results file, a line at a time (never one big write). */
  async function results(b: Batch, res: ServerResponse): Promise<void> {
    res.writeHead(200, { "content-type": "application/binary", "request-id": `req_01${randomBytes(12).toString("hex")}` });
    for (const o of b.run.outcomes) {
      let result: unknown;
      if (o.kind === "answered") result = "invalid" in o.answer ? { type: "errored", error: errorBody(400, o.answer.invalid) } : { type: "succeeded", message: o.answer.message };
      else if (o.kind === "error") result = { type: "errored", error: errorBody(o.status, o.message) };
      else result = { type: o.kind === "cancelled" ? "canceled" : "expired" };
      if (res.destroyed) return;
      if (!res.write(JSON.stringify({ custom_id: o.custom_id, result }) + "\n")) await new Promise((r) => res.once("drain", r));
    }
    res.end();
  }

  /** Answers a message batches call; false when the path is not one. */
  async function handle(rec: RecordedUpstreamCall, res: ServerResponse): Promise<boolean> {
    const [path, qs] = rec.path.split("?");
    if (!path.startsWith("/v1/messages/batches")) return false;
    if (path === "/v1/messages/batches") {
      if (rec.method === "POST") create(rec.body, res);
      else list(new URLSearchParams(qs ?? ""), res);
      return true;
    }
    const m = /^\/v1\/messages\/batches\/([^/]+)(\/cancel|\/results)?$/.exec(path);
    const b = m ? batches.get(decodeURIComponent(m[1])) : undefined;
    if (!m || !b) return (send(res, 404, errorBody(404, "Not Found")), true);
    if (m[2] === "/cancel" && rec.method === "POST") {
      if (b.run.state === "ended") return (send(res, 400, errorBody(400, `Batch ${b.id} has already ended and cannot be canceled.`)), true);
      b.run.cancel();
      return (send(res, 200, batchObject(b)), true);
    }
    if (m[2] === "/results" && rec.method === "GET") {
      if (b.run.state !== "ended") return (send(res, 400, errorBody(400, `Batch ${b.id} is still processing; results are available once it has ended.`)), true);
      await results(b, res);
      return true;
    }
    if (!m[2] && rec.method === "GET") return (send(res, 200, batchObject(b)), true);
    return (send(res, 404, errorBody(404, "Not Found")), true);
  }

  const control: FakeAnthropicBatches = {
    setOptions: (o) => void (options = o),
    requests: (id) => batches.get(id)?.run.lines,
  };
  return {
    handle,
    control,
    reset() {
      for (const b of batches.values()) b.run.stop();
      batches.clear();
      options = {};
    },
  };
}
