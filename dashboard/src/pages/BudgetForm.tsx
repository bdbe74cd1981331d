/** Creating a budget, or editing one's limit, period, mode, alerts, per-request maximum and metadata. */

import { useFields } from "../hooks";
import { Field, FormActions, Select } from "../components/ui";
import { listOrNull } from "../format";
import { useMetadata } from "./MetadataField";

export interface BudgetSettings {
  budget_id: string;
  max_budget: number;
  budget_duration: string | null;
  mode: "enforce" | "track";
  alert_thresholds: number[];
  alert_webhook_url: string | null;
  max_request_usd: number | null;
  metadata?: Record<string, unknown>;
}

const text = (v: string | number | null | undefined) => (v === null || v === undefined ? "" : String(v));

function blank(initial?: BudgetSettings) {
  return {
    budget_id: initial?.budget_id ?? "",
    max_budget: text(initial?.max_budget),
    budget_duration: initial ? text(initial.budget_duration) : "30d",
    mode: initial?.mode ?? "enforce",
    alert_thresholds: initial?.alert_thresholds.join(", ") ?? "",
    alert_webhook_url: text(initial?.alert_webhook_url),
    max_request_usd: text(initial?.max_request_usd),
  };
}

/** Without `initial` a create form (with the budget id); the body holds every setting, "" as null. */
export function BudgetForm({
  initial,
  title,
  submitLabel,
  onSubmit,
  onCancel,
}: {
  initial?: BudgetSettings;
  title: string;
  submitLabel: string;
  onSubmit: (body: Record<string, unknown>) => Promise<boolean>;
  onCancel?: () => void;
}) {
  const [f, set, setF] = useFields(() => blank(initial));
  const metadata = useMetadata(initial?.metadata);
  const submit = metadata.submit((meta) => {
    const body: Record<string, unknown> = {
      metadata: meta,
      // A string keeps every decimal exactly as typed.
      max_budget: f.max_budget.trim(),
      budget_duration: f.budget_duration.trim() || null,
      mode: f.mode,
      alert_webhook_url: f.alert_webhook_url.trim() || null,
      max_request_usd: f.max_request_usd.trim() || null,
    };
    const thresholds = listOrNull(f.alert_thresholds)?.map(Number);
    // Empty: no alerts when editing; the gateway's default (50, 80, 100) when creating.
    if (thresholds || initial) body.alert_thresholds = thresholds ?? [];
    if (!initial && f.budget_id.trim()) body.budget_id = f.budget_id.trim();
    void onSubmit(body).then((ok) => {
      if (ok && !initial) {
        setF(blank());
        metadata.clear();
      }
    });
  });
  return (
    <form className="form" onSubmit={submit} aria-label={title}>
      {initial ? <h2 className="form-title">{title}</h2> : null}
      <div className="grid">
        {initial ? null : <Field label="Budget id" hint="Generated when empty" value={f.budget_id} onChange={set("budget_id")} />}
        {/* The edit form takes the focus when it opens; the create form, always shown, does not. */}
        <Field label="Limit (USD)" inputMode="decimal" required autoFocus={initial !== undefined} value={f.max_budget} onChange={set("max_budget")} />
        <Field label="Period" hint="e.g. 1d, 7d, 1mo; empty: never resets" value={f.budget_duration} onChange={set("budget_duration")} />
        <Select
          label="Mode"
          hint="Enforce refuses requests over the limit"
          value={f.mode}
          onChange={set("mode")}
          options={[
            ["enforce", "Enforce"],
            ["track", "Track only"],
          ]}
        />
        <Field
          label="Alerts at (% of limit)"
          hint={initial ? "Comma-separated; empty: no alerts" : "Comma-separated; empty: 50, 80, 100"}
          value={f.alert_thresholds}
          onChange={set("alert_thresholds")}
        />
        <Field label="Alert webhook URL" type="url" hint="Receives a POST per alert; empty: none" value={f.alert_webhook_url} onChange={set("alert_webhook_url")} />
        <Field label="Most per request (USD)" inputMode="decimal" hint="Empty: no per-request limit" value={f.max_request_usd} onChange={set("max_request_usd")} />
        {metadata.field}
      </div>
      <FormActions submitLabel={submitLabel} onCancel={onCancel} />
    </form>
  );
}
