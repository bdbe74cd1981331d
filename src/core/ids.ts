import { randomBytes } from "node:crypto";

const ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz";

/** Random lowercase alphanumeric id of `length` characters (uniform: 36^n via rejection-free 8-bit mod on a 252 cut). */
export function randomId(length: number): string {
  let out = "";
  while (out.length < length) {
    const bytes = randomBytes(length * 2);
    for (let i = 0; i < bytes.length && out.length < length; i++) {
      const b = bytes[i];
      if (b < 252) out += ALPHABET[b % 36];
    }
  }
  return out;
}

let counter = 0;
const prefix = randomId(8);

/** Request ids are cheap on the hot path: a per-process random prefix, a time part and a counter. */
export function newRequestId(): string {
  counter = (counter + 1) % 0x100000000;
  return `req_${prefix}${Date.now().toString(36)}${counter.toString(36).padStart(4, "0")}`;
}

/** A client-provided request id is accepted when it is short and printable. */
export function acceptableRequestId(id: string | undefined | null): id is string {
  return !!id && id.length <= 128 && /^[\x21-\x7e]+$/.test(id);
}
