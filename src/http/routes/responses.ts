/**
 * Stored Responses API answers: GET /v1/responses/{id}, DELETE /v1/responses/{id} and
 * GET /v1/responses/{id}/input_items, for the key that created the response (the master key
 * may reach them all; another key gets 404). Not the hot path: POST /v1/responses is served by
 * the inference handler (routes/inference-endpoints.ts).
 */
import { Hono } from "hono";
import { GatewayError } from "../../core/errors.js";
import type { Runtime } from "../../pipeline/context.js";
import { loadOwnResponse } from "../../pipeline/responses.js";
import type { Principal } from "../../policy/auth.js";
import { deleteResponse } from "../../store/repos/responses.js";
import { INCLUDE_ENCRYPTED_REASONING } from "../../wire/responses.js";
import { visibleOutput, type OutputItem } from "../../wire/responses-answer.js";

const invalid = (message: string, param: string) => new GatewayError("invalid_request", message, { param });

export function responseRoutes(rt: Runtime): Hono<{ Variables: { principal: Principal } }> {
  const app = new Hono<{ Variables: { principal: Principal } }>();

  app.get("/v1/responses/:id", async (c) => {
    const q = new URL(c.req.url).searchParams;
    refuseQuery(q, ["include", "include[]", "stream", "starting_after", "include_obfuscation"]);
    if (q.get("stream") === "true") throw invalid("stream=true (replaying a stored response as events) is not available through this gateway", "stream");
    if (q.has("starting_after")) throw invalid("starting_after is only meaningful with stream=true, which is not available through this gateway", "starting_after");
    const row = await loadOwnResponse(rt, c.get("principal"), c.req.param("id"));
    // Signatures are shown when this request asks for them, whatever the creating request asked.
    return c.json({ ...row.response, output: visibleOutput(row.output_items as OutputItem[], includesEncrypted(q)) }, 200);
  });

  app.delete("/v1/responses/:id", async (c) => {
    const row = await loadOwnResponse(rt, c.get("principal"), c.req.param("id"));
    await deleteResponse(rt.store.db, row.id);
    return c.json({ id: row.id, object: "response", deleted: true }, 200);
  });

  app.get("/v1/responses/:id/input_items", async (c) => {
    const q = new URL(c.req.url).searchParams;
    refuseQuery(q, ["limit", "order", "after", "include", "include[]"]);
    includesEncrypted(q);
    const limit = q.has("limit") ? Number(q.get("limit")) : 20;
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw invalid("limit must be an integer from 1 to 100", "limit");
    const order = q.get("order") ?? "desc";
    if (order !== "asc" && order !== "desc") throw invalid('order must be "asc" or "desc"', "order");
    const row = await loadOwnResponse(rt, c.get("principal"), c.req.param("id"));
    const base = row.id.slice("resp_".length);
    let items = (row.input_items as Array<Record<string, unknown>>).map((item, i) => asListedItem(item, base, i));
    if (order === "desc") items = items.reverse();
    const after = q.get("after");
    if (after !== null) {
      const at = items.findIndex((i) => i.id === after);
      if (at < 0) throw invalid(`no input item with id '${after}' in this response`, "after");
      items = items.slice(at + 1);
    }
    const data = items.slice(0, limit);
    return c.json({ object: "list", data, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null, has_more: items.length > limit }, 200);
  });

  return app;
}

/** Query parameters other than `known` are refused, never ignored. */
function refuseQuery(q: URLSearchParams, known: string[]): void {
  for (const k of q.keys()) if (!known.includes(k)) throw invalid(`query parameter "${k}" is not supported here`, k);
}

function includesEncrypted(q: URLSearchParams): boolean {
  const asked = [...q.getAll("include"), ...q.getAll("include[]")];
  for (const v of asked) if (v !== INCLUDE_ENCRYPTED_REASONING) throw invalid(`include: "${v}" is not available through this gateway (only "${INCLUDE_ENCRYPTED_REASONING}")`, "include");
  return asked.length > 0;
}

/** An input item as OpenAI lists it: with an id, and a message's text as an input_text part. */
function asListedItem(item: Record<string, unknown>, base: string, index: number): Record<string, unknown> {
  const type = typeof item.type === "string" ? item.type : "message";
  const prefix = type === "function_call" ? "fc" : type === "function_call_output" ? "fco" : type === "reasoning" ? "rs" : "msg";
  const out: Record<string, unknown> = { ...item, type, id: typeof item.id === "string" && item.id ? item.id : `${prefix}_${base}_in${index}` };
  if (type === "message") {
    if (typeof item.content === "string") out.content = [{ type: item.role === "assistant" ? "output_text" : "input_text", text: item.content }];
    out.status ??= "completed";
  }
  return out;
}
