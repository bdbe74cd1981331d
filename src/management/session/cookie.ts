/** The `sb_session` cookie: read from a request's Cookie header, written with its attributes. */
import { ABSOLUTE_MS } from "./sessions.js";

export const SESSION_COOKIE = "sb_session";

/** The value of `sb_session` in a Cookie header (the first one), or undefined. */
export function sessionCookie(header: string | undefined): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === SESSION_COOKIE) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * Whether the browser reached the gateway over TLS: the request's own scheme, or the
 * `x-forwarded-proto` a TLS-terminating proxy in front of it sets. (A client that forges the
 * header only makes its own browser keep the cookie off plain HTTP.)
 */
export function overTls(url: string, forwardedProto: string | undefined): boolean {
  if (new URL(url).protocol === "https:") return true;
  return forwardedProto?.split(",")[0]?.trim().toLowerCase() === "https";
}

/** Set-Cookie for a new session: HttpOnly, SameSite=Strict, Path=/, Secure over TLS; Max-Age = the absolute lifetime. */
export function setSessionCookie(id: string, secure: boolean): string {
  return `${SESSION_COOKIE}=${id}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${ABSOLUTE_MS / 1000}${secure ? "; Secure" : ""}`;
}

/** Set-Cookie that removes the cookie from the browser. */
export function clearSessionCookie(secure: boolean): string {
  return `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0${secure ? "; Secure" : ""}`;
}
