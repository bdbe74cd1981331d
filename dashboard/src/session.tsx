/** The dashboard session: signed in or not, sign-in with the master key, sign-out. */
import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from "react";
import { api, runSignOutHooks, setCsrfToken, whenSignedOut } from "./api";

interface SessionInfo {
  signed_in: boolean;
  csrf_token?: string;
  expires_at?: string;
}

interface SessionState {
  status: "loading" | "signed-out" | "signed-in";
  expiresAt: string | null;
  signIn(masterKey: string): Promise<void>;
  signOut(): Promise<void>;
}

const Ctx = createContext<SessionState | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [status, setStatus] = useState<SessionState["status"]>("loading");
  const [expiresAt, setExpiresAt] = useState<string | null>(null);

  const refresh = useCallback(async () => {
    const s = await api<SessionInfo>("GET", "/ui/api/session");
    setCsrfToken(s.signed_in ? (s.csrf_token ?? null) : null);
    setExpiresAt(s.expires_at ?? null);
    setStatus(s.signed_in ? "signed-in" : "signed-out");
  }, []);

  useEffect(() => {
    whenSignedOut(() => {
      setCsrfToken(null);
      setStatus("signed-out");
    });
    refresh().catch(() => setStatus("signed-out"));
  }, [refresh]);

  const signIn = useCallback(
    async (masterKey: string) => {
      await api("POST", "/ui/api/session", { master_key: masterKey });
      await refresh();
    },
    [refresh],
  );

  const signOut = useCallback(async () => {
    await runSignOutHooks();
    await api("DELETE", "/ui/api/session");
    setCsrfToken(null);
    setStatus("signed-out");
  }, []);

  return <Ctx.Provider value={{ status, expiresAt, signIn, signOut }}>{children}</Ctx.Provider>;
}

export function useSession(): SessionState {
  const s = useContext(Ctx);
  if (!s) throw new Error("useSession outside SessionProvider");
  return s;
}
