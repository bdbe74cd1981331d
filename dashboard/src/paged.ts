/** A paginated list from the management API: the first page, then "load more" by cursor. */
import { useCallback, useEffect, useState } from "react";
import { api, type List } from "./api";

export interface Paged<T> {
  items: T[];
  error: string | null;
  loading: boolean;
  hasMore: boolean;
  more: () => void;
  reload: () => void;
}

export function usePaged<T>(path: string, limit = 50): Paged<T> {
  const [items, setItems] = useState<T[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const sep = path.includes("?") ? "&" : "?";
  useEffect(() => {
    let live = true;
    setLoading(true);
    api<List<T>>("GET", `${path}${sep}limit=${limit}`).then(
      (r) => {
        if (!live) return;
        setItems(r.data);
        setCursor(r.next_cursor);
        setError(null);
        setLoading(false);
      },
      (e: Error) => live && (setError(e.message), setLoading(false)),
    );
    return () => {
      live = false;
    };
  }, [path, sep, limit, tick]);
  const more = useCallback(() => {
    if (!cursor) return;
    api<List<T>>("GET", `${path}${sep}limit=${limit}&cursor=${encodeURIComponent(cursor)}`).then(
      (r) => {
        setItems((xs) => [...xs, ...r.data]);
        setCursor(r.next_cursor);
      },
      (e: Error) => setError(e.message),
    );
  }, [cursor, path, sep, limit]);
  return { items, error, loading, hasMore: cursor !== null, more, reload: useCallback(() => setTick((t) => t + 1), []) };
}
