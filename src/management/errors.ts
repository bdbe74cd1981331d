/**
 * Errors of the management API, all in OpenAI's envelope: zod validation failures of the body,
 * query or path become 400 `invalid_request` naming the field; malformed JSON and non-JSON
 * bodies become 400; anything unexpected becomes a 500 without details.
 */
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { HTTPException } from "hono/http-exception";
import type { ZodError } from "zod";
import { GatewayError, openAIEnvelope, toGatewayError } from "../core/errors.js";
import { defaultLog, errorFields } from "../observability/log.js";

const WHERE: Record<string, string> = { json: "request body", query: "query parameter", param: "path parameter", header: "header" };

/** The first problem of a failed validation, as a 400 naming the field (`param`). */
export function validationError(err: ZodError, target: string): GatewayError {
  const issue = err.issues[0];
  const where = WHERE[target] ?? target;
  if (!issue) return new GatewayError("invalid_request", `invalid ${where}`);
  const more = err.issues.length > 1 ? ` (and ${err.issues.length - 1} more problem${err.issues.length > 2 ? "s" : ""})` : "";
  if (issue.code === "unrecognized_keys") {
    const fields = issue.keys.map((k) => [...issue.path, k].join("."));
    const names = fields.map((f) => `'${f}'`).join(", ");
    return new GatewayError("invalid_request", `unknown field${fields.length > 1 ? "s" : ""} ${names} in the ${where}${more}`, { param: fields[0] ?? null });
  }
  const param = issue.path.map(String).join(".");
  if (!param) {
    const message = target === "json" && issue.code === "invalid_type" ? "request body must be a JSON object" : `invalid ${where}: ${issue.message}`;
    return new GatewayError("invalid_request", message + more);
  }
  return new GatewayError("invalid_request", `invalid ${where} '${param}': ${issue.message}${more}`, { param });
}

/** OpenAPIHono's `defaultHook`: throw the validation failure so `onError` renders it. */
export function validationHook(result: { success: true } | { success: false; error: ZodError; target: string }): void {
  if (!result.success) throw validationError(result.error, result.target);
}

export function toManagementError(e: unknown): GatewayError {
  if (e instanceof HTTPException) {
    if (e.status === 415) return new GatewayError("invalid_request", "request body must be JSON (content-type: application/json)");
    if (e.status === 400) return new GatewayError("invalid_request", /malformed json/i.test(e.message) ? "malformed JSON in request body" : e.message);
    return new GatewayError("invalid_request", e.message, { status: e.status });
  }
  return toGatewayError(e);
}

export function renderError(e: unknown, c: Context): Response {
  const err = toManagementError(e);
  if (err.code === "internal_error") {
    defaultLog().logger.error({ path: c.req.path, ...errorFields(e) }, "internal error");
  }
  return c.json(openAIEnvelope(err), err.status as ContentfulStatusCode);
}

export const notFound = (what: string, id: string, param: string) => new GatewayError("not_found", `${what} '${id}' not found`, { param });
