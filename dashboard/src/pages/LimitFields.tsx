/** The four rate limits a key, user or team carries, as form fields and as the API's values. */
import { Field } from "../components/ui";
import { numberOrNull } from "../format";

type LimitName = "rpm_limit" | "tpm_limit" | "rpd_limit" | "max_parallel";
const LIMITS: Array<[LimitName, string]> = [
  ["rpm_limit", "Requests per minute"],
  ["tpm_limit", "Tokens per minute"],
  ["rpd_limit", "Requests per day"],
  ["max_parallel", "Concurrent requests"],
];

export function LimitFields({ values, set }: { values: Record<LimitName, string>; set: (k: LimitName) => (e: { target: { value: string } }) => void }) {
  return (
    <>
      {LIMITS.map(([k, label]) => (
        <Field key={k} label={label} inputMode="numeric" value={values[k]} onChange={set(k)} />
      ))}
    </>
  );
}

/** The form's limits as the management API takes them (empty: no limit). */
export function limitValues(f: Record<LimitName, string>): Record<LimitName, number | null> {
  return { rpm_limit: numberOrNull(f.rpm_limit), tpm_limit: numberOrNull(f.tpm_limit), rpd_limit: numberOrNull(f.rpd_limit), max_parallel: numberOrNull(f.max_parallel) };
}
