/** Teams: list, create, block or unblock, delete. */
import { useState, type FormEvent } from "react";
import { api } from "../api";
import { More } from "../components/More";
import { Table } from "../components/Table";
import { Badge, ErrorNote, Field, PageHeader } from "../components/ui";
import { stamp } from "../format";
import { useAction } from "../hooks";
import { usePaged } from "../paged";
import { limits } from "./limits";
import { SubjectForm } from "./SubjectForm";

interface TeamObject {
  team_id: string;
  name: string | null;
  budget_id: string | null;
  blocked: boolean;
  created_at: string;
  rpm_limit: number | null;
  tpm_limit: number | null;
  rpd_limit: number | null;
  max_parallel: number | null;
}

export function Teams() {
  const list = usePaged<TeamObject>("/v1/teams");
  const [editing, setEditing] = useState<TeamObject | null>(null);
  const action = useAction();
  const [f, setF] = useState({ team_id: "", name: "", budget_id: "" });
  const set = (k: keyof typeof f) => (e: { target: { value: string } }) => setF({ ...f, [k]: e.target.value });
  const create = (e: FormEvent) => {
    e.preventDefault();
    void action.run(async () => {
      const body: Record<string, unknown> = { name: f.name || null, budget_id: f.budget_id || null };
      if (f.team_id) body.team_id = f.team_id;
      await api("POST", "/v1/teams", body);
      setF({ team_id: "", name: "", budget_id: "" });
      list.reload();
    });
  };
  const patch = (t: TeamObject, body: Record<string, unknown>) =>
    void action.run(async () => {
      await api("PATCH", `/v1/teams/${encodeURIComponent(t.team_id)}`, body);
      setEditing(null);
      list.reload();
    });
  const remove = (t: TeamObject) =>
    void action.run(async () => {
      if (!window.confirm(`Delete team ${t.team_id}?`)) return;
      await api("DELETE", `/v1/teams/${encodeURIComponent(t.team_id)}`);
      list.reload();
    });
  return (
    <>
      <PageHeader title="Teams" />
      <ErrorNote error={action.error ?? list.error} />
      <form className="form inline" onSubmit={create} aria-label="Create team">
        <Field label="Team id" hint="Generated when empty" value={f.team_id} onChange={set("team_id")} />
        <Field label="Name" value={f.name} onChange={set("name")} />
        <Field label="Budget id" value={f.budget_id} onChange={set("budget_id")} />
        <button type="submit">Create team</button>
      </form>
      {editing ? (
        <SubjectForm
          key={editing.team_id}
          title={`Edit ${editing.team_id}`}
          name={{ label: "Name", field: "name", value: editing.name }}
          initial={editing}
          onSubmit={(body) => patch(editing, body)}
          onCancel={() => setEditing(null)}
        />
      ) : null}
      <Table
        caption="Teams"
        rows={list.items}
        rowKey={(t) => t.team_id}
        columns={[
          { header: "Team", cell: (t) => <code>{t.team_id}</code> },
          { header: "Name", cell: (t) => t.name ?? "—" },
          { header: "Budget", cell: (t) => t.budget_id ?? "—" },
          { header: "Limits", cell: (t) => limits(t) },
          { header: "State", cell: (t) => (t.blocked ? <Badge tone="bad">blocked</Badge> : <Badge tone="ok">active</Badge>) },
          { header: "Created (UTC)", cell: (t) => stamp(t.created_at), className: "nowrap" },
          {
            header: "Actions",
            cell: (t) => (
              <div className="row tight">
                <button type="button" className="small" onClick={() => setEditing(t)} aria-label={`Edit ${t.team_id}`}>
                  Edit
                </button>
                <button type="button" className="small" onClick={() => patch(t, { blocked: !t.blocked })} aria-label={`${t.blocked ? "Unblock" : "Block"} ${t.team_id}`}>
                  {t.blocked ? "Unblock" : "Block"}
                </button>
                <button type="button" className="small danger" onClick={() => remove(t)} aria-label={`Delete ${t.team_id}`}>
                  Delete
                </button>
              </div>
            ),
          },
        ]}
      />
      <More list={list} />
    </>
  );
}
