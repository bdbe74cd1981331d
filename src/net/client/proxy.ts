/**
 * Which egress proxy, if any, an upstream origin is reached through: HTTPS_PROXY for https
 * origins, HTTP_PROXY for http ones, unless NO_PROXY names the host. The variables are read by
 * src/config/ and arrive here as ProxySettings.
 *
 * NO_PROXY is a list separated by commas or spaces; an entry is a host name (which covers its
 * subdomains, with or without a leading "." or "*."), an IP address, or either with ":port" (then
 * only that port); "*" alone means no proxy for any host. These are the rules curl and undici follow.
 */
import type { ProxySettings } from "./transport.js";

/** The proxy URL for `origin`, or undefined to connect directly. */
export function proxyFor(p: ProxySettings, origin: URL): string | undefined {
  const proxy = origin.protocol === "https:" ? p.httpsProxy : p.httpProxy;
  if (!proxy) return undefined;
  return bypassed(p.noProxy ?? "", origin) ? undefined : proxy;
}

function bypassed(noProxy: string, origin: URL): boolean {
  const host = unbracket(origin.hostname).toLowerCase();
  const port = origin.port ? Number(origin.port) : origin.protocol === "https:" ? 443 : 80;
  for (const entry of noProxy.split(/[,\s]+/)) {
    if (!entry) continue;
    if (entry === "*") return true;
    const [rawName, rawPort] = splitEntry(entry);
    if (rawPort !== undefined && Number(rawPort) !== port) continue;
    const name = rawName.replace(/^\*?\./, "").toLowerCase();
    if (name && (host === name || host.endsWith("." + name))) return true;
  }
  return false;
}

/** "host", "host:port", "[v6]", "[v6]:port" or a bare IPv6 address → name and port. */
function splitEntry(entry: string): [string, string | undefined] {
  if (entry.startsWith("[")) {
    const close = entry.indexOf("]");
    if (close < 0) return [entry, undefined];
    const rest = entry.slice(close + 1);
    return [entry.slice(1, close), rest.startsWith(":") ? rest.slice(1) : undefined];
  }
  const colon = entry.indexOf(":");
  if (colon < 0 || colon !== entry.lastIndexOf(":")) return [entry, undefined];
  return [entry.slice(0, colon), entry.slice(colon + 1)];
}

function unbracket(h: string): string {
  return h.startsWith("[") && h.endsWith("]") ? h.slice(1, -1) : h;
}
