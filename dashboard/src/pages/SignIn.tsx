/** Sign-in with the gateway's master key. */
import { useState, type FormEvent } from "react";
import { useSession } from "../session";

export function SignIn() {
  const session = useSession();
  const [key, setKey] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await session.signIn(key);
      setKey("");
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main className="signin">
      <form onSubmit={(e) => void submit(e)} aria-labelledby="signin-title">
        <h1 id="signin-title">Switchboard</h1>
        <p className="hint">Sign in with the gateway&apos;s master key.</p>
        <label htmlFor="master-key">Master key</label>
        <input id="master-key" type="password" autoComplete="current-password" required autoFocus value={key} onChange={(e) => setKey(e.target.value)} />
        {error ? (
          <p className="error" role="alert">
            {error}
          </p>
        ) : null}
        <button type="submit" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
      </form>
    </main>
  );
}
