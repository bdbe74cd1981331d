/**
 * How the gateway authenticates to Bedrock: a Bedrock API key (`Authorization: Bearer <key>`,
 * the key AWS documents as AWS_BEARER_TOKEN_BEDROCK) when one is configured, else AWS Signature
 * Version 4 with the configured access key (service "bedrock", the configured region), computed
 * over the final URL, headers and body just before the request is sent.
 */
import { AwsV4Signer } from "aws4fetch";
import { GatewayError } from "../../core/errors.js";
import type { ProviderSettings } from "../../config/types.js";
import type { SignableRequest } from "../types.js";
import { DEFAULT_REGION, SIGNING_SERVICE } from "./native.js";

export interface BedrockAuth {
  region: string;
  apiKey?: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  sessionToken?: string;
}

const text = (v: unknown): string | undefined => (typeof v === "string" && v.trim() !== "" ? v.trim() : undefined);

/** Reads `api_key` and `extra.{region, access_key_id, secret_access_key, session_token}`. */
export function authFromSettings(s: ProviderSettings): BedrockAuth {
  const e = s.extra;
  const auth: BedrockAuth = { region: text(e.region) ?? DEFAULT_REGION };
  const apiKey = text(s.apiKey);
  if (apiKey) auth.apiKey = apiKey;
  const accessKeyId = text(e.access_key_id);
  const secretAccessKey = text(e.secret_access_key);
  const sessionToken = text(e.session_token);
  if (accessKeyId) auth.accessKeyId = accessKeyId;
  if (secretAccessKey) auth.secretAccessKey = secretAccessKey;
  if (sessionToken) auth.sessionToken = sessionToken;
  return auth;
}

export function secretsOf(a: BedrockAuth): string[] {
  return [a.apiKey, a.secretAccessKey, a.sessionToken, a.accessKeyId].filter((v): v is string => !!v);
}

function setHeader(headers: Record<string, string>, name: string, value: string): void {
  for (const k of Object.keys(headers)) if (k.toLowerCase() === name) delete headers[k];
  headers[name] = value;
}

/** The WireAdapter `authorize` hook for these credentials. */
export function authorizer(provider: string, a: BedrockAuth): (req: SignableRequest) => Promise<void> {
  const cache = new Map<string, ArrayBuffer>();
  return async (req) => {
    if (a.apiKey) {
      setHeader(req.headers, "authorization", `Bearer ${a.apiKey}`);
      return;
    }
    if (!a.accessKeyId || !a.secretAccessKey) {
      throw new GatewayError("upstream_auth_error", `provider ${provider} has no Bedrock credentials: set access_key_id and secret_access_key (or api_key for a Bedrock API key)`);
    }
    const signer = new AwsV4Signer({
      method: req.method,
      url: req.url,
      headers: req.headers,
      body: req.body ?? "",
      accessKeyId: a.accessKeyId,
      secretAccessKey: a.secretAccessKey,
      sessionToken: a.sessionToken,
      service: SIGNING_SERVICE,
      region: a.region,
      cache,
    });
    const signed = await signer.sign();
    signed.headers.forEach((value, name) => {
      if (name === "authorization" || name.startsWith("x-amz-")) setHeader(req.headers, name, value);
    });
  };
}
