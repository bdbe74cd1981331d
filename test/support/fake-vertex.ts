/**
 * A fake Vertex AI upstream: the generateContent fake of fake-gemini.ts on Vertex's paths
 * (`/v1/projects/{project}/locations/{region}/publishers/google/models/{model}:{method}`),
 * requiring `Authorization: Bearer <token>` with a token it issued, plus Google's OAuth token
 * endpoint (`POST /token`, jwt-bearer grant) that verifies the service account's RS256 JWT
 * against the public key of a key pair generated here.
 *
 *   const v = await startFakeVertex();   // v.credentials: service-account JSON for the adapter
 */
import { createVerify, generateKeyPairSync, randomBytes, type KeyObject } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { RecordedUpstreamCall } from "../conformance/types.js";
import { anthropicErrorBody, anthropicEvents, buildMessage, validateAnthropicRequest, type FakeAnthropicBehavior } from "./fake-anthropic.js";
import { googleError, startFakeGoogle, type FakeGoogle, type ModelRoute } from "./fake-gemini.js";

export const VERTEX_PROJECT = "fake-project";
export const VERTEX_REGION = "europe-west4";
const CLIENT_EMAIL = "switchboard-test@fake-project.iam.gserviceaccount.com";

export interface FakeVertex extends FakeGoogle {
  /** Service-account JSON (with the private key of the pair the token endpoint verifies). */
  credentials: Record<string, string>;
  tokenUrl: string;
  /** Calls to the token endpoint (kept apart from `calls`, which are model calls). */
  tokenCalls: Array<{ form: Record<string, string>; error?: string }>;
  /** Tokens issued so far. */
  issued: string[];
  /** Makes the next token request fail with this OAuth error body. */
  failNextToken(status: number, error: string, description: string): void;
  /** Calls to Claude models (`publishers/anthropic/models/…:rawPredict` / `:streamRawPredict`). */
  claudeCalls: RecordedUpstreamCall[];
  /** The next Claude call's behaviour (as the Anthropic fake's). */
  enqueueClaude(b: FakeAnthropicBehavior): void;
}

