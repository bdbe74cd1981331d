/**
 * Warnings on the answer to a create or update: fields of the request that are stored but not in
 * effect yet. Keys, users and teams share the list, so the three answer alike.
 */

/** Fields stored on keys, users and teams that nothing enforces yet: a request setting one is told so. */
export const NOT_ENFORCED_YET = ["rpm_limit", "tpm_limit", "rpd_limit", "max_parallel"] as const;

type NotEnforcedField = (typeof NOT_ENFORCED_YET)[number];

/** One message per field of the request that is stored but not in effect yet (null clears, so it is not one). */
export function notEnforcedWarnings(body: Partial<Record<NotEnforcedField, number | null>>): string[] {
  return NOT_ENFORCED_YET.filter((f) => body[f] !== undefined && body[f] !== null).map(
    (f) => `${f} is stored but not enforced yet: rate and concurrency limits are not available in this version`,
  );
}

/** The object, with `warnings` only when there are some. */
export function withWarnings<T extends object>(value: T, warnings: string[]): T & { warnings?: string[] } {
  return warnings.length > 0 ? { ...value, warnings } : value;
}
