/** Calls to the gateway's public management API with the session cookie (and its CSRF token on changes). */

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code: string | null,
  ) {
    super(message);
  }
}

let csrfToken: string | null = null;
let onSignedOut: () => void = () => {};

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Called when the API answers 401: the session has ended. */
export function whenSignedOut(fn: () => void): void {
  onSignedOut = fn;
}

export function csrfHeader(): Record<string, string> {
  return csrfToken ? { "x-csrf-token": csrfToken } : {};
}

export async function api<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = method === "GET" ? {} : { ...csrfHeader() };
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(path, { method, headers, credentials: "same-origin", body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  const data: unknown = text ? safeJson(text) : null;
  if (!res.ok) {
    const err = (data as { error?: { message?: string; code?: string } } | null)?.error;
    if (res.status === 401 && !path.startsWith("/ui/api/session")) onSignedOut();
    throw new ApiError(res.status, err?.message ?? `${res.status} ${res.statusText}`, err?.code ?? null);
  }
  return data as T;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** A query string from the defined, non-empty values. */
export function query(params: Record<string, string | number | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : "";
}

export interface List<T> {
  object: "list";
  data: T[];
  next_cursor: string | null;
}

const signOutHooks: Array<() => Promise<void>> = [];

/** Work to do before the session ends (e.g. revoking the playground's key). */
export function beforeSignOut(fn: () => Promise<void>): void {
  signOutHooks.push(fn);
}

export async function runSignOutHooks(): Promise<void> {
  await Promise.allSettled(signOutHooks.map((f) => f()));
}
