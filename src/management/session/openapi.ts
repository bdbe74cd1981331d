/**
 * The dashboard's sign-in in `/openapi.json`: the session endpoints (served by ./routes.ts, whose
 * request body is validated by the same schema), the `sb_session` cookie and the `x-csrf-token`
 * header as security schemes, and the cookie as the alternative to the master key on every
 * management route (with the CSRF header on the state-changing ones).
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { ManagementEnv } from "../context.js";
import { forEachOperation, type OpenApiPaths } from "../operation-ids.js";
import { MANAGEMENT_PATHS, UI_SESSION_PATH } from "../paths.js";
import { ErrorSchema, jsonBody, jsonResponse as json } from "../schemas/common.js";
import { SessionSignInSchema, SessionStateSchema } from "../schemas/session.js";
import { SESSION_COOKIE } from "./cookie.js";

export const CSRF_HEADER = "x-csrf-token";

const error = (description: string, headers?: Record<string, { description: string; schema: { type: "string" | "integer" } }>) => ({
  description,
  ...(headers ? { headers } : {}),
  content: { "application/json": { schema: ErrorSchema } },
});
const cookieHeader = (description: string) => ({ "Set-Cookie": { description, schema: { type: "string" as const } } });
const session = { tags: ["session"] };

export function sessionDocs(app: OpenAPIHono<ManagementEnv>): void {
  app.openAPIRegistry.registerComponent("securitySchemes", "sessionCookie", {
    type: "apiKey",
    in: "cookie",
    name: SESSION_COOKIE,
    description: `The dashboard's session (from POST ${UI_SESSION_PATH}): stands for the master key on the management API when no key header is sent`,
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "csrfToken", {
    type: "apiKey",
    in: "header",
    name: CSRF_HEADER,
    description: `The session's csrf_token (from GET ${UI_SESSION_PATH}): needed with the session cookie on every call but GET, HEAD and OPTIONS`,
  });
  app.openAPIRegistry.registerPath({
    ...session,
    method: "post",
    path: UI_SESSION_PATH,
    operationId: "signIn",
    summary: "Signs in with the master key: makes a dashboard session and sets its cookie",
    security: [],
    request: { body: jsonBody(SessionSignInSchema) },
    responses: {
      204: { description: "Signed in", headers: cookieHeader(`\`${SESSION_COOKIE}=<id>; Path=/; HttpOnly; SameSite=Strict; Max-Age=43200\`, plus \`Secure\` over TLS`) },
      400: error("Not a JSON object with exactly master_key"),
      401: error("Wrong master key (audited as session.sign_in_failed)"),
      413: error("Body over 16 KiB"),
      429: error("Too many failed sign-ins from this address in the last minute, or another sign-in from it is being checked", {
        "Retry-After": { description: "Seconds until a sign-in may be tried again", schema: { type: "integer" } },
      }),
    },
  });
  app.openAPIRegistry.registerPath({
    ...session,
    method: "get",
    path: UI_SESSION_PATH,
    operationId: "getSession",
    summary: "Whether the cookie's session is live, and its CSRF token",
    security: [{ sessionCookie: [] }, {}],
    responses: { 200: json(SessionStateSchema, "The session's state; signed_in false without a live session") },
  });
  app.openAPIRegistry.registerPath({
    ...session,
    method: "delete",
    path: UI_SESSION_PATH,
    operationId: "signOut",
    summary: "Signs out: ends the session on the gateway and clears the cookie (204 as well without a live session)",
    security: [{ sessionCookie: [], csrfToken: [] }, {}],
    responses: {
      204: { description: "Signed out", headers: cookieHeader(`\`${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0\`, plus \`Secure\` over TLS`) },
      403: error(`A live session without its ${CSRF_HEADER}`),
    },
  });
}

/**
 * Adds the session cookie as the alternative to the master key on every operation of the
 * management paths (in place): alone on GET, with the CSRF header on the state-changing methods.
 */
export function addSessionSecurity(doc: OpenApiPaths): void {
  forEachOperation(doc, (method, path, op) => {
    if (!MANAGEMENT_PATHS.some((p) => path === p || path.startsWith(`${p}/`))) return;
    op.security = [...(op.security ?? []), method === "get" ? { sessionCookie: [] } : { sessionCookie: [], csrfToken: [] }];
  });
}
