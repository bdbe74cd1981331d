/**
 * Users and Teams: one page shape for both. A list (users: optionally of one team), a create form,
 * and per row Edit (SubjectForm), Block or Unblock, Delete. What differs is given by a `SubjectKind`:
 * the id and name fields, the user's team, the path.
 */
import { useState, type FormEvent, type ReactNode } from "react";
import { api, query } from "../api";
import { IdFilter } from "../components/IdFilter";
import { More } from "../components/More";
import { Table, type Column } from "../components/Table";
import { Badge, ErrorNote, Field, PageHeader } from "../components/ui";
import { stamp } from "../format";
import { useAction, useFields } from "../hooks";
import { usePaged } from "../paged";
import { limits } from "./limits";
import { SubjectForm, type Limits } from "./SubjectForm";

export interface SubjectObject extends Limits {
  blocked: boolean;
  created_at: string;
  team_id?: string | null;
  metadata?: Record<string, unknown>;
}

export interface SubjectKind<T extends SubjectObject> {
  /** "Users", "Teams". */
  title: string;
  /** "user", "team". */
  noun: string;
  path: string;
  id: (s: T) => string;
  idField: string;
  /** The display name: users' alias, teams' name. */
  name: { label: string; field: "alias" | "name"; value: (s: T) => string | null };
  /** Users belong to a team: its id on create, edit, in the table, and a filter by it. */
  withTeam?: boolean;
}

export function SubjectsPage<T extends SubjectObject>({ kind }: { kind: SubjectKind<T> }) {
  const [filter, setFilter] = useState({ team_id: "" });
  const list = usePaged<T>(`${kind.path}${kind.withTeam ? query(filter) : ""}`);
  const [editing, setEditing] = useState<T | null>(null);
  const action = useAction();
  const empty = { id: "", name: "", team_id: "", budget_id: "" };
  const [f, set, setF] = useFields(empty);
  const url = (s: T) => `${kind.path}/${encodeURIComponent(kind.id(s))}`;
  const create = (e: FormEvent) => {
    e.preventDefault();
    void action.run(async () => {
      const body: Record<string, unknown> = { [kind.name.field]: f.name || null, budget_id: f.budget_id || null };
      if (kind.withTeam) body.team_id = f.team_id || null;
      if (f.id) body[kind.idField] = f.id;
      await api("POST", kind.path, body);
      setF(empty);
      list.reload();
    });
  };
  const patch = (s: T, body: Record<string, unknown>) =>
    void action.run(async () => {
      await api("PATCH", url(s), body);
      setEditing(null);
      list.reload();
    });
  const remove = (s: T) =>
    void action.run(async () => {
      if (!window.confirm(`Delete ${kind.noun} ${kind.id(s)}?`)) return;
      await api("DELETE", url(s));
      list.reload();
    });
  const Noun = kind.noun[0].toUpperCase() + kind.noun.slice(1);
  const columns: Array<Column<T>> = [
    { header: Noun, cell: (s) => <code>{kind.id(s)}</code> },
    { header: kind.name.label, cell: (s) => kind.name.value(s) ?? "—" },
    ...(kind.withTeam ? [{ header: "Team", cell: (s: T): ReactNode => s.team_id ?? "—" }] : []),
    { header: "Budget", cell: (s) => s.budget_id ?? "—" },
    { header: "Limits", cell: (s) => limits(s) },
    { header: "State", cell: (s) => (s.blocked ? <Badge tone="bad">blocked</Badge> : <Badge tone="ok">active</Badge>) },
    { header: "Created (UTC)", cell: (s) => stamp(s.created_at), className: "nowrap" },
    {
      header: "Actions",
      cell: (s) => (
        <div className="row tight">
          <button type="button" className="small" onClick={() => setEditing(s)} aria-label={`Edit ${kind.id(s)}`}>
            Edit
          </button>
          <button type="button" className="small" onClick={() => patch(s, { blocked: !s.blocked })} aria-label={`${s.blocked ? "Unblock" : "Block"} ${kind.id(s)}`}>
            {s.blocked ? "Unblock" : "Block"}
          </button>
          <button type="button" className="small danger" onClick={() => remove(s)} aria-label={`Delete ${kind.id(s)}`}>
            Delete
          </button>
        </div>
      ),
    },
  ];
  return (
    <>
      <PageHeader title={kind.title} />
      <ErrorNote error={action.error ?? list.error} />
      <form className="form inline" onSubmit={create} aria-label={`Create ${kind.noun}`}>
        <Field label={`${Noun} id`} hint="Generated when empty" value={f.id} onChange={set("id")} />
        <Field label={kind.name.label} value={f.name} onChange={set("name")} />
        {kind.withTeam ? <Field label="Team id" value={f.team_id} onChange={set("team_id")} /> : null}
        <Field label="Budget id" value={f.budget_id} onChange={set("budget_id")} />
        <button type="submit">Create {kind.noun}</button>
      </form>
      {editing ? (
        <SubjectForm
          key={kind.id(editing)}
          title={`Edit ${kind.id(editing)}`}
          name={{ label: kind.name.label, field: kind.name.field, value: kind.name.value(editing) }}
          initial={editing}
          withTeam={kind.withTeam}
          onSubmit={(body) => patch(editing, body)}
          onCancel={() => setEditing(null)}
        />
      ) : null}
      {kind.withTeam ? <IdFilter label={`Filter ${kind.title.toLowerCase()} by team`} fields={[["team_id", "Team id"]]} onApply={setFilter} /> : null}
      <Table caption={kind.title} rows={list.items} rowKey={kind.id} columns={columns} />
      <More list={list} />
    </>
  );
}
