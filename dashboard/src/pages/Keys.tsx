/** Keys: list (by status, user or team), create (the key shown once), edit limits/budget/allowed models/expiry, deactivate, rotate, revoke. */
import { useState } from "react";
import { api, query } from "../api";
import { IdFilter } from "../components/IdFilter";
import { More } from "../components/More";
import { SecretOnce } from "../components/SecretOnce";
import { Table } from "../components/Table";
import { Badge, ErrorNote, PageHeader, Select } from "../components/ui";
import { stamp } from "../format";
import { useAction } from "../hooks";
import { usePaged } from "../paged";
import { KeyForm, type KeyObject } from "./KeyForm";
import { limits } from "./limits";

const TONE: Record<string, "ok" | "warn" | "bad" | "muted"> = { active: "ok", inactive: "muted", expired: "warn", revoked: "bad" };

export function Keys() {
  const [status, setStatus] = useState("");
  const [owner, setOwner] = useState({ user_id: "", team_id: "" });
  const list = usePaged<KeyObject>(`/v1/keys${query({ status, ...owner })}`);
  const action = useAction();
  const [mode, setMode] = useState<{ kind: "none" } | { kind: "create" } | { kind: "edit"; key: KeyObject }>({ kind: "none" });
  const [secret, setSecret] = useState<string | null>(null);

  const create = (body: Record<string, unknown>) =>
    void action.run(async () => {
      const made = await api<{ key: string }>("POST", "/v1/keys", body);
      setSecret(made.key);
      setMode({ kind: "none" });
      list.reload();
    });
  const edit = (id: string) => (body: Record<string, unknown>) =>
    void action.run(async () => {
      await api("PATCH", `/v1/keys/${encodeURIComponent(id)}`, body);
      setMode({ kind: "none" });
      list.reload();
    });
  const rotate = (k: KeyObject) =>
    void action.run(async () => {
      if (!window.confirm(`Rotate ${k.key_masked}? The old key stops working at once.`)) return;
      const r = await api<{ key: string }>("POST", `/v1/keys/${encodeURIComponent(k.id)}/rotate`);
      setSecret(r.key);
      list.reload();
    });
  const revoke = (k: KeyObject) =>
    void action.run(async () => {
      if (!window.confirm(`Revoke ${k.key_masked}? Requests with it are refused from now on.`)) return;
      await api("DELETE", `/v1/keys/${encodeURIComponent(k.id)}`);
      list.reload();
    });

  return (
    <>
      <PageHeader title="Keys">
        <Select
          label="Show"
          value={status}
          onChange={(e) => setStatus(e.target.value)}
          options={[
            ["", "Every key"],
            ["active", "Active"],
            ["inactive", "Inactive"],
            ["expired", "Expired"],
            ["revoked", "Revoked"],
          ]}
        />
        <button type="button" onClick={() => setMode({ kind: "create" })}>
          Create key
        </button>
      </PageHeader>
      <IdFilter
        label="Filter keys by owner"
        fields={[
          ["user_id", "User id"],
          ["team_id", "Team id"],
        ]}
        onApply={setOwner}
      />
      <ErrorNote error={action.error ?? list.error} />
      {secret ? <SecretOnce secret={secret} onDone={() => setSecret(null)} /> : null}
      {mode.kind === "create" ? <KeyForm submitLabel="Create" onSubmit={create} onCancel={() => setMode({ kind: "none" })} /> : null}
      {mode.kind === "edit" ? (
        <KeyForm key={mode.key.id} initial={mode.key} submitLabel={`Save ${mode.key.key_masked}`} onSubmit={edit(mode.key.id)} onCancel={() => setMode({ kind: "none" })} />
      ) : null}
      <Table
        caption="Virtual keys"
        rows={list.items}
        rowKey={(k) => k.id}
        columns={[
          { header: "Key", cell: (k) => <code>{k.key_masked}</code> },
          { header: "Name", cell: (k) => k.key_name ?? "—" },
          { header: "Status", cell: (k) => <Badge tone={TONE[k.status] ?? "muted"}>{k.status}</Badge> },
          { header: "User / team", cell: (k) => [k.user_id, k.team_id].filter(Boolean).join(" / ") || "—" },
          { header: "Limits", cell: (k) => limits(k), className: "nowrap" },
          { header: "Budget", cell: (k) => k.budget_id ?? "—", className: "nowrap" },
          { header: "Created (UTC)", cell: (k) => stamp(k.created_at), className: "nowrap" },
          { header: "Expires (UTC)", cell: (k) => (k.expires_at ? stamp(k.expires_at) : "never"), className: "nowrap" },
          {
            header: "Actions",
            cell: (k) =>
              k.status === "revoked" ? null : (
                <div className="row tight">
                  <button type="button" className="small" onClick={() => setMode({ kind: "edit", key: k })} aria-label={`Edit ${k.key_masked}`}>
                    Edit
                  </button>
                  <button type="button" className="small" onClick={() => rotate(k)} aria-label={`Rotate ${k.key_masked}`}>
                    Rotate
                  </button>
                  <button type="button" className="small danger" onClick={() => revoke(k)} aria-label={`Revoke ${k.key_masked}`}>
                    Revoke
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
