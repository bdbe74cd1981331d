/**
 * Authentication of API requests. Accepted headers: `Authorization: Bearer <key>`,
 * `x-api-key: <key>`, `AnyLLM-Key` / `X-AnyLLM-Key: Bearer <key>`. The master key is compared
 * in constant time; virtual keys are looked up by hash in the in-memory key cache.
 */
import { timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { GatewayError } from "../core/errors.js";
import type { KeyCache, KeyRecord } from "./key-cache.js";
import type { UserCache, UserStanding } from "./user-cache.js";
import { hashKey, KEY_PATTERN } from "./keys.js";
import { denied } from "./permissions.js";
import type { LimitSubject } from "./limit-subjects.js";

export interface Principal {
  kind: "master" | "key";
  keyId: string | null;
  userId: string | null;
  teamId: string | null;
  /** The virtual key's record, for permissions, limits and budgets. */
  key?: KeyRecord;
  /** Rate and concurrency limits that apply (key, user, team); absent or empty when none. */
  limits?: readonly LimitSubject[];
}

export function presentedKey(headers: IncomingHttpHeaders): string | undefined {
  const bearer = (v: string | string[] | undefined) => {
    const s = Array.isArray(v) ? v[0] : v;
    if (!s) return undefined;
    const m = /^\s*Bearer\s+(.+?)\s*$/i.exec(s);
    return m ? m[1] : undefined;
  };
  const xApiKey = headers["x-api-key"];
  return bearer(headers.authorization) ?? (typeof xApiKey === "string" && xApiKey.trim() ? xApiKey.trim() : undefined) ?? bearer(headers["anyllm-key"]) ?? bearer(headers["x-anyllm-key"]);
}

const MAX_USER_ID_LENGTH = 128;

/** One message for every kind of bad key, so a caller learns nothing about which keys exist. */
const INVALID = "invalid API key";

export class Authenticator {
  private readonly master: Buffer;

  constructor(
    masterKey: string,
    private readonly keys?: KeyCache,
    private readonly users?: UserCache,
  ) {
    this.master = Buffer.from(masterKey, "utf8");
  }

  /** Constant-time comparison: timing reveals nothing about the key's content (only whether the length matches). */
  isMasterKey(key: string): boolean {
    if (Buffer.byteLength(key, "utf8") !== this.master.length) return false;
    return timingSafeEqual(Buffer.from(key, "utf8"), this.master);
  }

  /** Resolves the caller. Cached keys answer synchronously; an unseen key costs one lookup. */
  authenticate(headers: IncomingHttpHeaders, remoteIp?: string): Principal | Promise<Principal> {
    const key = presentedKey(headers);
    if (!key) throw new GatewayError("invalid_api_key", "missing API key: send 'Authorization: Bearer <key>' or 'x-api-key'");
    if (this.isMasterKey(key)) return { kind: "master", keyId: null, userId: null, teamId: null };
    if (!this.keys || !KEY_PATTERN.test(key)) throw new GatewayError("invalid_api_key", INVALID);
    const found = this.keys.get(hashKey(key));
    if (found instanceof Promise) return found.then((r) => checkKey(r, remoteIp), lookupFailed);
    return checkKey(found, remoteIp);
  }

  /**
   * A virtual key by its hash, as it stands now: refused (401, 403) as a request with it would be
   * (revoked, expired, blocked), without the address check. For work a key started earlier and
   * the gateway carries on with (the lines of a batch).
   */
  authenticateHash(hash: string): Principal | Promise<Principal> {
    if (!this.keys) throw new GatewayError("invalid_api_key", INVALID);
    const found = this.keys.get(hash);
    if (found instanceof Promise) return found.then((r) => checkKey(r, undefined, false), lookupFailed);
    return checkKey(found, undefined, false);
  }

  /**
   * The master key acting for the user named in a request's `user` field: refused as that user's
   * own keys would be (the user blocked, or their team), and refused for a user that does not
   * exist. The request then counts against the user's and their team's budgets.
   */
  actFor(userId: string): Principal | Promise<Principal> {
    if (!this.users) throw new GatewayError("permission_denied", "the master key cannot act for a user here: this gateway has no user directory");
    // User ids are at most 128 characters: a longer one exists nowhere, and is neither looked up nor remembered.
    if (userId.length > MAX_USER_ID_LENGTH) return actingAs(userId.slice(0, 64) + "…", null);
    const found = this.users.get(userId);
    if (found instanceof Promise) return found.then((s) => actingAs(userId, s), userLookupFailed);
    return actingAs(userId, found);
  }
}

function actingAs(userId: string, s: UserStanding | null): Principal {
  if (!s) throw new GatewayError("invalid_request", `user '${userId}' does not exist: the master key can act only for an existing user`, { param: "user" });
  if (s.blocked) throw denied(`user '${userId}' is blocked`);
  if (s.teamBlocked) throw denied(`the team of user '${userId}' is blocked`);
  return { kind: "master", keyId: null, userId: s.userId, teamId: s.teamId, limits: s.limitSubjects };
}

function userLookupFailed(e: unknown): never {
  throw new GatewayError("not_ready", "cannot verify the request's user right now: the database is unavailable", { cause: e, retryAfterSeconds: 1 });
}

function lookupFailed(e: unknown): never {
  throw new GatewayError("not_ready", "cannot verify the API key right now: the database is unavailable", { cause: e, retryAfterSeconds: 1 });
}

function checkKey(r: KeyRecord | null, remoteIp: string | undefined, checkAddress = true): Principal {
  if (!r || !r.isActive || r.revoked || (r.expiresAt !== null && r.expiresAt <= Date.now())) {
    throw new GatewayError("invalid_api_key", INVALID);
  }
  if (r.userBlocked) throw denied("this key's user is blocked");
  if (r.teamBlocked) throw denied("this key's team is blocked");
  if (checkAddress && r.allowedIps && !r.allowedIps.allows(remoteIp)) throw denied(`requests from ${remoteIp ?? "this address"} are not allowed for this key`);
  return { kind: "key", keyId: r.id, userId: r.userId, teamId: r.teamId, key: r, limits: r.limitSubjects };
}

/** Whether the principal may use the model as requested (alias or provider:model). */
export function authorizeModel(p: Principal, model: string): void {
  const allowed = p.key?.allowedModels;
  if (allowed && !allowed.allows(model)) throw denied(`model '${model}' is not allowed for this key`);
}
