/** Editing a user or a team: its name, team (users), budget and rate limits. */
import { useState, type FormEvent } from "react";
import { Field } from "../components/ui";
import { numberOrNull } from "../format";

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
  initial: Limits & { team_id?: string | null };
  withTeam?: boolean;
  onSubmit: (body: Record<string, unknown>) => void;
  onCancel: () => void;
}) {
  const [f, setF] = useState({
    name: text(name.value),
    team_id: text(initial.team_id),
    budget_id: text(initial.budget_id),
    rpm_limit: text(initial.rpm_limit),
    tpm_limit: text(initial.tpm_limit),
    rpd_limit: text(initial.rpd_limit),
    max_parallel: text(initial.max_parallel),
  });
  const set = (k: keyof typeof f) => (e: { target: { value: string } }) => setF({ ...f, [k]: e.target.value });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    onSubmit({
      [name.field]: f.name.trim() || null,
      ...(withTeam ? { team_id: f.team_id.trim() || null } : {}),
      budget_id: f.budget_id.trim() || null,
      rpm_limit: numberOrNull(f.rpm_limit),
      tpm_limit: numberOrNull(f.tpm_limit),
      rpd_limit: numberOrNull(f.rpd_limit),
      max_parallel: numberOrNull(f.max_parallel),
    });
  };
  return (
    <form className="form" onSubmit={submit} aria-label={title}>
      <h2 className="form-title">{title}</h2>
      <div className="grid">
        <Field label={name.label} autoFocus value={f.name} onChange={set("name")} />
        {withTeam ? <Field label="Team id" value={f.team_id} onChange={set("team_id")} /> : null}
        <Field label="Budget id" value={f.budget_id} onChange={set("budget_id")} />
        <Field label="Requests per minute" inputMode="numeric" value={f.rpm_limit} onChange={set("rpm_limit")} />
        <Field label="Tokens per minute" inputMode="numeric" value={f.tpm_limit} onChange={set("tpm_limit")} />
        <Field label="Requests per day" inputMode="numeric" value={f.rpd_limit} onChange={set("rpd_limit")} />
        <Field label="Concurrent requests" inputMode="numeric" value={f.max_parallel} onChange={set("max_parallel")} />
      </div>
      <div className="row">
        <button type="submit">Save</button>
        <button type="button" className="secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
