/**
 * The playground's own virtual key: made through the management API on first use (valid one
 * hour, named "dashboard playground"), kept in this page's memory only, and revoked at sign-out.
 * Its requests go through keys, limits, budgets and the ledger like any client's.
 */
import { api, beforeSignOut } from "./api";

const LIFETIME_MS = 3600_000;
let current: { id: string; key: string; expires: number } | null = null;

export async function playgroundKey(): Promise<string> {
  if (current && current.expires - Date.now() > 60_000) return current.key;
  const expires = Date.now() + LIFETIME_MS;
  const made = await api<{ id: string; key: string }>("POST", "/v1/keys", {
    key_name: "dashboard playground",
    expires_at: new Date(expires).toISOString(),
    metadata: { created_by: "dashboard playground" },
  });
  current = { id: made.id, key: made.key, expires };
  return made.key;
}

beforeSignOut(async () => {
  if (!current) return;
  const id = current.id;
  current = null;
  await api("DELETE", `/v1/keys/${encodeURIComponent(id)}`);
});
