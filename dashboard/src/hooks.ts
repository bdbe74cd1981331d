/** Loading data from the API into a component. */
import { useCallback, useEffect, useState } from "react";
import { api } from "./api";

export interface Loaded<T> {
  data: T | null;
  error: string | null;
  loading: boolean;
  reload: () => void;
}

/** GETs `path` (again when it changes or on reload); null path = nothing to load. */
export function useGet<T>(path: string | null): Loaded<T> {
  const [state, setState] = useState<{ data: T | null; error: string | null; loading: boolean }>({ data: null, error: null, loading: path !== null });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    if (path === null) return;
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    api<T>("GET", path).then(
      (data) => live && setState({ data, error: null, loading: false }),
      (e: Error) => live && setState({ data: null, error: e.message, loading: false }),
    );
    return () => {
      live = false;
    };
  }, [path, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, reload };
}

/** Runs an action, keeping its error message for display. */
export function useAction(): { run: (fn: () => Promise<void>) => Promise<boolean>; error: string | null; busy: boolean; clear(): void } {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const run = useCallback(async (fn: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await fn();
      return true;
    } catch (e) {
      setError((e as Error).message);
      return false;
    } finally {
      setBusy(false);
    }
  }, []);
  return { run, error, busy, clear: () => setError(null) };
}

/**
 * A form's text fields: their values, `set(name)` to use as an input's onChange, and `reset` to
 * replace them all (after a create, say).
 */
export function useFields<F extends Record<string, string>>(initial: F | (() => F)) {
  const [values, reset] = useState<F>(initial);
  const set = (k: keyof F) => (e: { target: { value: string } }) => reset((v) => ({ ...v, [k]: e.target.value }));
  return [values, set, reset] as const;
}
