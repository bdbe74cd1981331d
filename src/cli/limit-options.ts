/**
 * `--rpm`, `--tpm`, `--rpd`, `--max-parallel` for the commands that create or change a user or a
 * team, and the one-cell form the CLI shows limits in (`rpm=30 tpm=1000 parallel=2`, as
 * `keys create` prints them).
 */
import type { Command } from "commander";

/** `none` clears a limit (commander turns a parser's null into "", so the word is kept until the body is built). */
type LimitArg = number | "none";

export interface LimitOptions {
  /** A whole number, or `none`: no limit. */
  rpm?: LimitArg;
  tpm?: LimitArg;
  rpd?: LimitArg;
  maxParallel?: LimitArg;
}

export interface LimitFields {
  rpm_limit: number | null;
  tpm_limit: number | null;
  rpd_limit: number | null;
  max_parallel: number | null;
}

/** A commander parser: a whole number, or `none` for no limit; anything else is one line and exit code 2. */
export function limitValue(flag: string): (v: string) => LimitArg {
  return (v: string) => {
    if (v.trim().toLowerCase() === "none") return "none";
    const n = Number(v);
    if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n)) {
      process.stderr.write(`switchboard: ${flag} must be a whole number, or none for no limit, got "${v}"\n`);
      process.exit(2);
    }
    return n;
  };
}

/** Adds the four limit flags to a command. */
export function withLimitOptions(cmd: Command): Command {
  return cmd
    .option("--rpm <n>", "requests per minute (none: no limit)", limitValue("--rpm"))
    .option("--tpm <n>", "tokens per minute (none: no limit)", limitValue("--tpm"))
    .option("--rpd <n>", "requests per day (none: no limit)", limitValue("--rpd"))
    .option("--max-parallel <n>", "concurrent requests (none: no limit)", limitValue("--max-parallel"));
}

/** The request body fields of the limit flags given (a flag not given leaves its field out). */
export function limitBody(opts: LimitOptions): Partial<LimitFields> {
  const body: Partial<LimitFields> = {};
  const value = (v: LimitArg) => (v === "none" ? null : v);
  if (opts.rpm !== undefined) body.rpm_limit = value(opts.rpm);
  if (opts.tpm !== undefined) body.tpm_limit = value(opts.tpm);
  if (opts.rpd !== undefined) body.rpd_limit = value(opts.rpd);
  if (opts.maxParallel !== undefined) body.max_parallel = value(opts.maxParallel);
  return body;
}

/** `rpm=30 tpm=1000 rpd=500 parallel=2`, only the limits set; "" when there are none. */
export function formatLimits(o: LimitFields): string {
  const limits: Array<[string, number | null]> = [
    ["rpm", o.rpm_limit],
    ["tpm", o.tpm_limit],
    ["rpd", o.rpd_limit],
    ["parallel", o.max_parallel],
  ];
  return limits
    .filter(([, v]) => v !== null && v !== undefined)
    .map(([n, v]) => `${n}=${v}`)
    .join(" ");
}
