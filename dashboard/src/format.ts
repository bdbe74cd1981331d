/** Display formats: money, durations, times, numbers. */

export function usd(v: string | number | null | undefined): string {
  if (v === null || v === undefined) return "—";
  const n = Number(v);
  if (n === 0) return "$0";
  return n < 0.01 ? `$${n.toFixed(6)}` : `$${n.toFixed(n < 100 ? 4 : 2)}`;
}

export function ms(v: number | null | undefined): string {
  if (v === null || v === undefined) return "—";
  return v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${v.toFixed(v < 10 ? 1 : 0)} ms`;
}

export function when(iso: string | null | undefined): string {
  if (!iso) return "—";
  const d = new Date(iso);
  return d.toISOString().replace("T", " ").slice(0, 19) + " UTC";
}

/** A time in a table whose header says "(UTC)": "2026-12-06 12:29:45". */
export function stamp(iso: string | null | undefined): string {
  return iso ? new Date(iso).toISOString().replace("T", " ").slice(0, 19) : "—";
}

export function num(v: number | null | undefined): string {
  return v === null || v === undefined ? "—" : v.toLocaleString("en-US");
}

export function pct(v: number): string {
  return `${(v * 100).toFixed(1)} %`;
}

/** "" → null; otherwise the number (NaN stays NaN for the API to refuse). */
export function numberOrNull(s: string): number | null {
  return s.trim() === "" ? null : Number(s);
}

export function listOrNull(s: string): string[] | null {
  const items = s
    .split(",")
    .map((x) => x.trim())
    .filter(Boolean);
  return items.length ? items : null;
}

/** An ISO time as a datetime-local input's value, in UTC ("2027-01-31T12:00"); "" for null. */
export function toUtcInput(iso: string | null): string {
  return iso ? new Date(iso).toISOString().slice(0, 16) : "";
}

/** A datetime-local input's value read as UTC, as ISO 8601; null for "". */
export function fromUtcInput(v: string): string | null {
  if (v.trim() === "") return null;
  const d = new Date(`${v}Z`);
  return Number.isNaN(d.getTime()) ? v : d.toISOString();
}

/** A list filter's `from` and `to` (datetime-local values, read as UTC) as the API's ISO 8601 parameters. */
export function utcRange<T extends { from: string; to: string }>(f: T): Omit<T, "from" | "to"> & { from: string | null; to: string | null } {
  return { ...f, from: fromUtcInput(f.from), to: fromUtcInput(f.to) };
}
