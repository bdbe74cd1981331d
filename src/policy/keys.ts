/**
 * Virtual keys: `sb-live-<32 base62>` or `sb-test-<32 base62>` (~190 bits of randomness).
 * Only the sha256 of the key is stored, with a short prefix for display; the plaintext is
 * shown once, when the key is created or rotated.
 */
import { hash, randomBytes } from "node:crypto";

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const SECRET_LENGTH = 32;
export const KEY_PATTERN = /^sb-(live|test)-[0-9A-Za-z]{32}$/;

export type KeyEnvironment = "live" | "test";

function base62(length: number): string {
  let out = "";
  while (out.length < length) {
    for (const b of randomBytes(length * 2)) {
      if (b < 248 && out.length < length) out += BASE62[b % 62];
    }
  }
  return out;
}

export interface NewKey {
  key: string;
  hash: string;
  prefix: string;
}

export function generateKey(env: KeyEnvironment = "live"): NewKey {
  const key = `sb-${env}-${base62(SECRET_LENGTH)}`;
  return { key, hash: hashKey(key), prefix: key.slice(0, 12) };
}

/** sha256, hex. One-shot `crypto.hash` (Node ≥ 20.12): no Hash object per authenticated request. */
export function hashKey(key: string): string {
  return hash("sha256", key, "hex");
}

/** What listings show: the prefix and the last four characters are never both enough to use it. */
export function maskKey(prefix: string): string {
  return `${prefix}…`;
}

export function newKeyId(): string {
  return `key_${base62(20)}`;
}
