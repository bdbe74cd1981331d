/** Budgets: each policy with its assignments' spend against the limit (bars) and next reset; create, edit and delete. */
import { useState } from "react";
import { api } from "../api";
import { More } from "../components/More";
import { ErrorNote, PageHeader, Empty } from "../components/ui";
import { BudgetForm } from "./BudgetForm";
import { usd, when } from "../format";
import { useAction } from "../hooks";
import { usePaged } from "../paged";

interface Assignment {
  subject_type: string;
  subject_id: string;
  period_start: string;
  reset_at: string | null;
  spend_usd: string;
}

interface BudgetObject {
  budget_id: string;
  max_budget: number;
  budget_duration: string | null;
  mode: "enforce" | "track";
  alert_thresholds: number[];
  max_request_usd: number | null;
  alert_webhook_url: string | null;
  assignments: Assignment[];
}

export function Budgets() {
  const list = usePaged<BudgetObject>("/v1/budgets");
  const action = useAction();
  const [editing, setEditing] = useState<BudgetObject | null>(null);
  const create = (body: Record<string, unknown>) =>
    action.run(async () => {
      await api("POST", "/v1/budgets", body);
      list.reload();
    });
  const update = (b: BudgetObject) => (body: Record<string, unknown>) =>
    action.run(async () => {
      await api("PATCH", `/v1/budgets/${encodeURIComponent(b.budget_id)}`, body);
      setEditing(null);
      list.reload();
    });
  const remove = (b: BudgetObject) =>
    void action.run(async () => {
      if (!window.confirm(`Delete budget ${b.budget_id}?`)) return;
      await api("DELETE", `/v1/budgets/${encodeURIComponent(b.budget_id)}`);
      list.reload();
    });
  return (
    <>
      <PageHeader title="Budgets" />
      <ErrorNote error={action.error ?? list.error} />
      <BudgetForm title="Create budget" submitLabel="Create budget" onSubmit={create} />
      {list.items.length === 0 && !list.loading ? <Empty>No budgets yet.</Empty> : null}
      <ul className="cards">
        {list.items.map((b) => (
          <li key={b.budget_id} className="card">
            <div className="card-head">
              <h2>{b.budget_id}</h2>
              <span className="hint">
                {usd(b.max_budget)} {b.budget_duration ? `per ${b.budget_duration}` : "(never resets)"} · {b.mode}
                {b.max_request_usd !== null ? ` · at most ${usd(b.max_request_usd)} per request` : ""}
                {b.alert_thresholds.length ? ` · alerts at ${b.alert_thresholds.join(", ")} %` : ""}
              </span>
              <button type="button" className="small" onClick={() => setEditing(b)} aria-label={`Edit budget ${b.budget_id}`}>
                Edit
              </button>
              <button type="button" className="small danger" onClick={() => remove(b)} aria-label={`Delete budget ${b.budget_id}`}>
                Delete
              </button>
            </div>
            {editing?.budget_id === b.budget_id ? (
              <BudgetForm key={b.budget_id} initial={b} title={`Edit budget ${b.budget_id}`} submitLabel="Save budget" onSubmit={update(b)} onCancel={() => setEditing(null)} />
            ) : null}
            {b.assignments.length === 0 ? <p className="hint">Not assigned to any key, user or team.</p> : null}
            {b.assignments.map((a) => (
              <SpendBar key={`${a.subject_type}:${a.subject_id}`} a={a} max={b.max_budget} />
            ))}
          </li>
        ))}
      </ul>
      <More list={list} />
    </>
  );
}

function SpendBar({ a, max }: { a: Assignment; max: number }) {
  const spend = Number(a.spend_usd);
  const ratio = max > 0 ? spend / max : 1;
  const tone = ratio >= 1 ? "bad" : ratio >= 0.8 ? "warn" : "ok";
  return (
    <div className="spend">
      <div className="spend-label">
        <span>
          {a.subject_type} <code>{a.subject_id}</code>
        </span>
        <span>
          {usd(a.spend_usd)} of {usd(max)} · resets {a.reset_at ? when(a.reset_at) : "never"}
        </span>
      </div>
      <div className="bar" role="progressbar" aria-label={`Spend of ${a.subject_type} ${a.subject_id}`} aria-valuemin={0} aria-valuemax={max} aria-valuenow={spend}>
        <div className={`bar-fill ${tone}`} style={{ width: `${Math.min(100, ratio * 100)}%` }} />
      </div>
    </div>
  );
}
