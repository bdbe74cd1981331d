/** Creating a key, or editing one's name, owner, expiry, limits, budget, allowed models and addresses, metadata, and whether it is active. */
import { useState } from "react";
import { useFields } from "../hooks";
import { Checkbox, Field, FormActions, Select } from "../components/ui";
import { fromUtcInput, listOrNull, toUtcInput } from "../format";
import { LimitFields, limitValues } from "./LimitFields";
import { useMetadata } from "./MetadataField";

export interface KeyObject {
  id: string;
  key_masked: string;
  key_name: string | null;
  user_id: string | null;
  team_id: string | null;
  status: string;
  is_active: boolean;
  created_at: string;
  expires_at: string | null;
  allowed_models: string[] | null;
  allowed_ips: string[] | null;
  budget_id: string | null;
  rpm_limit: number | null;
  tpm_limit: number | null;
  rpd_limit: number | null;
  max_parallel: number | null;
  metadata: Record<string, unknown>;
}

const text = (v: string | number | null | undefined) => (v === null || v === undefined ? "" : String(v));

export function KeyForm({ initial, submitLabel, onSubmit, onCancel }: { initial?: KeyObject; submitLabel: string; onSubmit: (body: Record<string, unknown>) => void; onCancel?: () => void }) {
  const [f, set] = useFields({
    key_name: text(initial?.key_name),
    user_id: text(initial?.user_id),
    team_id: text(initial?.team_id),
    allowed_models: initial?.allowed_models?.join(", ") ?? "",
    allowed_ips: initial?.allowed_ips?.join(", ") ?? "",
    expires_at: toUtcInput(initial?.expires_at ?? null),
    environment: "live",
    budget_id: text(initial?.budget_id),
    rpm_limit: text(initial?.rpm_limit),
    tpm_limit: text(initial?.tpm_limit),
    rpd_limit: text(initial?.rpd_limit),
    max_parallel: text(initial?.max_parallel),
  });
  const [active, setActive] = useState(initial?.is_active ?? true);
  const metadata = useMetadata(initial?.metadata);
  const submit = metadata.submit((meta) =>
    onSubmit({
      metadata: meta,
      ...(initial ? { is_active: active } : { environment: f.environment }),
      expires_at: fromUtcInput(f.expires_at),
      allowed_ips: listOrNull(f.allowed_ips),
      key_name: f.key_name.trim() || null,
      user_id: f.user_id.trim() || null,
      team_id: f.team_id.trim() || null,
      allowed_models: listOrNull(f.allowed_models),
      budget_id: f.budget_id.trim() || null,
      ...limitValues(f),
    }),
  );
  return (
    <form className="form" onSubmit={submit} aria-label={submitLabel}>
      <div className="grid">
        {/* Opening the form moves the focus into it. */}
        <Field label="Name" autoFocus value={f.key_name} onChange={set("key_name")} />
        <Field label="User id" value={f.user_id} onChange={set("user_id")} />
        <Field label="Team id" value={f.team_id} onChange={set("team_id")} />
        <Field label="Budget id" value={f.budget_id} onChange={set("budget_id")} />
        <Field label="Allowed models" hint="Comma-separated; empty allows every model" value={f.allowed_models} onChange={set("allowed_models")} />
        <LimitFields values={f} set={set} />
        <Field label="Allowed IPs" hint="Addresses or CIDR ranges, comma-separated; empty allows any" value={f.allowed_ips} onChange={set("allowed_ips")} />
        <Field label="Expires at (UTC)" type="datetime-local" hint="Empty: never expires" value={f.expires_at} onChange={set("expires_at")} />
        {initial ? (
          <Checkbox label="Active (unticked: requests are refused until it is ticked again)" checked={active} onChange={setActive} />
        ) : (
          <Select
            label="Environment"
            value={f.environment}
            onChange={set("environment")}
            options={[
              ["live", "Live (sb-live-…)"],
              ["test", "Test (sb-test-…)"],
            ]}
          />
        )}
        {metadata.field}
      </div>
      <FormActions submitLabel={submitLabel} onCancel={onCancel} />
    </form>
  );
}
