/** Budgets: each policy with its assignments' spend against the limit (bars) and next reset; create and delete. */
import { useState, type FormEvent } from "react";
import { api } from "../api";
import { More } from "../components/More";
import { ErrorNote, Field, PageHeader, Select, Empty } from "../components/ui";
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
  assignments: Assignment[];
}

export function Budgets() {
  const list = usePaged<BudgetObject>("/v1/budgets");
  const action = useAction();
  const [f, setF] = useState({ budget_id: "", max_budget: "", budget_duration: "30d", mode: "enforce" });
  const set = (k: keyof typeof f) => (e: { target: { value: string } }) => setF({ ...f, [k]: e.target.value });
  const create = (e: FormEvent) => {
    e.preventDefault();
    void action.run(async () => {
      const body: Record<string, unknown> = { max_budget: Number(f.max_budget), mode: f.mode };
      if (f.budget_duration) body.budget_duration = f.budget_duration;
      if (f.budget_id) body.budget_id = f.budget_id;
      await api("POST", "/v1/budgets", body);
      setF({ budget_id: "", max_budget: "", budget_duration: "30d", mode: "enforce" });
      list.reload();
    });
  };
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
      <form className="form inline" onSubmit={create} aria-label="Create budget">
        <Field label="Budget id" hint="Generated when empty" value={f.budget_id} onChange={set("budget_id")} />
        <Field label="Limit (USD)" inputMode="decimal" required value={f.max_budget} onChange={set("max_budget")} />
        <Field label="Period" hint="e.g. 1d, 7d, 1mo; empty: never resets" value={f.budget_duration} onChange={set("budget_duration")} />
        <Select
          label="Mode"
          value={f.mode}
          onChange={set("mode")}
          options={[
            ["enforce", "Enforce (refuse over the limit)"],
            ["track", "Track only"],
          ]}
        />
        <button type="submit">Create budget</button>
      </form>
      {list.items.length === 0 && !list.loading ? <Empty>No budgets yet.</Empty> : null}
      <ul className="cards">
        {list.items.map((b) => (
          <li key={b.budget_id} className="card">
            <div className="card-head">
              <h2>{b.budget_id}</h2>
              <span className="hint">
                {usd(b.max_budget)} per {b.budget_duration ?? "lifetime"} · {b.mode}
                {b.max_request_usd !== null ? ` · at most ${usd(b.max_request_usd)} per request` : ""}
              </span>
              <button type="button" className="small danger" onClick={() => remove(b)} aria-label={`Delete budget ${b.budget_id}`}>
                Delete
              </button>
            </div>
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
