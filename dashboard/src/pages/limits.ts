/** A key's, user's or team's rate limits in a few words ("100 rpm, 4 parallel"), or "—". */
export function limits(k: { rpm_limit: number | null; tpm_limit: number | null; rpd_limit: number | null; max_parallel: number | null }): string {
  const parts = [k.rpm_limit && `${k.rpm_limit} rpm`, k.tpm_limit && `${k.tpm_limit} tpm`, k.rpd_limit && `${k.rpd_limit} rpd`, k.max_parallel && `${k.max_parallel} parallel`].filter(Boolean);
  return parts.length ? parts.join(", ") : "—";
}
