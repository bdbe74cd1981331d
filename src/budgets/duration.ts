/**
 * Budget periods: `budget_duration_sec`, or `budget_duration` as "30m", "12h", "1d", "7d", "1w",
 * "1mo", "3mo", "1y". Calendar months are added as months (Jan 31 + 1mo = Feb 28/29), not days.
 */
import { GatewayError } from "../core/errors.js";

export interface Duration {
  seconds: number | null;
  months: number | null;
}

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

export function parseDuration(text: string): Duration {
  const m = /^\s*(\d+)\s*(s|m|h|d|w|mo|y)\s*$/.exec(text);
  if (!m || Number(m[1]) <= 0) {
    throw new GatewayError("invalid_request", `budget_duration '${text}' is not a duration like 30m, 12h, 1d, 7d, 1mo or 1y`, { param: "budget_duration" });
  }
  const n = Number(m[1]);
  if (m[2] === "mo") return { seconds: null, months: n };
  if (m[2] === "y") return { seconds: null, months: n * 12 };
  return { seconds: n * UNITS[m[2]], months: null };
}

export function formatDuration(d: Duration): string | null {
  if (d.months) return d.months % 12 === 0 ? `${d.months / 12}y` : `${d.months}mo`;
  if (!d.seconds) return null;
  for (const [unit, s] of [
    ["w", 604800],
    ["d", 86400],
    ["h", 3600],
    ["m", 60],
  ] as const)
    if (d.seconds % s === 0) return `${d.seconds / s}${unit}`;
  return `${d.seconds}s`;
}

function addMonths(d: Date, months: number): Date {
  const out = new Date(d.getTime());
  const day = out.getUTCDate();
  out.setUTCDate(1);
  out.setUTCMonth(out.getUTCMonth() + months);
  const last = new Date(Date.UTC(out.getUTCFullYear(), out.getUTCMonth() + 1, 0)).getUTCDate();
  out.setUTCDate(Math.min(day, last));
  return out;
}

/** End of the period that starts at `start`; null for a budget that never resets. */
export function periodEnd(start: Date, d: Duration): Date | null {
  if (d.months) return addMonths(start, d.months);
  if (d.seconds) return new Date(start.getTime() + d.seconds * 1000);
  return null;
}

/** The start of the period containing `now`, stepping whole periods from `start`. */
export function currentPeriodStart(start: Date, d: Duration, now: Date): Date {
  let s = start;
  for (let end = periodEnd(s, d); end && end.getTime() <= now.getTime(); end = periodEnd(s, d)) {
    // Skip many empty periods at once for second-based durations.
    if (d.seconds) {
      const periods = Math.floor((now.getTime() - s.getTime()) / (d.seconds * 1000));
      return new Date(s.getTime() + periods * d.seconds * 1000);
    }
    s = end;
  }
  return s;
}
