/** Small helpers shared by the benchmark's parent and child processes. */
import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** True when the module with this import.meta.url is the process entry point. */
export function isMain(metaUrl: string): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(metaUrl));
  } catch {
    return false;
  }
}

/** `--name value` or `--name=value` from argv; undefined when absent. */
export function argValue(name: string, argv: readonly string[] = process.argv): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === name) return argv[i + 1];
    if (argv[i].startsWith(`${name}=`)) return argv[i].slice(name.length + 1);
  }
  return undefined;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface Percentiles {
  count: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

/** Percentiles (nearest rank) of the first `n` values; the array is sorted in place. */
export function percentiles(values: Float64Array, n = values.length): Percentiles {
  const v = values.subarray(0, n).sort();
  const at = (q: number) => (n === 0 ? 0 : v[Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1))]);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += v[i];
  return { count: n, mean: n ? sum / n : 0, p50: at(0.5), p90: at(0.9), p99: at(0.99), p999: at(0.999), max: n ? v[n - 1] : 0 };
}
