/** Users: list (optionally of one team), create, block or unblock, delete. */
import { useState, type FormEvent } from "react";
import { api, query } from "../api";
import { IdFilter } from "../components/IdFilter";
import { More } from "../components/More";
import { Table } from "../components/Table";
import { Badge, ErrorNote, Field, PageHeader } from "../components/ui";
import { stamp } from "../format";
import { useAction } from "../hooks";
import { usePaged } from "../paged";
import { limits } from "./limits";
import { SubjectForm } from "./SubjectForm";

interface UserObject {
  user_id: string;
  alias: string | null;
  team_id: string | null;
  budget_id: string | null;
  blocked: boolean;
  created_at: string;
  rpm_limit: number | null;
  tpm_limit: number | null;
  rpd_limit: number | null;
  max_parallel: number | null;
}

export function Users() {
  const [team, setTeam] = useState({ team_id: "" });
  const list = usePaged<UserObject>(`/v1/users${query(team)}`);
  const [editing, setEditing] = useState<UserObject | null>(null);
  const action = useAction();
  const [f, setF] = useState({ user_id: "", alias: "", team_id: "", budget_id: "" });
  const set = (k: keyof typeof f) => (e: { target: { value: string } }) => setF({ ...f, [k]: e.target.value });
  const create = (e: FormEvent) => {
    e.preventDefault();
    void action.run(async () => {
      const body: Record<string, unknown> = { alias: f.alias || null, team_id: f.team_id || null, budget_id: f.budget_id || null };
      if (f.user_id) body.user_id = f.user_id;
      await api("POST", "/v1/users", body);
      setF({ user_id: "", alias: "", team_id: "", budget_id: "" });
      list.reload();
    });
  };
  const patch = (u: UserObject, body: Record<string, unknown>) =>
    void action.run(async () => {
      await api("PATCH", `/v1/users/${encodeURIComponent(u.user_id)}`, body);
      setEditing(null);
      list.reload();
    });
  const remove = (u: UserObject) =>
    void action.run(async () => {
      if (!window.confirm(`Delete user ${u.user_id}?`)) return;
      await api("DELETE", `/v1/users/${encodeURIComponent(u.user_id)}`);
      list.reload();
    });
  return (
    <>
      <PageHeader title="Users" />
      <ErrorNote error={action.error ?? list.error} />
      <form className="form inline" onSubmit={create} aria-label="Create user">
        <Field label="User id" hint="Generated when empty" value={f.user_id} onChange={set("user_id")} />
        <Field label="Alias" value={f.alias} onChange={set("alias")} />
        <Field label="Team id" value={f.team_id} onChange={set("team_id")} />
        <Field label="Budget id" value={f.budget_id} onChange={set("budget_id")} />
        <button type="submit">Create user</button>
      </form>
      {editing ? (
        <SubjectForm
          key={editing.user_id}
          title={`Edit ${editing.user_id}`}
          name={{ label: "Alias", field: "alias", value: editing.alias }}
          initial={editing}
          withTeam
          onSubmit={(body) => patch(editing, body)}
          onCancel={() => setEditing(null)}
        />
      ) : null}
      <IdFilter label="Filter users by team" fields={[["team_id", "Team id"]]} onApply={setTeam} />
      <Table
        caption="Users"
        rows={list.items}
        rowKey={(u) => u.user_id}
        columns={[
          { header: "User", cell: (u) => <code>{u.user_id}</code> },
          { header: "Alias", cell: (u) => u.alias ?? "—" },
          { header: "Team", cell: (u) => u.team_id ?? "—" },
          { header: "Budget", cell: (u) => u.budget_id ?? "—" },
          { header: "Limits", cell: (u) => limits(u) },
          { header: "State", cell: (u) => (u.blocked ? <Badge tone="bad">blocked</Badge> : <Badge tone="ok">active</Badge>) },
          { header: "Created (UTC)", cell: (u) => stamp(u.created_at), className: "nowrap" },
          {
            header: "Actions",
            cell: (u) => (
              <div className="row tight">
                <button type="button" className="small" onClick={() => setEditing(u)} aria-label={`Edit ${u.user_id}`}>
                  Edit
                </button>
                <button type="button" className="small" onClick={() => patch(u, { blocked: !u.blocked })} aria-label={`${u.blocked ? "Unblock" : "Block"} ${u.user_id}`}>
                  {u.blocked ? "Unblock" : "Block"}
                </button>
                <button type="button" className="small danger" onClick={() => remove(u)} aria-label={`Delete ${u.user_id}`}>
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
