/**
 * One request of a gateway-run batch through the same pipeline as an HTTP request, as the
 * batch's key stands now: authentication (a revoked key stops the batch), permissions, routing,
 * the rate limits and the budget reservation, the attempts and their accounting. The ledger rows
 * are captured, not spooled: the runner writes them in the same transaction as the line's result
 * (runner.ts), then settles the reservation — so a line is billed exactly when its result is kept.
 */
import { Cancellation } from "../core/cancel.js";
import { GatewayError, toGatewayError } from "../core/errors.js";
import type { Principal } from "../policy/auth.js";
import { parseChatRequest, runChat } from "../pipeline/chat.js";
import type { RequestContext, Runtime } from "../pipeline/context.js";
import { parseEmbeddingsRequest, runEmbeddings } from "../pipeline/embeddings.js";
import { readRoutingExtensions } from "../pipeline/route.js";
import type { UsageRecord } from "../usage/types.js";
import { answeredLine, failedLine } from "./objects.js";

export interface LineInput {
  batchId: string;
  endpoint: string;
  /** The owning key's hash; null for the master key. */
  keyHash: string | null;
  idx: number;
  customId: string;
  body: Record<string, unknown>;
  /** This run's number (1 for the first): part of its request id, so each run has its own ledger identity. */
  run: number;
}

export type LineOutcome =
  /** Finished: its line for the output (done) or error (failed) file. */
  | { kind: "finished"; state: "done" | "failed"; text: string }
  /** Rate-limited: run again after this wait. */
  | { kind: "retry"; afterMs: number }
  /** The batch's key no longer authenticates: this line and the rest fail with this error. */
  | { kind: "stop"; error: GatewayError };

export interface LineRun {
  requestId: string;
  outcome: LineOutcome;
  /** Ledger rows of this run's attempts, to write with the outcome. */
  rows: UsageRecord[];
  ctx: RequestContext;
}

/** The deterministic request id of a line's run: the ledger's identity for its attempts. */
export function lineRequestId(batchId: string, idx: number, run: number): string {
  return `req_${batchId.slice("batch_".length)}_${idx}_${run}`;
}

export async function runLine(rt: Runtime, l: LineInput, signal: Cancellation): Promise<LineRun> {
  const requestId = lineRequestId(l.batchId, l.idx, l.run);
  const rows: UsageRecord[] = [];
  const lineRt: Runtime = { ...rt, usage: { record: (r) => rows.push(r) } };
  const ctx = lineContext(requestId, l.endpoint === "/v1/embeddings" ? "embeddings" : "chat", signal);
  let outcome: LineOutcome;
  let failure: GatewayError | undefined;
  try {
    ctx.principal = await principalOf(rt, l);
  } catch (e) {
    const err = toGatewayError(e);
    if (err.code === "invalid_api_key") return { requestId, outcome: { kind: "stop", error: err }, rows, ctx };
    return { requestId, outcome: finished(l, requestId, err), rows, ctx };
  }
  try {
    const raw = structuredClone(l.body);
    if (ctx.principal.kind === "master" && typeof raw.user === "string" && raw.user) ctx.principal = await rt.auth.actFor(raw.user);
    const ext = readRoutingExtensions(raw, {});
    let body: object;
    if (ctx.endpoint === "embeddings") {
      body = await runEmbeddings(lineRt, ctx, parseEmbeddingsRequest(raw), ext);
    } else {
      const req = parseChatRequest(raw);
      if (req.stream) throw new GatewayError("invalid_request", "stream is not available in a batch: each answer is written to the output file whole", { param: "stream" });
      const result = await runChat(lineRt, ctx, req, ext);
      if (result.kind !== "json") throw new GatewayError("internal_error", "a batch line was answered as a stream");
      body = result.body;
    }
    outcome = { kind: "finished", state: "done", text: answeredLine(l.batchId, l.idx, l.customId, 200, requestId, body) };
  } catch (e) {
    const err = (failure = toGatewayError(e));
    // Refused by a rate limit (the gateway's or the provider's): waits, then runs again.
    outcome = err.status === 429 && err.code !== "budget_exceeded" ? { kind: "retry", afterMs: (err.retryAfterSeconds ?? 1) * 1000 } : finished(l, requestId, err);
  }
  for (const r of rows) r.receipt = { ...(r.receipt ?? {}), batch: { id: l.batchId, custom_id: l.customId } };
  rt.observe?.requestEnd(ctx, failure ? failure.status : 200, failure); // metrics and traces count each run of a line as a request
  return { requestId, outcome, rows, ctx };
}

function finished(l: LineInput, requestId: string, err: GatewayError): LineOutcome {
  return { kind: "finished", state: "failed", text: failedLine(l.batchId, l.idx, l.customId, requestId, err) };
}

function principalOf(rt: Runtime, l: LineInput): Principal | Promise<Principal> {
  if (l.keyHash === null) return { kind: "master", keyId: null, userId: null, teamId: null };
  return rt.auth.authenticateHash(l.keyHash);
}

export function lineContext(requestId: string, endpoint: "chat" | "embeddings", signal: Cancellation = new Cancellation()): RequestContext {
  return {
    requestId,
    clientRequestId: null,
    endpoint,
    receivedAt: performance.now(),
    headers: {},
    signal,
    attempts: 0,
    externalMs: 0,
    responseHeaders: {},
    warnings: [],
    costMicros: 0,
    tokens: 0,
    attemptErrors: [],
  };
}
