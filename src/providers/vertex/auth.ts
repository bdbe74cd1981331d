/**
 * Google OAuth for Vertex AI without Google's SDK: a service account signs a JWT (RS256) and
 * exchanges it at its token_uri for an access token (RFC 7523 jwt-bearer grant); gcloud's
 * "authorized_user" credentials exchange their refresh token instead. Tokens are cached until
 * a minute before they expire, and concurrent callers share one refresh.
 */
import { createSign } from "node:crypto";
import { readFileSync } from "node:fs";
import type * as Undici from "undici";
import { GatewayError } from "../../core/errors.js";
import { lazyPackage } from "../../core/lazy.js";

/** undici, loaded for the first token exchange. */
const undici = lazyPackage<typeof Undici>("undici");

export const CLOUD_PLATFORM_SCOPE = "https://www.googleapis.com/auth/cloud-platform";
export const GOOGLE_TOKEN_URL = "https://oauth2.googleapis.com/token";
const REFRESH_MARGIN_MS = 60_000;
const TOKEN_TIMEOUT_MS = 10_000;

export interface GoogleCredentials {
  type?: string;
  project_id?: string;
  client_email?: string;
  private_key?: string;
  private_key_id?: string;
  token_uri?: string;
  client_id?: string;
  client_secret?: string;
  refresh_token?: string;
}

/** `credentials` (JSON text or object) or `credentials_file` (path) from a provider's settings; throws a readable Error. */
export function loadCredentials(extra: Record<string, unknown>, id: string): GoogleCredentials {
  let raw: unknown = extra.credentials;
  if (raw === undefined && typeof extra.credentials_file === "string") {
    try {
      raw = readFileSync(extra.credentials_file, "utf8");
    } catch (e) {
      throw new Error(`provider '${id}': cannot read credentials_file ${extra.credentials_file}: ${(e as Error).message}`);
    }
  }
  if (raw === undefined) throw new Error(`provider '${id}': vertex needs 'credentials' (service-account JSON) or 'credentials_file'`);
  let creds: unknown = raw;
  if (typeof raw === "string") {
    try {
      creds = JSON.parse(raw);
    } catch {
      throw new Error(`provider '${id}': vertex credentials are not valid JSON`);
    }
  }
  const c = creds as GoogleCredentials;
  if (!c || typeof c !== "object") throw new Error(`provider '${id}': vertex credentials must be a JSON object`);
  const serviceAccount = typeof c.client_email === "string" && typeof c.private_key === "string";
  const user = typeof c.refresh_token === "string" && typeof c.client_id === "string" && typeof c.client_secret === "string";
  if (!serviceAccount && !user) {
    throw new Error(`provider '${id}': vertex credentials need client_email and private_key (service account) or client_id, client_secret and refresh_token (authorized user)`);
  }
  return c;
}

const b64url = (s: string | Buffer) => Buffer.from(s).toString("base64url");

/** The signed assertion of the jwt-bearer grant. */
export function signServiceAccountJwt(c: GoogleCredentials, audience: string, nowSeconds: number): string {
  const header = { alg: "RS256", typ: "JWT", ...(c.private_key_id ? { kid: c.private_key_id } : {}) };
  const claims = { iss: c.client_email, scope: CLOUD_PLATFORM_SCOPE, aud: audience, iat: nowSeconds, exp: nowSeconds + 3600 };
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  const signature = createSign("RSA-SHA256").update(input).sign(c.private_key!);
  return `${input}.${b64url(signature)}`;
}

export class GoogleTokenSource {
  private token: { value: string; expiresAt: number } | null = null;
  private pending: Promise<string> | null = null;
  readonly tokenUrl: string;

  constructor(
    private readonly creds: GoogleCredentials,
    tokenUrl?: string,
    private readonly now: () => number = Date.now,
  ) {
    this.tokenUrl = tokenUrl ?? creds.token_uri ?? GOOGLE_TOKEN_URL;
  }

  /** A valid access token, fetched when none is cached or the cached one expires within a minute. */
  async get(): Promise<string> {
    if (this.token && this.now() < this.token.expiresAt - REFRESH_MARGIN_MS) return this.token.value;
    this.pending ??= this.fetch().finally(() => {
      this.pending = null;
    });
    return this.pending;
  }

  private async fetch(): Promise<string> {
    const form = new URLSearchParams();
    if (this.creds.private_key) {
      form.set("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer");
      form.set("assertion", signServiceAccountJwt(this.creds, this.tokenUrl, Math.floor(this.now() / 1000)));
    } else {
      form.set("grant_type", "refresh_token");
      form.set("client_id", this.creds.client_id!);
      form.set("client_secret", this.creds.client_secret!);
      form.set("refresh_token", this.creds.refresh_token!);
    }
    let status: number;
    let text: string;
    try {
      const res = await undici().request(this.tokenUrl, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: form.toString(),
        headersTimeout: TOKEN_TIMEOUT_MS,
        bodyTimeout: TOKEN_TIMEOUT_MS,
      });
      status = res.statusCode;
      text = await res.body.text();
    } catch (e) {
      throw new GatewayError("upstream_error", `vertex could not reach the Google token endpoint: ${(e as Error).message}`, { cause: e });
    }
    let body: { access_token?: string; expires_in?: number; error?: string; error_description?: string } = {};
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      /* reported below */
    }
    if (status >= 500 || status === 429) {
      throw new GatewayError("upstream_error", `the Google token endpoint answered HTTP ${status}`, { upstreamStatus: status });
    }
    if (status >= 300 || typeof body.access_token !== "string") {
      const why = body.error ? `${body.error}${body.error_description ? `: ${body.error_description}` : ""}` : `HTTP ${status}`;
      throw new GatewayError("upstream_auth_error", `vertex could not get an access token (${why})`, { upstreamStatus: status });
    }
    const ttl = typeof body.expires_in === "number" ? body.expires_in : 3600;
    this.token = { value: body.access_token, expiresAt: this.now() + ttl * 1000 };
    return body.access_token;
  }
}
