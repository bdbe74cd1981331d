/** Editing a user or a team: its name, team (users), budget, rate limits and metadata. */

import { useFields } from "../hooks";
import { Field, FormActions } from "../components/ui";
import { LimitFields, limitValues } from "./LimitFields";
import { useMetadata } from "./MetadataField";

export interface Limits {
  budget_id: string | null;
  rpm_limit: number | null;
  tpm_limit: number | null;
  rpd_limit: number | null;
  max_parallel: number | null;
}

const text = (v: string | number | null | undefined) => (v === null || v === undefined ? "" : String(v));

/**
 * `name` is the label and field of the display name (users: "Alias"/alias, teams: "Name"/name);
 * `withTeam` (users) adds the team id. The body sent holds every field, "" as null.
 */
export function SubjectForm({
  title,
  name,
  initial,
  withTeam = false,
  onSubmit,
  onCancel,
}: {
  title: string;
  name: { label: string; field: "alias" | "name"; value: string | null };
  initial: Limits & { team_id?: string | null; metadata?: Record<string, unknown> };
  withTeam?: boolean;
  onSubmit: (body: Record<string, unknown>) => void;
  onCancel: () => void;
}) {
  const [f, set] = useFields({
    name: text(name.value),
    team_id: text(initial.team_id),
    budget_id: text(initial.budget_id),
    rpm_limit: text(initial.rpm_limit),
    tpm_limit: text(initial.tpm_limit),
    rpd_limit: text(initial.rpd_limit),
    max_parallel: text(initial.max_parallel),
  });
  const metadata = useMetadata(initial.metadata);
  const submit = metadata.submit((meta) =>
    onSubmit({
      metadata: meta,
      [name.field]: f.name.trim() || null,
      ...(withTeam ? { team_id: f.team_id.trim() || null } : {}),
      budget_id: f.budget_id.trim() || null,
      ...limitValues(f),
    }),
  );
  return (
    <form className="form" onSubmit={submit} aria-label={title}>
      <h2 className="form-title">{title}</h2>
      <div className="grid">
        <Field label={name.label} autoFocus value={f.name} onChange={set("name")} />
        {withTeam ? <Field label="Team id" value={f.team_id} onChange={set("team_id")} /> : null}
        <Field label="Budget id" value={f.budget_id} onChange={set("budget_id")} />
        <LimitFields values={f} set={set} />
        {metadata.field}
      </div>
      <FormActions submitLabel="Save" onCancel={onCancel} />
    </form>
  );
}
