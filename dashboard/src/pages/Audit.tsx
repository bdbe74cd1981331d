/** The audit log: every management action (who, what, when, from where), filterable by each and by time range. */
import { useState, type FormEvent } from "react";
import { useFields } from "../hooks";
import { query } from "../api";
import { More } from "../components/More";
import { Table } from "../components/Table";
import { Field, ErrorNote, PageHeader, RangeFields } from "../components/ui";
import { stamp, utcRange } from "../format";
import { usePaged } from "../paged";

interface AuditEvent {
  id: string;
  at: string;
  actor: string;
  action: string;
  target_type: string;
  target_id: string | null;
  source_ip: string | null;
  changes: Record<string, unknown>;
}

export function Audit() {
  const [draft, set] = useFields({ action: "", actor: "", target_type: "", target_id: "", from: "", to: "" });
  const [filters, setFilters] = useState(draft);
  const list = usePaged<AuditEvent>(`/v1/audit${query(utcRange(filters))}`);
  const apply = (e: FormEvent) => {
    e.preventDefault();
    setFilters({ ...draft });
  };
  return (
    <>
      <PageHeader title="Audit log" />
      <form className="form inline" onSubmit={apply} aria-label="Filter the audit log">
        <Field label="Action" hint="e.g. key.create" value={draft.action} onChange={set("action")} />
        <Field label="Actor" value={draft.actor} onChange={set("actor")} />
        <Field label="Target type" hint="e.g. key, user, budget" value={draft.target_type} onChange={set("target_type")} />
        <Field label="Target id" value={draft.target_id} onChange={set("target_id")} />
        <RangeFields from={draft.from} to={draft.to} onFrom={set("from")} onTo={set("to")} />
        <button type="submit">Apply filters</button>
      </form>
      <ErrorNote error={list.error} />
      <Table
        caption="Management actions, newest first"
        rows={list.items}
        rowKey={(e) => e.id}
        columns={[
          { header: "Time (UTC)", cell: (e) => stamp(e.at), className: "nowrap" },
          { header: "Actor", cell: (e) => <code>{e.actor}</code>, className: "nowrap" },
          { header: "Action", cell: (e) => e.action },
          { header: "Target", cell: (e) => `${e.target_type}${e.target_id ? ` ${e.target_id}` : ""}` },
          { header: "From", cell: (e) => e.source_ip ?? "—" },
          {
            header: "Changes",
            cell: (e) => (
              <details className="changes">
                <summary>
                  <code>{JSON.stringify(e.changes)}</code>
                </summary>
                <pre>{JSON.stringify(e.changes, null, 2)}</pre>
              </details>
            ),
          },
        ]}
      />
      <More list={list} />
    </>
  );
}
