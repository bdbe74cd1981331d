/** What a key may do: model globs and client IP ranges (IPv4 and IPv6 CIDR). */
import { BlockList, isIP } from "node:net";
import { GatewayError } from "../core/errors.js";

/** `provider:model` and `provider/model` are the same model: the first separator is normalised. */
function normaliseModel(name: string): string {
  return name.replace(/[:/]/, ":");
}

function globToRegExp(glob: string): RegExp {
  const escaped = normaliseModel(glob)
    .replace(/[.+?^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*");
  return new RegExp(`^${escaped}$`);
}

export class ModelAllowList {
  private readonly patterns: RegExp[];
  constructor(globs: readonly string[]) {
    this.patterns = globs.map(globToRegExp);
  }
  allows(model: string): boolean {
    const m = normaliseModel(model);
    return this.patterns.some((p) => p.test(m));
  }
}

/** Validates a model glob list as given to the API. */
export function checkModelGlobs(globs: readonly string[]): string | null {
  for (const g of globs) if (!g.trim()) return "allowed_models entries must be non-empty";
  return null;
}

function splitCidr(entry: string): { address: string; prefix: number; family: "ipv4" | "ipv6" } | null {
  const [address, bits] = entry.trim().split("/");
  const v = isIP(address ?? "");
  if (!v) return null;
  const family = v === 4 ? "ipv4" : "ipv6";
  const max = v === 4 ? 32 : 128;
  const prefix = bits === undefined ? max : Number(bits);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > max || (bits !== undefined && !/^\d+$/.test(bits))) return null;
  return { address: address, prefix, family };
}

/** Validates a CIDR list as given to the API; returns the first bad entry's message or null. */
export function checkCidrs(entries: readonly string[]): string | null {
  for (const e of entries) if (!splitCidr(e)) return `'${e}' is not an IPv4 or IPv6 address or CIDR range`;
  return null;
}

export class IpAllowList {
  private readonly list = new BlockList();
  constructor(entries: readonly string[]) {
    for (const e of entries) {
      const c = splitCidr(e);
      if (c) this.list.addSubnet(c.address, c.prefix, c.family);
    }
  }
  allows(ip: string | undefined): boolean {
    if (!ip) return false;
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
    const addr = mapped ? mapped[1] : ip;
    const v = isIP(addr);
    if (!v) return false;
    return this.list.check(addr, v === 4 ? "ipv4" : "ipv6");
  }
}

export function denied(message: string): GatewayError {
  return new GatewayError("permission_denied", message);
}