export async function startFakeVertex(): Promise<FakeVertex> {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const issued: string[] = [];
  const tokenCalls: FakeVertex["tokenCalls"] = [];
  let failure: { status: number; error: string; description: string } | null = null;
  let tokenUrl = "";

  const oauthError = (res: ServerResponse, status: number, error: string, description: string) => {
    const text = JSON.stringify({ error, error_description: description });
    res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text) });
    res.end(text);
    return error;
  };

  function token(req: IncomingMessage, res: ServerResponse, raw: string): boolean {
    if (req.method !== "POST" || req.url !== "/token") return false;
    const form = Object.fromEntries(new URLSearchParams(raw));
    const call: FakeVertex["tokenCalls"][number] = { form };
    tokenCalls.push(call);
    if (failure) {
      const f = failure;
      failure = null;
      call.error = oauthError(res, f.status, f.error, f.description);
      return true;
    }
    if (!String(req.headers["content-type"] ?? "").startsWith("application/x-www-form-urlencoded")) {
      call.error = oauthError(res, 400, "invalid_request", "Content-Type must be application/x-www-form-urlencoded");
    } else if (form.grant_type !== "urn:ietf:params:oauth:grant-type:jwt-bearer") {
      call.error = oauthError(res, 400, "unsupported_grant_type", "Invalid grant_type: " + form.grant_type);
    } else {
      const why = checkJwt(form.assertion ?? "", publicKey, tokenUrl);
      if (why) call.error = oauthError(res, 400, "invalid_grant", why);
      else {
        const access = `ya29.fake-${randomBytes(12).toString("hex")}`;
        issued.push(access);
        const text = JSON.stringify({ access_token: access, expires_in: 3599, token_type: "Bearer" });
        res.writeHead(200, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text) });
        res.end(text);
      }
    }
    return true;
  }

  const claudeCalls: RecordedUpstreamCall[] = [];
  const claudeQueue: FakeAnthropicBehavior[] = [];
  const claudePrefix = `/v1/projects/${VERTEX_PROJECT}/locations/${VERTEX_REGION}/publishers/anthropic/models/`;

  const json = (res: ServerResponse, status: number, body: unknown) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
    res.end(text);
  };

  /** Claude on Vertex: Anthropic's Messages body with anthropic_version "vertex-2023-10-16" and no model; Anthropic's answers. */
  function claude(req: IncomingMessage, res: ServerResponse, raw: string): boolean {
    const path = (req.url ?? "").split("?")[0];
    if (req.method !== "POST" || !path.startsWith(claudePrefix)) return false;
    const m = /^([^/:]+):(rawPredict|streamRawPredict)$/.exec(path.slice(claudePrefix.length));
    let body: any;
    try {
      body = JSON.parse(raw);
    } catch {
      body = raw;
    }
    claudeCalls.push({ method: req.method, path: req.url ?? "", headers: req.headers, body });
    if (!m) return (json(res, 404, googleError(404, `The requested URL ${path} was not found on this server.`)), true);
    const bearer = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ""))?.[1];
    if (!bearer || !issued.includes(bearer)) return (json(res, 401, googleError(401, "Request had invalid authentication credentials.")), true);
    if (typeof body !== "object" || body === null || body.anthropic_version !== "vertex-2023-10-16") return (json(res, 400, anthropicErrorBody(400, "anthropic_version: Field required")), true);
    if ("model" in body) return (json(res, 400, anthropicErrorBody(400, "model: Extra inputs are not permitted")), true);
    const { anthropic_version: _v, anthropic_beta: _b, ...messages } = body;
    const model = decodeURIComponent(m[1]);
    const problem = validateAnthropicRequest({ ...messages, model });
    if (problem) return (json(res, 400, anthropicErrorBody(400, problem)), true);
    const b = claudeQueue.shift() ?? {};
    if (b.error) return (json(res, b.error.status, anthropicErrorBody(b.error.status, b.error.message)), true);
    if (m[2] === "rawPredict") return (json(res, 200, b.message ?? buildMessage({ ...messages, model }, b)), true);
    const events = b.events ?? anthropicEvents(buildMessage({ ...messages, model }, b), b);
    res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8" });
    res.end(events.map(([name, data]) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`).join(""));
    return true;
  }

  const prefix = `/v1/projects/${VERTEX_PROJECT}/locations/${VERTEX_REGION}/publishers/google/models/`;
  const fake = await startFakeGoogle({
    route(path): ModelRoute | null {
      if (!path.startsWith(prefix)) return null;
      const m = /^([^/:]+):(generateContent|streamGenerateContent|predict)$/.exec(path.slice(prefix.length));
      return m ? { model: decodeURIComponent(m[1]), method: m[2] as ModelRoute["method"] } : null;
    },
    authorize(req) {
      const auth = String(req.headers.authorization ?? "");
      const bearer = /^Bearer (.+)$/.exec(auth)?.[1];
      if (!bearer || !issued.includes(bearer) || req.headers["x-goog-api-key"] !== undefined) {
        return {
          status: 401,
          body: googleError(
            401,
            "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.",
            [{ "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason: "ACCESS_TOKEN_TYPE_UNSUPPORTED", domain: "googleapis.com" }],
          ),
        };
      }
      return null;
    },
    other: (req, res, raw) => token(req, res, raw) || claude(req, res, raw),
  });
  tokenUrl = `${fake.url}/token`;

  const credentials = {
    type: "service_account",
    project_id: VERTEX_PROJECT,
    private_key_id: "fakekeyid0123",
    private_key: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    client_email: CLIENT_EMAIL,
    client_id: "100000000000000000001",
    token_uri: "https://oauth2.googleapis.com/token",
  };
  return {
    ...fake,
    calls: fake.calls,
    credentials,
    tokenUrl,
    tokenCalls,
    issued,
    failNextToken(status, error, description) {
      failure = { status, error, description };
    },
    claudeCalls,
    enqueueClaude: (b) => void claudeQueue.push(b),
    reset() {
      fake.reset();
      tokenCalls.length = 0;
      claudeCalls.length = 0;
      claudeQueue.length = 0;
    },
  };
}

/** Checks a jwt-bearer assertion as Google does; returns why it is rejected, or null. */
function checkJwt(jwt: string, publicKey: KeyObject, audience: string): string | null {
  const [h, c, sig] = jwt.split(".");
  if (!h || !c || !sig) return "Invalid JWT: Token must be a short-lived token and in a reasonable timeframe";
  let header: any;
  let claims: any;
  try {
    header = JSON.parse(Buffer.from(h, "base64url").toString("utf8"));
    claims = JSON.parse(Buffer.from(c, "base64url").toString("utf8"));
  } catch {
    return "Invalid JWT: not base64url JSON";
  }
  if (header.alg !== "RS256") return "Invalid JWT: alg must be RS256";
  if (!createVerify("RSA-SHA256").update(`${h}.${c}`).verify(publicKey, Buffer.from(sig, "base64url"))) return "Invalid JWT Signature.";
  if (claims.iss !== CLIENT_EMAIL) return "Invalid JWT: iss is not the service account";
  if (claims.aud !== audience) return `Invalid JWT: aud must be ${audience}`;
  if (
    !String(claims.scope ?? "")
      .split(" ")
      .includes("https://www.googleapis.com/auth/cloud-platform")
  )
    return "Invalid JWT: scope";
  const now = Math.floor(Date.now() / 1000);
  if (typeof claims.iat !== "number" || typeof claims.exp !== "number" || claims.exp <= now || claims.iat > now + 60 || claims.exp - claims.iat > 3600) {
    return "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.";
  }
  return null;
}
