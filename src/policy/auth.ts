/**
 * Authentication of inference requests. Accepted headers: `Authorization: Bearer <key>`,
 * `x-api-key: <key>`, `AnyLLM-Key` / `X-AnyLLM-Key: Bearer <key>`.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { GatewayError } from "../core/errors.js";

export interface Principal {
  kind: "master";
  keyId: string | null;
  userId: string | null;
}

export function presentedKey(headers: IncomingHttpHeaders): string | undefined {
  const bearer = (v: string | string[] | undefined) => {
    const s = Array.isArray(v) ? v[0] : v;
    if (!s) return undefined;
    const m = /^\s*Bearer\s+(.+?)\s*$/i.exec(s);
    return m ? m[1] : undefined;
  };
  const xApiKey = headers["x-api-key"];
  return (
    bearer(headers.authorization) ??
    (typeof xApiKey === "string" && xApiKey.trim() ? xApiKey.trim() : undefined) ??
    bearer(headers["anyllm-key"]) ??
    bearer(headers["x-anyllm-key"])
  );
}

function digest(s: string): Buffer {
  return createHash("sha256").update(s).digest();
}

export class Authenticator {
  private readonly masterDigest: Buffer;

  constructor(masterKey: string) {
    this.masterDigest = digest(masterKey);
  }

  /** Constant-time comparison of fixed-length digests, so timing reveals nothing about the key. */
  isMasterKey(key: string): boolean {
    return timingSafeEqual(digest(key), this.masterDigest);
  }

  authenticate(headers: IncomingHttpHeaders, bodyUser: unknown): Principal {
    const key = presentedKey(headers);
    if (!key) throw new GatewayError("invalid_api_key", "missing API key: send 'Authorization: Bearer <key>' or 'x-api-key'");
    if (this.isMasterKey(key)) {
      return { kind: "master", keyId: null, userId: typeof bodyUser === "string" && bodyUser ? bodyUser : null };
    }
    throw new GatewayError("invalid_api_key", "invalid API key");
  }
}
