/**
 * Exact decimal helpers for money: prices are published as decimals (USD per million tokens,
 * e.g. 0.00875 or 2.1875) and are turned into exact fractions `n / 10^scale` of BigInts, so that
 * `tokens × price` never suffers float drift.
 */

/** A non-negative decimal as `digits / 10^scale` (digits without leading zeros, scale minimal). */
export interface Decimal {
  digits: bigint;
  scale: number;
}

const DECIMAL = /^\+?(\d*)(?:\.(\d*))?(?:e([+-]?\d+))?$/i;

/**
 * Parses a non-negative decimal written plainly or in exponent form ("0.075", "1.5e-7", "3").
 * Returns undefined for anything else (negative, NaN, empty, garbage). Trailing fractional zeros
 * are dropped, so "0.100" has scale 1.
 */
export function parseDecimal(text: string): Decimal | undefined {
  const m = DECIMAL.exec(text.trim());
  if (!m) return undefined;
  const int = m[1] ?? "";
  let frac = m[2] ?? "";
  if (int === "" && frac === "") return undefined;
  const exp = m[3] === undefined ? 0 : Number(m[3]);
  if (!Number.isSafeInteger(exp) || Math.abs(exp) > 400) return undefined;
  let all = int + frac;
  let scale = frac.length - exp;
  if (scale < 0) {
    all += "0".repeat(-scale);
    scale = 0;
  }
  // Drop trailing zeros of the fraction.
  frac = all.slice(all.length - scale);
  let trim = 0;
  while (trim < frac.length && frac[frac.length - 1 - trim] === "0") trim++;
  all = all.slice(0, all.length - trim);
  scale -= trim;
  return { digits: BigInt(all === "" ? "0" : all), scale };
}

/**
 * A decimal that also fits plain numbers: `digits` and `10^scale` as doubles, both below 2^52,
 * so products and quotients with other such integers can be computed exactly without BigInts.
 */
export interface PriceDecimal extends Decimal {
  small: { digits: number; pow: number } | null;
}

const cache = new Map<number, PriceDecimal>();

/** Below this, sums of two integers are still exact doubles. */
export const EXACT_LIMIT = 2 ** 52;

/** The exact decimal a JS number literal denotes (its shortest round-trip form). Memoised. */
export function decimalOf(x: number): PriceDecimal {
  let d = cache.get(x);
  if (d) return d;
  if (!Number.isFinite(x) || x < 0) throw new RangeError(`a price must be a finite number ≥ 0, got ${x}`);
  const parsed = parseDecimal(String(x));
  if (!parsed) throw new RangeError(`not a decimal: ${x}`);
  const digits = Number(parsed.digits);
  d = { ...parsed, small: digits < EXACT_LIMIT && parsed.scale <= 15 ? { digits, pow: 10 ** parsed.scale } : null };
  if (cache.size > 10_000) cache.clear();
  cache.set(x, d);
  return d;
}

/** ⌈a / b⌉ for integers 0 ≤ a, b < 2^52, b > 0, exactly (every intermediate is an exact double). */
export function ceilDivSmall(a: number, b: number): number {
  let q = Math.floor(a / b);
  let r = a - q * b; // q·b ≤ a + b < 2^53: exact
  if (r < 0) {
    q--;
    r += b;
  } else if (r >= b) {
    q++;
    r -= b;
  }
  return r > 0 ? q + 1 : q;
}

export const POW10 = (n: number): bigint => 10n ** BigInt(n);

/** ⌈a / b⌉ for a ≥ 0, b > 0. */
export function ceilDiv(a: bigint, b: bigint): bigint {
  return (a + b - 1n) / b;
}
